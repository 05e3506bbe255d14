"""RFC 9457 problem details: the one error shape of the JSON API."""

from __future__ import annotations

import json
from http import HTTPStatus

from django.http import HttpResponse

PROBLEM_CONTENT_TYPE = "application/problem+json"
TYPE_BASE = "https://cxloop.dev/problems/"


def problem_response(
    status: int,
    *,
    title: str | None = None,
    detail: str | None = None,
    type_: str | None = None,
    headers: dict[str, str] | None = None,
    **extra,
) -> HttpResponse:
    """Build an application/problem+json response.

    `type_` is a short slug ("validation-error") made absolute under TYPE_BASE; without it the type is
    "about:blank" and the title is the HTTP status phrase, as RFC 9457 section 4.2.1 says.
    """
    phrase = HTTPStatus(status).phrase if status in HTTPStatus._value2member_map_ else "Error"
    body = {
        "type": f"{TYPE_BASE}{type_}" if type_ else "about:blank",
        "title": title or phrase,
        "status": status,
        "detail": detail or phrase,
    }
    body.update(extra)
    response = HttpResponse(json.dumps(body, default=str), status=status, content_type=PROBLEM_CONTENT_TYPE)
    for name, value in (headers or {}).items():
        response[name] = value
    return response
