"""Dashboards › Targets: goals for metrics, where each stands now, and a form to set one."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from cxloop.accounts.access import workspace_view
from cxloop.accounts.roles import Perm, has_perm
from cxloop.core.exceptions import NotFound, ServiceError

from . import targets
from .models import MetricTarget


@workspace_view(Perm.VIEW_DATA)
def targets_page(request):
    error = None
    form = None
    if request.method == "POST":
        if not has_perm(request.membership.role, Perm.ANALYSE):
            raise PermissionDenied("Setting targets needs the analyst role.")
        form = request.POST
        try:
            saved = targets.target_save(
                workspace=request.workspace,
                actor=request.user,
                name=form.get("name", ""),
                metric=form.get("metric", ""),
                target=form.get("target", ""),
                period=form.get("period", ""),
                filters={k: form.get(k, "") for k in targets.FILTER_KEYS},
            )
        except ServiceError as exc:
            error = exc
        else:
            messages.success(request, f"Target “{saved.name}” set.")
            return redirect("targets")
    return render(
        request,
        "metrics/targets.html",
        {
            "here": "targets",
            "statuses": targets.targets_with_status(workspace=request.workspace),
            "can_edit": has_perm(request.membership.role, Perm.ANALYSE),
            "metrics": [(k, v[0]) for k, v in targets.TARGET_METRICS.items()],
            "periods": MetricTarget.Period.choices,
            "filter_fields": [(k, (form or {}).get(k, "")) for k in targets.FILTER_KEYS],
            "form": form,
            "error": error,
        },
        status=422 if error else 200,
    )


@require_POST
@workspace_view(Perm.ANALYSE)
def target_delete(request, target_id: int):
    try:
        targets.target_delete(workspace=request.workspace, target_id=target_id)
    except NotFound as exc:
        raise Http404(exc.message) from None
    messages.success(request, "Target removed.")
    return redirect("targets")
