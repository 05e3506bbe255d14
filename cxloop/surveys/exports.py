"""A survey's results as files: CSV (streamed) and XLSX with one row per response, and a PDF summary.

Rows: response id, status, version, language, started/completed, via, customer id, the hidden fields, then
one column per answer key in survey order (matrix rows as key.row, choices as option keys, an "other" text
in key_other). Text cells that a spreadsheet would run as a formula (starting with = + - @, a tab or a
carriage return) get a leading single quote, the same rule as the import reports
(cxloop.feedback.imports). Numbers stay numbers.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from django.utils import timezone
from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

from cxloop.core import charts
from cxloop.feedback.imports import _safe_cell
from cxloop.metrics import stats

from .definition import Question
from .models import Survey
from .results import ResultFilter, SurveyResults, response_queryset
from .results_questions import Figure, Layout

CSV_CHUNK_ROWS = 200


def safe_cell(value: Any) -> Any:
    """A cell value a spreadsheet shows as written: text that would start a formula is quoted."""
    if isinstance(value, str):
        return _safe_cell(value)
    return value


# -- rows ----------------------------------------------------------------------------------------------------
@dataclass
class ExportColumn:
    header: str
    question: Question | None
    answer_key: str  # the state key: "<key>" or "<key>.<n>"
    row: str | None = None  # matrix row
    other: bool = False


EXPORT_FIXED = [
    "response_id",
    "status",
    "version",
    "language",
    "started_at",
    "completed_at",
    "via",
    "customer_id",
]


def export_columns(layout: Layout) -> list[ExportColumn]:
    """One column per answer key in survey order: matrix rows as key.row, a choice's "other" text in
    key_other, later instances of a repeatable block as key.2, key.3…"""
    repeat_max = {q.key: b.repeat.max for b in layout.definition.blocks if b.repeat for q in b.questions}
    cols: list[ExportColumn] = []
    for rq in layout.questions:
        q = rq.question
        for n in range(1, repeat_max.get(q.key, 1) + 1):
            akey = q.key if n == 1 else f"{q.key}.{n}"
            if q.type == "matrix":
                cols.extend(ExportColumn(f"{akey}.{r.key}", q, akey, row=r.key) for r in q.rows)
                continue
            cols.append(ExportColumn(akey, q, akey))
            if q.allow_other:
                cols.append(ExportColumn(f"{akey}_other", q, akey, other=True))
    return cols


def export_header(layout: Layout) -> list[str]:
    return [
        *EXPORT_FIXED,
        *(f"hidden.{h}" for h in layout.hidden_fields),
        *(c.header for c in export_columns(layout)),
    ]


def _cell(col: ExportColumn, state: Mapping[str, Any]) -> Any:
    answers = state.get("answers") or {}
    if col.other:
        return (state.get("other") or {}).get(col.answer_key, "")
    value = answers.get(col.answer_key)
    if value is None:
        return ""
    if col.row is not None:
        return value.get(col.row, "") if isinstance(value, dict) else ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list):
        return "; ".join(str(v) for v in value)
    if isinstance(value, dict):
        return "; ".join(f"{k}={v}" for k, v in value.items())
    return value


def export_rows(
    survey: Survey, filters: ResultFilter, layout: Layout, versions: Mapping[int, int] | None = None
):
    """Each response as a list of cells (in export_header's order), oldest first, read in chunks."""
    cols = export_columns(layout)
    tz = timezone.get_current_timezone()
    qs = (
        response_queryset(survey, filters, versions)
        .order_by("started_at", "id")
        .values_list(
            "id",
            "status",
            "version__number",
            "language",
            "started_at",
            "completed_at",
            "via",
            "feedback_item__customer_id",
            "state",
        )
    )
    for rid, status, version, language, started, completed, via, customer_id, state in qs.iterator(
        chunk_size=1000
    ):
        state = state or {}
        hidden = state.get("hidden") or {}
        yield [
            rid,
            status,
            version if version is not None else "",
            language,
            timezone.localtime(started, tz).isoformat(timespec="seconds") if started else "",
            timezone.localtime(completed, tz).isoformat(timespec="seconds") if completed else "",
            via,
            customer_id if customer_id is not None else "",
            *(hidden.get(h, "") for h in layout.hidden_fields),
            *(_cell(c, state) for c in cols),
        ]


# -- CSV and XLSX --------------------------------------------------------------------------------------------
def csv_lines(
    survey: Survey, filters: ResultFilter, layout: Layout, versions: Mapping[int, int]
) -> Iterator[str]:
    """The export as CSV text, a chunk of rows at a time (for a streamed response)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)

    def take() -> str:
        text = buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
        return text

    writer.writerow([safe_cell(h) for h in export_header(layout)])
    yield take()
    for i, row in enumerate(export_rows(survey, filters, layout, versions), start=1):
        writer.writerow([safe_cell(v) for v in row])
        if i % CSV_CHUNK_ROWS == 0:
            yield take()
    rest = take()
    if rest:
        yield rest


def _xlsx_value(value: Any) -> Any:
    value = safe_cell(value)
    if isinstance(value, str):
        return ILLEGAL_CHARACTERS_RE.sub("", value)  # control characters a workbook cannot hold
    return value


def xlsx_bytes(survey: Survey, filters: ResultFilter, layout: Layout, versions: Mapping[int, int]) -> bytes:
    """The export as an .xlsx workbook: the responses, and a sheet saying what the export contains."""
    wb = Workbook(write_only=True)
    sheet = wb.create_sheet("Responses")
    sheet.append([_xlsx_value(h) for h in export_header(layout)])
    for row in export_rows(survey, filters, layout, versions):
        sheet.append([_xlsx_value(v) for v in row])
    about = wb.create_sheet("About")
    for line in (
        ("Survey", survey.name),
        ("Exported", timezone.localtime().isoformat(timespec="seconds")),
        ("Filters", "; ".join(filters.describe())),
    ):
        about.append([_xlsx_value(v) for v in line])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def export_count(survey: Survey, filters: ResultFilter, versions: Mapping[int, int]) -> int:
    return response_queryset(survey, filters, versions).count()


# -- PDF summary ---------------------------------------------------------------------------------------------
# The PDF uses the core Helvetica font (nothing to ship or download), which covers Latin-1: typographic
# punctuation is mapped to its plain form, anything else becomes "?" (the page and the exports keep it).
_PDF_PLAIN = str.maketrans(
    {
        "–": "-",
        "—": "-",
        "−": "-",
        "‘": "'",
        "’": "'",
        "“": '"',
        "”": '"',
        "…": "...",
        "•": "-",
        "·": "-",
        "→": "->",
        "≤": "<=",
        "≥": ">=",
        "€": "EUR",
        "\u00a0": " ",
    }
)
_SVG_META = re.compile(r"<title[^>]*>.*?</title>|<desc[^>]*>.*?</desc>", re.S)
CHART_WIDTH_MM = 165


def pdf_text(text: Any) -> str:
    return str(text).translate(_PDF_PLAIN).encode("latin-1", "replace").decode("latin-1")


@dataclass
class _Writer:
    pdf: Any

    def heading(self, text: str, size: int = 13) -> None:
        self.pdf.set_font("helvetica", "B", size)
        self.pdf.multi_cell(0, size * 0.5, pdf_text(text), new_x="LMARGIN", new_y="NEXT")
        self.pdf.ln(1)

    def line(self, text: str, size: int = 10, style: str = "") -> None:
        self.pdf.set_font("helvetica", style, size)
        self.pdf.multi_cell(0, size * 0.5, pdf_text(text), new_x="LMARGIN", new_y="NEXT")

    def chart(self, chart: charts.Chart | None) -> None:
        if chart is None:
            return
        svg = pdf_text(_SVG_META.sub("", chart.svg))
        self.pdf.image(io.BytesIO(svg.encode("utf-8")), w=CHART_WIDTH_MM)
        self.pdf.ln(2)


def _figure_line(figure: Figure) -> str:
    text = f"{figure.name}: {figure.value}"
    if figure.interval:
        text += f" (95% CI {figure.interval})"
    text += f", n = {figure.n}"
    if figure.too_few:
        text += f" - too few answers to rely on (fewer than {stats.MIN_N})"
    return text


def results_pdf(results: SurveyResults) -> bytes:
    """A printable summary: key figures with their 95% intervals, responses over time, drop-off, and each
    question's distribution and trend, with the page's charts."""
    from fpdf import FPDF  # imported here: only the PDF needs it (and its font tables)

    pdf = FPDF(format="A4")
    pdf.set_margins(15, 15, 15)
    pdf.set_auto_page_break(True, margin=15)
    pdf.set_title(pdf_text(results.survey.name))
    pdf.set_creator("CX Loop")
    pdf.add_page()
    w = _Writer(pdf)
    w.heading(results.survey.name, 18)
    w.line(
        f"Survey results - generated {timezone.localtime():%Y-%m-%d %H:%M %Z}. "
        f"Counted: {'; '.join(results.filters.describe())}.",
        9,
    )
    pdf.ln(3)
    w.heading("Key figures")
    rate = results.completion
    w.line(
        f"Responses: {results.total} ({results.completed} completed, {results.partial} partial). "
        + (
            f"Completion rate {rate.value:.0f}% (95% CI {rate.low:.0f}% to {rate.high:.0f}%)."
            if rate.value is not None
            else "No responses yet."
        )
    )
    for q in results.metrics:
        for figure in q.figures:
            w.line(f"{q.metric_name} - {q.label}: " + _figure_line(figure))
    pdf.ln(3)
    if results.timeline_chart:
        w.heading(f"Responses per {results.bucket}")
        w.chart(results.timeline_chart)
    if results.funnel_chart:
        w.heading("Drop-off per question")
        w.line("Light bar: respondents who got this far; dark bar: those who answered the question.", 9)
        w.chart(results.funnel_chart)
    for q in results.questions:
        pdf.ln(2)
        w.heading(f"{q.label}  [{q.key}, {q.type}]", 12)
        w.line(
            f"{q.answered} answer{'s' if q.answered != 1 else ''}"
            + (" (earlier versions only)" if q.earlier_only else ""),
            9,
        )
        for figure in q.figures:
            w.line(_figure_line(figure), 10)
        if q.type == "text":
            w.line(
                "Open-text answers are listed on the results page (sentiment and themes: not analysed yet).",
                9,
            )
        if q.type == "date" and q.first_date:
            w.line(f"Earliest {q.first_date}, latest {q.last_date}.", 10)
        if q.type == "number" and q.minimum is not None:
            w.line(f"Lowest {charts.num(q.minimum, 2)}, highest {charts.num(q.maximum, 2)}.", 10)
        w.chart(q.chart)
        if q.trend_chart is not None:
            w.line(f"{q.metric_name} by month, with its 95% confidence band:", 9, "B")
            w.chart(q.trend_chart)
    return bytes(pdf.output())
