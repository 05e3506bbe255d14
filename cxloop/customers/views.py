"""Customer list and profile: identities, attributes and one timeline of feedback and events."""

from __future__ import annotations

import json

from django.contrib import messages
from django.core.serializers.json import DjangoJSONEncoder
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from cxloop.accounts.access import workspace_view
from cxloop.accounts.roles import Perm
from cxloop.core.exceptions import NotFound, ServiceError
from cxloop.core.request_meta import RequestMeta

from . import selectors, services

PAGE_SIZE = 50


@workspace_view(Perm.VIEW_DATA)
def customer_list(request):
    q = (request.GET.get("q") or "").strip()[:200] or None
    segment = (request.GET.get("segment") or "").strip()[:60] or None
    error = None
    try:
        rows, next_cursor = selectors.customers_page(
            workspace=request.workspace,
            cursor=request.GET.get("cursor"),
            limit=PAGE_SIZE,
            q=q,
            segment=segment,
        )
    except ServiceError as exc:
        rows, next_cursor, error = [], None, exc.message
    query = request.GET.copy()
    query.pop("cursor", None)
    return render(
        request,
        "customers/list.html",
        {
            "customers": rows,
            "next_cursor": next_cursor,
            "q": q or "",
            "segment": segment or "",
            "filter_query": query.urlencode(),
            "error": error,
        },
    )


@workspace_view(Perm.VIEW_DATA)
def customer_detail(request, customer_id: int):
    customer = selectors.customer_get(workspace=request.workspace, customer_id=customer_id)
    if customer is None:
        raise Http404("No such customer.")
    if customer.pk != customer_id:
        return redirect("customer_detail", customer.pk)  # a merged id: show the surviving profile
    timeline = selectors.customer_timeline(workspace=request.workspace, customer=customer)
    return render(request, "customers/detail.html", {"customer": customer, "timeline": timeline})


@workspace_view(Perm.ANALYSE)
@require_POST
def customer_merge(request, customer_id: int):
    if selectors.customer_get(workspace=request.workspace, customer_id=customer_id) is None:
        raise Http404("No such customer.")
    other = selectors.customer_find(workspace=request.workspace, ref=request.POST.get("other", ""))
    if other is None:
        messages.error(request, "No customer found with that id, email, phone or external id.")
        return redirect("customer_detail", customer_id)
    try:
        services.customer_merge(
            workspace=request.workspace,
            keep_id=customer_id,
            merge_id=other.pk,
            actor=request.user,
            meta=RequestMeta.from_request(request),
        )
        messages.success(request, f"Merged customer {other.pk} into this profile.")
    except ServiceError as exc:
        messages.error(request, exc.message)
    return redirect("customer_detail", customer_id)


@workspace_view(Perm.EXPORT)
def customer_export(request, customer_id: int):
    try:
        data = services.customer_export(
            workspace=request.workspace,
            customer_id=customer_id,
            actor=request.user,
            meta=RequestMeta.from_request(request),
        )
    except ServiceError as exc:
        raise Http404(exc.message) from None
    response = HttpResponse(
        json.dumps(data, cls=DjangoJSONEncoder, indent=2), content_type="application/json"
    )
    response["Content-Disposition"] = f'attachment; filename="customer-{customer_id}.json"'
    response["Cache-Control"] = "no-store"
    return response


@workspace_view(Perm.MANAGE_WORKSPACE)
@require_POST
def customer_erase(request, customer_id: int):
    try:
        counts = services.customer_erase(
            workspace=request.workspace,
            customer_id=customer_id,
            actor=request.user,
            meta=RequestMeta.from_request(request),
        )
    except NotFound:
        raise Http404("No such customer.") from None
    except ServiceError as exc:
        messages.error(request, exc.message)
        return redirect("customers")
    messages.success(
        request,
        f"Customer {customer_id} erased with {counts['feedback_items']} feedback items and "
        f"{counts['events']} events.",
    )
    return redirect("customers")
