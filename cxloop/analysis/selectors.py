"""Reads of the analysis app; every one takes the workspace."""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.db.models import Count, F, Q, Sum, Value
from django.db.models.functions import Coalesce, TruncWeek
from django.utils import timezone

from cxloop.accounts.models import Workspace
from cxloop.metrics.stats import Estimate, wilson

from .models import Enrichment, Theme, ThemeMention

EMBEDDING_DIM = 384
MAX_LEARNED_EXAMPLES = 50  # services.MAX_EXAMPLES: accepted sentences the models read per theme


def taxonomy(*, workspace: Workspace) -> list[Theme]:
    """Top themes with their sub-themes (as `subs`), each with the number of items it is found in (rejected
    suggestions aside), its number of analyst-confirmed mentions and of those the models read as examples
    (`learned`: confirmed with a sentence, at most MAX_LEARNED_EXAMPLES)."""
    accepted = Q(mentions__status=ThemeMention.Status.ACCEPTED)
    counted = Theme.objects.filter(workspace=workspace).annotate(
        items=Count("mentions", filter=~Q(mentions__status=ThemeMention.Status.REJECTED)),
        confirmed=Count("mentions", filter=accepted),
        with_sentence=Count("mentions", filter=accepted & ~Q(mentions__evidence="")),
    )
    themes = list(counted.order_by("name"))
    tops = [t for t in themes if t.parent_id is None]
    by_parent: dict[int, list[Theme]] = {}
    for t in themes:
        if t.parent_id is not None:
            by_parent.setdefault(t.parent_id, []).append(t)
    for t in themes:
        t.learned = min(t.with_sentence, MAX_LEARNED_EXAMPLES)
    for top in tops:
        top.subs = by_parent.get(top.pk, [])
    return tops


def theme_get(*, workspace: Workspace, theme_id: int) -> Theme | None:
    return Theme.objects.filter(workspace=workspace, pk=theme_id).select_related("parent").first()


# -- Analytics › Themes: figures per theme over a period -----------------------------------------------------
PERIODS = (30, 90, 365)
DEFAULT_PERIOD = 90
REPRESENTATIVE = 5  # verbatims shown as the theme's most typical
CENTRE_CAP = 5_000  # newest mentions whose embeddings make the theme's centre


def period_days(value) -> int:
    """The period of the Themes pages in days: one of PERIODS, the default for anything else."""
    try:
        days = int(value)
    except (TypeError, ValueError):
        return DEFAULT_PERIOD
    return days if days in PERIODS else DEFAULT_PERIOD


def period_start(days: int, *, now: datetime | None = None) -> datetime:
    return (now or timezone.now()) - timedelta(days=days)


def week_starts(since: datetime, *, now: datetime | None = None) -> list[date]:
    """The Mondays of the weeks from the week of `since` to the current week (site time zone)."""
    first = timezone.localtime(since).date()
    last = timezone.localtime(now or timezone.now()).date()
    day, end = first - timedelta(days=first.weekday()), last - timedelta(days=last.weekday())
    out = []
    while day <= end:
        out.append(day)
        day += timedelta(days=7)
    return out


@dataclass
class ThemeFigures:
    """What the items of a period say about one theme. An item counts once however many of its sentences
    mention the theme (a top theme: itself or any of its sub-themes); its sentiment about the theme is the
    sentiment of those sentences, so an item with a negative and a positive one counts in both."""

    items: int = 0
    negative: int = 0
    neutral: int = 0
    positive: int = 0
    rated: int = 0  # items with at least one sentence about it read for sentiment
    score_sum: float = 0.0
    scored: int = 0  # sentences (mentions) with a sentiment score
    weekly: list[int] = field(default_factory=list)

    @property
    def sentiment(self) -> float | None:
        """The mean sentiment score (-1..1) of the sentences that mention the theme."""
        return self.score_sum / self.scored if self.scored else None

    @property
    def negative_share(self) -> Estimate:
        """The share (percent) of its items that speak negatively of it, with the 95% Wilson interval."""
        return wilson(min(self.negative, self.rated), self.rated).scaled(100.0)

    def share_of(self, read: int) -> Estimate:
        """The share (percent) of the period's read items that mention it, with the 95% Wilson interval."""
        return wilson(self.items, max(read, self.items)).scaled(100.0)


def _mentions(*, workspace: Workspace, since: datetime):
    """The period's mentions that count: every one but the rejected, on items that occurred since then."""
    return (
        ThemeMention.objects.filter(workspace=workspace, item__occurred_at__gte=since)
        .exclude(status=ThemeMention.Status.REJECTED)
        .order_by()
    )


def _figures(mentions, key, weeks: list[date]) -> dict[int, ThemeFigures]:
    """One grouped read: per key (a theme, or the top theme of each mention) and week, its distinct items
    and sentiment. Items occur in one week each, so the sums over weeks are the period's distinct counts."""
    index = {day: i for i, day in enumerate(weeks)}
    items = functools.partial(Count, "item_id", distinct=True)
    rows = (
        mentions.annotate(key=key, week=TruncWeek("item__occurred_at"))
        .values("key", "week")
        .annotate(
            n=items(),
            neg=items(filter=Q(sentiment="negative")),
            neu=items(filter=Q(sentiment="neutral")),
            pos=items(filter=Q(sentiment="positive")),
            rated=items(filter=~Q(sentiment="")),
            score_sum=Sum("sentiment_score"),
            scored=Count("sentiment_score"),
        )
    )
    out: dict[int, ThemeFigures] = {}
    for row in rows:
        fig = out.get(row["key"])
        if fig is None:
            fig = out[row["key"]] = ThemeFigures(weekly=[0] * len(weeks))
        fig.items += row["n"]
        fig.negative += row["neg"]
        fig.neutral += row["neu"]
        fig.positive += row["pos"]
        fig.rated += row["rated"]
        fig.score_sum += row["score_sum"] or 0.0
        fig.scored += row["scored"]
        week = row["week"]
        at = index.get(timezone.localtime(week).date() if isinstance(week, datetime) else week)
        if at is not None:
            fig.weekly[at] += row["n"]
    return out


def _read_items(*, workspace: Workspace, since: datetime) -> int:
    """Items of the period with a text that the models have read (the base of every theme's share)."""
    return (
        Enrichment.objects.filter(
            workspace=workspace, status=Enrichment.Status.DONE, item__occurred_at__gte=since
        )
        .exclude(item__text="", item__title="")
        .count()
    )


@dataclass
class ThemeTree:
    """The taxonomy with each theme's figures (`theme.fig`); top themes and sub-themes by volume."""

    days: int
    since: datetime
    weeks: list[date]
    read: int
    tops: list[Theme]


def theme_tree(*, workspace: Workspace, days: int) -> ThemeTree:
    """Every theme of the workspace with its figures over the last `days` days, in four queries whatever
    the number of themes: the themes, the read items, and the mentions grouped per theme and per top theme
    (and week)."""
    since = period_start(days)
    weeks = week_starts(since)
    tops = taxonomy(workspace=workspace)
    mentions = _mentions(workspace=workspace, since=since)
    per_theme = _figures(mentions, F("theme_id"), weeks)
    per_top = _figures(mentions, Coalesce("theme__parent_id", "theme_id"), weeks)
    empty = ThemeFigures(weekly=[0] * len(weeks))
    for top in tops:
        top.fig = per_top.get(top.pk, empty)
        for sub in top.subs:
            sub.fig = per_theme.get(sub.pk, empty)
        top.subs.sort(key=lambda t: (-t.fig.items, t.name.lower()))
    tops.sort(key=lambda t: (-t.fig.items, t.name.lower()))
    return ThemeTree(
        days=days, since=since, weeks=weeks, read=_read_items(workspace=workspace, since=since), tops=tops
    )


@dataclass
class ThemeDetail:
    """One theme over a period: its figures, its sub-themes' (for a top theme) and the period's read items."""

    theme: Theme
    days: int
    since: datetime
    weeks: list[date]
    read: int
    fig: ThemeFigures
    subs: list[Theme]


def theme_mentions(*, workspace: Workspace, theme: Theme, since: datetime, sentiment: str | None = None):
    """The period's counted mentions of a theme (a top theme: of it or any of its sub-themes)."""
    mentions = _mentions(workspace=workspace, since=since).filter(Q(theme=theme) | Q(theme__parent=theme))
    return mentions.filter(sentiment=sentiment) if sentiment else mentions


def theme_detail(*, workspace: Workspace, theme: Theme, days: int) -> ThemeDetail:
    since = period_start(days)
    weeks = week_starts(since)
    mentions = theme_mentions(workspace=workspace, theme=theme, since=since)
    fig = _figures(mentions, Value(theme.pk), weeks).get(theme.pk, ThemeFigures(weekly=[0] * len(weeks)))
    subs: list[Theme] = []
    if theme.parent_id is None:
        subs = list(Theme.objects.filter(workspace=workspace, parent=theme))
        per_sub = _figures(mentions.filter(theme__parent=theme), F("theme_id"), weeks)
        for sub in subs:
            sub.fig = per_sub.get(sub.pk, ThemeFigures(weekly=[0] * len(weeks)))
        subs.sort(key=lambda t: (-t.fig.items, t.name.lower()))
    read = _read_items(workspace=workspace, since=since)
    return ThemeDetail(theme=theme, days=days, since=since, weeks=weeks, read=read, fig=fig, subs=subs)


def verbatim_items(mentions):
    """The items of these mentions, newest first (each once)."""
    from cxloop.feedback.models import FeedbackItem

    return FeedbackItem.objects.filter(pk__in=mentions.values("item_id")).order_by("-occurred_at", "-pk")


def representative_item_ids(mentions, *, limit: int = REPRESENTATIVE, cap: int = CENTRE_CAP) -> list[int]:
    """The items closest to the centre of these mentions: the mean of the (unit) embeddings of the items
    of the newest `cap` mentions, then the items whose embedding has the highest cosine to it."""
    import numpy as np

    rows = mentions.order_by("-item__occurred_at", "-item_id").values_list(
        "item_id", "item__enrichment__embedding"
    )[:cap]
    ids, seen, vectors = [], set(), []
    for item_id, blob in rows:
        if blob is None or item_id in seen:
            continue
        seen.add(item_id)
        if len(blob) != EMBEDDING_DIM * 2:  # float16
            continue
        vector = np.frombuffer(bytes(blob), dtype=np.float16).astype(np.float32)
        norm = float(np.linalg.norm(vector))
        if not np.isfinite(norm) or norm == 0.0:
            continue
        ids.append(item_id)
        vectors.append(vector / norm)
    if not ids:
        return []
    matrix = np.stack(vectors)
    centre = matrix.mean(axis=0)
    cosine = matrix @ (centre / (np.linalg.norm(centre) or 1.0))
    order = np.lexsort((np.arange(len(ids)), -cosine))  # ties: the newer first
    return [ids[i] for i in order[:limit]]


def item_mentions(
    *, workspace: Workspace, theme: Theme, item_ids: list[int]
) -> dict[int, list[ThemeMention]]:
    """The counted mentions of the theme (or its sub-themes) in these items, per item, in one query."""
    out: dict[int, list[ThemeMention]] = {}
    for m in (
        ThemeMention.objects.filter(workspace=workspace, item_id__in=item_ids)
        .filter(Q(theme=theme) | Q(theme__parent=theme))
        .exclude(status=ThemeMention.Status.REJECTED)
        .select_related("theme")
        .order_by("item_id", "theme__name")
    ):
        out.setdefault(m.item_id, []).append(m)
    return out


# -- reading again: how much is read with the current models and taxonomy ----------------------------------
@dataclass
class ReadingProgress:
    version: str
    total: int  # items with a text to read
    current: int  # read with the current models and taxonomy
    failed: int  # whose last reading failed

    @property
    def waiting(self) -> int:
        """Items not (yet) read with the current models and taxonomy, failures aside."""
        return max(self.total - self.current - self.failed, 0)

    @property
    def percent(self) -> int:
        return round(100 * self.current / self.total) if self.total else 100


def reading_progress(*, workspace: Workspace) -> ReadingProgress:
    """Counts of the workspace's items by their reading, in one query (plus the taxonomy's, for the
    version the current models and taxonomy give)."""
    from cxloop.feedback.models import FeedbackItem

    from .services import reading_version, theme_model

    version = reading_version(theme_model(workspace.pk))
    done, failed = Enrichment.Status.DONE, Enrichment.Status.FAILED
    counts = (
        FeedbackItem.objects.filter(workspace=workspace)
        .exclude(text="", title="")
        .aggregate(
            total=Count("pk"),
            current=Count("pk", filter=Q(enrichment__status=done, enrichment__model_version=version)),
            failed=Count("pk", filter=Q(enrichment__status=failed)),
        )
    )
    return ReadingProgress(version=version, **counts)
