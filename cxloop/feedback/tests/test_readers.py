"""Readers of imported files: each row read or reported by its number, the file refused as a whole only when
it cannot be read at all (wrong format, empty, a zip bomb)."""

from __future__ import annotations

import csv
import zipfile
from datetime import date, datetime

import openpyxl
import pytest

from cxloop.feedback import readers
from cxloop.feedback.readers import FileProblem, detect_format, open_records, preview, text_of


def write(tmp_path, name: str, data: bytes):
    path = tmp_path / name
    path.write_bytes(data)
    return path


def read(path, fmt=None):
    """(rows as a list, info) of a file."""
    rows, info = open_records(path, fmt or detect_format(path.name))
    return list(rows), info


def records(rows) -> list:
    return [record for _, record, error in rows if error is None]


# --- Formats --------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("name", "fmt"),
    [
        ("reviews.csv", "csv"),
        ("reviews.TSV", "csv"),
        ("export.txt", "csv"),
        ("book.xlsx", "xlsx"),
        ("BOOK.XLSX", "xlsx"),
        ("lines.jsonl", "jsonl"),
        ("lines.ndjson", "jsonl"),
        ("lines.json", "jsonl"),
    ],
)
def test_format_comes_from_the_file_name(name, fmt):
    assert detect_format(name) == fmt


@pytest.mark.parametrize("name", ["report.pdf", "book.xls", "archive.zip", "no_suffix"])
def test_other_file_types_are_refused_naming_the_file(name):
    with pytest.raises(FileProblem) as refused:
        detect_format(name)

    assert str(refused.value) == f"{name!r}: use a .csv, .xlsx or .jsonl file"


# --- CSV ------------------------------------------------------------------------------------------
def test_csv_utf8_with_bom(tmp_path):
    path = write(tmp_path, "a.csv", "\ufeffid,text\n1,café ☕\n".encode())

    rows, info = read(path)

    assert info == {"encoding": "utf-8-sig", "delimiter": ","}
    assert rows == [(2, {"id": "1", "text": "café ☕"}, None)]  # no BOM in the first column's name


def test_csv_utf8_without_bom(tmp_path):
    rows, info = read(write(tmp_path, "a.csv", "id,text\n1,Grüße\n".encode()))

    assert info["encoding"] == "utf-8"
    assert records(rows) == [{"id": "1", "text": "Grüße"}]


def test_windows_1252_file_is_read_as_such_and_says_so(tmp_path):
    rows, info = read(write(tmp_path, "a.csv", b"id,text\n1,caf\xe9 \x80 5\n"))

    assert info["encoding"] == "cp1252"
    assert records(rows) == [{"id": "1", "text": "café € 5"}]


def test_utf8_character_cut_at_the_end_of_the_sample_is_still_utf8(tmp_path):
    """The encoding is guessed from the first 64 KiB; a character split by that cut is not a reason to
    fall back to Windows-1252."""
    line = "1,é\n".encode()
    head = b"id,text\n0," + b"x" * (64 * 1024 - 11)
    data = head + "é\n".encode() + line  # the two bytes of 'é' lie either side of byte 65,536
    assert data[64 * 1024 - 1 : 64 * 1024 + 1] == "é".encode()

    rows, info = read(write(tmp_path, "a.csv", data))

    assert info["encoding"] == "utf-8"
    assert records(rows)[-1] == {"id": "1", "text": "é"}
    assert records(rows)[0]["text"].endswith("xé")


@pytest.mark.parametrize(
    ("data", "delimiter"),
    [
        (b"id;text;rating\n1;Hello, world;5\n", ";"),
        (b"id\ttext\trating\n1\tHello, world; again\t5\n", "\t"),
        (b"id|text|rating\n1|Hello, world|5\n", "|"),
        (b"id,text,rating\n1,Hello; world,5\n", ","),
    ],
    ids=["semicolon", "tab", "pipe", "comma"],
)
def test_delimiter_is_detected(tmp_path, data, delimiter):
    rows, info = read(write(tmp_path, "a.csv", data))

    assert info["delimiter"] == delimiter
    ((number, record, error),) = rows
    assert (number, error) == (2, None)
    assert record["id"] == "1" and record["rating"] == "5"
    assert record["text"].startswith("Hello")


def test_single_column_file_reads_with_the_default_delimiter(tmp_path):
    rows, info = read(write(tmp_path, "a.csv", b"text\nfirst\nsecond\n"))

    assert info["delimiter"] == ","
    assert records(rows) == [{"text": "first"}, {"text": "second"}]


def test_quoted_fields_keep_embedded_newlines_delimiters_and_quotes(tmp_path):
    data = b'id,text\n1,"line one\r\nline two, still text"\n2,"she said ""hi"""\n3,plain\n'

    rows, _ = read(write(tmp_path, "a.csv", data))

    assert rows == [
        (2, {"id": "1", "text": "line one\r\nline two, still text"}, None),
        (3, {"id": "2", "text": 'she said "hi"'}, None),
        (4, {"id": "3", "text": "plain"}, None),
    ]


def test_unclosed_quote_is_reported_not_swallowed(tmp_path):
    data = b'id,text\n1,"ok"\n2,"never closed\n3,three\n4,four\n'

    rows, _ = read(write(tmp_path, "a.csv", data))

    assert rows[0] == (2, {"id": "1", "text": "ok"}, None)
    assert len(rows) == 2
    number, record, error = rows[1]
    assert (number, record) == (3, None)
    assert "never closed" in error and "3 line(s)" in error


def test_quoted_multiline_last_row_is_not_mistaken_for_an_unclosed_quote(tmp_path):
    data = b'id,text\n1,"two\nlines"\n2,"ends with a newline\n"\n3,last\n'

    rows, _ = read(write(tmp_path, "a.csv", data))

    assert records(rows) == [
        {"id": "1", "text": "two\nlines"},
        {"id": "2", "text": "ends with a newline\n"},
        {"id": "3", "text": "last"},
    ]


def test_formula_cells_stay_literal_text(tmp_path):
    data = b'id,text,score\n1,"=HYPERLINK(""http://x"",""click"")",=1+1\n2,@SUM(A1),-3\n'

    rows, _ = read(write(tmp_path, "a.csv", data))

    assert records(rows) == [
        {"id": "1", "text": '=HYPERLINK("http://x","click")', "score": "=1+1"},
        {"id": "2", "text": "@SUM(A1)", "score": "-3"},
    ]


def test_row_with_more_cells_than_the_header_is_an_error_naming_the_row(tmp_path):
    data = b"id,text\n1,fine\n2,hello, world\n3,also fine\n"

    rows, _ = read(write(tmp_path, "a.csv", data))

    assert rows == [
        (2, {"id": "1", "text": "fine"}, None),
        (3, None, "3 cells but the header has 2: check the delimiter and quoting"),
        (4, {"id": "3", "text": "also fine"}, None),
    ]


def test_row_with_fewer_cells_than_the_header_leaves_the_rest_out(tmp_path):
    rows, _ = read(write(tmp_path, "a.csv", b"id,text,rating\n1,short\n"))

    assert records(rows) == [{"id": "1", "text": "short"}]


def test_blank_lines_are_skipped_and_row_numbers_stay_those_of_the_file(tmp_path):
    rows, _ = read(write(tmp_path, "a.csv", b"id,text\n\n1,a\n,\n\n2,b\n"))

    assert [(number, record["id"]) for number, record, _ in rows] == [(3, "1"), (6, "2")]


def test_header_names_are_trimmed(tmp_path):
    rows, _ = read(write(tmp_path, "a.csv", b" id , text \n1,a\n"))

    assert records(rows) == [{"id": "1", "text": "a"}]


@pytest.mark.parametrize("data", [b"", b"   \n\r\n\t\n"], ids=["empty", "whitespace"])
def test_empty_file_is_a_file_problem(tmp_path, data):
    with pytest.raises(FileProblem, match="the file is empty"):
        read(write(tmp_path, "a.csv", data))


def test_empty_header_is_a_file_problem(tmp_path):
    rows, _ = open_records(write(tmp_path, "a.csv", b",,\n1,2,3\n"), "csv")

    with pytest.raises(FileProblem, match=r"the first row \(the header\) is empty"):
        list(rows)


def test_a_field_over_the_limit_is_a_row_error_and_reading_goes_on(tmp_path, monkeypatch):
    original = csv.field_size_limit()
    monkeypatch.setattr(readers, "MAX_FIELD", 1000)
    try:
        rows, _ = read(write(tmp_path, "a.csv", b"id,text\n1,short\n2," + b"x" * 5000 + b"\n3,after\n"))
    finally:
        csv.field_size_limit(original)

    assert rows[0] == (2, {"id": "1", "text": "short"}, None)
    assert rows[1][0] == 3 and rows[1][1] is None
    assert rows[1][2].startswith("unreadable CSV: field larger than field limit")
    assert rows[-1] == (4, {"id": "3", "text": "after"}, None)


def test_nul_bytes_do_not_stop_the_file(tmp_path):
    rows, _ = read(write(tmp_path, "a.csv", b"id,text\n1,a\x00b\n2,c\n"))

    assert records(rows) == [{"id": "1", "text": "a\x00b"}, {"id": "2", "text": "c"}]


# --- JSON lines -----------------------------------------------------------------------------------
def test_jsonl_bad_lines_are_errors_with_their_line_numbers_and_good_lines_are_read(tmp_path):
    data = b"\n".join(
        [
            b'{"id": 1, "text": "first"}',
            b'{"id": 2, "text": ',
            b"",
            b"[1, 2]",
            b'{"id": 3, "text": "caf\xe9"}',
            b'{"id": 4, "nested": {"a": [1, {"b": true}]}}',
            b"   ",
            b'"just a string"',
            b"[" * 10_000 + b"]" * 10_000,
            b'{"n": ' + b"9" * 5000 + b"}",
            b'{"id": 5, "text": "last"}',
        ]
    )

    rows, info = read(write(tmp_path, "a.jsonl", data))

    assert info == {"encoding": "utf-8"}
    assert rows[0] == (1, {"id": 1, "text": "first"}, None)
    assert rows[1] == (2, None, "not JSON: Expecting value at column 19")
    assert rows[2] == (4, None, "a line must hold a JSON object")
    assert rows[3] == (5, None, "not UTF-8 at byte 22")
    assert rows[4] == (6, {"id": 4, "nested": {"a": [1, {"b": True}]}}, None)
    assert rows[5] == (8, None, "a line must hold a JSON object")
    assert rows[6] == (9, None, "not JSON: nested too deeply")
    assert rows[7][0] == 10 and rows[7][2].startswith("not JSON: Exceeds the limit (4300 digits)")
    assert rows[8] == (11, {"id": 5, "text": "last"}, None)
    assert len(rows) == 9


def test_jsonl_without_final_newline_and_with_crlf(tmp_path):
    rows, _ = read(write(tmp_path, "a.ndjson", b'{"id": 1}\r\n{"id": 2}'))

    assert records(rows) == [{"id": 1}, {"id": 2}]


# --- XLSX -----------------------------------------------------------------------------------------
def make_xlsx(path, rows, title="Reviews"):
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = title
    for row in rows:
        sheet.append(row)
    workbook.create_sheet("Second").append(["ignored"])
    workbook.save(path)
    return path


def test_xlsx_first_sheet_is_read_with_dates_as_iso_strings(tmp_path):
    path = make_xlsx(
        tmp_path / "book.xlsx",
        [
            ["id", "date", "day", "rating", "text", None, "score"],
            [1001, datetime(2026, 1, 2, 10, 30), date(2026, 1, 3), 5, "Great", "no header", 7.5],
            [None, None, None, None, None, None, None],
            ["r-2", datetime(2026, 2, 1), None, 3, '=HYPERLINK("http://x")', None, None],
        ],
    )

    rows, info = read(path)

    assert info == {"sheet": "Reviews"}
    assert rows[0] == (
        2,
        {
            "id": 1001,
            "date": "2026-01-02T10:30:00",
            "day": "2026-01-03T00:00:00",
            "rating": 5,
            "text": "Great",
            "score": 7.5,
        },
        None,
    )
    # the blank row 3 is skipped; row numbers are the sheet's
    assert rows[1][0] == 4
    assert rows[1][1]["date"] == "2026-02-01T00:00:00"
    assert len(rows) == 2


def test_xlsx_with_an_empty_header_is_a_file_problem(tmp_path):
    path = make_xlsx(tmp_path / "book.xlsx", [["", " "], ["a", "b"]])

    with pytest.raises(FileProblem, match=r"the first row \(the header\) is empty"):
        read(path)


def test_empty_xlsx_has_no_rows(tmp_path):
    rows, _ = read(make_xlsx(tmp_path / "book.xlsx", []))

    assert rows == []


def test_file_named_xlsx_that_is_not_a_zip_is_a_file_problem(tmp_path):
    with pytest.raises(FileProblem, match=r"not a valid \.xlsx file \(it is not a zip archive\)"):
        read(write(tmp_path, "book.xlsx", b"id,text\n1,a\n"))


def test_zip_that_is_not_a_workbook_is_a_file_problem(tmp_path):
    path = tmp_path / "book.xlsx"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("readme.txt", "hello")

    with pytest.raises(FileProblem, match=r"not a readable \.xlsx workbook"):
        read(path)


def zip_of_zeros(path, megabytes: int):
    """A zip whose one member is `megabytes` MiB of zeros, written in chunks (small on disk)."""
    chunk = bytes(1024 * 1024)
    with (
        zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive,
        archive.open("xl/worksheets/sheet1.xml", "w") as member,
    ):
        for _ in range(megabytes):
            member.write(chunk)
    return path


@pytest.fixture
def openpyxl_must_not_open(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("openpyxl opened a file that should have been refused before")

    monkeypatch.setattr(openpyxl, "load_workbook", refuse)


def test_xlsx_zip_bomb_is_refused_by_its_compression_ratio_before_opening(tmp_path, openpyxl_must_not_open):
    path = zip_of_zeros(tmp_path / "bomb.xlsx", 24)
    assert path.stat().st_size < 100 * 1024

    with pytest.raises(FileProblem) as refused:
        read(path)

    assert "a zip bomb?" in str(refused.value)
    assert str(refused.value).startswith("the workbook is compressed ")


def test_xlsx_that_unpacks_beyond_the_limit_is_refused_before_opening(
    tmp_path, monkeypatch, openpyxl_must_not_open
):
    monkeypatch.setattr(readers, "MAX_XLSX_UNCOMPRESSED", 8 * 1024 * 1024)
    path = zip_of_zeros(tmp_path / "big.xlsx", 9)

    with pytest.raises(FileProblem) as refused:
        read(path)

    assert str(refused.value) == "the workbook unpacks to 9,437,184 bytes; the limit is 8,388,608"


def test_zip_bomb_preview_is_refused_too(tmp_path, openpyxl_must_not_open):
    with pytest.raises(FileProblem, match="zip bomb"):
        preview(zip_of_zeros(tmp_path / "bomb.xlsx", 24), "xlsx")


def test_limits_leave_room_for_real_workbooks(tmp_path):
    path = make_xlsx(tmp_path / "book.xlsx", [["id", "text"], *[[i, f"row {i} " * 20] for i in range(2000)]])

    rows, _ = read(path)

    assert len(rows) == 2000


# --- Preview --------------------------------------------------------------------------------------
def test_preview_gives_the_first_rows_their_columns_and_what_was_detected(tmp_path):
    lines = [b"id;text", b"1;a", b"2;b;extra", *[f"{i};t{i}".encode() for i in range(3, 40)]]
    path = write(tmp_path, "a.csv", b"\n".join(lines) + b"\n")

    sample = preview(path, "csv", n=5)

    assert sample["info"] == {"encoding": "utf-8", "delimiter": ";"}
    assert sample["columns"] == ["id", "text"]
    assert [n for n, _ in sample["records"]] == [2, 4, 5, 6]
    assert sample["errors"] == [(3, "3 cells but the header has 2: check the delimiter and quoting")]


def test_preview_collects_columns_of_every_record_in_order(tmp_path):
    path = write(tmp_path, "a.jsonl", b'{"a": 1}\n{"b": 2, "a": 3}\n{"c": 4}\n')

    assert preview(path, "jsonl")["columns"] == ["a", "b", "c"]


@pytest.mark.parametrize(
    ("value", "text"),
    [(None, ""), ("x", "x"), (5, "5"), (1.5, "1.5"), (True, "true"), ({"a": [1]}, '{"a": [1]}')],
)
def test_text_of_a_cell(value, text):
    assert text_of(value) == text
