"""Background work of the analysis app: thin wrappers that call a service."""

from __future__ import annotations

from django_tasks import task


@task()
def enrich(*, item_ids: list[int]) -> int:
    from .services import enrich_items

    return enrich_items(item_ids=item_ids)


@task()
def detect_emerging(*, workspace_id: int, run_id: int | None = None, days: int = 7) -> int:
    """Look for emerging themes in the workspace's last `days` days (emerging.py); returns how many were
    proposed."""
    from cxloop.accounts.models import Workspace

    from .emerging import emerging_detect

    workspace = Workspace.objects.filter(pk=workspace_id).first()
    if workspace is None:  # deleted since the look was asked for
        return 0
    return emerging_detect(workspace=workspace, run_id=run_id, days=days).proposed


@task()
def redact_workspace(*, workspace_id: int) -> int:
    """Redact every stored text of a workspace that stopped keeping original texts."""
    from cxloop.feedback.models import FeedbackItem

    from .services import redact_originals

    ids = list(FeedbackItem.objects.filter(workspace_id=workspace_id).values_list("pk", flat=True))
    return redact_originals(item_ids=ids)


@task()
def train_intents(*, workspace_id: int) -> str:
    """Train the workspace's intent model on its examples (intents.py); returns its status."""
    from cxloop.accounts.models import Workspace

    from .intents import intent_train

    workspace = Workspace.objects.filter(pk=workspace_id).first()
    if workspace is None:  # deleted since
        return "gone"
    return intent_train(workspace=workspace).status


@task()
def read_intents(*, workspace_id: int) -> int:
    """Read the intent of the workspace's support items again with its new model; returns how many."""
    from cxloop.accounts.models import Workspace

    from .intents import intents_reread

    workspace = Workspace.objects.filter(pk=workspace_id).first()
    return 0 if workspace is None else intents_reread(workspace=workspace)
