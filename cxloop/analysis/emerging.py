"""Emerging themes: each week, the read texts that fit no theme are grouped (ml/clusters.py) and the groups
are proposed to analysts as new themes, with keywords, size, trend and their most typical texts.

Writes (services) and reads (selectors) of the feature, in the order things happen:

- `maybe_schedule(item_ids=...)`: called at the end of `services.enrich_items`; queues `detect_emerging`
  for a workspace whose last look is a week old (or that never had one), at most once a day. No cron: the
  texts coming in are the clock. Skipped on the inline task backend of the tests (SCHEDULE_INLINE).
- `emerging_request(...)`: "Look for emerging themes now" (and the demo): queue a look.
- `emerging_detect(...)`: the look itself (the worker runs it): the window's read texts without a counted
  theme mention are clustered; each cluster not already decided on becomes a proposal, replacing the
  proposals still open. A cluster whose centre is as close as SAME_AS (cosine 0.8) to one an analyst
  adopted or dismissed, or to an example of an existing theme, is not proposed again.
- `emerging_adopt(...)` turns a proposal into a theme (its most typical texts as examples) and has its
  texts read again, so they get it; `emerging_dismiss(...)` sets it aside for good.
- `proposals`, `decided`, `last_run`, `pending_run`, `with_verbatims`: what the page shows.

Texts are the items' redacted copies for keywords and examples (no personal data goes into the taxonomy);
the page shows the verbatims as the Inbox does.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np
from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone

from cxloop.accounts.models import Workspace
from cxloop.core.exceptions import Conflict, NotFound

from .models import EmergingRun, EmergingTheme, Enrichment, Theme, ThemeMention

log = logging.getLogger(__name__)

WINDOW_DAYS = 7
MIN_SIZE = 5
MEMBER_CAP = 500  # member ids kept per proposal (the ones closest to its centre): what adopting reads again
SAME_AS = 0.8  # cosine of a cluster's centre to a decided one or a theme's example: "already decided"
EXAMPLES = 5
EXAMPLE_CHARS = 300
MAX_WINDOW_ITEMS = 50_000  # the newest texts of a window that a look reads
BACKGROUND_TEXTS = 5_000  # texts of the window that fit a theme, to contrast the keywords with
RUN_EVERY = timedelta(days=7)  # the schedule looks again once the last look is this old
ASK_EVERY = timedelta(days=1)  # and queues a look at most this often
#: The tests' inline task backend would run the look inside every `enrich_items`; it schedules only when
#: a test sets this.
SCHEDULE_INLINE = False
DIM = 384


# -- reading the window --------------------------------------------------------------------------------------
@dataclass
class Window:
    ids: list[int]
    texts: list[str]  # the redacted copies, for keywords
    vectors: np.ndarray  # (n, 384) float32, unit rows


def _unthemed(workspace_id: int, start: datetime, end: datetime, *, texts: bool = True) -> Window:
    """The items that occurred in [start, end), read (with an embedding), with no counted theme mention
    (a suggested or accepted one; rejected ones do not count): the newest MAX_WINDOW_ITEMS, oldest first."""
    from cxloop.feedback.models import FeedbackItem

    counted = ThemeMention.objects.filter(item_id=OuterRef("pk")).exclude(status=ThemeMention.Status.REJECTED)
    fields = ["pk", "enrichment__embedding", *(["enrichment__redacted_text"] if texts else [])]
    rows = list(
        FeedbackItem.objects.filter(
            workspace_id=workspace_id,
            occurred_at__gte=start,
            occurred_at__lt=end,
            enrichment__status=Enrichment.Status.DONE,
            enrichment__embedding__isnull=False,
        )
        .filter(~Exists(counted))
        .order_by("-occurred_at", "-pk")
        .values_list(*fields)[:MAX_WINDOW_ITEMS]
    )
    rows.reverse()
    ids, out_texts, vectors = [], [], []
    for row in rows:
        vector = _vector(row[1])
        if vector is None:
            continue
        ids.append(row[0])
        vectors.append(vector)
        out_texts.append(row[2] if texts else "")
    matrix = np.stack(vectors) if vectors else np.zeros((0, DIM), dtype=np.float32)
    return Window(ids=ids, texts=out_texts, vectors=matrix)


def _themed_texts(workspace_id: int, start: datetime, end: datetime) -> list[str]:
    """The redacted texts of the window's items that fit a theme (the newest BACKGROUND_TEXTS): what the
    keywords of a cluster are contrasted with, besides the other texts that fit no theme."""
    counted = ThemeMention.objects.filter(item_id=OuterRef("item_id")).exclude(
        status=ThemeMention.Status.REJECTED
    )
    return list(
        Enrichment.objects.filter(
            workspace_id=workspace_id,
            item__occurred_at__gte=start,
            item__occurred_at__lt=end,
            status=Enrichment.Status.DONE,
        )
        .filter(Exists(counted))
        .order_by("-item__occurred_at", "-item_id")
        .values_list("redacted_text", flat=True)[:BACKGROUND_TEXTS]
    )


def _vector(blob) -> np.ndarray | None:
    """A stored float16 embedding as a unit float32 vector, or None when it is not one."""
    if blob is None or len(blob) != DIM * 2:
        return None
    vector = np.frombuffer(bytes(blob), dtype=np.float16).astype(np.float32)
    norm = float(np.linalg.norm(vector))
    if not np.isfinite(norm) or norm == 0.0:
        return None
    return vector / norm


def _decided_centres(workspace_id: int) -> np.ndarray:
    """The centres of the proposals analysts adopted or dismissed, and the workspace's theme examples (the
    local encoder's vectors): what is not proposed again."""
    rows = []
    for blob in (
        EmergingTheme.objects.filter(workspace_id=workspace_id)
        .exclude(status=EmergingTheme.Status.PROPOSED)
        .values_list("centroid", flat=True)
    ):
        vector = _vector(blob)
        if vector is not None:
            rows.append(vector)
    examples = [
        e.strip()
        for examples in Theme.objects.filter(workspace_id=workspace_id, is_active=True).values_list(
            "examples", flat=True
        )
        for e in examples
        if isinstance(e, str) and e.strip()
    ]
    if examples:
        from .ml.encoder import Encoder

        rows.extend(np.asarray(Encoder.default().encode(list(dict.fromkeys(examples))), dtype=np.float32))
    return np.stack(rows) if rows else np.zeros((0, DIM), dtype=np.float32)


# -- the look ------------------------------------------------------------------------------------------------
def emerging_detect(
    *,
    workspace: Workspace,
    now: datetime | None = None,
    days: int = WINDOW_DAYS,
    min_size: int = MIN_SIZE,
    run_id: int | None = None,
) -> EmergingRun:
    """Cluster the texts of the last `days` days that fit no theme and propose each new cluster, in place
    of the proposals still open. `run_id`: the queued EmergingRun this look fills in (else a new one). An
    error is recorded on the run (and logged), the proposals left as they were."""
    from .ml import clusters

    now = now or timezone.now()
    start = now - timedelta(days=days)
    run = None
    if run_id is not None:
        run = EmergingRun.objects.filter(workspace=workspace, pk=run_id).first()
    run = run or EmergingRun(workspace=workspace, queued_at=now)
    run.window_start, run.window_end, run.error = start, now, ""
    proposals: list[EmergingTheme] = []
    try:
        window = _unthemed(workspace.pk, start, now)
        background = _themed_texts(workspace.pk, start, now) if len(window.ids) >= min_size else []
        found = clusters.cluster(window.vectors, window.texts, min_size=min_size, background=background)
        run.items_considered, run.clusters_found = len(window.ids), len(found)
        if found:
            decided = _decided_centres(workspace.pk)
            before = _unthemed(workspace.pk, start - timedelta(days=days), start, texts=False).vectors
            for c in found:
                if len(decided) and float((decided @ c.centroid).max()) >= SAME_AS:
                    continue
                proposals.append(_proposal(workspace, window, c, before, start, now))
    except Exception as exc:  # the look failed: say so on the page, keep what was proposed before
        log.exception("Looking for emerging themes failed in workspace %s", workspace.pk)
        run.error = f"{type(exc).__name__}: {exc}"[:1000]
        run.ran_at = timezone.now()
        _save_run(run)
        return run
    run.proposed, run.ran_at = len(proposals), timezone.now()
    with transaction.atomic():
        EmergingTheme.objects.filter(workspace=workspace, status=EmergingTheme.Status.PROPOSED).delete()
        EmergingTheme.objects.bulk_create(proposals)
        _save_run(run)
    return run


RUN_FIELDS = [
    "ran_at",
    "window_start",
    "window_end",
    "items_considered",
    "clusters_found",
    "proposed",
    "error",
]


def _save_run(run: EmergingRun) -> None:
    if run.pk is None:
        run.save()
    else:
        run.save(update_fields=RUN_FIELDS)


def _proposal(workspace, window: Window, c, before: np.ndarray, start, end) -> EmergingTheme:
    cosines = window.vectors[c.members] @ c.centroid
    closest = c.members[np.lexsort((c.members, -cosines))]
    previous = int((before @ c.centroid >= c.radius).sum()) if len(before) else 0
    return EmergingTheme(
        workspace=workspace,
        window_start=start,
        window_end=end,
        label=c.label[:120] or "(no keywords)",
        keywords=c.keywords,
        size=c.size,
        previous_size=previous,
        cohesion=round(c.cohesion, 4),
        radius=round(c.radius, 4),
        centroid=np.asarray(c.centroid, dtype=np.float16).tobytes(),
        representative_ids=[window.ids[i] for i in c.representatives],
        member_ids=[window.ids[i] for i in closest[:MEMBER_CAP]],
    )


# -- asking for a look ---------------------------------------------------------------------------------------
def _enqueue(run: EmergingRun, *, priority: int | None = None, days: int = WINDOW_DAYS) -> None:
    from .tasks import detect_emerging

    task = detect_emerging if priority is None else detect_emerging.using(priority=priority)
    workspace_id, run_id = run.workspace_id, run.pk
    transaction.on_commit(lambda: task.enqueue(workspace_id=workspace_id, run_id=run_id, days=days))


def emerging_request(
    *, workspace: Workspace, priority: int | None = None, days: int = WINDOW_DAYS
) -> EmergingRun:
    """Queue a look at the last `days` days for the worker (once the current transaction commits). A look
    already waiting is not queued twice: it is returned. `priority` below 0 lets the texts already queued
    be read first."""
    waiting = pending_run(workspace=workspace)
    if waiting is not None:
        return waiting
    run = EmergingRun.objects.create(workspace=workspace)
    _enqueue(run, priority=priority, days=days)
    return run


def _can_schedule() -> bool:
    from .tasks import detect_emerging

    return SCHEDULE_INLINE or detect_emerging.get_backend().supports_defer


def maybe_schedule(*, item_ids: list[int]) -> int:
    """After texts are read: queue a look for each of their workspaces whose last look is RUN_EVERY old
    (or that never had one), unless one was asked for in the last ASK_EVERY. Returns how many were queued.
    Two workers reading the same workspace at the same moment may both queue one; the second look only
    replaces the first one's proposals."""
    if not item_ids or not _can_schedule():
        return 0
    from cxloop.feedback.models import FeedbackItem

    workspace_ids: set[int] = set()
    for start in range(0, len(item_ids), 1000):
        workspace_ids.update(
            FeedbackItem.objects.filter(pk__in=item_ids[start : start + 1000])
            .values_list("workspace_id", flat=True)
            .distinct()
        )
    now, queued = timezone.now(), 0
    for workspace_id in sorted(workspace_ids):
        last = EmergingRun.objects.filter(workspace_id=workspace_id).order_by("-queued_at").first()
        if last is not None and (
            last.queued_at > now - ASK_EVERY or (last.ran_at is not None and last.ran_at > now - RUN_EVERY)
        ):
            continue
        _enqueue(EmergingRun.objects.create(workspace_id=workspace_id, queued_at=now))
        queued += 1
    return queued


# -- analysts' decisions -------------------------------------------------------------------------------------
def _open_proposal(workspace: Workspace, emerging_id: int) -> EmergingTheme:
    proposal = EmergingTheme.objects.select_for_update().filter(workspace=workspace, pk=emerging_id).first()
    if proposal is None:
        raise NotFound(f"No emerging theme with id {emerging_id} in this workspace.")
    if proposal.status != EmergingTheme.Status.PROPOSED:
        raise Conflict(f"“{proposal.label}” is already {proposal.get_status_display().lower()}.")
    return proposal


def example_texts(workspace: Workspace, item_ids: list[int]) -> list[str]:
    """The redacted texts of these items, in this order, on one line each, cut to EXAMPLE_CHARS."""
    texts = dict(
        Enrichment.objects.filter(workspace=workspace, item_id__in=item_ids).values_list(
            "item_id", "redacted_text"
        )
    )
    out = []
    for item_id in item_ids:
        text = " ".join((texts.get(item_id) or "").split())[:EXAMPLE_CHARS].strip()
        if text and text not in out:
            out.append(text)
    return out


@transaction.atomic
def emerging_adopt(
    *, workspace: Workspace, user, emerging_id: int, name: str, parent_id: int | None = None
) -> Theme:
    """Make a theme of a proposal: `name` (the analyst's; the form offers the label), its keywords as the
    description, its most typical texts (redacted, EXAMPLE_CHARS each, up to EXAMPLES) as examples, under
    `parent_id` if given. Then its texts are read again, so they get the new theme."""
    from . import services

    proposal = _open_proposal(workspace, emerging_id)
    theme = services.theme_save(
        workspace=workspace,
        theme_id=None,
        name=name,
        description=", ".join(proposal.keywords),
        examples="\n".join(example_texts(workspace, proposal.representative_ids[:EXAMPLES])),
        parent_id=parent_id,
    )
    proposal.status, proposal.adopted_theme = EmergingTheme.Status.ADOPTED, theme
    proposal.decided_by, proposal.decided_at = user, timezone.now()
    proposal.save(update_fields=["status", "adopted_theme", "decided_by", "decided_at"])
    services.enrich_later(list(proposal.member_ids))
    return theme


@transaction.atomic
def emerging_dismiss(*, workspace: Workspace, user, emerging_id: int) -> EmergingTheme:
    """Set a proposal aside: it stays listed as dismissed, and a cluster like it is not proposed again."""
    proposal = _open_proposal(workspace, emerging_id)
    proposal.status = EmergingTheme.Status.DISMISSED
    proposal.decided_by, proposal.decided_at = user, timezone.now()
    proposal.save(update_fields=["status", "decided_by", "decided_at"])
    return proposal


# -- reads ---------------------------------------------------------------------------------------------------
def growth(proposal: EmergingTheme) -> float:
    """How many times bigger than in the window before (one text added to both, so a new one counts)."""
    return (proposal.size + 1) / (proposal.previous_size + 1)


def proposals(*, workspace: Workspace) -> list[EmergingTheme]:
    """The open proposals, the ones that matter most first: size × growth."""
    found = list(
        EmergingTheme.objects.filter(workspace=workspace, status=EmergingTheme.Status.PROPOSED).defer(
            "centroid", "member_ids"
        )
    )
    found.sort(key=lambda p: (-p.size * growth(p), -p.size, p.pk))
    return found


def decided(*, workspace: Workspace, limit: int = 100) -> list[EmergingTheme]:
    """The proposals analysts adopted or dismissed, the latest decision first."""
    return list(
        EmergingTheme.objects.filter(workspace=workspace)
        .exclude(status=EmergingTheme.Status.PROPOSED)
        .select_related("adopted_theme__parent", "decided_by")
        .defer("centroid", "member_ids")
        .order_by("-decided_at", "-pk")[:limit]
    )


def last_run(*, workspace: Workspace) -> EmergingRun | None:
    return EmergingRun.objects.filter(workspace=workspace, ran_at__isnull=False).order_by("-ran_at").first()


def pending_run(*, workspace: Workspace) -> EmergingRun | None:
    """A look asked for in the last day that the worker has not run yet."""
    return (
        EmergingRun.objects.filter(
            workspace=workspace, ran_at__isnull=True, queued_at__gt=timezone.now() - ASK_EVERY
        )
        .order_by("-queued_at")
        .first()
    )


def top_themes(*, workspace: Workspace) -> list[Theme]:
    """The taxonomy's top themes, the places an adopted theme can go under."""
    return list(Theme.objects.filter(workspace=workspace, parent=None).order_by("name").only("pk", "name"))


def with_verbatims(*, workspace: Workspace, found: list[EmergingTheme]) -> list[EmergingTheme]:
    """Each proposal with `verbatims`: its representative items that still exist, in order (one query)."""
    from cxloop.feedback.models import FeedbackItem

    wanted = {i for p in found for i in p.representative_ids}
    items = FeedbackItem.objects.filter(workspace=workspace, pk__in=wanted).only(
        "pk", "title", "text", "channel", "source", "occurred_at"
    )
    by_id = {i.pk: i for i in items} if wanted else {}
    for p in found:
        p.verbatims = [by_id[i] for i in p.representative_ids if i in by_id]
    return found
