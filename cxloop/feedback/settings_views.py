"""Settings › Webhooks: endpoints, their recent deliveries and the dead-letter list (fix mapping, replay)."""

from __future__ import annotations

import json

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from cxloop.accounts.access import workspace_view
from cxloop.accounts.roles import Perm
from cxloop.core.exceptions import NotFound, ServiceError

from . import mapping_form, presets, webhooks
from .mapping import MappingError, validate_mapping
from .models import AnswerType, Channel, WebhookDelivery, WebhookEndpoint


def _parse_mapping(text: str) -> dict:
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise ServiceError(
            f"Mapping is not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}."
        ) from None


@workspace_view(Perm.MANAGE_KEYS)
@require_http_methods(["GET", "POST"])
def webhook_list(request):
    form = {
        "name": "",
        "mapping": json.dumps(presets.PRESETS["generic_reviews"]["mapping"], indent=2),
        "verification": "standard",
    }
    if request.method == "POST":
        form = {k: request.POST.get(k, "") for k in ("name", "mapping", "verification", "secret_header")}
        try:
            endpoint = webhooks.endpoint_create(
                workspace=request.workspace,
                name=form["name"],
                mapping=_parse_mapping(form["mapping"]),
                verification=form["verification"] or "standard",
                secret_header=form.get("secret_header") or "X-Webhook-Secret",
            )
        except ServiceError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, f"Endpoint “{endpoint.name}” created.")
            return redirect("webhook_detail", endpoint.pk)
    endpoints = WebhookEndpoint.objects.filter(workspace=request.workspace).order_by("-created_at")
    failed = WebhookDelivery.objects.filter(workspace=request.workspace, status=WebhookDelivery.Status.FAILED)
    return render(
        request,
        "feedback/webhooks.html",
        {
            "tab": "webhooks",
            "endpoints": endpoints,
            "form": form,
            "presets": presets.PRESETS,
            "failed_count": failed.count(),
            "verifications": WebhookEndpoint.Verification.choices,
        },
    )


@workspace_view(Perm.MANAGE_KEYS)
@require_http_methods(["GET", "POST"])
def webhook_detail(request, endpoint_id: int):
    endpoint = WebhookEndpoint.objects.filter(workspace=request.workspace, pk=endpoint_id).first()
    if endpoint is None:
        raise Http404("No such endpoint.")
    mapping_text = json.dumps(endpoint.mapping, indent=2)
    if request.method == "POST":
        mapping_text = request.POST.get("mapping", "")
        try:
            webhooks.endpoint_update_mapping(
                workspace=request.workspace, endpoint_id=endpoint.pk, mapping=_parse_mapping(mapping_text)
            )
            messages.success(request, "Mapping saved. Replay dead letters to apply it to them.")
            return redirect("webhook_detail", endpoint.pk)
        except ServiceError as exc:
            messages.error(request, exc.message)
    deliveries = endpoint.deliveries.order_by("-received_at")[:50]
    url = request.build_absolute_uri(f"/api/v1/hooks/{endpoint.token}")
    return render(
        request,
        "feedback/webhook_detail.html",
        {
            "tab": "webhooks",
            "endpoint": endpoint,
            "deliveries": deliveries,
            "mapping_text": mapping_text,
            "url": url,
        },
    )


@workspace_view(Perm.MANAGE_KEYS)
@require_POST
def delivery_replay(request, delivery_id: int):
    try:
        delivery = webhooks.delivery_replay(workspace=request.workspace, delivery_id=delivery_id)
    except NotFound:
        raise Http404("No such delivery.") from None
    except ServiceError as exc:
        messages.error(request, exc.message)
        return redirect("webhooks")
    if delivery.status == WebhookDelivery.Status.FAILED:
        messages.error(request, f"Replay failed again: {delivery.error}")
    else:
        messages.success(
            request, f"Delivery {delivery.pk} replayed: {delivery.get_status_display().lower()}."
        )
    return redirect("webhook_detail", delivery.endpoint_id)


# --- Imports ---------------------------------------------------------------------------------------
@workspace_view(Perm.MANAGE_KEYS)
@require_http_methods(["GET", "POST"])
def import_list(request):
    from . import imports
    from .models import ImportJob

    if request.method == "POST":
        upload = request.FILES.get("file")
        if upload is None:
            messages.error(request, "Choose a file to upload.")
        else:
            try:
                job = imports.import_upload(
                    workspace=request.workspace,
                    user=request.user,
                    filename=upload.name,
                    chunks=upload.chunks(),
                )
            except ServiceError as exc:
                messages.error(request, exc.message)
            else:
                return redirect("import_detail", job.pk)
    jobs = (
        ImportJob.objects.filter(workspace=request.workspace)
        .select_related("created_by")
        .order_by("-created_at")[:50]
    )
    return render(request, "feedback/imports.html", {"tab": "imports", "jobs": jobs})


@workspace_view(Perm.MANAGE_KEYS)
@require_http_methods(["GET", "POST"])
def import_detail(request, job_id: int):
    from . import imports
    from .models import ImportJob, SavedMapping
    from .readers import FileProblem, preview

    job = ImportJob.objects.filter(workspace=request.workspace, pk=job_id).first()
    if job is None:
        raise Http404("No such import.")
    saved = SavedMapping.objects.filter(workspace=request.workspace).order_by("name")
    mapping_text = json.dumps(job.mapping, indent=2) if job.mapping else ""
    preset = request.GET.get("preset")
    if preset in presets.PRESETS:
        mapping_text = json.dumps(presets.PRESETS[preset]["mapping"], indent=2)
    elif request.GET.get("saved"):
        found = saved.filter(pk=request.GET.get("saved")).first() if request.GET["saved"].isdigit() else None
        if found:
            mapping_text = json.dumps(found.mapping, indent=2)
    try:
        sample = preview(imports.job_file(job), job.format)
    except (FileProblem, OSError) as exc:
        sample = {"records": [], "errors": [], "columns": [], "info": {}, "problem": str(exc)}
    form_values = mapping_form.to_form(job.mapping) if job.mapping else mapping_form.guess(sample["columns"])
    form_values.setdefault("const__channel", "review")
    if request.method == "POST":
        use_form = request.POST.get("use_form") == "1"
        mapping_text = request.POST.get("mapping", "")
        if use_form:
            form_values = request.POST
        try:
            if use_form:
                mapping = mapping_form.build(request.POST, sample["columns"])
                mapping_text = json.dumps(mapping, indent=2)
            else:
                mapping = _parse_mapping(mapping_text)
            save_as = request.POST.get("save_as", "").strip()[:100]
            if save_as:
                validate_mapping(mapping)
                SavedMapping.objects.update_or_create(
                    workspace=request.workspace, name=save_as, defaults={"mapping": mapping}
                )
            imports.import_start(
                workspace=request.workspace,
                job_id=job.pk,
                mapping=mapping,
                dry_run=request.POST.get("action") == "dry_run",
            )
        except ServiceError as exc:
            messages.error(request, exc.message)
        except MappingError as exc:
            messages.error(request, f"Mapping: {exc}")
        else:
            return redirect("import_detail", job.pk)
    context = {
        "tab": "imports",
        "job": job,
        "sample": sample,
        "mapping_text": mapping_text,
        "presets": presets.PRESETS,
        "saved": saved,
        "row_errors": job.row_errors.order_by("row_number")[:20],
        "target_rows": [
            {"name": t.name, "label": t.label, "column": form_values.get(f"col__{t.name}", "")}
            for t in mapping_form.TARGETS
        ],
        "const_channel": form_values.get("const__channel", ""),
        "const_source": form_values.get("const__source", ""),
        "answer_rows": [
            {k: form_values.get(f"ans{i}_{k}", "") for k in ("col", "key", "type", "scale")} | {"i": i}
            for i in range(mapping_form.ANSWER_ROWS)
        ],
        "channels": Channel.choices,
        "answer_types": AnswerType.choices,
    }
    if request.htmx and request.GET.get("progress"):
        return render(request, "feedback/_import_progress.html", context)
    return render(request, "feedback/import_detail.html", context)


@workspace_view(Perm.MANAGE_KEYS)
def import_report(request, job_id: int):
    from django.http import StreamingHttpResponse

    from .imports import import_report_csv
    from .models import ImportJob

    job = ImportJob.objects.filter(workspace=request.workspace, pk=job_id).first()
    if job is None:
        raise Http404("No such import.")
    response = StreamingHttpResponse(import_report_csv(job), content_type="text/csv")
    response["Content-Disposition"] = f'attachment; filename="import-{job.pk}-report.csv"'
    return response
