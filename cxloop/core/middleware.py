from __future__ import annotations

from django.conf import settings

from .problems import PROBLEM_CONTENT_TYPE, problem_response

API_PREFIX = "/api/"

# Scripts and styles only from our own origin: no inline script anywhere in the product.
_CSP = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)
# The API explorer (Swagger UI from the django-ninja package) sets inline style attributes.
_CSP_DOCS = _CSP.replace("style-src 'self'", "style-src 'self' 'unsafe-inline'")


class ContentSecurityPolicyMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if "Content-Security-Policy" not in response:
            policy = _CSP_DOCS if request.path.startswith("/api/v1/docs") else _CSP
            response["Content-Security-Policy"] = policy
        response.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
        return response


class ApiProblemMiddleware:
    """Every 4xx/5xx answer under /api/ is application/problem+json.

    The API's own handlers already answer with problem details; this catches what reaches the client from
    elsewhere: unknown routes (404), wrong methods (405), CSRF refusals, body-size limits, server errors.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if (
            request.path.startswith(API_PREFIX)
            and response.status_code >= 400
            and not response.get("Content-Type", "").startswith(PROBLEM_CONTENT_TYPE)
        ):
            detail = None
            if response.status_code == 405:
                allowed = response.get("Allow", "")
                detail = f"{request.method} is not allowed here. Allowed: {allowed}."
            elif response.status_code == 404:
                detail = f"No API resource at {request.path}."
            elif response.status_code >= 500 and not settings.DEBUG:
                detail = "The server failed to answer this request; the error was logged."
            new = problem_response(response.status_code, detail=detail)
            for header in ("Allow", "Retry-After", "WWW-Authenticate"):
                if header in response:
                    new[header] = response[header]
            return new
        return response
