"""Reads for a survey's results: filters, counts, responses over time, drop-off, and the per-question results.

Everything is aggregated in the database and arrives here as small grouped rows (counts per key and value,
per status and day, per month), so the number of queries and the rows read back stay the same whether a
survey has 10 or 100,000 responses.

Which responses count: a survey's own, never previews, narrowed by a ResultFilter (dates, version, status,
hidden field values, the respondent's customer attributes). The same filter drives the page, its exports
and its PDF. Answers are read from the feedback store (feedback.Answer: one row per answer, matrix rows
as "<key>.<row>", a repeated block's later instances as "<key>.<n>"), joined to the responses through the
response's feedback item. What the answers add up to per question is results_questions.py.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from urllib.parse import urlencode

from django.db.models import Count, Max, Min, Q, QuerySet, TextField
from django.db.models.fields.json import KT
from django.db.models.functions import Cast

from cxloop.core import charts
from cxloop.core.pagination import keyset_page
from cxloop.customers.models import Customer
from cxloop.feedback.models import Answer
from cxloop.metrics import stats

from .models import Response, Survey, SurveyVersion
from .results_questions import (
    KeyStats,
    Layout,
    QuestionResult,
    ResultQuestion,
    answer_groups,
    answered_count,
    as_date,
    bucket_index,
    bucket_start,
    layout_for,
    moment_of,
    next_bucket,
    question_results,
    split_key,
    survey_versions,
)

CUSTOMER_ATTRIBUTES = ("segment", "plan", "region", "country")
HIDDEN_VALUES_SHOWN = 10
OPEN_TEXT_PAGE = 25
MAX_FILTER_VALUE = 200


# -- filters -------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class ResultFilter:
    """Which responses the results count. Dates are days in the site's time zone, both ends included."""

    since: date | None = None
    until: date | None = None
    version: int | None = None  # a version number
    completed_only: bool = False
    hidden: tuple[tuple[str, str], ...] = ()
    segment: str = ""
    plan: str = ""
    region: str = ""
    country: str = ""

    def params(self) -> dict[str, str]:
        """The filter as query parameters (what parse_filters reads back)."""
        out: dict[str, str] = {}
        if self.since:
            out["since"] = self.since.isoformat()
        if self.until:
            out["until"] = self.until.isoformat()
        if self.version is not None:
            out["version"] = str(self.version)
        if self.completed_only:
            out["status"] = "completed"
        for name, value in self.hidden:
            out[f"h_{name}"] = value
        for attr in CUSTOMER_ATTRIBUTES:
            if getattr(self, attr):
                out[attr] = getattr(self, attr)
        return out

    def query(self) -> str:
        return urlencode(self.params())

    def describe(self) -> list[str]:
        """The filter in words (the PDF and exports say what they contain)."""
        parts = []
        if self.since or self.until:
            parts.append(f"started {self.since or '…'} to {self.until or '…'}")
        if self.version is not None:
            parts.append(f"version {self.version}")
        parts.append("completed responses only" if self.completed_only else "completed and partial responses")
        parts.extend(f"hidden field {name} = {value}" for name, value in self.hidden)
        parts.extend(f"customer {a} = {getattr(self, a)}" for a in CUSTOMER_ATTRIBUTES if getattr(self, a))
        return parts


def _day(params: Mapping[str, str], name: str, what: str, errors: dict[str, str]) -> date | None:
    raw = (params.get(name) or "").strip()
    if not raw:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        errors[name] = f"{what}: {raw[:40]!r} is not a date like 2026-01-31."
        return None


def parse_filters(
    params: Mapping[str, str], *, hidden_fields: list[str], versions: list[int]
) -> tuple[ResultFilter, dict[str, str]]:
    """A ResultFilter from query parameters, and {parameter: what is wrong with it}. A wrong parameter is
    left out of the filter (and named in the errors); the form shows what was typed."""
    errors: dict[str, str] = {}
    since = _day(params, "since", "From", errors)
    until = _day(params, "until", "To", errors)
    if since and until and until < since:
        errors["until"] = f"To: {until} is before the start date {since}."
        until = None
    version = None
    raw_version = (params.get("version") or "").strip()
    if raw_version:
        if raw_version.isdigit() and int(raw_version) in versions:
            version = int(raw_version)
        else:
            errors["version"] = f"Version: this survey has no version {raw_version[:20]!r}."
    status = (params.get("status") or "").strip()
    if status not in ("", "all", "completed"):
        errors["status"] = f"Status: {status[:20]!r} is not one of all, completed."
    hidden = tuple(
        (name, str(params.get(f"h_{name}")).strip()[:MAX_FILTER_VALUE])
        for name in hidden_fields
        if (params.get(f"h_{name}") or "").strip()
    )
    attrs = {a: (params.get(a) or "").strip()[:MAX_FILTER_VALUE] for a in CUSTOMER_ATTRIBUTES}
    return (
        ResultFilter(
            since=since,
            until=until,
            version=version,
            completed_only=status == "completed",
            hidden=hidden,
            **attrs,
        ),
        errors,
    )


def response_queryset(survey: Survey, f: ResultFilter, versions: Mapping[int, int] | None = None) -> QuerySet:
    """The responses the results count (previews never do). `versions` maps version numbers to ids."""
    qs = Response.objects.filter(workspace_id=survey.workspace_id, survey=survey).exclude(
        via=Response.Via.PREVIEW
    )
    if f.since:
        qs = qs.filter(started_at__gte=moment_of(f.since))
    if f.until:
        qs = qs.filter(started_at__lt=moment_of(f.until + timedelta(days=1)))
    if f.version is not None:
        if versions is not None:
            qs = qs.filter(version_id=versions.get(f.version, -1))
        else:
            qs = qs.filter(version__number=f.version)
    if f.completed_only:
        qs = qs.filter(status=Response.Status.COMPLETED)
    for i, (name, value) in enumerate(f.hidden):
        # the JSON key read as text, whatever the field is called (a field named "contains" included); the
        # cast makes it a plain text comparison on every database
        as_text = Cast(KT(f"state__hidden__{name}"), output_field=TextField())
        qs = qs.alias(**{f"_hidden{i}": as_text}).filter(**{f"_hidden{i}": value})
    for attr in CUSTOMER_ATTRIBUTES:
        if getattr(f, attr):
            qs = qs.filter(**{f"feedback_item__customer__{attr}": getattr(f, attr)})
    return qs


def answer_queryset(survey: Survey, responses: QuerySet) -> QuerySet:
    """The feedback-store answers of these responses (through each response's feedback item)."""
    return Answer.objects.filter(
        workspace_id=survey.workspace_id,
        item_id__in=responses.filter(feedback_item__isnull=False).values("feedback_item_id"),
    )


# -- results -------------------------------------------------------------------------------------------------
@dataclass
class Redaction:
    """What a shared results link leaves out."""

    questions: frozenset[str] = frozenset()
    hide_open_texts: bool = True
    hide_hidden_fields: bool = True


@dataclass
class Bucket:
    start: date
    completed: int = 0
    partial: int = 0


@dataclass
class FunnelStep:
    key: str
    label: str
    reached: int
    answered: int
    stopped: int  # partial responses whose last answer was this question


@dataclass
class HiddenFieldValues:
    name: str
    values: list[tuple[str, int]]


@dataclass
class SurveyResults:
    survey: Survey
    filters: ResultFilter
    layout: Layout
    total: int
    completed: int
    first_at: datetime | None
    last_at: datetime | None
    completion: stats.Estimate
    bucket: str  # "day", "week" or "month"
    timeline: list[Bucket]
    timeline_chart: charts.Chart | None
    funnel: list[FunnelStep]
    funnel_unanswered: int  # partial responses that stopped before answering anything
    funnel_chart: charts.Chart | None
    questions: list[QuestionResult]
    hidden_fields: list[HiddenFieldValues]
    redaction: Redaction | None = None

    @property
    def partial(self) -> int:
        return self.total - self.completed

    @property
    def metrics(self) -> list[QuestionResult]:
        return [q for q in self.questions if q.type in ("nps", "csat", "ces") and q.answered]


def build_results(
    survey: Survey,
    filters: ResultFilter,
    *,
    versions: list[SurveyVersion] | None = None,
    redaction: Redaction | None = None,
) -> SurveyResults:
    """Everything the results page, its PDF and a shared link show, for the responses `filters` selects."""
    versions = survey_versions(survey) if versions is None else versions
    layout = layout_for(survey, versions, filters.version)
    version_ids = {v.number: v.pk for v in versions}
    responses = response_queryset(survey, filters, version_ids)
    answers = answer_queryset(survey, responses)
    skip = redaction.questions if redaction else frozenset()

    totals = responses.aggregate(
        total=Count("id"),
        completed=Count("id", filter=Q(status=Response.Status.COMPLETED)),
        first=Min("started_at"),
        last=Max("started_at"),
    )
    total, completed = totals["total"], totals["completed"]
    bucket, timeline = _timeline(responses, totals["first"], totals["last"])
    questions = [q for q in layout.questions if q.key not in skip]
    groups = answer_groups(answers, _months(totals["first"], totals["last"]))
    per_key = groups.per_key
    steps = _funnel(responses, layout.questions, per_key, total, completed)
    unanswered = total - steps[0].reached if steps else total - completed
    funnel = [s for s in steps if s.key not in skip]
    results = question_results(
        answers, questions, groups, hide_open_texts=bool(redaction and redaction.hide_open_texts)
    )
    hidden_values = []
    if not (redaction and redaction.hide_hidden_fields):
        hidden_values = [_hidden_values(responses, name) for name in layout.hidden_fields]
    return SurveyResults(
        survey=survey,
        filters=filters,
        layout=layout,
        total=total,
        completed=completed,
        first_at=totals["first"],
        last_at=totals["last"],
        completion=stats.wilson(completed, total).scaled(100.0),
        bucket=bucket,
        timeline=timeline,
        timeline_chart=_timeline_chart(bucket, timeline) if total else None,
        funnel=funnel,
        funnel_unanswered=unanswered,
        funnel_chart=_funnel_chart(funnel, total) if total else None,
        questions=results,
        hidden_fields=hidden_values,
        redaction=redaction,
    )


# -- responses over time -------------------------------------------------------------------------------------
def _months(first: datetime | None, last: datetime | None) -> list[date]:
    """The first day of each month from the month of `first` to the month of `last` (site time zone)."""
    if first is None or last is None:
        return []
    day, end = bucket_start(as_date(first), "month"), bucket_start(as_date(last), "month")
    out = []
    while day <= end:
        out.append(day)
        day = next_bucket(day, "month")
    return out


def _timeline(responses: QuerySet, first: datetime | None, last: datetime | None) -> tuple[str, list[Bucket]]:
    """Completed and partial responses per day (a span up to two months), week (up to two years) or month,
    every period from the first to the last, empty ones included (a gap is news too)."""
    if first is None or last is None:
        return "day", []
    first_day, last_day = as_date(first), as_date(last)
    span = (last_day - first_day).days
    bucket = "day" if span <= 62 else "week" if span <= 730 else "month"
    starts, day = [], bucket_start(first_day, bucket)
    while day <= last_day:
        starts.append(day)
        day = next_bucket(day, bucket)
    out = [Bucket(d) for d in starts]
    rows = (
        responses.order_by()
        .annotate(b=bucket_index("started_at", [moment_of(d) for d in starts]))
        .values("b", "status")
        .annotate(n=Count("id"))
    )
    for row in rows:
        if row["status"] == Response.Status.COMPLETED:
            out[row["b"]].completed += row["n"]
        else:
            out[row["b"]].partial += row["n"]
    return bucket, out


def bucket_label(day: date, bucket: str) -> str:
    return {"day": day.isoformat(), "week": f"w/c {day.isoformat()}", "month": day.strftime("%Y-%m")}[bucket]


def _timeline_chart(bucket: str, timeline: list[Bucket]) -> charts.Chart:
    return charts.stacked_bar_chart(
        f"Responses per {bucket}",
        [bucket_label(b.start, bucket) for b in timeline],
        [("Completed", [b.completed for b in timeline]), ("Partial", [b.partial for b in timeline])],
        colors=["#0b5cad", "#e8a33d"],
    )


# -- drop-off ------------------------------------------------------------------------------------------------
def _funnel(
    responses: QuerySet,
    questions: list[ResultQuestion],
    per_key: Mapping[str, KeyStats],
    total: int,
    completed: int,
) -> list[FunnelStep]:
    """Per question in survey order: how many responses got this far (completed ones, and partial ones
    whose last answer was this question or a later one), how many answered it, and how many stopped
    after it. The drop between two steps is where people leave."""
    if not total:
        return []
    position = {q.key: i for i, q in enumerate(questions)}
    stopped_at: dict[int, int] = defaultdict(int)
    for row in (
        responses.filter(status=Response.Status.PARTIAL)
        .order_by()
        .values("last_question")
        .annotate(n=Count("id"))
    ):
        parts = split_key(row["last_question"] or "")
        at = position.get(parts[0]) if parts else None
        stopped_at[-1 if at is None else at] += row["n"]
    steps = []
    still = completed + sum(n for at, n in stopped_at.items() if at >= 0)
    for i, q in enumerate(questions):
        steps.append(FunnelStep(q.key, q.label, still, answered_count(q, per_key), stopped_at.get(i, 0)))
        still -= stopped_at.get(i, 0)
    return steps


def _funnel_chart(funnel: list[FunnelStep], total: int) -> charts.Chart:
    bars = [
        charts.HBar(
            "Started",
            total,
            text=f"{total}",
            extra=("", ""),
        )
    ]
    for step in funnel:
        pct = 100.0 * step.reached / total if total else 0.0
        bars.append(
            charts.HBar(
                step.label or step.key,
                step.answered,
                back=step.reached,
                text=f"{step.answered} of {step.reached}",
                extra=(f"{charts.num(pct, 0)}%", str(step.stopped)),
            )
        )
    return charts.hbar_chart(
        "Drop-off per question",
        bars,
        desc="For each question in survey order, how many respondents got that far (light bar) and how many "
        "answered it (dark bar). "
        + "; ".join(f"{s.label or s.key}: {s.answered} answered of {s.reached} reached" for s in funnel),
        headers=("Question", "Answered of reached", "Reached (% of started)", "Stopped after it"),
        scale=(0, max(total, 1)),
    )


# -- hidden fields -------------------------------------------------------------------------------------------
def _hidden_values(responses: QuerySet, name: str) -> HiddenFieldValues:
    rows = (
        responses.annotate(v=KT(f"state__hidden__{name}"))
        .exclude(v__isnull=True)  # (empty values are never stored: services.clean_hidden drops them)
        .order_by()
        .values("v")
        .annotate(n=Count("id"))
        .order_by("-n", "v")[:HIDDEN_VALUES_SHOWN]
    )
    return HiddenFieldValues(name, [(r["v"], r["n"]) for r in rows])


# -- open texts ----------------------------------------------------------------------------------------------
@dataclass
class OpenText:
    key: str
    label: str
    text: str
    occurred_at: datetime
    item_id: int


def open_texts(
    survey: Survey,
    filters: ResultFilter,
    layout: Layout,
    *,
    cursor: str | None = None,
    versions: Mapping[int, int] | None = None,
    skip: frozenset[str] = frozenset(),
    limit: int = OPEN_TEXT_PAGE,
) -> tuple[list[OpenText], str | None]:
    """Answers to open-text questions, newest first, one page at a time (keyset: same cost on every page).
    Raises ServiceError for a cursor that is not one."""
    answers = answer_queryset(survey, response_queryset(survey, filters, versions)).filter(type="text")
    answers = answers.exclude(text="")
    for key in skip:
        answers = answers.exclude(Q(key=key) | Q(key__startswith=f"{key}."))
    page, next_cursor = keyset_page(
        answers.only("id", "key", "text", "occurred_at", "item_id"),
        time_field="occurred_at",
        cursor=cursor,
        limit=limit,
    )
    out = []
    for a in page:
        parts = split_key(a.key)
        q = layout.get(parts[0]) if parts else None
        label = q.label if q else a.key
        if parts and parts[1] > 1:
            label += f" (#{parts[1]})"
        out.append(OpenText(a.key, label, a.text, a.occurred_at, a.item_id))
    return out, next_cursor


# -- filter choices ------------------------------------------------------------------------------------------
def customer_attribute_values(survey: Survey, limit: int = 200) -> dict[str, list[str]]:
    """The values each customer attribute takes in the workspace, for the filter menus."""
    out = {}
    for attr in CUSTOMER_ATTRIBUTES:
        out[attr] = list(
            Customer.objects.filter(workspace_id=survey.workspace_id)
            .exclude(**{attr: ""})
            .order_by(attr)
            .values_list(attr, flat=True)
            .distinct()[:limit]
        )
    return out
