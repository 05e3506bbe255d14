"""Staff pages of the surveys area: the list, a new survey from a template, a survey's page (link,
status, versions), publishing and closing, and export/import as JSON."""

from __future__ import annotations

import json

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from cxloop.accounts.access import workspace_view
from cxloop.accounts.roles import Perm
from cxloop.core.exceptions import ServiceError
from cxloop.core.request_meta import RequestMeta

from . import selectors, services
from .library import TEMPLATES
from .models import Survey

MAX_IMPORT_BYTES = 1024 * 1024


def _survey(request, survey_id: int) -> Survey:
    survey = selectors.survey_get(workspace=request.workspace, survey_id=survey_id)
    if survey is None:
        raise Http404("No such survey.")
    return survey


def public_url(request, survey: Survey) -> str:
    return request.build_absolute_uri(f"/s/{survey.slug}/")


@workspace_view(Perm.VIEW_DATA)
def survey_list(request):
    return render(
        request,
        "surveys/list.html",
        {"surveys": selectors.survey_list(workspace=request.workspace), "templates": TEMPLATES},
    )


@workspace_view(Perm.ANALYSE)
def survey_new(request):
    if request.method == "POST":
        try:
            survey = services.survey_create(
                workspace=request.workspace,
                actor=request.user,
                name=request.POST.get("name", ""),
                template=request.POST.get("template") or None,
            )
        except ServiceError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, f"“{survey.name}” is a draft. Check its questions, then publish it.")
            return redirect("survey_detail", survey.pk)
    return render(request, "surveys/new.html", {"templates": TEMPLATES})


@workspace_view(Perm.VIEW_DATA)
def survey_detail(request, survey_id: int):
    survey = _survey(request, survey_id)
    defn = survey.parsed()
    return render(
        request,
        "surveys/detail.html",
        {
            "survey": survey,
            "defn": defn,
            "public_url": public_url(request, survey),
            "versions": selectors.survey_versions(survey=survey),
            "unpublished_changes": survey.status == Survey.Status.LIVE
            and survey.current_version is not None
            and survey.current_version.definition != survey.definition,
        },
    )


@require_POST
@workspace_view(Perm.ANALYSE)
def survey_publish(request, survey_id: int):
    survey = _survey(request, survey_id)
    try:
        services.survey_publish(survey=survey, actor=request.user, meta=RequestMeta.from_request(request))
    except ServiceError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, "The survey is live: its link now takes answers.")
    return redirect("survey_detail", survey.pk)


@require_POST
@workspace_view(Perm.ANALYSE)
def survey_close(request, survey_id: int):
    survey = _survey(request, survey_id)
    try:
        services.survey_close(survey=survey, actor=request.user, meta=RequestMeta.from_request(request))
    except ServiceError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, "The survey is closed: its link says so and takes no more answers.")
    return redirect("survey_detail", survey.pk)


@workspace_view(Perm.VIEW_DATA)
def survey_export(request, survey_id: int):
    survey = _survey(request, survey_id)
    body = json.dumps(services.survey_export(survey), indent=2, ensure_ascii=False)
    resp = HttpResponse(body, content_type="application/json; charset=utf-8")
    resp["Content-Disposition"] = f'attachment; filename="survey-{survey.slug}.json"'
    return resp


@workspace_view(Perm.ANALYSE)
def survey_import(request):
    if request.method == "POST":
        upload = request.FILES.get("file")
        try:
            if upload is None:
                raise ServiceError("Choose a survey file (.json) to import.", field="file")
            if upload.size > MAX_IMPORT_BYTES:
                raise ServiceError("The file is over 1 MB; a survey file is much smaller.", field="file")
            try:
                data = json.loads(upload.read().decode("utf-8"))
            except (UnicodeDecodeError, json.JSONDecodeError) as exc:
                raise ServiceError(f"The file is not valid JSON: {exc}", field="file") from None
            survey = services.survey_import(workspace=request.workspace, actor=request.user, data=data)
        except services.DefinitionError as exc:
            return render(
                request, "surveys/import.html", {"error": exc.message, "problems": exc.errors}, status=422
            )
        except ServiceError as exc:
            return render(request, "surveys/import.html", {"error": exc.message}, status=422)
        messages.success(request, f"Imported “{survey.name}” as a draft.")
        return redirect("survey_detail", survey.pk)
    return render(request, "surveys/import.html", {})
