"""The JSON API at /api/v1: one NinjaAPI, key authentication, RFC 9457 errors, and each app's router."""

from __future__ import annotations

import json
import logging

from django.core.exceptions import RequestDataTooBig
from django.http import Http404
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError

from cxloop import __version__
from cxloop.accounts.api import router as accounts_router
from cxloop.accounts.api_auth import RateLimited, ScopeError
from cxloop.core.exceptions import ServiceError
from cxloop.core.problems import problem_response
from cxloop.customers.api import router as customers_router
from cxloop.feedback.api import router as feedback_router
from cxloop.outreach.api import router as outreach_router
from cxloop.surveys.api import router as surveys_router

log = logging.getLogger(__name__)

api = NinjaAPI(
    title="CX Loop API",
    version=__version__,
    description=(
        "Authenticate with `Authorization: Bearer <API key>` (Settings › API keys). Read keys may call GET "
        "routes; write keys may also create and change data. Errors are RFC 9457 `application/problem+json`."
    ),
    urls_namespace="api",
    docs_url="/docs",
    openapi_url="/openapi.json",
)


def _clean_loc(loc) -> list[str]:
    """["body", "payload", "items", 3, "text"] -> ["body", "items", "3", "text"]: the handler's parameter
    name is an implementation detail; the path a client needs is the one inside its JSON."""
    parts = [str(p) for p in loc]
    if len(parts) > 1 and parts[0] == "body" and parts[1] == "payload":
        del parts[1]
    return parts


@api.exception_handler(NinjaValidationError)
def _validation_error(request, exc: NinjaValidationError):
    errors = [
        {"loc": _clean_loc(err.get("loc", [])), "msg": err.get("msg", ""), "type": err.get("type", "")}
        for err in exc.errors
    ]
    first = errors[0] if errors else None
    detail = f"{'.'.join(first['loc'])}: {first['msg']}" if first else "The request is not valid."
    return problem_response(
        422, type_="validation-error", title="Validation failed", detail=detail, errors=errors
    )


@api.exception_handler(AuthenticationError)
def _auth_error(request, exc):
    return problem_response(
        401,
        type_="unauthenticated",
        title="Unauthenticated",
        detail="Send a valid, unrevoked API key as 'Authorization: Bearer <key>'.",
        headers={"WWW-Authenticate": 'Bearer realm="cxloop"'},
    )


@api.exception_handler(ScopeError)
def _scope_error(request, exc: ScopeError):
    return problem_response(403, type_="insufficient-scope", title="Insufficient scope", detail=str(exc))


@api.exception_handler(RateLimited)
def _rate_limited(request, exc: RateLimited):
    return problem_response(
        429,
        type_="rate-limited",
        title="Too many requests",
        detail=str(exc),
        headers={"Retry-After": str(exc.retry_after)},
    )


@api.exception_handler(RequestDataTooBig)
def _too_big(request, exc):
    from django.conf import settings

    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    return problem_response(
        413,
        type_="body-too-large",
        title="Request body too large",
        detail=f"The body is over the limit of {limit:,} bytes; send smaller batches.",
    )


@api.exception_handler(ServiceError)
def _service_error(request, exc: ServiceError):
    extra = {"field": exc.field} if exc.field else {}
    return problem_response(exc.status, detail=exc.message, **extra)


@api.exception_handler(HttpError)
def _http_error(request, exc: HttpError):
    cause = exc.__cause__
    if isinstance(cause, json.JSONDecodeError):
        return problem_response(
            400,
            type_="malformed-json",
            title="Malformed JSON",
            detail=f"The body is not valid JSON: {cause.msg} at line {cause.lineno} column {cause.colno}.",
        )
    return problem_response(exc.status_code, detail=str(exc))


@api.exception_handler(Http404)
def _not_found(request, exc):
    return problem_response(404, detail=str(exc) or "Not found.")


@api.exception_handler(Exception)
def _server_error(request, exc):
    log.exception("API error on %s %s", request.method, request.path)
    return problem_response(500, detail="The server failed to answer this request; the error was logged.")


api.add_router("", accounts_router)
api.add_router("", feedback_router)
api.add_router("", customers_router)
api.add_router("", surveys_router)
api.add_router("", outreach_router)
api.add_router("", "cxloop.analysis.api.router")  # /intents (analysis/api.py)
api.add_router("", "cxloop.metrics.api.router")  # /metrics (metrics/api.py)
api.add_router("", "cxloop.metrics.api_drivers.router")  # /drivers (metrics/api_drivers.py)
api.add_router("", "cxloop.metrics.api_targets.router")  # /targets (metrics/api_targets.py)
api.add_router("", "cxloop.metrics.api_alerts.router")  # /alerts, /reports (metrics/api_alerts.py)
