"""Dashboards › Alerts (metric alerts, alerts.py) and Dashboards › Reports (scheduled reports, reports.py):
everyone who sees data sees them; analysts create, change and remove them."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from cxloop.accounts.access import workspace_view
from cxloop.accounts.roles import Perm, has_perm
from cxloop.accounts.selectors import members_list
from cxloop.core.exceptions import NotFound, ServiceError
from cxloop.feedback.models import Channel

from . import alerts, reports
from .models import MetricAlert, ScheduledReport


def _can_edit(request) -> bool:
    return has_perm(request.membership.role, Perm.ANALYSE)


# -- alerts --------------------------------------------------------------------------------------------------
@workspace_view(Perm.VIEW_DATA)
def alerts_page(request):
    error = None
    form = None
    if request.method == "POST":
        if not _can_edit(request):
            raise PermissionDenied("Setting alerts needs the analyst role.")
        form = request.POST
        try:
            saved = alerts.alert_save(
                workspace=request.workspace,
                actor=request.user,
                name=form.get("name", ""),
                metric=form.get("metric", ""),
                every=form.get("every", ""),
                watch=form.get("watch", ""),
                recipients=form.getlist("recipients"),
                filters={k: form.get(k, "") for k in alerts.SLICE_KEYS},
            )
        except ServiceError as exc:
            error = exc
        else:
            messages.success(request, f"Alert “{saved.name}” set.")
            return redirect("alerts")
    found = alerts.alerts_list(workspace=request.workspace)
    names = alerts.recipient_names(workspace=request.workspace, alerts=found)
    for alert in found:
        alert.recipient_names = [names[u] for u in alert.recipients if u in names]
        alert.status_label = alerts.STATUS_LABELS.get(alert.last_result.get("status", ""), "Checked")
    chosen = set(form.getlist("recipients")) if form is not None else {str(request.user.pk)}
    return render(
        request,
        "metrics/alerts.html",
        {
            "here": "alerts",
            "alerts": found,
            "can_edit": _can_edit(request),
            "metrics": list(alerts.ALERT_METRICS.items()),
            "everies": MetricAlert.Every.choices,
            "watches": MetricAlert.Watch.choices,
            "channels": Channel.choices,
            "members": [
                (m.user, str(m.user.pk) in chosen) for m in members_list(workspace=request.workspace)
            ],
            "slice_fields": [(k, (form or {}).get(k, "")) for k in alerts.SLICE_KEYS if k != "channel"],
            "form": form,
            "error": error,
        },
        status=422 if error else 200,
    )


def _alert_id_or_404(request, alert_id: int, action):
    try:
        return action(workspace=request.workspace, alert_id=alert_id)
    except NotFound as exc:
        raise Http404(exc.message) from None


@require_POST
@workspace_view(Perm.ANALYSE)
def alert_toggle(request, alert_id: int):
    enable = request.POST.get("enabled") == "1"
    alert = _alert_id_or_404(request, alert_id, lambda **kw: alerts.alert_set_enabled(enabled=enable, **kw))
    messages.success(request, f"Alert “{alert.name}” {'enabled' if alert.enabled else 'paused'}.")
    return redirect("alerts")


@require_POST
@workspace_view(Perm.ANALYSE)
def alert_delete(request, alert_id: int):
    _alert_id_or_404(request, alert_id, alerts.alert_delete)
    messages.success(request, "Alert removed.")
    return redirect("alerts")


@require_POST
@workspace_view(Perm.ANALYSE)
def alert_check_now(request, alert_id: int):
    """Run the check at once on the last complete period; it fires as a scheduled check would."""
    alert = _alert_id_or_404(request, alert_id, alerts.alert_get)
    result = alerts.alert_check(alert=alert)
    text = f"“{alert.name}”, {result.period}: {result.message}"
    if result.fired:
        text += f" Sent to {result.notified} member(s) in the app and {result.emailed} by email."
    messages.info(request, text)
    return redirect("alerts")


# -- scheduled reports ---------------------------------------------------------------------------------------
@workspace_view(Perm.VIEW_DATA)
def reports_page(request):
    error = None
    form = None
    if request.method == "POST":
        if not _can_edit(request):
            raise PermissionDenied("Scheduling reports needs the analyst role.")
        form = request.POST
        try:
            saved = reports.report_save(
                workspace=request.workspace,
                actor=request.user,
                name=form.get("name", ""),
                frequency=form.get("frequency", ""),
                recipients=form.get("recipients", ""),
                filters={k: form.get(k, "") for k in reports.FILTER_KEYS},
            )
        except ServiceError as exc:
            error = exc
        else:
            messages.success(request, f"Report “{saved.name}” scheduled.")
            return redirect("reports")
    return render(
        request,
        "metrics/reports.html",
        {
            "here": "reports",
            "reports": reports.reports_list(workspace=request.workspace),
            "can_edit": _can_edit(request),
            "frequencies": ScheduledReport.Frequency.choices,
            "channels": Channel.choices,
            "slice_fields": [(k, (form or {}).get(k, "")) for k in reports.FILTER_KEYS if k != "channel"],
            "max_recipients": reports.MAX_RECIPIENTS,
            "form": form,
            "error": error,
        },
        status=422 if error else 200,
    )


def _report_or_404(request, report_id: int) -> ScheduledReport:
    try:
        return reports.report_get(workspace=request.workspace, report_id=report_id)
    except NotFound as exc:
        raise Http404(exc.message) from None


@require_POST
@workspace_view(Perm.ANALYSE)
def report_delete(request, report_id: int):
    try:
        reports.report_delete(workspace=request.workspace, report_id=report_id)
    except NotFound as exc:
        raise Http404(exc.message) from None
    messages.success(request, "Report removed.")
    return redirect("reports")


@require_POST
@workspace_view(Perm.ANALYSE)
def report_send_now(request, report_id: int):
    report = _report_or_404(request, report_id)
    try:
        sent = reports.report_send(report=report)
    except Exception as exc:  # the mail server's refusal, shown to the analyst
        report.last_error = f"Sending failed: {exc}"[:1000]
        report.save(update_fields=["last_error"])
        messages.error(request, f"“{report.name}” could not be sent: {exc}")
    else:
        messages.success(request, f"“{report.name}” sent to {sent} address{'es' if sent != 1 else ''}.")
    return redirect("reports")


@require_GET
@workspace_view(Perm.VIEW_DATA)
def report_pdf(request, report_id: int):
    """The PDF the report would send now (a preview), as a download."""
    built = reports.report_build_for(report=_report_or_404(request, report_id))
    response = HttpResponse(reports.report_pdf(built), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{reports.pdf_filename(built)}"'
    return response
