"""Writes of the analysis app: the workspace's theme taxonomy (from an industry template, then edited), and
the reading of every feedback text by the local models (`enrich_items`, run by the worker)."""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.utils import timezone

from cxloop.accounts.models import Workspace
from cxloop.core.exceptions import Conflict, NotFound, ServiceError

from .models import Enrichment, Theme
from .taxonomies import TEMPLATES

MAX_EXAMPLES = 50


@transaction.atomic
def taxonomy_from_template(*, workspace: Workspace, template: str) -> int:
    """Add an industry template's themes to the workspace's taxonomy (names already there are kept as they
    are). Returns how many themes were added."""
    if template not in TEMPLATES:
        raise ServiceError(f"There is no taxonomy template {template!r}.", field="template")
    added = 0
    for top_name, top_description, subs in TEMPLATES[template][1]:
        top = Theme.objects.filter(workspace=workspace, parent=None, name=top_name).first()
        if top is None:
            top = Theme.objects.create(workspace=workspace, name=top_name, description=top_description)
            added += 1
        for name, description, examples in subs:
            _, created = Theme.objects.get_or_create(
                workspace=workspace,
                parent=top,
                name=name,
                defaults={"description": description, "examples": examples},
            )
            added += created
    return added


def _clean_examples(text: str) -> list[str]:
    examples = [line.strip()[:300] for line in text.splitlines() if line.strip()]
    if len(examples) > MAX_EXAMPLES:
        raise ServiceError(f"At most {MAX_EXAMPLES} examples a theme.", field="examples")
    return examples


def theme_save(
    *,
    workspace: Workspace,
    theme_id: int | None,
    name: str,
    description: str,
    examples: str,
    parent_id: int | None,
) -> Theme:
    """Create a theme (theme_id None) or change one. Two levels: a sub-theme's parent is a top theme."""
    name = name.strip()
    if not name:
        raise ServiceError("Give the theme a name.", field="name")
    if len(name) > 80:
        raise ServiceError("Keep the name under 80 characters.", field="name")
    parent = None
    if parent_id is not None:
        parent = Theme.objects.filter(workspace=workspace, pk=parent_id).first()
        if parent is None:
            raise NotFound(f"No theme with id {parent_id} in this workspace.")
        if parent.parent_id is not None:
            raise ServiceError("A sub-theme cannot have sub-themes of its own (two levels).", field="parent")
    if theme_id is None:
        theme = Theme(workspace=workspace)
    else:
        theme = Theme.objects.filter(workspace=workspace, pk=theme_id).first()
        if theme is None:
            raise NotFound(f"No theme with id {theme_id} in this workspace.")
        if parent is not None and (parent.pk == theme.pk or theme.children.exists()):
            raise ServiceError("A theme with sub-themes stays a top theme.", field="parent")
    theme.name, theme.description, theme.parent = name, description.strip()[:300], parent
    theme.examples = _clean_examples(examples)
    theme.updated_at = timezone.now()
    try:
        with transaction.atomic():
            theme.save()
    except IntegrityError:
        raise Conflict(f"There is already a theme called {name!r} there.") from None
    return theme


def theme_delete(*, workspace: Workspace, theme_id: int) -> None:
    deleted, _ = Theme.objects.filter(workspace=workspace, pk=theme_id).delete()
    if not deleted:
        raise NotFound(f"No theme with id {theme_id} in this workspace.")


# -- reading texts ------------------------------------------------------------------------------------------
ENRICH_BATCH = 256


def _text_of(item) -> str:
    return "\n\n".join(part for part in (item.title, item.text) if part)


def enrich_items(*, item_ids: list[int]) -> int:
    """Read the texts of these feedback items with the local models and keep what they found (one Enrichment
    per item; an item whose reading fails is marked failed with the error, the rest of the batch goes on).
    Returns how many items were read."""
    from cxloop.feedback.models import FeedbackItem

    from .ml import pipeline

    done = 0
    for start in range(0, len(item_ids), ENRICH_BATCH):
        items = list(
            FeedbackItem.objects.filter(pk__in=item_ids[start : start + ENRICH_BATCH]).only(
                "pk", "workspace_id", "title", "text"
            )
        )
        readings = pipeline.read([_text_of(i) for i in items])
        now = timezone.now()
        rows = []
        for item, reading in zip(items, readings, strict=True):
            rows.append(
                Enrichment(
                    workspace_id=item.workspace_id,
                    item_id=item.pk,
                    status=Enrichment.Status.FAILED if reading.error else Enrichment.Status.DONE,
                    language=reading.language,
                    language_confidence=reading.language_confidence,
                    sentiment=reading.sentiment,
                    sentiment_score=reading.sentiment_score,
                    emotions=reading.emotions,
                    flags=reading.flags,
                    pii=reading.pii,
                    redacted_text=reading.redacted,
                    notes=reading.notes,
                    model_version=pipeline.VERSION,
                    error=reading.error,
                    enriched_at=now,
                )
            )
        Enrichment.objects.bulk_create(
            rows,
            update_conflicts=True,
            unique_fields=["item"],
            update_fields=[
                "status",
                "language",
                "language_confidence",
                "sentiment",
                "sentiment_score",
                "emotions",
                "flags",
                "pii",
                "redacted_text",
                "notes",
                "model_version",
                "error",
                "enriched_at",
            ],
        )
        done += len(rows)
    return done


def enrich_later(item_ids: list[int]) -> None:
    """Queue these items for reading once the current transaction commits (the worker reads them)."""
    if not item_ids:
        return
    from .tasks import enrich

    ids = list(item_ids)
    transaction.on_commit(lambda: enrich.enqueue(item_ids=ids))


def enrich_stale(*, workspace: Workspace, limit: int = 10_000) -> int:
    """Queue the workspace's items never read, or read by other model versions (after an upgrade)."""
    from cxloop.feedback.models import FeedbackItem

    from .ml import pipeline

    ids = list(
        FeedbackItem.objects.filter(workspace=workspace)
        .exclude(enrichment__model_version=pipeline.VERSION, enrichment__status=Enrichment.Status.DONE)
        .order_by("-occurred_at")
        .values_list("pk", flat=True)[:limit]
    )
    for start in range(0, len(ids), ENRICH_BATCH * 4):
        enrich_later(ids[start : start + ENRICH_BATCH * 4])
    return len(ids)
