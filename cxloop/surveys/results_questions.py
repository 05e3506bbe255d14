"""The questions of a survey's results and what their answers add up to.

Which questions (layout_for: a version's, or the latest version's followed by those only earlier versions
asked), and per question a distribution from rows the database grouped: scores and yes/no as counts per
value, choices as counts per chosen combination, numbers as sums, NPS/CSAT/CES with their 95% intervals and
their trend by month. The statistics are cxloop.metrics.stats; the charts cxloop.core.charts.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from django.db.models import Case, Count, F, IntegerField, Max, Min, Q, QuerySet, Value, When, Window
from django.db.models.functions import RowNumber
from django.utils import timezone

from cxloop.core import charts
from cxloop.metrics import stats

from .definition import FIXED_SCALES, Question, SurveyDefinition, parse_definition, text_in
from .models import Survey, SurveyVersion

OTHER_SHOWN = 10  # newest "other" answers listed per choice question
SCORE_TYPES = ("nps", "csat", "ces", "rating")
_ANSWER_KEY = re.compile(r"^(?P<base>[a-z][a-z0-9_]*)(?:\.(?P<n>\d+))?(?:\.(?P<row>[a-z][a-z0-9_]*))?$")
_PIPE = re.compile(r"\{\{\s*(answer|hidden):([a-z][a-z0-9_]*)\s*\}\}")
NPS_COLORS = ["#b42318"] * 7 + ["#9a6700"] * 2 + ["#1a7f37"] * 2


# -- the questions of the results ----------------------------------------------------------------------------
@dataclass
class ResultQuestion:
    key: str
    type: str
    label: str
    question: Question
    language: str
    earlier_only: bool = False  # asked in an earlier version, not in the one shown


@dataclass
class Layout:
    """The questions and hidden fields the results are about, in survey order."""

    questions: list[ResultQuestion]
    hidden_fields: list[str]
    language: str
    definition: SurveyDefinition

    def get(self, key: str) -> ResultQuestion | None:
        return self._by_key.get(key)

    def __post_init__(self):
        self._by_key = {q.key: q for q in self.questions}


def plain_label(value: Any, language: str) -> str:
    """A label in the default language, with piping placeholders shown as [key]."""
    return _PIPE.sub(lambda m: f"[{m.group(2)}]", text_in(value, language, language)).strip()


def survey_versions(survey: Survey) -> list[SurveyVersion]:
    return list(SurveyVersion.objects.filter(survey=survey).order_by("-number"))


def layout_for(survey: Survey, versions: list[SurveyVersion], version: int | None = None) -> Layout:
    """The questions to report: those of the chosen version, or of the latest version followed by those
    only earlier versions asked (their answers are still counted)."""
    chosen = [v for v in versions if v.number == version] if version is not None else versions
    defns = [parse_definition(v.definition) for v in chosen] or [parse_definition(survey.definition)]
    main = defns[0]
    lang = main.default_language
    questions = [ResultQuestion(q.key, q.type, plain_label(q.label, lang), q, lang) for q in main.questions()]
    hidden = list(main.hidden_fields)
    seen = {q.key for q in questions}
    for older in defns[1:]:
        for q in older.questions():
            if q.key not in seen:
                seen.add(q.key)
                lang_ = older.default_language
                questions.append(
                    ResultQuestion(q.key, q.type, plain_label(q.label, lang_), q, lang_, earlier_only=True)
                )
        hidden += [h for h in older.hidden_fields if h not in hidden]
    return Layout(questions=questions, hidden_fields=hidden, language=lang, definition=main)


def split_key(key: str) -> tuple[str, int, str | None] | None:
    """An answer key as (question key, instance number, matrix row): "nps" → ("nps", 1, None),
    "nps.2" → ("nps", 2, None), "aspects.speed" → ("aspects", 1, "speed")."""
    m = _ANSWER_KEY.match(key)
    if not m:
        return None
    return m.group("base"), int(m.group("n") or 1), m.group("row")


# -- dates ---------------------------------------------------------------------------------------------------
def as_date(value: datetime | date) -> date:
    if isinstance(value, datetime):
        return timezone.localtime(value).date() if timezone.is_aware(value) else value.date()
    return value


def bucket_start(day: date, bucket: str) -> date:
    if bucket == "week":
        return day - timedelta(days=day.weekday())
    if bucket == "month":
        return day.replace(day=1)
    return day


def next_bucket(day: date, bucket: str) -> date:
    if bucket == "week":
        return day + timedelta(days=7)
    if bucket == "month":
        return (day.replace(day=28) + timedelta(days=4)).replace(day=1)
    return day + timedelta(days=1)


# -- per answer key ------------------------------------------------------------------------------------------
@dataclass
class KeyStats:
    n: int = 0
    s1: float = 0.0
    s2: float = 0.0
    lo: float | None = None
    hi: float | None = None
    first_text: str = ""
    last_text: str = ""


@dataclass
class AnswerGroups:
    """What one grouped read of the answers gives: per answer key its count and moments; per key its
    counts per value (scores, yes/no); per key, month and value the counts of NPS/CSAT/CES (trends)."""

    per_key: dict[str, KeyStats]
    values: dict[str, dict[float, int]]
    months: dict[str, dict[int, dict[float, int]]]
    month_starts: list[date]


def bucket_index(field_name: str, starts: list[datetime]) -> Case | Value:
    """The index of the period (given by its start moments, in order) that `field_name` falls in, as the
    database computes it with plain comparisons: no date functions, so the same SQL on SQLite and
    PostgreSQL and nothing evaluated in Python per row. Rows before the first start count in the first."""
    if len(starts) <= 1:
        return Value(0, output_field=IntegerField())
    return Case(
        *[When(**{f"{field_name}__lt": starts[i + 1]}, then=Value(i)) for i in range(len(starts) - 1)],
        default=Value(len(starts) - 1),
        output_field=IntegerField(),
    )


def moment_of(day: date) -> datetime:
    """The start of a day in the site's time zone."""
    return timezone.make_aware(datetime.combine(day, time.min), timezone.get_current_timezone())


def answer_groups(answers: QuerySet, month_starts: list[date]) -> AnswerGroups:
    """One read of the answers, grouped by key, type, value and month (a few thousand rows at most,
    whatever the number of responses; open texts and choices group into one row per key and month)."""
    rows = (
        answers.order_by()
        .annotate(m=bucket_index("occurred_at", [moment_of(d) for d in month_starts]))
        .values("key", "type", "value", "m")
        .annotate(
            n=Count("id"),
            first_text=Min("text", filter=Q(type="date")),
            last_text=Max("text", filter=Q(type="date")),
        )
    )
    per_key: dict[str, KeyStats] = defaultdict(KeyStats)
    values: dict[str, dict[float, int]] = defaultdict(lambda: defaultdict(int))
    months: dict[str, dict[int, dict[float, int]]] = defaultdict(
        lambda: defaultdict(lambda: defaultdict(int))
    )
    for r in rows:
        key, value, n = r["key"], r["value"], r["n"]
        ks = per_key[key]
        ks.n += n
        if value is not None:
            ks.s1 += value * n
            ks.s2 += value * value * n
            ks.lo = value if ks.lo is None else min(ks.lo, value)
            ks.hi = value if ks.hi is None else max(ks.hi, value)
            if r["type"] in (*SCORE_TYPES, "yes_no"):
                values[key][value] += n
            if r["type"] in ("nps", "csat", "ces"):
                months[key][r["m"]][value] += n
        if r["first_text"]:
            ks.first_text = min(ks.first_text or r["first_text"], r["first_text"])
        if r["last_text"]:
            ks.last_text = max(ks.last_text, r["last_text"])
    return AnswerGroups(dict(per_key), values, months, month_starts)


def answered_count(q: ResultQuestion, per_key: Mapping[str, KeyStats]) -> int:
    """How many responses answered `q` (its first instance). A matrix counts its most answered row (exact
    when its rows are required; a floor otherwise)."""
    if q.type == "matrix":
        return max(
            (per_key[f"{q.key}.{r.key}"].n for r in q.question.rows if f"{q.key}.{r.key}" in per_key),
            default=0,
        )
    stats_ = per_key.get(q.key)
    return stats_.n if stats_ else 0


@dataclass(frozen=True)
class Figure:
    """One key number as pages and the PDF print it: "NPS +23, 95% CI +10 to +35, n = 120"."""

    name: str
    value: str
    interval: str
    n: int
    too_few: bool

    @classmethod
    def of(cls, name: str, est: stats.Estimate, kind: str) -> Figure:
        def fmt(v: float | None) -> str:
            if v is None:
                return "–"
            if kind == "signed":
                return "0" if round(v) == 0 else f"{v:+.0f}"
            if kind == "percent":
                return f"{v:.0f}%"
            return f"{v:.2f}"

        interval = (
            f"{fmt(est.low)} to {fmt(est.high)}" if est.low is not None and est.high is not None else ""
        )
        return cls(name, fmt(est.value), interval, est.n, est.too_few)


@dataclass
class TrendPoint:
    month: date
    estimate: stats.Estimate


@dataclass
class QuestionResult:
    key: str
    type: str
    label: str
    answered: int
    earlier_only: bool = False
    chart: charts.Chart | None = None
    rows: list[tuple[str, int, float | None]] = field(default_factory=list)  # label, count, percent
    mean: stats.Estimate | None = None
    nps: stats.NPS | None = None
    summary: stats.ScoreSummary | None = None
    share: stats.Estimate | None = None  # yes share (percent)
    other_count: int = 0
    other_texts: list[str] = field(default_factory=list)
    ranking: list[tuple[str, float, int]] = field(default_factory=list)  # label, average rank, firsts
    matrix: list[tuple[str, stats.Estimate]] = field(default_factory=list)
    minimum: float | None = None
    maximum: float | None = None
    first_date: str = ""
    last_date: str = ""
    trend: list[TrendPoint] = field(default_factory=list)
    trend_chart: charts.Chart | None = None
    change: stats.Estimate | None = None  # latest month against the month before (NPS)
    change_months: tuple[date, date] | None = None
    scale: tuple[int, int] | None = None

    @property
    def metric_name(self) -> str:
        return {"nps": "NPS", "csat": "CSAT", "ces": "CES"}.get(self.type, "")

    @property
    def figures(self) -> list[Figure]:
        """The question's key numbers with their 95% intervals, most important first."""
        out = []
        if self.nps is not None:
            out.append(Figure.of("NPS", self.nps, "signed"))
        if self.summary is not None:
            lo, hi = self.summary.top
            share = Figure.of(
                f"{'Satisfied' if self.type == 'csat' else 'Easy'} ({lo}–{hi})", self.summary.share, "percent"
            )
            mean = Figure.of("Mean score", self.summary.mean, "mean")
            out += [share, mean] if self.type == "csat" else [mean, share]
        elif self.mean is not None and self.type != "nps":
            out.append(Figure.of("Mean", self.mean, "mean"))
        if self.share is not None:
            out.append(Figure.of("Yes", self.share, "percent"))
        if self.change is not None and self.change_months is not None:
            before, after = self.change_months
            out.append(Figure.of(f"Change {before:%Y-%m} → {after:%Y-%m}", self.change, "signed"))
        return out


# -- questions -----------------------------------------------------------------------------------------------
def _fold(key: str, questions: Mapping[str, ResultQuestion]) -> tuple[ResultQuestion, str | None] | None:
    parts = split_key(key)
    if not parts or parts[0] not in questions:
        return None
    return questions[parts[0]], parts[2]


def question_results(
    answers: QuerySet,
    questions: list[ResultQuestion],
    groups: AnswerGroups,
    *,
    hide_open_texts: bool = False,
) -> list[QuestionResult]:
    by_key = {q.key: q for q in questions}
    per_key = groups.per_key
    # {question key: {value: count}} for scores and yes/no (repeated instances folded in); matrix rows apart
    values: dict[str, dict[float, int]] = defaultdict(lambda: defaultdict(int))
    rows_values: dict[tuple[str, str], dict[float, int]] = defaultdict(lambda: defaultdict(int))
    for key, counts in groups.values.items():
        folded = _fold(key, by_key)
        if folded is None:
            continue
        q, row = folded
        target = rows_values[(q.key, row)] if q.type == "matrix" and row else None
        if target is None and q.type == "matrix":
            continue
        if target is None:
            target = values[q.key]
        for value, n in counts.items():
            target[value] += n
    # choice answers: {question key: {tuple of option keys: count}}
    choices: dict[str, dict[tuple[str, ...], int]] = defaultdict(lambda: defaultdict(int))
    for r in (
        answers.filter(type__in=["choice", "multi_choice"])
        .order_by()
        .values("key", "choices")
        .annotate(n=Count("id"))
    ):
        folded = _fold(r["key"], by_key)
        if folded is not None and isinstance(r["choices"], list):
            choices[folded[0].key][tuple(r["choices"])] += r["n"]
    other_texts = (
        {} if hide_open_texts else _other_texts(answers, [q for q in questions if q.question.allow_other])
    )

    out = []
    for q in questions:
        n = sum(per_key[k].n for k in per_key if (f := _fold(k, by_key)) and f[0] is q and f[1] is None)
        res = QuestionResult(q.key, q.type, q.label, n, earlier_only=q.earlier_only)
        t = q.type
        if t in SCORE_TYPES:
            _score_result(res, q, values.get(q.key, {}))
        elif t in ("yes_no", "consent"):
            counts = values.get(q.key, {})
            yes, no = counts.get(1.0, 0), counts.get(0.0, 0)
            res.share = stats.wilson(yes, yes + no).scaled(100.0)
            res.rows = [("Yes", yes, _pct(yes, yes + no)), ("No", no, _pct(no, yes + no))]
            res.chart = _rows_chart(q.label, res.rows, "Answers")
        elif t in ("choice", "multi_choice"):
            _choice_result(res, q, choices.get(q.key, {}), other_texts.get(q.key, []))
        elif t == "ranking":
            _ranking_result(res, q, choices.get(q.key, {}))
        elif t == "matrix":
            _matrix_result(res, q, rows_values, per_key)
        elif t == "number":
            _number_result(res, q, per_key, by_key)
        elif t == "date":
            firsts = [per_key[k] for k in per_key if (f := _fold(k, by_key)) and f[0] is q]
            res.first_date = min((s.first_text for s in firsts if s.first_text), default="")
            res.last_date = max((s.last_text for s in firsts if s.last_text), default="")
        if t in ("nps", "csat", "ces"):
            _trend_result(res, q, groups.months.get(q.key, {}), groups.month_starts)
        out.append(res)
    return out


def _pct(part: int, whole: int) -> float | None:
    return 100.0 * part / whole if whole else None


def _rows_chart(title: str, rows: list[tuple[str, int, float | None]], what: str) -> charts.Chart:
    return charts.hbar_chart(
        title,
        [
            charts.HBar(
                label, count, text=f"{count} ({charts.num(pct, 0)}%)" if pct is not None else str(count)
            )
            for label, count, pct in rows
        ],
        headers=("Answer", what),
    )


def _scale(q: ResultQuestion) -> tuple[int, int]:
    if q.question.scale is not None:
        return tuple(q.question.scale)
    return FIXED_SCALES.get(q.type, (1, 5))


def _score_result(res: QuestionResult, q: ResultQuestion, counts: Mapping[float, int]) -> None:
    lo, hi = _scale(q)
    res.scale = (lo, hi)
    res.mean = stats.mean_from_counts(counts)
    if q.type == "nps":
        res.nps = stats.nps_from_scores(counts)
    elif q.type == "csat":
        res.summary = stats.csat(counts, (lo, hi))
    elif q.type == "ces":
        res.summary = stats.ces(counts, (lo, hi))
    n = sum(counts.values())
    res.rows = [
        (str(s), counts.get(float(s), 0), _pct(counts.get(float(s), 0), n)) for s in range(lo, hi + 1)
    ]
    res.chart = charts.bar_chart(
        q.label,
        [(str(s), counts.get(float(s), 0)) for s in range(lo, hi + 1)],
        colors=NPS_COLORS if q.type == "nps" else None,
        value_label="Answers",
        percent_of=n or None,
        desc=f"How many answered each point of the {lo}–{hi} scale: "
        + ", ".join(f"{s}: {counts.get(float(s), 0)}" for s in range(lo, hi + 1)),
    )


def _option_labels(q: ResultQuestion) -> dict[str, str]:
    return {o.key: plain_label(o.label, q.language) for o in q.question.options}


def _choice_result(
    res: QuestionResult, q: ResultQuestion, combos: Mapping[tuple[str, ...], int], others: list[str]
) -> None:
    labels = _option_labels(q)
    per_option: dict[str, int] = defaultdict(int)
    respondents = 0
    for combo, n in combos.items():
        respondents += n
        for key in combo:
            per_option[key] += n
    order = list(labels)
    # options carried forward from another question, or from an earlier version, come after
    order += sorted(k for k in per_option if k not in labels and k != "other")
    if q.question.allow_other or "other" in per_option:
        order.append("other")
    res.rows = [
        (
            labels.get(k, "Other" if k == "other" else k),
            per_option.get(k, 0),
            _pct(per_option.get(k, 0), respondents),
        )
        for k in order
    ]
    res.other_count = per_option.get("other", 0)
    res.other_texts = others
    what = "Respondents choosing it" if q.type == "multi_choice" else "Answers"
    res.chart = _rows_chart(q.label, res.rows, what)


def _ranking_result(res: QuestionResult, q: ResultQuestion, combos: Mapping[tuple[str, ...], int]) -> None:
    labels = _option_labels(q)
    rank_sum: dict[str, int] = defaultdict(int)
    ranked: dict[str, int] = defaultdict(int)
    firsts: dict[str, int] = defaultdict(int)
    for combo, n in combos.items():
        for pos, key in enumerate(combo, start=1):
            rank_sum[key] += pos * n
            ranked[key] += n
        if combo:
            firsts[combo[0]] += n
    keys = list(labels) + sorted(k for k in ranked if k not in labels)
    res.ranking = sorted(
        ((labels.get(k, k), rank_sum[k] / ranked[k], firsts.get(k, 0)) for k in keys if ranked.get(k)),
        key=lambda item: item[1],
    )
    if res.ranking:
        worst = float(len(keys))
        res.chart = charts.hbar_chart(
            q.label,
            [
                charts.HBar(label, avg, text=f"{charts.num(avg, 2)} (first {first}×)", extra=(str(first),))
                for label, avg, first in res.ranking
            ],
            desc="Average rank of each option (1 is the top); lower is better. "
            + "; ".join(f"{label}: {charts.num(avg, 2)}" for label, avg, _ in res.ranking),
            headers=("Option", "Average rank", "Ranked first"),
            scale=(0, worst),
        )


def _matrix_result(
    res: QuestionResult,
    q: ResultQuestion,
    rows_values: Mapping[tuple[str, str], Mapping[float, int]],
    per_key: Mapping[str, KeyStats],
) -> None:
    lo, hi = _scale(q)
    res.scale = (lo, hi)
    res.answered = answered_count(q, per_key)
    for row in q.question.rows:
        est = stats.mean_from_counts(rows_values.get((q.key, row.key), {}))
        res.matrix.append((plain_label(row.label, q.language), est))
    res.chart = charts.hbar_chart(
        q.label,
        [
            charts.HBar(
                label,
                est.value or 0.0,
                text=charts.num(est.value, 2) if est.value is not None else "no answers",
                low=est.low,
                high=est.high,
                extra=(charts.num(est.low, 2), charts.num(est.high, 2), str(est.n)),
            )
            for label, est in res.matrix
        ],
        desc=f"Mean of each row on the {lo}–{hi} scale with its 95% interval: "
        + "; ".join(f"{label}: {charts.num(est.value, 2)}" for label, est in res.matrix),
        headers=("Row", "Mean", "95% CI low", "95% CI high", "n"),
        scale=(0, hi),
    )


def _number_result(
    res: QuestionResult,
    q: ResultQuestion,
    per_key: Mapping[str, KeyStats],
    by_key: Mapping[str, ResultQuestion],
) -> None:
    parts = [per_key[k] for k in per_key if (f := _fold(k, by_key)) and f[0] is q]
    n = sum(s.n for s in parts)
    if not n:
        res.mean = stats.EMPTY
        return
    s1, s2 = sum(s.s1 for s in parts), sum(s.s2 for s in parts)
    mean = s1 / n
    variance = max(0.0, (s2 - s1 * s1 / n) / (n - 1)) if n > 1 else None
    res.mean = stats.mean_interval(n, mean, variance)
    res.minimum = min(s.lo for s in parts if s.lo is not None)
    res.maximum = max(s.hi for s in parts if s.hi is not None)


def _other_texts(answers: QuerySet, questions: list[ResultQuestion]) -> dict[str, list[str]]:
    """The newest "other" answers of each choice question that allows one (one query for all of them)."""
    if not questions:
        return {}
    rows = (
        answers.filter(key__in=[q.key for q in questions])
        .exclude(text="")
        .annotate(
            rn=Window(
                RowNumber(), partition_by=[F("key")], order_by=[F("occurred_at").desc(), F("id").desc()]
            )
        )
        .filter(rn__lte=OTHER_SHOWN)
        .order_by("key", "rn")
        .values_list("key", "text")
    )
    out: dict[str, list[str]] = defaultdict(list)
    for key, text in rows:
        out[key].append(text)
    return out


def _trend_result(
    res: QuestionResult, q: ResultQuestion, months: Mapping[int, Mapping[float, int]], starts: list[date]
) -> None:
    """The metric per month, from its first month with answers to its last (months without answers are
    gaps), and for NPS the change from the month before the last one with answers to the last."""
    if not months:
        return
    lo, hi = _scale(q)
    points: list[TrendPoint] = []
    for index in range(min(months), max(months) + 1):
        counts = months.get(index, {})
        if q.type == "nps":
            est: stats.Estimate = stats.nps_from_scores(counts)
        elif q.type == "csat":
            est = stats.csat(counts, (lo, hi)).share
        else:
            est = stats.ces(counts, (lo, hi)).mean
        points.append(TrendPoint(starts[index], est))
    res.trend = points
    with_data = [p for p in points if p.estimate.n]
    if q.type == "nps" and len(with_data) >= 2:
        before, after = with_data[-2], with_data[-1]
        res.change = stats.nps_difference(before.estimate, after.estimate)
        res.change_months = (before.month, after.month)
    name, y_range, decimals = {
        "nps": ("NPS", (-100.0, 100.0), 0),
        "csat": (f"CSAT % of {lo}–{hi} answers in the top 2", (0.0, 100.0), 0),
        "ces": (f"Mean effort score ({lo}–{hi})", (float(lo), float(hi)), 2),
    }[q.type]
    res.trend_chart = charts.line_chart(
        f"{res.metric_name} by month: {q.label}",
        [
            charts.Point(
                p.month.strftime("%Y-%m"), p.estimate.value, p.estimate.low, p.estimate.high, p.estimate.n
            )
            for p in points
        ],
        y_range=y_range,
        value_label=name,
        decimals=decimals,
    )
