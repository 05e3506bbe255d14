"""Analytics › Themes: the workspace's taxonomy with what the texts of a period say about each theme
(volume, sentiment, weekly trend), each theme's verbatims, and the reading of texts again after a change."""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urlencode

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from cxloop.accounts.access import workspace_view
from cxloop.accounts.roles import Perm, has_perm
from cxloop.core import charts
from cxloop.core.exceptions import NotFound, ServiceError

from . import selectors, services
from .taxonomies import TEMPLATES

VERBATIMS_PAGE = 50
REREAD_LIMIT = 50_000  # items queued by one press of "Read again" (about an hour of the worker's reading)
SENTIMENTS = ("negative", "neutral", "positive")
SENTIMENT_COLORS = ("#b42318", "#57606a", "#1a7f37")
STALLED_POLLS = 12  # the progress stops polling after a minute without change (is the worker running?)


def _int(value) -> int | None:
    try:
        return int(value) if value not in (None, "") else None
    except (TypeError, ValueError):
        return None


def _period(request) -> int:
    return selectors.period_days(request.GET.get("period"))


# -- small pictures ------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Sparkline:
    """A tiny trend line drawn by the template (numbers only: nothing in it comes from users)."""

    points: str
    last_x: float
    last_y: float
    label: str
    width: int = 96
    height: int = 24


def sparkline(values: list[int]) -> Sparkline:
    width, height, pad = 96, 24, 2
    top = max(values, default=0) or 1
    step = (width - 2 * pad) / max(len(values) - 1, 1)
    xy = [(pad + i * step, height - pad - (height - 2 * pad) * v / top) for i, v in enumerate(values)]
    if len(xy) == 1:
        xy = [(pad, xy[0][1]), (width - pad, xy[0][1])]
    points = " ".join(f"{x:.1f},{y:.1f}" for x, y in xy)
    label = "Items per week, oldest to newest (the first and the last week partial): " + ", ".join(
        str(v) for v in values
    )
    return Sparkline(points=points, last_x=round(xy[-1][0], 1), last_y=round(xy[-1][1], 1), label=label)


def _week_label(day) -> str:
    return day.isoformat()  # the Monday of the week


# -- verbatims: the evidence sentence highlighted inside the text -------------------------------------------
CONTEXT_CHARS = 240  # plain text kept before the first and after the last highlight of a long text


def _span_of(text: str, sentence: str) -> tuple[int, int] | None:
    """Where the sentence is in the text: exactly, else word by word across any whitespace, any case."""
    sentence = sentence.strip().removesuffix("…").strip()
    if not sentence:
        return None
    at = text.find(sentence)
    if at >= 0:
        return at, at + len(sentence)
    words = sentence.split()
    if len(words) > 200:
        return None
    found = re.search(r"\s+".join(re.escape(w) for w in words), text, re.IGNORECASE)
    return (found.start(), found.end()) if found else None


def highlight(text: str, sentences: list[str]) -> list[tuple[str, bool]]:
    """The text cut into (part, is_evidence) pieces, (before, match, after) for one sentence, with the plain
    text around the highlights of a long text shortened. The template escapes every piece."""
    spans = sorted(span for span in (_span_of(text, s) for s in sentences) if span)
    merged: list[list[int]] = []
    for start, end in spans:
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    parts: list[tuple[str, bool]] = []
    at = 0
    for start, end in merged:
        parts.append((text[at:start], False))
        parts.append((text[start:end], True))
        at = end
    parts.append((text[at:], False))
    if merged:
        first, last = parts[0][0], parts[-1][0]
        if len(first) > CONTEXT_CHARS:
            parts[0] = ("…" + first[-CONTEXT_CHARS:].lstrip(), False)
        if len(last) > CONTEXT_CHARS:
            parts[-1] = (last[:CONTEXT_CHARS].rstrip() + "…", False)
    elif len(text) > 2 * CONTEXT_CHARS:
        parts = [(text[: 2 * CONTEXT_CHARS].rstrip() + "…", False)]
    return [p for p in parts if p[0]]


@dataclass
class Verbatim:
    item: object
    mentions: list
    title_parts: list[tuple[str, bool]]
    parts: list[tuple[str, bool]]
    unmatched: list[str]  # sentences found in neither the title nor the text as stored (shown apart)


def _verbatims(request, theme, items) -> list[Verbatim]:
    ids = [i.pk for i in items]
    found = selectors.item_mentions(workspace=request.workspace, theme=theme, item_ids=ids)
    out = []
    for item in items:
        mentions = found.get(item.pk, [])
        sentences = list(dict.fromkeys(m.evidence for m in mentions if m.evidence))
        out.append(
            Verbatim(
                item=item,
                mentions=mentions,
                title_parts=highlight(item.title, sentences) if item.title else [],
                parts=highlight(item.text, sentences) if item.text else [],
                unmatched=[
                    s for s in sentences if _span_of(item.title, s) is None and _span_of(item.text, s) is None
                ],
            )
        )
    return out


# -- pages ---------------------------------------------------------------------------------------------------
@workspace_view(Perm.VIEW_DATA)
def themes(request):
    days = _period(request)
    tree = selectors.theme_tree(workspace=request.workspace, days=days)
    for top in tree.tops:
        for theme in (top, *top.subs):
            theme.spark = sparkline(theme.fig.weekly)
            theme.share = theme.fig.share_of(tree.read)
    can_edit = has_perm(request.membership.role, Perm.ANALYSE)
    return render(
        request,
        "analysis/themes.html",
        {
            "tree": tree,
            "tops": tree.tops,
            "periods": selectors.PERIODS,
            "days": days,
            **_progress_context(selectors.reading_progress(workspace=request.workspace), still=0),
            "templates": [(k, label) for k, (label, _) in TEMPLATES.items()],
            "can_edit": can_edit,
        },
    )


def _progress_context(progress: selectors.ReadingProgress, *, still: int) -> dict:
    """The reading counts, and whether the fragment asks again in 5 s: while items wait, until a minute
    passes without any of them read (the worker may be stopped; reloading the page looks again)."""
    return {
        "progress": progress,
        "still": still,
        "poll": bool(progress.waiting) and still < STALLED_POLLS,
        "stalled": bool(progress.waiting) and still >= STALLED_POLLS,
        "seen": progress.current + progress.failed,
    }


def _int_param(value, default: int = 0) -> int:
    number = _int(value)
    return default if number is None or number < 0 else min(number, 10**9)


@require_GET
@workspace_view(Perm.VIEW_DATA)
def theme_progress(request):
    """The reading counts, polled by the Themes page while items wait to be read."""
    progress = selectors.reading_progress(workspace=request.workspace)
    seen = _int(request.GET.get("seen"))
    moved = progress.current + progress.failed
    still = _int_param(request.GET.get("still")) + 1 if seen == moved else 0
    return render(
        request,
        "analysis/_theme_progress.html",
        {
            **_progress_context(progress, still=still),
            "can_edit": has_perm(request.membership.role, Perm.ANALYSE),
            "days": _period(request),
        },
    )


@require_POST
@workspace_view(Perm.ANALYSE)
def theme_reread(request):
    queued = services.enrich_stale(workspace=request.workspace, limit=REREAD_LIMIT)
    if not queued:
        messages.info(request, "Every item is already read with the current models and taxonomy.")
    elif queued >= REREAD_LIMIT:
        messages.success(
            request,
            f"{queued:,} items queued to be read again (the newest; the rest once these are read, "
            "when you press the button again).",
        )
    else:
        messages.success(request, f"{queued:,} items queued to be read again with the current taxonomy.")
    return redirect(f"{reverse('analytics')}?{urlencode({'period': _period(request)})}")


@workspace_view(Perm.VIEW_DATA)
def theme_mentions(request, theme_id: int):
    theme = selectors.theme_get(workspace=request.workspace, theme_id=theme_id)
    if theme is None:
        raise Http404("No such theme.")
    days = _period(request)
    sentiment = request.GET.get("sentiment")
    sentiment = sentiment if sentiment in SENTIMENTS else None
    detail = selectors.theme_detail(workspace=request.workspace, theme=theme, days=days)
    mentions = selectors.theme_mentions(
        workspace=request.workspace, theme=theme, since=detail.since, sentiment=sentiment
    )
    page = Paginator(selectors.verbatim_items(mentions), VERBATIMS_PAGE).get_page(request.GET.get("page"))
    representative = []
    if page.number == 1 and page.paginator.count > selectors.REPRESENTATIVE:  # else they are all on show
        ids = selectors.representative_item_ids(mentions, limit=selectors.REPRESENTATIVE)
        by_id = {i.pk: i for i in selectors.verbatim_items(mentions).filter(pk__in=ids)}
        representative = _verbatims(request, theme, [by_id[i] for i in ids if i in by_id])
    fig = detail.fig
    weekly = charts.line_chart(
        f"Items mentioning {theme.path}, per week",
        [charts.Point(_week_label(d), v) for d, v in zip(detail.weeks, fig.weekly, strict=True)],
        value_label="Items",
        y_range=(0, max(4, *fig.weekly)),
    )
    split = charts.bar_chart(
        f"Sentiment of the sentences about {theme.path}",
        [("Negative", fig.negative), ("Neutral", fig.neutral), ("Positive", fig.positive)],
        colors=SENTIMENT_COLORS,
        value_label="Items",
        percent_of=fig.rated or None,
        width=360,
    )
    query = {"period": days, **({"sentiment": sentiment} if sentiment else {})}
    return render(
        request,
        "analysis/theme_mentions.html",
        {
            "theme": theme,
            "detail": detail,
            "fig": fig,
            "share": fig.share_of(detail.read),
            "negative": fig.negative_share,
            "weekly_chart": weekly,
            "split_chart": split,
            "subs": detail.subs,
            "days": days,
            "periods": selectors.PERIODS,
            "sentiment": sentiment,
            "sentiments": SENTIMENTS,
            "page": page,
            "verbatims": _verbatims(request, theme, list(page.object_list)),
            "representative": representative,
            "query": urlencode(query),
            "can_edit": has_perm(request.membership.role, Perm.ANALYSE),
        },
    )


@require_POST
@workspace_view(Perm.ANALYSE)
def taxonomy_template(request):
    try:
        added = services.taxonomy_from_template(
            workspace=request.workspace, template=request.POST.get("template", "")
        )
    except ServiceError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"{added} themes added.")
    return redirect("analytics")


@workspace_view(Perm.ANALYSE)
def theme_edit(request, theme_id: int | None = None):
    theme = None
    if theme_id is not None:
        theme = selectors.theme_get(workspace=request.workspace, theme_id=theme_id)
        if theme is None:
            raise Http404("No such theme.")
    error = None
    if request.method == "POST":
        try:
            saved = services.theme_save(
                workspace=request.workspace,
                theme_id=theme_id,
                name=request.POST.get("name", ""),
                description=request.POST.get("description", ""),
                examples=request.POST.get("examples", ""),
                parent_id=_int(request.POST.get("parent")),
            )
        except NotFound as exc:
            raise Http404(exc.message) from None
        except ServiceError as exc:
            error = exc
        else:
            messages.success(request, f"Theme “{saved.name}” saved.")
            return redirect("analytics")
    form = request.POST if request.method == "POST" else None
    return render(
        request,
        "analysis/theme_form.html",
        {
            "theme": theme,
            "form": form,
            "error": error,
            "name": form.get("name") if form else (theme.name if theme else ""),
            "description": form.get("description") if form else (theme.description if theme else ""),
            "examples": form.get("examples") if form else "\n".join(theme.examples if theme else []),
            "parent_id": _int(form.get("parent")) if form else (theme.parent_id if theme else None),
            "tops": [
                t for t in selectors.taxonomy(workspace=request.workspace) if not theme or t.pk != theme.pk
            ],
        },
        status=422 if error else 200,
    )


@require_POST
@workspace_view(Perm.ANALYSE)
def theme_delete(request, theme_id: int):
    try:
        services.theme_delete(workspace=request.workspace, theme_id=theme_id)
    except ServiceError as exc:
        raise Http404(exc.message) from None
    messages.success(request, "Theme deleted.")
    return redirect("analytics")
