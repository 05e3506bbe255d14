"""The widget's endpoints (called from customers' web sites, cross-origin) and its staff pages."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from cxloop.accounts.access import workspace_view
from cxloop.accounts.roles import Perm
from cxloop.core import ratelimit
from cxloop.core.exceptions import Conflict, NotFound, ServiceError
from cxloop.core.request_meta import RequestMeta
from cxloop.surveys import selectors as survey_selectors

from . import services
from .models import Placement

SCRIPT = Path(__file__).resolve().parent / "static" / "widget" / "widget.js"
MAX_BODY = 256 * 1024


@cache
def _script() -> bytes:
    return SCRIPT.read_bytes()


def widget_js(request):
    """The script a site embeds: <script src="https://<cx loop>/widget.js" data-site="<site key>" async>."""
    resp = HttpResponse(_script(), content_type="text/javascript; charset=utf-8")
    resp["Cache-Control"] = "public, max-age=3600"
    resp["Access-Control-Allow-Origin"] = "*"
    resp["Cross-Origin-Resource-Policy"] = "cross-origin"
    return resp


def _cors(request, resp: HttpResponse, site=None) -> HttpResponse:
    origin = request.headers.get("Origin")
    if origin and (site is None or services.origin_allowed(site, origin)):
        resp["Access-Control-Allow-Origin"] = origin
        resp["Vary"] = "Origin"
        resp["Access-Control-Allow-Methods"] = "GET, POST, OPTIONS"
        resp["Access-Control-Allow-Headers"] = "Content-Type"
        resp["Access-Control-Max-Age"] = "600"
    return resp


def _json(request, data, status=200, site=None) -> HttpResponse:
    return _cors(request, JsonResponse(data, status=status), site)


def _problem(request, status: int, detail: str, site=None, **extra) -> HttpResponse:
    return _json(request, {"detail": detail, **extra}, status=status, site=site)


def _site(request, site_key: str):
    site = services.site_by_key(site_key)
    origin = request.headers.get("Origin")
    if origin and not services.origin_allowed(site, origin):
        raise PermissionError(f"{origin} is not an allowed origin for this widget.")
    return site


def _body(request) -> dict:
    if len(request.body) > MAX_BODY:
        raise ServiceError("The request body is too large.")
    try:
        data = json.loads(request.body or b"{}")
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ServiceError(f"The body is not valid JSON: {exc}") from None
    if not isinstance(data, dict):
        raise ServiceError("The body must be a JSON object.")
    return data


def _guarded(view):
    """Errors as JSON with CORS headers, so the script on the other site can read them."""

    def wrapper(request, site_key: str, *args, **kwargs):
        if request.method == "OPTIONS":
            try:
                site = services.site_by_key(site_key)
            except NotFound:
                return _cors(request, HttpResponse(status=204))
            return _cors(request, HttpResponse(status=204), site)
        try:
            site = _site(request, site_key)
            return view(request, site, *args, **kwargs)
        except PermissionError as exc:  # no CORS headers: the other site's script may not read anything
            return JsonResponse({"detail": str(exc)}, status=403)
        except Conflict as exc:
            return _problem(request, 409, exc.message)
        except NotFound as exc:
            return _problem(request, 404, exc.message)
        except ServiceError as exc:
            return _problem(request, 400, exc.message, field=exc.field)

    return wrapper


@csrf_exempt
@require_http_methods(["GET", "OPTIONS"])
@_guarded
def site_config(request, site):
    return _json(
        request,
        services.config(site=site, language=request.GET.get("lang"), base_url=_base_url(request)),
        site=site,
    )


def _base_url(request) -> str:
    return request.build_absolute_uri("/").rstrip("/")


def _throttled(request, site):
    ip = RequestMeta.from_request(request).ip or "unknown"
    state = ratelimit.hit(f"widget:{ip}", limit=settings.SURVEY_SUBMIT_RATE_PER_MINUTE, window_seconds=60)
    if state.exceeded:
        resp = _problem(request, 429, f"Too many answers; wait {state.retry_after} seconds.", site=site)
        resp["Retry-After"] = str(state.retry_after)
        return resp
    return None


@csrf_exempt
@require_http_methods(["POST", "OPTIONS"])
@_guarded
def survey_begin(request, site):
    data = _body(request)
    survey_id = data.get("survey")
    if not isinstance(survey_id, int):
        raise ServiceError("survey must be a survey id.", field="survey")
    out = services.start(
        site=site,
        survey_id=survey_id,
        language=data.get("language"),
        hidden=_dict(data.get("hidden")),
        visitor=_dict(data.get("visitor")),
    )
    return _json(request, out, site=site)


def _dict(value) -> dict:
    return value if isinstance(value, dict) else {}


@csrf_exempt
@require_http_methods(["POST", "OPTIONS"])
@_guarded
def survey_answer(request, site):
    throttled = _throttled(request, site)
    if throttled:
        return throttled
    data = _body(request)
    survey_id, page = data.get("survey"), data.get("page")
    if not isinstance(survey_id, int):
        raise ServiceError("survey must be a survey id.", field="survey")
    if not isinstance(page, int) or isinstance(page, bool):
        raise ServiceError("page must be the page's index.", field="page")
    out = services.answer(
        site=site,
        survey_id=survey_id,
        token=str(data.get("token") or ""),
        page_index=page,
        answers=_dict(data.get("answers")),
        others=_dict(data.get("others")),
        hidden=_dict(data.get("hidden")),
        language=data.get("language"),
        visitor=_dict(data.get("visitor")),
    )
    return _json(request, out, status=422 if out["errors"] else 200, site=site)


# -- staff pages --------------------------------------------------------------------------------------------
@workspace_view(Perm.MANAGE_WORKSPACE)
def widget_settings(request):
    site = services.site_for(request.workspace)
    if request.method == "POST":
        try:
            if request.POST.get("action") == "rotate":
                services.site_rotate_secret(site=site)
                messages.success(request, "A new identity secret is in place; update it on your web server.")
            else:
                services.site_update(
                    site=site,
                    allowed_origins=request.POST.get("allowed_origins", ""),
                    is_active=request.POST.get("is_active") == "on",
                )
                messages.success(request, "Widget settings saved.")
            return redirect("widget_settings")
        except ServiceError as exc:
            messages.error(request, exc.message)
    return render(
        request,
        "widget/settings.html",
        {
            "site": site,
            "base_url": _base_url(request),
            "placements": Placement.objects.filter(workspace=request.workspace)
            .select_related("survey")
            .order_by("survey__name"),
        },
    )


@workspace_view(Perm.ANALYSE)
def placement_edit(request, survey_id: int):
    survey = survey_selectors.survey_get(workspace=request.workspace, survey_id=survey_id)
    if survey is None:
        raise Http404("No such survey.")
    placement = services.placement_for(survey)
    error = None
    if request.method == "POST":
        p = request.POST
        try:
            services.placement_save(
                survey=survey,
                enabled=p.get("enabled") == "on",
                mode=p.get("mode", ""),
                url_op=p.get("url_op", ""),
                url_value=p.get("url_value", ""),
                delay_seconds=_int(p.get("delay_seconds"), "delay_seconds"),
                exit_intent=p.get("exit_intent") == "on",
                events=p.get("events", ""),
                sample_rate=_int(p.get("sample_rate"), "sample_rate"),
                targeting=p.get("targeting", ""),
                cooldown_days=_int(p.get("cooldown_days"), "cooldown_days"),
                tab_label=p.get("tab_label", ""),
            )
        except ServiceError as exc:
            error = exc
        else:
            messages.success(request, "Widget placement saved.")
            return redirect("widget_placement", survey.pk)
    form = request.POST if request.method == "POST" else None
    return render(
        request,
        "widget/placement.html",
        {
            "survey": survey,
            "placement": placement,
            "form": form,
            "error": error,
            "targeting": form.get("targeting") if form else services.targeting_text(placement.targeting),
            "events": form.get("events") if form else ", ".join(placement.events),
            "site": services.site_for(request.workspace),
            "base_url": _base_url(request),
            "modes": Placement.Mode.choices,
            "url_ops": Placement.UrlOp.choices,
        },
        status=422 if error else 200,
    )


def _int(value, field: str) -> int:
    try:
        return int(str(value).strip())
    except (TypeError, ValueError):
        raise ServiceError(f"{field.replace('_', ' ')} must be a whole number.", field=field) from None
