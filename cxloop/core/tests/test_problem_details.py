"""Every error under /api/ is RFC 9457 application/problem+json, whoever produced it (the API's own handlers,
Django's URL resolver, a middleware, a crash); pages outside /api/ keep their HTML error pages."""

from __future__ import annotations

import json
import logging

import pytest
from django.core.exceptions import RequestDataTooBig
from django.http import HttpResponse
from django.test import Client
from django.urls import path

from cxloop.api import api as cxloop_api
from cxloop.core.problems import PROBLEM_CONTENT_TYPE, problem_response
from cxloop.urls import urlpatterns as product_urlpatterns

SECRET = "internal detail that must not leak"


def _echo_length(request):
    """Reads the body, as every write route of the API will."""
    return HttpResponse(str(len(request.body)))


# URLconf for the body-size tests: the product's routes plus one plain Django view under /api/.
urlpatterns = [path("api/v1/test-echo", _echo_length), *product_urlpatterns]
handler404 = "cxloop.web.errors.not_found"
handler500 = "cxloop.web.errors.server_error"


def assert_problem(response, status: int) -> dict:
    assert response.status_code == status
    assert response["Content-Type"].startswith(PROBLEM_CONTENT_TYPE)
    body = json.loads(response.content)
    assert {"type", "title", "status", "detail"} <= body.keys()
    assert body["status"] == status
    return body


def assert_no_internals(response) -> None:
    text = response.content.decode()
    for leak in ("Traceback", "RuntimeError", "OperationalError", SECRET, 'File "'):
        assert leak not in text


# --- The shape itself ---------------------------------------------------------------------------
def test_problem_without_type_is_about_blank_titled_by_status():
    body = json.loads(problem_response(409).content)

    assert body == {"type": "about:blank", "title": "Conflict", "status": 409, "detail": "Conflict"}


def test_problem_type_slug_becomes_an_absolute_uri_and_extras_are_kept():
    response = problem_response(422, type_="validation-error", detail="name: required", errors=[])

    body = json.loads(response.content)
    assert body["type"] == "https://cxloop.dev/problems/validation-error"
    assert body["errors"] == []
    assert response["Content-Type"] == PROBLEM_CONTENT_TYPE


# --- Routing errors -----------------------------------------------------------------------------
@pytest.mark.parametrize("url", ["/api/v1/nope", "/api/v1/me/extra", "/api/v2/health"])
def test_unknown_api_path_answers_404_problem(url, db, client):
    response = client.get(url)

    body = assert_problem(response, 404)
    assert url in body["detail"]


def test_wrong_method_answers_405_problem_naming_allowed_methods(db, client):
    response = client.post("/api/v1/health")

    body = assert_problem(response, 405)
    assert response["Allow"] == "GET"
    assert "POST" in body["detail"]
    assert "GET" in body["detail"]


@pytest.mark.parametrize("method", ["put", "patch", "delete"])
def test_other_wrong_methods_answer_405_problem(method, db, client):
    response = getattr(client, method)("/api/v1/me")

    assert_problem(response, 405)
    assert "Allow" in response


def test_unknown_host_under_api_answers_400_problem(db, client):
    response = client.get("/api/v1/health", headers={"Host": "evil.example"})

    assert_problem(response, 400)


# --- Crashes ------------------------------------------------------------------------------------
def test_crash_while_checking_key_answers_500_problem_without_traceback(
    cast, make_key, api, monkeypatch, caplog
):
    def crash(raw):
        raise RuntimeError(SECRET)

    monkeypatch.setattr("cxloop.accounts.api_auth.api_key_authenticate", crash)

    with caplog.at_level(logging.ERROR, logger="cxloop.api"):
        response = api("get", "/api/v1/me", key=make_key(cast.workspace))

    body = assert_problem(response, 500)
    assert body["detail"] == "The server failed to answer this request; the error was logged."
    assert_no_internals(response)
    assert any(r.exc_info and SECRET in str(r.exc_info[1]) for r in caplog.records)


def test_health_with_database_down_answers_500_problem_without_traceback(db, client, monkeypatch):
    from django.db import OperationalError, connection

    def database_down(*args, **kwargs):
        raise OperationalError(SECRET)

    with monkeypatch.context() as patched:  # undone before the test database is torn down
        patched.setattr(connection, "cursor", database_down)
        response = client.get("/api/v1/health")

    assert_problem(response, 500)
    assert_no_internals(response)


def test_crash_outside_the_api_handlers_still_answers_500_problem(db, monkeypatch):
    from cxloop.accounts.middleware import WorkspaceMiddleware

    def crash(self, request):
        raise RuntimeError(SECRET)

    monkeypatch.setattr(WorkspaceMiddleware, "__call__", crash)
    client = Client(raise_request_exception=False)

    response = client.get("/api/v1/health")

    body = assert_problem(response, 500)
    assert "logged" in body["detail"]
    assert_no_internals(response)


# --- Body size ----------------------------------------------------------------------------------
@pytest.mark.urls(__name__)
def test_body_over_the_upload_limit_under_api_answers_400_problem(db, client, settings):
    # Django refuses an oversized body with RequestDataTooBig, a SuspiciousOperation: 400 Bad Request.
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1024

    response = client.post("/api/v1/test-echo", data="x" * 2048, content_type="application/json")

    assert_problem(response, 400)


@pytest.mark.urls(__name__)
def test_body_within_the_upload_limit_is_read(db, client, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1024

    response = client.post("/api/v1/test-echo", data="x" * 1000, content_type="application/json")

    assert response.status_code == 200
    assert response.content == b"1000"


def test_api_handlers_answer_oversized_body_with_413_problem(rf, settings):
    # django-ninja reads the body inside its own try block, so the API's handlers answer, not Django's.
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 2048
    request = rf.post("/api/v1/anything")

    response = cxloop_api.on_exception(request, RequestDataTooBig("too big"))

    body = assert_problem(response, 413)
    assert body["type"].endswith("/body-too-large")
    assert "2,048 bytes" in body["detail"]


def _write_routes_with_body(client) -> list[str]:
    paths = client.get("/api/v1/openapi.json").json()["paths"]
    return [
        url
        for url, operations in paths.items()
        if "post" in operations and "requestBody" in operations["post"] and "{" not in url
    ]


def test_oversized_body_to_every_write_route_answers_413_problem(cast, make_key, api, client, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1024
    routes = _write_routes_with_body(client)
    if not routes:
        pytest.skip("the API has no write route with a body yet")
    key = make_key(cast.workspace, ["read", "write"])

    for url in routes:
        response = api("post", url, key=key, json={"padding": "x" * 2048})

        assert_problem(response, 413)


# --- Pages outside the API keep HTML ------------------------------------------------------------
def test_unknown_page_outside_api_answers_html_404(db, client):
    response = client.get("/no/such/page/")

    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")
    assert b"Not found" in response.content


def test_wrong_method_outside_api_is_not_a_problem_document(db, client):
    response = client.put("/login/")

    assert response.status_code == 405
    assert not response["Content-Type"].startswith(PROBLEM_CONTENT_TYPE)


def test_body_over_the_upload_limit_outside_api_answers_html_400(db, client, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1024

    response = client.post("/login/", data={"email": "a@b.example", "password": "x" * 4096})

    assert response.status_code == 400
    assert response["Content-Type"].startswith("text/html")


def test_crash_outside_api_answers_html_500(db, monkeypatch):
    from cxloop.accounts.middleware import WorkspaceMiddleware

    def crash(self, request):
        raise RuntimeError(SECRET)

    monkeypatch.setattr(WorkspaceMiddleware, "__call__", crash)
    client = Client(raise_request_exception=False)

    response = client.get("/login/")

    assert response.status_code == 500
    assert response["Content-Type"].startswith("text/html")
    assert_no_internals(response)


def test_bare_api_prefix_is_a_problem_404_not_a_login_redirect(client):
    response = client.get("/api/")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("application/problem+json")
