"""Streaming readers for imported files: CSV, XLSX and JSON lines, one record (a dict) at a time.

Each reader yields (row_number, record, error): a row it cannot read becomes an error naming the row
and what is wrong, never an exception that stops the file. Memory stays bounded whatever the file's size.

- CSV: UTF-8 (with or without BOM); a file that is not UTF-8 is read as Windows-1252 and says so. The
  delimiter (, ; tab |) is detected from the start of the file. Quoted fields may contain newlines.
  Cells are text, formulas included (`=HYPERLINK(...)` stays the literal text: nothing is ever evaluated).
- XLSX: the first sheet, header in the first row. Refused before opening when its uncompressed size or
  compression ratio is out of bounds (zip bombs).
- JSONL: one JSON object per line; blank lines skipped.
"""

from __future__ import annotations

import codecs
import csv
import json
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

FORMATS = ("csv", "xlsx", "jsonl")
MAX_XLSX_UNCOMPRESSED = 512 * 1024 * 1024
MAX_XLSX_RATIO = 200
MAX_FIELD = 1024 * 1024  # characters in one CSV field

Row = tuple[int, dict[str, Any] | None, str | None]


class FileProblem(ValueError):
    """The file as a whole cannot be read (wrong format, bomb, no header)."""


def detect_format(filename: str) -> str:
    suffix = Path(filename).suffix.lower().lstrip(".")
    if suffix in ("csv", "txt", "tsv"):
        return "csv"
    if suffix == "xlsx":
        return "xlsx"
    if suffix in ("jsonl", "ndjson", "json"):
        return "jsonl"
    raise FileProblem(f"{filename!r}: use a .csv, .xlsx or .jsonl file")


def _csv_encoding(head: bytes) -> str:
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    try:
        # the cut at the end of the sample may split a character: ignore an incomplete tail
        codecs.getincrementaldecoder("utf-8")().decode(head, final=False)
        return "utf-8"
    except UnicodeDecodeError:
        return "cp1252"


def read_csv(path: Path) -> tuple[Iterator[Row], dict[str, Any]]:
    with open(path, "rb") as fh:
        head = fh.read(64 * 1024)
    if not head.strip():
        raise FileProblem("the file is empty")
    encoding = _csv_encoding(head)
    sample = head.decode(encoding, errors="replace")
    try:
        dialect = csv.Sniffer().sniff(
            sample.split("\n", 20)[0] if sample.count("\n") else sample, delimiters=",;\t|"
        )
        delimiter = dialect.delimiter
    except csv.Error:
        delimiter = ","
    info = {"encoding": encoding, "delimiter": delimiter}

    def rows() -> Iterator[Row]:
        csv.field_size_limit(MAX_FIELD)
        with open(path, encoding=encoding, errors="replace", newline="") as fh:
            reader = csv.reader(fh, delimiter=delimiter)
            try:
                header = next(reader)
            except StopIteration:
                return
            header = [h.strip() for h in header]
            if not any(header):
                raise FileProblem("the first row (the header) is empty")
            row_number = 1
            records = _records(reader)
            for values, problem in records:
                row_number += 1
                if problem is not None:
                    yield row_number, None, f"unreadable CSV: {problem}"
                    continue
                if values and values[-1].endswith("\n") and records.at_end():
                    # A quote that is never closed swallows every line after it into one cell; the csv
                    # module only shows it by that cell running on to the end of the file.
                    yield (
                        row_number,
                        None,
                        f"a quoted cell opened in this row is never closed: the {values[-1].count(chr(10))} "
                        "line(s) after it, to the end of the file, were not read as rows; close the quote",
                    )
                    return
                if not any(v.strip() for v in values):
                    continue
                if len(values) > len(header):
                    yield (
                        row_number,
                        None,
                        (
                            f"{len(values)} cells but the header has {len(header)}: "
                            "check the delimiter and quoting"
                        ),
                    )
                    continue
                yield row_number, dict(zip(header, values, strict=False)), None

    return rows(), info


def _check_zip(path: Path) -> None:
    try:
        with zipfile.ZipFile(path) as archive:
            infos = archive.infolist()
    except zipfile.BadZipFile:
        raise FileProblem("not a valid .xlsx file (it is not a zip archive)") from None
    total = sum(i.file_size for i in infos)
    packed = sum(i.compress_size for i in infos) or 1
    if total > MAX_XLSX_UNCOMPRESSED:
        raise FileProblem(f"the workbook unpacks to {total:,} bytes; the limit is {MAX_XLSX_UNCOMPRESSED:,}")
    if total / packed > MAX_XLSX_RATIO:
        raise FileProblem(f"the workbook is compressed {total // packed}× (a zip bomb?); refused")


class _records:
    """The reader's records as (values, None) or (None, csv error), able to tell whether one is the last."""

    def __init__(self, reader):
        self.reader = reader
        self.ahead: list = []

    def _next(self):
        try:
            return next(self.reader), None
        except csv.Error as exc:
            return None, exc

    def __iter__(self):
        return self

    def __next__(self):
        if self.ahead:
            return self.ahead.pop()
        return self._next()

    def at_end(self) -> bool:
        if not self.ahead:
            try:
                self.ahead.append(self._next())
            except StopIteration:
                return True
        return False


def read_xlsx(path: Path) -> tuple[Iterator[Row], dict[str, Any]]:
    _check_zip(path)
    import openpyxl

    try:
        workbook = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for broken files
        raise FileProblem(f"not a readable .xlsx workbook: {exc}") from None
    sheet = workbook.worksheets[0]
    info = {"sheet": sheet.title}

    def rows() -> Iterator[Row]:
        try:
            iterator = sheet.iter_rows(values_only=True)
            header_row = next(iterator, None)
            if header_row is None:
                return
            header = [str(h).strip() if h is not None else "" for h in header_row]
            if not any(header):
                raise FileProblem("the first row (the header) is empty")
            for row_number, values in enumerate(iterator, start=2):
                if values is None or all(v is None or str(v).strip() == "" for v in values):
                    continue
                record = {}
                for name, value in zip(header, values, strict=False):
                    if name:
                        record[name] = value.isoformat() if hasattr(value, "isoformat") else value
                yield row_number, record, None
        finally:
            workbook.close()

    return rows(), info


def read_jsonl(path: Path) -> tuple[Iterator[Row], dict[str, Any]]:
    def rows() -> Iterator[Row]:
        with open(path, "rb") as fh:
            for row_number, raw in enumerate(fh, start=1):
                if not raw.strip():
                    continue
                try:
                    # without its line break, so a column in an error is one of this line
                    record = json.loads(raw.decode("utf-8").rstrip("\r\n"))
                except UnicodeDecodeError as exc:
                    yield row_number, None, f"not UTF-8 at byte {exc.start}"
                    continue
                except json.JSONDecodeError as exc:
                    yield row_number, None, f"not JSON: {exc.msg} at column {exc.colno}"
                    continue
                except RecursionError:
                    yield row_number, None, "not JSON: nested too deeply"
                    continue
                except ValueError as exc:  # e.g. an integer of more than 4,300 digits
                    yield row_number, None, f"not JSON: {exc}"
                    continue
                if not isinstance(record, dict):
                    yield row_number, None, "a line must hold a JSON object"
                    continue
                yield row_number, record, None

    return rows(), {"encoding": "utf-8"}


def open_records(path: Path, fmt: str) -> tuple[Iterator[Row], dict[str, Any]]:
    if fmt == "csv":
        return read_csv(path)
    if fmt == "xlsx":
        return read_xlsx(path)
    if fmt == "jsonl":
        return read_jsonl(path)
    raise FileProblem(f"unknown format {fmt!r}")


def preview(path: Path, fmt: str, n: int = 10) -> dict[str, Any]:
    """The first n readable records, their columns, and what the reader detected."""
    rows, info = open_records(path, fmt)
    records, errors, columns = [], [], []
    for row_number, record, error in rows:
        if error:
            errors.append((row_number, error))
        else:
            records.append((row_number, record))
            for key in record:
                if key not in columns:
                    columns.append(key)
        if len(records) + len(errors) >= n:
            break
    if hasattr(rows, "close"):
        rows.close()
    return {"records": records, "errors": errors, "columns": columns, "info": info}


def text_of(value: Any) -> str:
    """A cell as text for display and reports."""
    if value is None:
        return ""
    return value if isinstance(value, str) else json.dumps(value, default=str)
