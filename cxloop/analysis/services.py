"""Writes of the analysis app: the workspace's theme taxonomy (from an industry template, then edited), and
the reading of every feedback text by the local models (`enrich_items`, run by the worker)."""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.utils import timezone

from cxloop.accounts.models import Workspace
from cxloop.core.exceptions import Conflict, NotFound, ServiceError

from .models import Enrichment, Theme, ThemeMention
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


def reading_text(title: str, text: str) -> str:
    """What the models read of an item: its title and text, a blank line between."""
    return "\n\n".join(part for part in (title, text) if part)


def _text_of(item) -> str:
    return reading_text(item.title, item.text)


_theme_models: dict[int, tuple[str, object]] = {}  # workspace id -> (signature of its specs, ThemeModel)


def theme_specs(workspace_id: int) -> list:
    """The workspace's active themes as the model reads them, with analysts' decisions as examples:
    an accepted mention's sentence is one more example of its theme, a rejected one a counter-example."""
    from .ml.themes import ThemeSpec

    themes = list(Theme.objects.filter(workspace_id=workspace_id, is_active=True).select_related("parent"))
    decided: dict[int, dict[str, list[str]]] = {}
    for theme_id, status, evidence in (
        ThemeMention.objects.filter(workspace_id=workspace_id, source__in=["analyst", "model"])
        .exclude(status=ThemeMention.Status.SUGGESTED)
        .exclude(evidence="")
        .order_by("-created_at")
        .values_list("theme_id", "status", "evidence")[:5000]
    ):
        kind = "accepted" if status == ThemeMention.Status.ACCEPTED else "rejected"
        decided.setdefault(theme_id, {"accepted": [], "rejected": []})[kind].append(evidence)
    specs = []
    for t in themes:
        if t.parent is not None and not t.parent.is_active:
            continue
        mine = decided.get(t.pk, {"accepted": [], "rejected": []})
        specs.append(
            ThemeSpec(
                key=str(t.pk),
                name=t.name,
                parent=t.parent.name if t.parent else "",
                description=t.description,
                examples=tuple(dict.fromkeys([*t.examples, *mine["accepted"][:MAX_EXAMPLES]])),
                rejected=tuple(dict.fromkeys(mine["rejected"][:MAX_EXAMPLES])),
            )
        )
    return specs


def theme_model(workspace_id: int):
    """The workspace's ThemeModel (built once per version of its taxonomy and corrections), or None."""
    import dataclasses
    import hashlib
    import json

    from .ml.encoder import Encoder
    from .ml.themes import ThemeModel

    specs = theme_specs(workspace_id)
    if not specs:
        return None
    signature = hashlib.sha256(json.dumps([dataclasses.asdict(s) for s in specs]).encode()).hexdigest()
    cached = _theme_models.get(workspace_id)
    if cached and cached[0] == signature:
        return cached[1]
    model = ThemeModel.build(specs, Encoder.default().encode)
    _theme_models[workspace_id] = (signature, model)
    return model


def reading_version(themes) -> str:
    """What an enrichment read with these themes records as its model_version."""
    from .ml import pipeline

    return pipeline.version() + (f"|{themes.version}" if themes is not None else "")


ENRICHMENT_FIELDS = [
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
    "embedding",
    "model_version",
    "error",
    "enriched_at",
]


def enrich_items(*, item_ids: list[int]) -> int:
    """Read the texts of these feedback items with the local models and keep what they found: one
    Enrichment per item, and the themes found as model mentions (an analyst's accepted or rejected mention
    of the same theme is kept as it is). An item whose reading fails is marked failed with the error; the
    rest of the batch goes on. Returns how many items were read."""
    from cxloop.feedback.models import FeedbackItem

    from .ml import pipeline

    done = 0
    for start in range(0, len(item_ids), ENRICH_BATCH):
        items = list(
            FeedbackItem.objects.filter(pk__in=item_ids[start : start + ENRICH_BATCH]).only(
                "pk", "workspace_id", "title", "text"
            )
        )
        by_workspace: dict[int, list] = {}
        for item in items:
            by_workspace.setdefault(item.workspace_id, []).append(item)
        for workspace_id, group in by_workspace.items():
            themes = theme_model(workspace_id)
            readings = pipeline.read([_text_of(i) for i in group], themes)
            _store(workspace_id, group, readings, reading_version(themes), themes)
            if Workspace.objects.filter(pk=workspace_id, keep_original_text=False).exists():
                redact_originals(item_ids=[i.pk for i in group])  # the workspace keeps no original texts
            done += len(group)
    from .emerging import maybe_schedule  # a weekly look for emerging themes, without a cron (emerging.py)

    maybe_schedule(item_ids=item_ids)
    from .intents import read_items  # support tickets and chats: the workspace's intent model (intents.py)

    read_items(item_ids=item_ids)
    return done


def redact_originals(*, item_ids: list[int]) -> int:
    """Replace the personal data found in these items' stored texts (title, text, answers' texts, and the
    sentences kept as theme evidence) with its kind, e.g. "[phone]"; for workspaces that do not keep
    original texts. Returns how many items changed."""
    from cxloop.feedback.models import Answer, FeedbackItem

    from .ml import pii

    changed = 0
    for start in range(0, len(item_ids), ENRICH_BATCH):
        chunk = item_ids[start : start + ENRICH_BATCH]
        with transaction.atomic():
            items = list(FeedbackItem.objects.filter(pk__in=chunk).only("pk", "title", "text"))
            dirty = []
            for item in items:
                title, text = pii.redact(item.title), pii.redact(item.text)
                if (title, text) != (item.title, item.text):
                    item.title, item.text = title, text
                    dirty.append(item)
            FeedbackItem.objects.bulk_update(dirty, ["title", "text"])
            changed += len(dirty)
            answers = list(Answer.objects.filter(item_id__in=chunk).exclude(text="").only("pk", "text"))
            for a in answers:
                a.text = pii.redact(a.text)
            Answer.objects.bulk_update(answers, ["text"])
            mentions = list(
                ThemeMention.objects.filter(item_id__in=chunk).exclude(evidence="").only("pk", "evidence")
            )
            for m in mentions:
                m.evidence = pii.redact(m.evidence)[:500]
            ThemeMention.objects.bulk_update(mentions, ["evidence"])
    return changed


def redact_originals_later(*, workspace_id: int) -> None:
    """Queue the redaction of every stored text of the workspace (after it stopped keeping originals)."""
    from .tasks import redact_workspace

    transaction.on_commit(lambda: redact_workspace.enqueue(workspace_id=workspace_id))


def _store(workspace_id: int, items: list, readings: list, version: str, themes) -> None:
    import numpy as np

    now = timezone.now()
    rows, mentions = [], []
    for item, reading in zip(items, readings, strict=True):
        rows.append(
            Enrichment(
                workspace_id=workspace_id,
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
                embedding=(
                    None
                    if reading.embedding is None
                    else np.asarray(reading.embedding, dtype=np.float16).tobytes()
                ),
                model_version=version,
                error=reading.error,
                enriched_at=now,
            )
        )
        for m in reading.themes:
            mentions.append(
                ThemeMention(
                    workspace_id=workspace_id,
                    item_id=item.pk,
                    theme_id=int(m["key"]),
                    score=m["score"],
                    sentiment=m["sentiment"],
                    sentiment_score=m["sentiment_score"],
                    evidence=m["evidence"][:500],
                    source=ThemeMention.Source.MODEL,
                    status=ThemeMention.Status.SUGGESTED,
                    model_version=themes.version if themes is not None else "",
                    created_at=now,
                )
            )
    with transaction.atomic():
        Enrichment.objects.bulk_create(
            rows, update_conflicts=True, unique_fields=["item"], update_fields=ENRICHMENT_FIELDS
        )
        # the model's earlier suggestions give way to this reading; analysts' decisions stay
        ThemeMention.objects.filter(
            item_id__in=[i.pk for i in items],
            source=ThemeMention.Source.MODEL,
            status=ThemeMention.Status.SUGGESTED,
        ).delete()
        ThemeMention.objects.bulk_create(mentions, ignore_conflicts=True)


def enrich_later(item_ids: list[int]) -> None:
    """Queue these items for reading once the current transaction commits (the worker reads them)."""
    if not item_ids:
        return
    from .tasks import enrich

    ids = list(item_ids)
    transaction.on_commit(lambda: enrich.enqueue(item_ids=ids))


def enrich_stale(*, workspace: Workspace, limit: int = 10_000) -> int:
    """Queue the workspace's items never read, or read by other models or another version of its taxonomy
    (after an upgrade or an edit of the themes). Returns how many were queued."""
    from cxloop.feedback.models import FeedbackItem

    current = reading_version(theme_model(workspace.pk))
    ids = list(
        FeedbackItem.objects.filter(workspace=workspace)
        .exclude(text="", title="")  # nothing to read
        .exclude(enrichment__model_version=current, enrichment__status=Enrichment.Status.DONE)
        .order_by("-occurred_at")
        .values_list("pk", flat=True)[:limit]
    )
    for start in range(0, len(ids), ENRICH_BATCH * 4):
        enrich_later(ids[start : start + ENRICH_BATCH * 4])
    return len(ids)


# -- analysts' corrections ----------------------------------------------------------------------------------
# In the Inbox (and by API) an analyst accepts or rejects the themes the model suggested, or adds one. The
# decided rows stay through every later reading (`_store` replaces only the model's suggestions, and its
# ignore_conflicts keeps a rejected theme from being suggested again) and `theme_specs` turns them into
# examples and counter-examples for the texts read from then on.
DECISIONS = ("accept", "reject")
EVIDENCE_DEFAULT_CHARS = 300


def _correction_targets(*, workspace: Workspace, item_id: int, theme_id: int):
    """The workspace's item and theme, or NotFound: another workspace's ids are as unknown as missing ones."""
    from cxloop.feedback.models import FeedbackItem

    item = FeedbackItem.objects.filter(workspace=workspace, pk=item_id).only("pk", "title", "text").first()
    if item is None:
        raise NotFound(f"No feedback item with id {item_id} in this workspace.")
    theme = Theme.objects.filter(workspace=workspace, pk=theme_id).select_related("parent").first()
    if theme is None:
        raise NotFound(f"No theme with id {theme_id} in this workspace.")
    return item, theme


def mention_decide(*, workspace: Workspace, user, item_id: int, theme_id: int, decision: str) -> ThemeMention:
    """Accept or reject the theme found in an item. A rejected mention stays (hidden), so the model does not
    suggest it again and its sentence becomes a counter-example; "reject" on an accepted or analyst-set
    mention takes it back the same way. `user` is None for an API key."""
    if decision not in DECISIONS:
        raise ServiceError('The decision is "accept" or "reject".', field="decision")
    item, theme = _correction_targets(workspace=workspace, item_id=item_id, theme_id=theme_id)
    mention = (
        ThemeMention.objects.filter(workspace=workspace, item=item, theme=theme)
        .select_related("theme__parent")
        .first()
    )
    if mention is None:
        raise NotFound(f"The theme “{theme.path}” is not found in feedback item {item_id}.")
    mention.status = ThemeMention.Status.ACCEPTED if decision == "accept" else ThemeMention.Status.REJECTED
    mention.decided_by = user
    mention.save(update_fields=["status", "decided_by"])
    return mention


def _evidence_sentiment(evidence: str) -> tuple[str, float | None]:
    """The sentiment of the sentence that shows the theme (per-aspect, as the model reads its own)."""
    from .ml import pipeline

    if not evidence:
        return "", None
    reading = pipeline.read([evidence])[0]
    return reading.sentiment, reading.sentiment_score


def mention_add(
    *, workspace: Workspace, user, item_id: int, theme_id: int, evidence: str = ""
) -> ThemeMention:
    """An analyst says the item is about this theme; `evidence` is the sentence that shows it (default: the
    item's first 300 characters) and its sentiment is read from it. A theme the model already suggested
    becomes accepted (keeping the model's sentence unless another is given); a theme rejected before is
    accepted again, with the new evidence."""
    item, theme = _correction_targets(workspace=workspace, item_id=item_id, theme_id=theme_id)
    if not theme.is_active or (theme.parent is not None and not theme.parent.is_active):
        raise ServiceError(f"The theme “{theme.path}” is switched off; switch it on first.", field="theme_id")
    evidence = " ".join(evidence.split())[:500]
    mention = (
        ThemeMention.objects.filter(workspace=workspace, item=item, theme=theme)
        .select_related("theme__parent")
        .first()
    )
    keep_model_sentence = (
        not evidence
        and mention is not None
        and mention.evidence
        and mention.status != ThemeMention.Status.REJECTED
    )
    if keep_model_sentence:
        return mention_decide(
            workspace=workspace, user=user, item_id=item.pk, theme_id=theme.pk, decision="accept"
        )
    evidence = evidence or " ".join(_text_of(item).split())[:EVIDENCE_DEFAULT_CHARS]
    sentiment, sentiment_score = _evidence_sentiment(evidence)
    fields = {
        "score": None,
        "sentiment": sentiment,
        "sentiment_score": sentiment_score,
        "evidence": evidence,
        "source": ThemeMention.Source.ANALYST,
        "status": ThemeMention.Status.ACCEPTED,
        "decided_by": user,
    }
    if mention is None:
        try:
            with transaction.atomic():
                return ThemeMention.objects.create(workspace=workspace, item=item, theme=theme, **fields)
        except IntegrityError:  # a reading stored a suggestion of this theme meanwhile: it is accepted below
            mention = ThemeMention.objects.select_related("theme__parent").get(item=item, theme=theme)
    for name, value in fields.items():
        setattr(mention, name, value)
    mention.save(update_fields=list(fields))
    return mention


@transaction.atomic
def mention_relabel(
    *, workspace: Workspace, user, item_id: int, theme_id: int, new_theme_id: int, evidence: str = ""
) -> ThemeMention:
    """One step for "the model saw the wrong theme here": reject theme_id in the item and add new_theme_id,
    with the same sentence as evidence unless another is given."""
    if new_theme_id == theme_id:
        raise ServiceError("Choose another theme to relabel it as.", field="new_theme_id")
    old = mention_decide(
        workspace=workspace, user=user, item_id=item_id, theme_id=theme_id, decision="reject"
    )
    return mention_add(
        workspace=workspace,
        user=user,
        item_id=item_id,
        theme_id=new_theme_id,
        evidence=evidence or old.evidence,
    )
