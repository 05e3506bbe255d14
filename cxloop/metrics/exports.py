"""The Explorer's figures as files: CSV and XLSX, one row per group with its value, 95% interval, n and
too-few flag. What was counted (metric, groups, period, filters) goes in a first "#" comment line of the CSV
and in a second sheet, "About", of the workbook; the metric, groups and period also name the file.

Text cells that a spreadsheet would run as a formula (starting with = + - @, a tab or a carriage return)
get a leading single quote, as in every export of the product (cxloop.feedback.imports). Numbers stay
numbers; an empty value (no interval) is an empty cell.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Sequence
from datetime import date
from typing import Any

from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

from cxloop.feedback.imports import _safe_cell

from .engine import MetricResult

HEADER = ["metric", "group", "group2", "value", "ci_low", "ci_high", "n", "too_few"]
DECIMALS = 4  # values and intervals are rounded to this many decimals


def safe_cell(value: Any) -> Any:
    """A cell value a spreadsheet shows as written: text that would start a formula is quoted."""
    if isinstance(value, str):
        return _safe_cell(value)
    return value


def _number(value: float | None) -> float | str:
    return "" if value is None else round(value, DECIMALS)


def export_rows(result: MetricResult) -> list[list[Any]]:
    """One row per group, in HEADER's order; group is "all" without a group-by, group2 empty without a
    second one. too_few stays a bool (the CSV writes true/false)."""
    return [
        [
            result.metric,
            r.group,
            r.group2 or "",
            _number(r.value),
            _number(r.ci_low),
            _number(r.ci_high),
            r.n,
            r.too_few,
        ]
        for r in result.results
    ]


def _one_line(text: str) -> str:
    return " ".join(str(text).split())


def about_line(about: Sequence[tuple[str, str]]) -> str:
    """The CSV's first line: "# CX Loop explorer: Metric: NPS; Period: …" on one line."""
    return "# CX Loop explorer: " + "; ".join(f"{_one_line(k)}: {_one_line(v)}" for k, v in about)


def csv_text(result: MetricResult, about: Sequence[tuple[str, str]]) -> str:
    buffer = io.StringIO()
    buffer.write(about_line(about) + "\r\n")
    writer = csv.writer(buffer)
    writer.writerow(HEADER)
    for row in export_rows(result):
        writer.writerow([("true" if v else "false") if isinstance(v, bool) else safe_cell(v) for v in row])
    return buffer.getvalue()


def _xlsx_value(value: Any) -> Any:
    value = safe_cell(value)
    if isinstance(value, str):
        return ILLEGAL_CHARACTERS_RE.sub("", value)  # control characters a workbook cannot hold
    return value


def xlsx_bytes(result: MetricResult, about: Sequence[tuple[str, str]]) -> bytes:
    """A workbook with the figures ("Results") and what was counted ("About")."""
    wb = Workbook(write_only=True)
    sheet = wb.create_sheet("Results")
    sheet.append(HEADER)
    for row in export_rows(result):
        sheet.append([None if v == "" else _xlsx_value(v) for v in row])
    sheet_about = wb.create_sheet("About")
    for name, value in about:
        sheet_about.append([_xlsx_value(name), _xlsx_value(value)])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def filename(
    *,
    metric: str,
    group_by: str | None,
    then_by: str | None,
    since: date | None,
    until: date | None,
    ext: str,
) -> str:
    """cxloop-nps-by-month-channel-2025-02-01-to-2026-01-31.csv (only letters, digits and hyphens)."""
    parts = ["cxloop", metric]
    if group_by:
        parts += ["by", group_by, *([then_by] if then_by else [])]
    if since or until:
        parts += [since.isoformat() if since else "start", "to", until.isoformat() if until else "now"]
    else:
        parts.append("all-time")
    return "-".join(_slug(p) for p in parts) + f".{ext}"
