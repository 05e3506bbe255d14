"""Analytics › Intents: the workspace's intents of support tickets and chats, their examples (typed in,
imported from CSV, or corrections), the model trained on them and how accurate it is; and the intent of an
item in the Inbox drawer, which analysts correct (intents.py does the work)."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from cxloop.accounts.access import workspace_view
from cxloop.accounts.roles import Perm, has_perm
from cxloop.core.exceptions import NotFound, ServiceError
from cxloop.feedback import selectors as feedback_selectors

from . import intents

ITEM_BLOCK = "analysis/intents_item.html"


def _int(value) -> int | None:
    try:
        return int(value) if value not in (None, "") else None
    except (TypeError, ValueError):
        return None


def _status(exc: ServiceError) -> int:
    return 422 if exc.status == 400 else exc.status


def _page(request, *, error: ServiceError | None = None, form: str = "", status: int = 200):
    workspace = request.workspace
    found, read = intents.intents_overview(workspace=workspace)
    model = intents.model_status(workspace=workspace)
    recall = model.cv_recall if model and model.cv_accuracy is not None else {}
    for intent in found:
        intent.cv_recall = recall.get(str(intent.pk))
    return render(
        request,
        "analysis/intents.html",
        {
            "intents": found,
            "read": read,
            "days": intents.RECENT_DAYS,
            "model": model,
            "missing": intents.what_is_missing(found),
            "channels": intents.SUPPORT_CHANNELS,
            "can_edit": has_perm(request.membership.role, Perm.ANALYSE),
            "error": error,
            "errors": getattr(error, "errors", [])[:50],
            "form_name": form,
            "form": request.POST if error else None,
            "min_intents": intents.MIN_INTENTS,
            "min_examples": intents.MIN_EXAMPLES,
        },
        status=status,
    )


@require_GET
@workspace_view(Perm.VIEW_DATA)
def intents_page(request):
    return _page(request)


@require_POST
@workspace_view(Perm.ANALYSE)
def intent_new(request):
    try:
        intent = intents.intent_create(
            workspace=request.workspace,
            name=request.POST.get("name", ""),
            description=request.POST.get("description", ""),
            examples=request.POST.get("examples", ""),
        )
    except ServiceError as exc:
        return _page(request, error=exc, form="new", status=_status(exc))
    messages.success(request, f"Intent “{intent.name}” added.")
    return redirect("intents")


@require_POST
@workspace_view(Perm.ANALYSE)
def intents_import(request):
    upload = request.FILES.get("file")
    try:
        if upload is None:
            raise ServiceError("Choose a CSV file with the columns text and intent.", field="file")
        if upload.size > intents.MAX_CSV_BYTES:
            raise ServiceError(
                f"The file is over {intents.MAX_CSV_BYTES // 2**20} MB; split it.", field="file"
            )
        added = intents.examples_import_csv(workspace=request.workspace, data=upload.read())
    except ServiceError as exc:
        return _page(request, error=exc, form="import", status=_status(exc))
    created = f"; new intents: {', '.join(added.intents_created)}" if added.intents_created else ""
    messages.success(
        request,
        f"{added.added} example{'s' if added.added != 1 else ''} imported"
        f"{f' ({added.existing} already there)' if added.existing else ''}{created}. The model trains again "
        "in the background.",
    )
    return redirect("intents")


@require_POST
@workspace_view(Perm.ANALYSE)
def intents_train(request):
    intents.intent_train_later(workspace=request.workspace)
    messages.success(request, "Training: the worker trains the model in the background; reload in a minute.")
    return redirect("intents")


def _detail(request, intent_id: int, *, error: ServiceError | None = None, form: str = "", status: int = 200):
    intent = intents.intent_get(workspace=request.workspace, intent_id=intent_id)
    if intent is None:
        raise Http404("No such intent.")
    return render(
        request,
        "analysis/intents_detail.html",
        {
            "intent": intent,
            "examples": intents.intent_examples(workspace=request.workspace, intent=intent),
            "can_edit": has_perm(request.membership.role, Perm.ANALYSE),
            "error": error,
            "form_name": form,
            "form": request.POST if error else None,
        },
        status=status,
    )


@require_GET
@workspace_view(Perm.VIEW_DATA)
def intent_detail(request, intent_id: int):
    return _detail(request, intent_id)


@require_POST
@workspace_view(Perm.ANALYSE)
def intent_edit(request, intent_id: int):
    try:
        intent = intents.intent_update(
            workspace=request.workspace,
            intent_id=intent_id,
            name=request.POST.get("name", ""),
            description=request.POST.get("description", ""),
        )
    except NotFound as exc:
        raise Http404(exc.message) from None
    except ServiceError as exc:
        return _detail(request, intent_id, error=exc, form="edit", status=_status(exc))
    messages.success(request, f"Intent “{intent.name}” saved.")
    return redirect("intent_detail", intent.pk)


@require_POST
@workspace_view(Perm.ANALYSE)
def intent_delete(request, intent_id: int):
    try:
        intents.intent_delete(workspace=request.workspace, intent_id=intent_id)
    except NotFound as exc:
        raise Http404(exc.message) from None
    messages.success(request, "Intent deleted with its examples; the model trains again in the background.")
    return redirect("intents")


@require_POST
@workspace_view(Perm.ANALYSE)
def intent_examples_add(request, intent_id: int):
    try:
        added = intents.examples_add(
            workspace=request.workspace, intent_id=intent_id, text=request.POST.get("examples", "")
        )
    except NotFound as exc:
        raise Http404(exc.message) from None
    except ServiceError as exc:
        return _detail(request, intent_id, error=exc, form="examples", status=_status(exc))
    already = f" ({added.existing} already there)" if added.existing else ""
    messages.success(
        request,
        f"{added.added} example{'s' if added.added != 1 else ''} added{already}; the model trains again "
        "in the background.",
    )
    return redirect("intent_detail", intent_id)


@require_POST
@workspace_view(Perm.ANALYSE)
def intent_example_delete(request, example_id: int):
    try:
        intent_id = intents.example_delete(workspace=request.workspace, example_id=example_id)
    except NotFound as exc:
        raise Http404(exc.message) from None
    messages.success(request, "Example deleted; the model trains again in the background.")
    return redirect("intent_detail", intent_id)


# -- the Inbox drawer ---------------------------------------------------------------------------------------
def _item_block(request, item_id: int, *, error: str = ""):
    """The item's intent with the correction select open: the htmx fragment, or the item's page."""
    item = feedback_selectors.feedback_get(workspace=request.workspace, item_id=item_id)
    if item is None:
        raise Http404("No such feedback item.")
    context = {
        "item": item,
        "intent_choosing": True,
        "intent_choices": intents.intent_choices(workspace=request.workspace),
        "intent_error": error,
    }
    return render(request, ITEM_BLOCK if request.htmx else "feedback/detail.html", context)


@require_GET
@workspace_view(Perm.ANALYSE)
def item_intent(request, item_id: int):
    return _item_block(request, item_id)


@require_POST
@workspace_view(Perm.ANALYSE)
def item_intent_set(request, item_id: int):
    intent_id = _int(request.POST.get("intent"))
    try:
        if intent_id is None:
            raise ServiceError("Choose the intent.", field="intent")
        reading = intents.intent_correct(
            workspace=request.workspace, user=request.user, item_id=item_id, intent_id=intent_id
        )
    except NotFound as exc:
        raise Http404(exc.message) from None
    except ServiceError as exc:
        if request.htmx:
            return _item_block(request, item_id, error=exc.message)
        messages.error(request, exc.message)
        return redirect("feedback_detail", item_id)
    if request.htmx:
        item = feedback_selectors.feedback_get(workspace=request.workspace, item_id=item_id)
        return render(request, ITEM_BLOCK, {"item": item, "intent_saved": True})
    messages.success(request, f"Intent set to “{reading.intent.name}”; the model learns from it.")
    return redirect("feedback_detail", item_id)
