"""Results pages of a survey: /surveys/<id>/results/ with its filters, its CSV/XLSX/PDF exports and its
read-only links (/r/<token>/, no login). Views parse the filters, call results.build_results, render."""

from __future__ import annotations

import re

from django.contrib import messages
from django.http import Http404, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from cxloop.accounts.access import workspace_view
from cxloop.accounts.roles import Perm, has_perm
from cxloop.core.exceptions import NotFound, ServiceError
from cxloop.core.request_meta import RequestMeta

from . import exports, results, results_services
from .models import ResultShare, Survey
from .results_questions import survey_versions
from .views import _survey

SHARE_DAYS = (7, 30, 90, 365)


def _filename(survey: Survey, ext: str) -> str:
    base = re.sub(r"[^a-z0-9-]+", "-", survey.slug.lower()).strip("-") or "survey"
    return f"survey-{base}-results-{timezone.localdate():%Y%m%d}.{ext}"


def _filtered(request, survey: Survey):
    versions = survey_versions(survey)
    layout = results.layout_for(survey, versions)
    filters, errors = results.parse_filters(
        request.GET, hidden_fields=layout.hidden_fields, versions=[v.number for v in versions]
    )
    return versions, filters, errors


@workspace_view(Perm.VIEW_DATA)
def survey_results(request, survey_id: int):
    return _results_page(request, _survey(request, survey_id))


def _results_page(request, survey: Survey, *, new_share: dict | None = None):
    versions, filters, errors = _filtered(request, survey)
    version_ids = {v.number: v.pk for v in versions}
    cursor = request.GET.get("cursor") or None
    data = results.build_results(survey, filters, versions=versions)
    try:
        texts, next_cursor = results.open_texts(
            survey, filters, data.layout, cursor=cursor, versions=version_ids
        )
    except ServiceError as exc:
        texts, next_cursor = [], None
        errors["cursor"] = exc.message
    context = {
        "survey": survey,
        "r": data,
        "f": request.GET,
        "errors": errors,
        "texts": texts,
        "next_cursor": next_cursor,
        "filter_query": filters.query(),
        "page_url": reverse("survey_results", args=[survey.pk]),
        "show_identity": True,
    }
    if request.htmx and cursor and request.method == "GET":
        return render(request, "surveys/results_texts.html", context)
    role = request.membership.role
    can_share = has_perm(role, Perm.ANALYSE)
    shares = []
    if can_share:
        shares = list(
            ResultShare.objects.filter(survey=survey, revoked_at__isnull=True, expires_at__gt=timezone.now())
            .select_related("created_by")
            .order_by("-created_at")
        )
    attributes = results.customer_attribute_values(survey)
    context.update(
        versions=versions,
        hidden_inputs=[(name, request.GET.get(f"h_{name}", "")) for name in data.layout.hidden_fields],
        attribute_inputs=[(a, values, request.GET.get(a, "")) for a, values in attributes.items()],
        can_export=has_perm(role, Perm.EXPORT),
        can_share=can_share,
        shares=shares,
        share_days=SHARE_DAYS,
        new_share=new_share,
    )
    response = render(request, "surveys/results.html", context, status=422 if errors else 200)
    if new_share:
        response["Cache-Control"] = "no-store"  # the page shows a secret once
    return response


def _export_or_errors(request, survey: Survey):
    versions, filters, errors = _filtered(request, survey)
    if errors:
        messages.error(request, "Fix the filters before exporting: " + " ".join(errors.values()))
        return None, None, None, redirect_to_results(survey, request.GET.urlencode())
    return versions, filters, {v.number: v.pk for v in versions}, None


def redirect_to_results(survey: Survey, query: str = ""):
    response = redirect("survey_results", survey.pk)
    if query:
        response["Location"] += f"?{query}"
    return response


def _audit_export(request, survey: Survey, filters: results.ResultFilter, kind: str) -> None:
    results_services.results_export_audit(
        survey=survey,
        actor=request.user,
        kind=kind,
        filters=filters.describe(),
        meta=RequestMeta.from_request(request),
    )


def _export_prepared(request, survey, kind: str):
    """(filters, layout, version ids) of an export, audited; or the page that says why the filters fail."""
    versions, filters, version_ids, bounce = _export_or_errors(request, survey)
    if bounce:
        return bounce
    results_services.results_export_audit(
        survey=survey,
        actor=request.user,
        kind=kind,
        filters=filters.describe(),
        meta=RequestMeta.from_request(request),
    )
    return filters, results.layout_for(survey, versions, filters.version), version_ids


@workspace_view(Perm.EXPORT)
def survey_results_csv(request, survey_id: int):
    survey = _survey(request, survey_id)
    prepared = _export_prepared(request, survey, "csv")
    if isinstance(prepared, HttpResponse):
        return prepared
    filters, layout, version_ids = prepared
    response = StreamingHttpResponse(
        exports.csv_lines(survey, filters, layout, version_ids), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="{_filename(survey, "csv")}"'
    response["Cache-Control"] = "no-store"
    return response


@workspace_view(Perm.EXPORT)
def survey_results_xlsx(request, survey_id: int):
    survey = _survey(request, survey_id)
    prepared = _export_prepared(request, survey, "xlsx")
    if isinstance(prepared, HttpResponse):
        return prepared
    filters, layout, version_ids = prepared
    body = exports.xlsx_bytes(survey, filters, layout, version_ids)
    response = HttpResponse(
        body, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    response["Content-Disposition"] = f'attachment; filename="{_filename(survey, "xlsx")}"'
    response["Cache-Control"] = "no-store"
    return response


@workspace_view(Perm.VIEW_DATA)
def survey_results_pdf(request, survey_id: int):
    survey = _survey(request, survey_id)
    versions, filters, _, bounce = _export_or_errors(request, survey)
    if bounce:
        return bounce
    data = results.build_results(survey, filters, versions=versions)
    response = HttpResponse(exports.results_pdf(data), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{_filename(survey, "pdf")}"'
    response["Cache-Control"] = "no-store"
    return response


# -- read-only links -----------------------------------------------------------------------------------------
@require_POST
@workspace_view(Perm.ANALYSE)
def survey_results_share(request, survey_id: int):
    survey = _survey(request, survey_id)
    days = (request.POST.get("days") or "30").strip()
    try:
        if not days.isdigit():
            raise ServiceError(f"Expires after: {days[:20]!r} is not a number of days.", field="days")
        share, raw = results_services.result_share_create(
            survey=survey,
            actor=request.user,
            days=int(days),
            hidden_questions=request.POST.getlist("hide"),
            hide_open_texts=request.POST.get("show_texts") != "on",
            hide_hidden_fields=request.POST.get("show_hidden") != "on",
            label=request.POST.get("label", ""),
            meta=RequestMeta.from_request(request),
        )
    except ServiceError as exc:
        messages.error(request, exc.message)
        return redirect_to_results(survey)
    # shown once, in this answer, like a new API key: only its hash is stored
    return _results_page(
        request, survey, new_share={"url": request.build_absolute_uri(f"/r/{raw}/"), "share": share}
    )


@require_POST
@workspace_view(Perm.ANALYSE)
def survey_results_share_revoke(request, survey_id: int, share_id: int):
    survey = _survey(request, survey_id)
    try:
        results_services.result_share_revoke(
            survey=survey, share_id=share_id, actor=request.user, meta=RequestMeta.from_request(request)
        )
    except NotFound as exc:
        raise Http404(exc.message) from None
    except ServiceError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, "Revoked the results link: it no longer opens.")
    return redirect_to_results(survey)


def results_shared(request, token: str):
    """The public, read-only results of one link: no login, no filters, no customer identity."""
    try:
        share = results_services.result_share_open(token)
    except ServiceError as exc:
        response = render(
            request, "surveys/results_shared_gone.html", {"message": exc.message}, status=exc.status
        )
        response["X-Robots-Tag"] = "noindex"
        return response
    survey = share.survey
    redaction = results.Redaction(
        questions=frozenset(share.hidden_questions),
        hide_open_texts=share.hide_open_texts,
        hide_hidden_fields=share.hide_hidden_fields,
    )
    versions = survey_versions(survey)
    data = results.build_results(survey, results.ResultFilter(), versions=versions, redaction=redaction)
    texts, next_cursor = [], None
    if not share.hide_open_texts:
        try:
            texts, next_cursor = results.open_texts(
                survey,
                results.ResultFilter(),
                data.layout,
                cursor=request.GET.get("cursor") or None,
                versions={v.number: v.pk for v in versions},
                skip=redaction.questions,
            )
        except ServiceError:
            texts, next_cursor = [], None
    context = {
        "survey": survey,
        "r": data,
        "share": share,
        "texts": texts,
        "next_cursor": next_cursor,
        "filter_query": "",
        "page_url": request.path,
        "show_identity": False,
    }
    response = render(request, "surveys/results_shared.html", context)
    response["X-Robots-Tag"] = "noindex"
    response["Cache-Control"] = "no-store"
    response["Referrer-Policy"] = "no-referrer"
    return response
