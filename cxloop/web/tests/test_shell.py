"""The web shell: home, the area pages, error pages, and the security every page carries."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from cxloop.accounts.models import Invitation
from cxloop.accounts.tests.helpers import assert_shows_no_acme_data, has_csrf_field, login_redirect
from cxloop.web.areas import AREAS

ROLES = ("owner", "admin", "analyst", "agent", "viewer")
AREA_PATHS = ("/inbox/", "/customers/", "/surveys/", "/analytics/", "/dashboards/", "/cases/", "/journeys/")


# --- Home and areas ----------------------------------------------------------------------------
@pytest.mark.parametrize("role", ROLES)
def test_every_member_sees_the_home_page_of_their_workspace(cast, login, role):
    response = login(cast.user(role)).get("/")
    assert response.status_code == 200
    assert b"<h1>Acme</h1>" in response.content
    assert f"You are <strong>{role}</strong> here".encode() in response.content
    assert response.context["member_count"] == 5


def test_home_links_every_area(cast, login):
    content = login(cast.viewer).get("/").content.decode()
    for path in AREA_PATHS:
        assert f'href="{path}"' in content


@pytest.mark.parametrize(
    ("role", "sees_setup_links"),
    [("owner", True), ("admin", True), ("analyst", False), ("agent", False), ("viewer", False)],
)
def test_home_offers_key_and_invite_links_only_to_those_allowed(cast, login, role, sees_setup_links):
    content = login(cast.user(role)).get("/").content
    assert (b"Create an API key" in content) is sees_setup_links
    assert (b"Invite your team" in content) is sees_setup_links


def test_home_counts_only_active_keys(cast, login, make_key):
    from cxloop.accounts.models import ApiKey

    make_key(cast.workspace)
    make_key(cast.workspace)
    ApiKey.objects.filter(pk=ApiKey.objects.first().pk).update(revoked_at="2030-01-01T00:00:00Z")
    assert login(cast.owner).get("/").context["key_count"] == 1


@pytest.mark.parametrize("area", AREAS, ids=lambda a: a.slug)
def test_area_pages_open_for_a_viewer_and_say_plainly_when_not_built(cast, login, area):
    response = login(cast.viewer).get(f"/{area.slug}/")
    assert response.status_code == 200
    assert (b"Not built yet." in response.content) is not area.ready


def test_the_areas_are_the_product_map(db):
    assert [f"/{a.slug}/" for a in AREAS] == list(AREA_PATHS)


@pytest.mark.parametrize("path", ["/nowhere/", "/admin/", "/inbox-2/"])
def test_unknown_area_is_not_found(cast, login, path):
    response = login(cast.viewer).get(path)
    assert response.status_code == 404
    assert b"Not found" in response.content


def test_unknown_address_is_not_found_for_anonymous_visitors_too(db, client):
    assert client.get("/no/such/page/").status_code == 404


@pytest.mark.parametrize("path", ["/", *AREA_PATHS])
def test_anonymous_visitor_is_sent_to_login(db, client, path):
    response = client.get(path)
    assert response.status_code == 302
    assert response.url == login_redirect(path)


def test_outsider_home_is_about_their_own_workspace(cast, login, make_key):
    make_key(cast.workspace)
    response = login(cast.outsider).get("/")
    assert response.status_code == 200
    assert b"<h1>Other Co</h1>" in response.content
    assert (response.context["member_count"], response.context["key_count"]) == (1, 0)
    assert_shows_no_acme_data(response)


@pytest.mark.parametrize("path", AREA_PATHS)
def test_outsider_area_pages_show_nothing_of_acme(cast, login, path):
    response = login(cast.outsider).get(path)
    assert response.status_code == 200
    assert_shows_no_acme_data(response)


# --- Security on every page --------------------------------------------------------------------
def pages(cast):
    owner = Client()
    owner.force_login(cast.owner)
    return {
        "login": Client().get("/login/"),
        "home": owner.get("/"),
        "area": owner.get("/inbox/"),
        "members": owner.get("/settings/members/"),
        "not found": owner.get("/nowhere/"),
        "forbidden": _viewer(cast).get("/settings/api-keys/"),
    }


def _viewer(cast):
    client = Client()
    client.force_login(cast.viewer)
    return client


def csp_directives(response) -> dict[str, list[str]]:
    policy = response["Content-Security-Policy"]
    parts = [p.strip().split() for p in policy.split(";") if p.strip()]
    return {p[0]: p[1:] for p in parts}


def test_pages_carry_the_security_headers(cast):
    for name, response in pages(cast).items():
        assert response["X-Frame-Options"] == "DENY", name
        assert response["X-Content-Type-Options"] == "nosniff", name
        assert response["Referrer-Policy"] == "same-origin", name
        directives = csp_directives(response)
        assert directives["script-src"] == ["'self'"], name
        assert "'unsafe-inline'" not in directives.get("script-src", []), name
        assert directives["frame-ancestors"] == ["'none'"], name
        assert directives["object-src"] == ["'none'"], name


def test_pages_have_no_inline_scripts(cast):
    for name, response in pages(cast).items():
        for tag in re.findall(r"<script\b[^>]*>", response.content.decode()):
            assert "src=" in tag, f"inline script on the {name} page: {tag}"
        assert " onclick=" not in response.content.decode(), name


def test_only_the_api_explorer_allows_inline_styles(db, client):
    assert "'unsafe-inline'" not in csp_directives(client.get("/login/"))["style-src"]
    docs = client.get("/api/v1/docs")
    assert docs.status_code == 200
    assert "'unsafe-inline'" in csp_directives(docs)["style-src"]
    assert "'unsafe-inline'" not in csp_directives(docs)["script-src"]


@pytest.mark.parametrize("path", ["/", "/login/", "/settings/", "/settings/members/", "/workspaces/new/"])
def test_forms_carry_a_csrf_token(cast, path):
    client = Client()
    if path != "/login/":
        client.force_login(cast.owner)
    response = client.get(path)
    assert b"<form" in response.content
    assert has_csrf_field(response)


def test_login_without_csrf_token_is_rejected(cast):
    from conftest import PASSWORD

    browser = Client(enforce_csrf_checks=True)
    response = browser.post("/login/", {"email": cast.owner.email, "password": PASSWORD})
    assert response.status_code == 403
    assert "_auth_user_id" not in browser.session


def test_page_action_without_csrf_token_is_rejected(cast):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(cast.owner)
    response = browser.post("/settings/members/invite/", {"email": "x@example.com", "role": "viewer"})
    assert response.status_code == 403
    assert not Invitation.objects.exists()


def test_page_action_with_the_csrf_token_goes_through(cast):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(cast.owner)
    page = browser.get("/settings/members/")
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.content.decode()).group(1)
    form = {"email": "x@example.com", "role": "viewer", "csrfmiddlewaretoken": token}
    browser.post("/settings/members/invite/", form)
    assert Invitation.objects.filter(email="x@example.com").exists()


def test_api_needs_no_csrf_token(cast, make_key):
    raw = make_key(cast.workspace)
    response = Client(enforce_csrf_checks=True).get("/api/v1/me", headers={"Authorization": f"Bearer {raw}"})
    assert response.status_code == 200
