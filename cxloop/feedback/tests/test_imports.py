"""File imports, the service: every valid row stored, every bad row reported by its number, no duplicates
when a file is imported again, a dry run that stores nothing."""

from __future__ import annotations

import copy
import csv
import io
import json

import openpyxl
import pytest

from cxloop.core.exceptions import NotFound, ServiceError
from cxloop.customers.models import Customer, Event
from cxloop.feedback import imports
from cxloop.feedback.models import Answer, FeedbackItem, ImportJob, ImportRowError
from cxloop.feedback.presets import PRESETS

NPS = {
    "kind": "feedback",
    "fields": {
        "external_id": "id",
        "channel": {"const": "survey"},
        "source": {"const": "Relationship survey"},
        "occurred_at": "date",
        "text": "comment",
        "customer.email": "email",
    },
    "answers": [{"key": "nps", "type": "nps", "value": "nps"}],
}
NPS_WITHOUT_ID = copy.deepcopy(NPS)
del NPS_WITHOUT_ID["fields"]["external_id"]

ROWS = 1200
FORMULA = '=HYPERLINK("http://x","click")'


def bad_kind(i: int) -> str | None:
    """Which (if any) problem data row i of the big file has."""
    return {7: "nps", 42: "future", 77: "email"}.get(i % 100)


def survey_csv(path, rows: int = ROWS):
    """A CSV of NPS answers: 1,200 rows, 36 of them bad (12 each: NPS 11, a future date, a bad email)."""
    with open(path, "w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(["id", "date", "nps", "comment", "email"])
        for i in range(rows):
            kind = bad_kind(i)
            writer.writerow(
                [
                    f"s-{i}",
                    "2999-01-01T00:00:00Z"
                    if kind == "future"
                    else f"2025-{1 + i % 12:02d}-{1 + i % 28:02d}T09:00:00Z",
                    11 if kind == "nps" else i % 11,
                    FORMULA if i == 3 else f"comment {i}",
                    "not-an-email" if kind == "email" else f"c{i % 40}@x.example",
                ]
            )
    return path


BAD_ROWS = {i + 2: bad_kind(i) for i in range(ROWS) if bad_kind(i)}  # row 1 is the header
VALID = ROWS - len(BAD_ROWS)


def run(workspace, path, mapping, *, dry_run=False, user=None, progress=None) -> ImportJob:
    """Upload a file and run its import to the end, as `cxloop import` does."""
    job = imports.import_from_path(workspace=workspace, user=user, path=path)
    job.mapping, job.dry_run = mapping, dry_run
    job.save(update_fields=["mapping", "dry_run"])
    return imports.import_run(job_id=job.pk, progress=progress)


def counts(job) -> dict:
    return {
        name: getattr(job, name)
        for name in ("processed_rows", "created_count", "existing_count", "skipped_count", "error_count")
    }


def report(job) -> list[list[str]]:
    return list(csv.reader(io.StringIO("".join(imports.import_report_csv(job)))))


def write(tmp_path, name, data: bytes):
    path = tmp_path / name
    path.write_bytes(data)
    return path


# --- A big file with some bad rows -----------------------------------------------------------------
@pytest.mark.parametrize("mapping", [NPS, NPS_WITHOUT_ID], ids=["external-id", "row-hash"])
def test_big_file_stores_every_valid_row_and_reports_every_bad_one_and_a_rerun_adds_nothing(
    cast, tmp_path, mapping, monkeypatch
):
    monkeypatch.setattr("cxloop.feedback.imports.CHUNK", 500)  # several chunks in a file of 1,200 rows
    path = survey_csv(tmp_path / "survey.csv")
    seen = []

    job = run(
        cast.workspace, path, mapping, user=cast.owner, progress=lambda j: seen.append(j.processed_rows)
    )

    assert job.status == "done" and job.error == ""
    assert counts(job) == {
        "processed_rows": ROWS,
        "created_count": VALID,
        "existing_count": 0,
        "skipped_count": 0,
        "error_count": len(BAD_ROWS),
    }
    assert job.progress_percent == 100
    assert seen == sorted(seen) and seen[-1] == ROWS and len(seen) >= 3  # progress reported chunk by chunk
    assert FeedbackItem.objects.filter(workspace=cast.workspace).count() == VALID
    assert Answer.objects.filter(workspace=cast.workspace, key="nps").count() == VALID
    assert Customer.objects.filter(workspace=cast.workspace).count() == 40

    errors = list(job.row_errors.order_by("row_number").values_list("row_number", "message"))
    assert [n for n, _ in errors] == sorted(BAD_ROWS)
    expected = {
        "nps": "answers.0: Value error, nps value 11 is outside its scale 0–10",
        "future": "occurred_at: Value error, occurred_at 2999-01-01T00:00:00+00:00 is in the future",
        "email": "customer.email: Value error, 'not-an-email' is not an email address",
    }
    for number, message in errors:
        assert message == expected[BAD_ROWS[number]], (number, message)

    lines = report(job)
    assert lines[0] == ["row", "error"]
    assert [(int(n), message) for n, message in lines[1:]] == errors

    again = run(cast.workspace, path, mapping)

    assert again.status == "done"
    assert counts(again) == {
        "processed_rows": ROWS,
        "created_count": 0,
        "existing_count": VALID,
        "skipped_count": 0,
        "error_count": len(BAD_ROWS),
    }
    assert FeedbackItem.objects.filter(workspace=cast.workspace).count() == VALID


def test_rows_without_an_id_are_keyed_by_their_content(cast, tmp_path):
    path = write(tmp_path, "s.csv", b"date,nps,comment\n2026-01-02,9,a\n2026-01-02,9,b\n")

    run(cast.workspace, path, NPS_WITHOUT_ID)

    keys = list(FeedbackItem.objects.values_list("external_id", flat=True))
    assert len(keys) == 2 and all(k.startswith("row:") and len(k) == 36 for k in keys)
    assert len(set(keys)) == 2


def test_the_same_rows_in_another_file_are_not_stored_again(cast, tmp_path):
    run(cast.workspace, write(tmp_path, "a.csv", b"id,date,nps\n1,2026-01-02,9\n2,2026-01-02,3\n"), NPS)

    job = run(cast.workspace, write(tmp_path, "b.csv", b"id,date,nps\n2,2026-01-02,3\n3,2026-01-02,7\n"), NPS)

    assert (job.created_count, job.existing_count) == (1, 1)
    assert sorted(FeedbackItem.objects.values_list("external_id", flat=True)) == ["1", "2", "3"]


@pytest.mark.parametrize("mapping", [NPS, NPS_WITHOUT_ID], ids=["external-id", "row-hash"])
def test_duplicate_rows_within_a_file_are_stored_once(cast, tmp_path, mapping):
    same = b"1,2026-01-02,9,same\n"
    data = b"id,date,nps,comment\n" + same + b"2,2026-01-02,5,other\n" + same + same

    job = run(cast.workspace, write(tmp_path, "d.csv", data), mapping)

    assert (job.created_count, job.existing_count, job.error_count) == (2, 2, 0)
    assert FeedbackItem.objects.count() == 2


def test_duplicates_further_apart_than_a_chunk_are_stored_once(cast, tmp_path, monkeypatch):
    monkeypatch.setattr(imports, "CHUNK", 3)
    rows = [f"{i % 4},2026-01-02,9" for i in range(10)]
    path = write(tmp_path, "d.csv", ("id,date,nps\n" + "\n".join(rows) + "\n").encode())

    job = run(cast.workspace, path, NPS)

    assert (job.created_count, job.existing_count) == (4, 6)
    assert FeedbackItem.objects.count() == 4


def test_the_first_of_two_rows_with_one_id_wins(cast, tmp_path):
    data = b"id,date,nps,comment\n1,2026-01-02,9,first\n1,2026-01-02,2,second\n"

    run(cast.workspace, write(tmp_path, "d.csv", data), NPS)

    item = FeedbackItem.objects.get()
    assert item.text == "first"


# --- Dry run --------------------------------------------------------------------------------------
def test_dry_run_stores_nothing_but_counts(cast, tmp_path):
    path = survey_csv(tmp_path / "survey.csv", rows=300)

    job = run(cast.workspace, path, NPS, dry_run=True)

    bad = sum(1 for i in range(300) if bad_kind(i))
    assert job.status == "done" and job.dry_run
    assert counts(job) == {
        "processed_rows": 300,
        "created_count": 300 - bad,
        "existing_count": 0,
        "skipped_count": 0,
        "error_count": bad,
    }
    assert job.row_errors.count() == bad  # the report is there to fix the file before the real run
    assert not FeedbackItem.objects.exists()
    assert not Customer.objects.exists()


def test_dry_run_of_a_file_imported_already_counts_its_rows_as_there(cast, tmp_path):
    data = b"id,date,nps\n1,2026-01-02,9\n2,2026-01-02,3\n2,2026-01-02,3\n"
    run(cast.workspace, write(tmp_path, "a.csv", b"id,date,nps\n1,2026-01-02,9\n"), NPS)

    job = run(cast.workspace, write(tmp_path, "b.csv", data), NPS, dry_run=True)

    assert (job.created_count, job.existing_count) == (1, 2)
    assert FeedbackItem.objects.count() == 1


def test_dry_run_counts_a_row_repeated_in_a_later_chunk_once(cast, tmp_path, monkeypatch):
    monkeypatch.setattr("cxloop.feedback.imports.CHUNK", 2)
    data = b"id,date,nps\n1,2026-01-02,9\n2,2026-01-02,3\n3,2026-01-02,5\n1,2026-01-02,9\n"

    dry = run(cast.workspace, write(tmp_path, "a.csv", data), NPS, dry_run=True)
    real = run(cast.workspace, write(tmp_path, "b.csv", data), NPS)

    assert (dry.created_count, dry.existing_count) == (real.created_count, real.existing_count) == (3, 1)


# --- What is stored -------------------------------------------------------------------------------
def test_formula_cells_are_stored_as_literal_text(cast, tmp_path):
    path = survey_csv(tmp_path / "survey.csv", rows=5)

    run(cast.workspace, path, NPS)

    assert FeedbackItem.objects.get(external_id="s-3").text == FORMULA


def test_windows_1252_file_is_stored_with_its_accents(cast, tmp_path):
    path = write(tmp_path, "s.csv", b"id;date;nps;comment\n1;2026-01-02;9;Tr\xe8s bien, merci \x80\n")

    run(cast.workspace, path, NPS)

    assert FeedbackItem.objects.get().text == "Très bien, merci €"


def test_nul_bytes_in_a_cell_are_left_out(cast, tmp_path):
    """PostgreSQL text cannot hold NUL: the cell is stored without it rather than failing the chunk."""
    path = write(tmp_path, "s.csv", b"id,date,nps,comment\n1,2026-01-02,9,bro\x00ken\n2,2026-01-02,9,ok\n")

    job = run(cast.workspace, path, NPS)

    assert (job.status, job.created_count) == ("done", 2)
    assert FeedbackItem.objects.get(external_id="1").text == "broken"


def test_a_customer_the_workspace_does_not_have_fails_only_its_row(cast, tmp_path, monkeypatch):
    """The store refuses a row naming another workspace's customer id; the rows around it are kept."""
    monkeypatch.setattr(imports, "CHUNK", 4)
    own = Customer.objects.create(workspace=cast.workspace, name="Own")
    stranger = Customer.objects.create(workspace=cast.other_workspace, name="Stranger")
    mapping = copy.deepcopy(NPS)
    mapping["fields"]["customer.id"] = "customer"
    rows = [f"{i},2026-01-02,9,{stranger.pk if i == 2 else own.pk}" for i in range(6)]
    path = write(tmp_path, "s.csv", ("id,date,nps,customer\n" + "\n".join(rows) + "\n").encode())

    job = run(cast.workspace, path, mapping)

    assert (job.status, job.created_count, job.error_count) == ("done", 5, 1)
    assert list(job.row_errors.values_list("row_number", "message")) == [
        (4, f"No customer with id {stranger.pk} in this workspace.")
    ]
    assert sorted(FeedbackItem.objects.values_list("external_id", flat=True)) == ["0", "1", "3", "4", "5"]
    assert set(FeedbackItem.objects.values_list("customer", flat=True)) == {own.pk}
    assert not stranger.feedback_items.exists()


def test_preset_mapping_imports_a_zendesk_export(cast, tmp_path):
    data = (
        b"id,created_at,subject,description,requester_email,requester_name,requester_id,satisfaction_rating,"
        b"status,priority,tags\n"
        b"101,2026-01-02T10:00:00Z,Broken,It broke.,anna@x.example,Anna,u-1,good,solved,high,late\n"
        b"102,2026-01-03T10:00:00Z,Late,Where is it?,ben@x.example,Ben,u-2,offered,open,,\n"
        b"103,2026-01-04T10:00:00Z,Bad,No answer,cleo@x.example,Cleo,u-3,bad,solved,low,\n"
    )

    job = run(cast.workspace, write(tmp_path, "z.csv", data), PRESETS["zendesk_tickets"]["mapping"])

    assert (job.created_count, job.error_count) == (3, 0)
    scores = dict(Answer.objects.values_list("item__external_id", "value"))
    assert scores == {"101": 5.0, "103": 1.0}  # "offered" is no answer
    first = FeedbackItem.objects.get(external_id="101")
    assert (first.channel, first.source, first.touchpoint) == ("ticket", "Zendesk", "support")
    assert first.metadata == {"status": "solved", "priority": "high", "tags": "late"}
    assert first.customer.email == "anna@x.example"


def test_skip_empty_rows_are_counted_as_skipped(cast, tmp_path):
    mapping = copy.deepcopy(NPS)
    mapping["skip_empty"] = ["text"]
    path = write(tmp_path, "s.csv", b"id,date,nps,comment\n1,2026-01-02,9,\n2,2026-01-02,9,words\n")

    job = run(cast.workspace, path, mapping)

    assert (job.created_count, job.skipped_count, job.error_count) == (1, 1, 0)


def test_unreadable_rows_are_errors_next_to_mapping_errors(cast, tmp_path):
    data = b"id,date,nps\n1,2026-01-02,9\n2,2026-01-02,9,extra\n3,,9\n4,2026-01-02,9\n"

    job = run(cast.workspace, write(tmp_path, "s.csv", data), NPS)

    assert job.created_count == 2
    assert list(job.row_errors.order_by("row_number").values_list("row_number", "message")) == [
        (3, "4 cells but the header has 3: check the delimiter and quoting"),
        (4, "occurred_at: Field required"),
    ]


def test_jsonl_import_with_bad_lines(cast, tmp_path):
    lines = [
        json.dumps({"id": "1", "date": "2026-01-02", "nps": 9, "comment": "nested ok"}),
        '{"id": "2", "date": ',
        json.dumps({"id": "3", "date": "2026-01-02", "nps": "ten"}),
        json.dumps({"id": "4", "date": "2026-01-02", "nps": 0, "comment": "lone \ud800 surrogate"}),
    ]
    path = write(tmp_path, "s.jsonl", "\n".join(lines).encode())

    job = run(cast.workspace, path, NPS)

    assert (job.created_count, job.error_count) == (2, 2)
    assert list(job.row_errors.order_by("row_number").values_list("row_number", "message")) == [
        (2, "not JSON: Expecting value at column 21"),
        (3, "answers.0: Value error, nps value needs a number, got 'ten'"),
    ]
    assert FeedbackItem.objects.get(external_id="4").text == "lone \ufffd surrogate"


def test_xlsx_import_reads_dates_and_numbers(cast, tmp_path):
    from datetime import UTC, datetime

    workbook = openpyxl.Workbook()
    workbook.active.append(["id", "date", "nps", "comment"])
    workbook.active.append([1, datetime(2026, 1, 2, 10, 30), 9, "From a spreadsheet"])
    workbook.active.append([2, datetime(2026, 1, 3), 12, "Too high"])
    workbook.save(tmp_path / "s.xlsx")

    job = run(cast.workspace, tmp_path / "s.xlsx", NPS)

    assert (job.created_count, job.error_count) == (1, 1)
    item = FeedbackItem.objects.get()
    assert (item.external_id, item.occurred_at) == ("1", datetime(2026, 1, 2, 10, 30, tzinfo=UTC))
    assert list(job.row_errors.values_list("row_number", flat=True)) == [3]


def test_event_import_creates_customer_events(cast, tmp_path):
    mapping = {
        "kind": "event",
        "fields": {
            "name": "event",
            "occurred_at": "at",
            "external_id": "order",
            "source": {"const": "Shop"},
            "customer.email": "email",
        },
        "metadata": {"total": "total"},
    }
    data = (
        b"event,at,order,email,total\n"
        b"order_placed,2026-01-02T10:00:00Z,A-1,anna@x.example,49.90\n"
        b",2026-01-02T10:00:00Z,A-2,anna@x.example,5\n"
        b"order_placed,2026-01-03T10:00:00Z,A-3,ben@x.example,12\n"
    )

    job = run(cast.workspace, write(tmp_path, "e.csv", data), mapping)
    again = run(cast.workspace, write(tmp_path, "e2.csv", data), mapping)

    assert (job.created_count, job.error_count) == (2, 1)
    assert list(job.row_errors.values_list("row_number", "message")) == [(3, "name: Field required")]
    assert (again.created_count, again.existing_count) == (0, 2)
    events = list(Event.objects.filter(workspace=cast.workspace).order_by("occurred_at"))
    assert [(e.name, e.external_id, e.properties) for e in events] == [
        ("order_placed", "A-1", {"total": "49.90"}),
        ("order_placed", "A-3", {"total": "12"}),
    ]
    assert events[0].customer.email == "anna@x.example"
    assert not FeedbackItem.objects.exists()


# --- The whole file refused -----------------------------------------------------------------------
def test_file_of_blank_lines_fails_the_job_with_the_reason(cast, tmp_path):
    job = run(cast.workspace, write(tmp_path, "s.csv", b"\n\n  \n"), NPS)

    assert (job.status, job.error) == ("failed", "the file is empty")
    assert job.finished_at is not None


def test_xlsx_zip_bomb_fails_the_job_before_reading_it(cast, tmp_path):
    import zipfile

    path = tmp_path / "bomb.xlsx"
    with (
        zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive,
        archive.open("xl/worksheets/sheet1.xml", "w") as member,
    ):
        for _ in range(24):
            member.write(bytes(1024 * 1024))

    job = run(cast.workspace, path, NPS)

    assert job.status == "failed"
    assert "(a zip bomb?); refused" in job.error
    assert not FeedbackItem.objects.exists()


# --- Upload ---------------------------------------------------------------------------------------
def test_upload_stores_the_file_with_its_size_hash_and_line_count(cast, tmp_path):
    import hashlib

    data = b"id,date,nps\n1,2026-01-02,9\n2,2026-01-02,3\n"

    job = imports.import_upload(
        workspace=cast.workspace,
        user=cast.admin,
        filename="../../etc/Survey.CSV",
        chunks=[data[:10], data[10:]],
    )

    assert (job.workspace, job.created_by, job.status) == (cast.workspace, cast.admin, "uploaded")
    assert (job.original_name, job.format, job.size) == ("Survey.CSV", "csv", len(data))
    assert job.sha256 == hashlib.sha256(data).hexdigest()
    assert job.rows_estimate == 3
    stored = imports.job_file(job)
    assert stored.parent == imports.imports_dir()
    assert stored.name.startswith(f"{cast.workspace.pk}-") and stored.read_bytes() == data
    assert job.progress_percent == 0


@pytest.mark.parametrize(
    ("filename", "data", "message"),
    [
        ("report.pdf", b"%PDF-1.7", "'report.pdf': use a .csv, .xlsx or .jsonl file"),
        ("empty.csv", b"", "The file is empty."),
    ],
)
def test_upload_refuses_a_wrong_file_naming_it(cast, filename, data, message):
    before = set(imports.imports_dir().iterdir())

    with pytest.raises(ServiceError) as refused:
        imports.import_upload(workspace=cast.workspace, user=None, filename=filename, chunks=[data])

    assert (refused.value.message, refused.value.field) == (message, "file")
    assert not ImportJob.objects.exists()
    assert set(imports.imports_dir().iterdir()) == before  # no file left behind


def test_upload_over_the_size_limit_is_refused_and_removed(cast, monkeypatch):
    monkeypatch.setattr(imports, "MAX_UPLOAD", 1024 * 1024)
    before = set(imports.imports_dir().iterdir())
    chunks = (b"x" * (256 * 1024) for _ in range(5))

    with pytest.raises(ServiceError) as refused:
        imports.import_upload(workspace=cast.workspace, user=None, filename="big.csv", chunks=chunks)

    assert refused.value.field == "file" and refused.value.message.startswith("The file is over ")
    assert not ImportJob.objects.exists()
    assert set(imports.imports_dir().iterdir()) == before


# --- Starting an import ---------------------------------------------------------------------------
@pytest.fixture
def uploaded(cast, tmp_path) -> ImportJob:
    path = write(tmp_path, "s.csv", b"id,date,nps\n1,2026-01-02,9\n2,2026-01-02,3\n")
    return imports.import_from_path(workspace=cast.workspace, user=cast.owner, path=path)


def test_import_start_queues_the_job_and_the_worker_runs_it(
    cast, uploaded, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        imports.import_start(workspace=cast.workspace, job_id=uploaded.pk, mapping=NPS, dry_run=False)

    uploaded.refresh_from_db()
    assert (uploaded.status, uploaded.created_count, uploaded.mapping) == ("done", 2, NPS)
    assert uploaded.started_at <= uploaded.finished_at


def test_import_start_again_starts_afresh(cast, uploaded, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        imports.import_start(workspace=cast.workspace, job_id=uploaded.pk, mapping=NPS, dry_run=True)
    with django_capture_on_commit_callbacks(execute=True):
        imports.import_start(workspace=cast.workspace, job_id=uploaded.pk, mapping=NPS, dry_run=False)

    uploaded.refresh_from_db()
    assert (uploaded.dry_run, uploaded.processed_rows, uploaded.created_count) == (False, 2, 2)


def test_import_start_refuses_a_bad_mapping_and_leaves_the_job_as_it_was(cast, uploaded):
    with pytest.raises(ServiceError) as refused:
        imports.import_start(
            workspace=cast.workspace, job_id=uploaded.pk, mapping={"fields": {"stars": "nps"}}, dry_run=False
        )

    assert refused.value.field == "mapping"
    assert refused.value.message.startswith("Mapping: unknown feedback field 'stars'")
    uploaded.refresh_from_db()
    assert (uploaded.status, uploaded.mapping) == ("uploaded", None)


def test_import_start_refuses_a_running_job(cast, uploaded):
    ImportJob.objects.filter(pk=uploaded.pk).update(status="running")

    with pytest.raises(ServiceError, match=r"This import is already running\."):
        imports.import_start(workspace=cast.workspace, job_id=uploaded.pk, mapping=NPS, dry_run=False)


def test_import_start_of_another_workspaces_job_is_not_found(
    cast, uploaded, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(NotFound):
        imports.import_start(workspace=cast.other_workspace, job_id=uploaded.pk, mapping=NPS, dry_run=False)

    uploaded.refresh_from_db()
    assert uploaded.status == "uploaded"
    assert not FeedbackItem.objects.exists()


# --- The report -----------------------------------------------------------------------------------
def test_report_neutralises_cells_a_spreadsheet_would_run(cast, uploaded):
    messages = ['=HYPERLINK("http://x")', "+1+1", "-2", "@SUM(A1)", "\tTab", "\rCR", "plain, with comma"]
    ImportRowError.objects.bulk_create(
        ImportRowError(job=uploaded, row_number=n, message=m) for n, m in enumerate(messages, start=2)
    )

    lines = report(uploaded)

    assert lines == [
        ["row", "error"],
        ["2", '\'=HYPERLINK("http://x")'],
        ["3", "'+1+1"],
        ["4", "'-2"],
        ["5", "'@SUM(A1)"],
        ["6", "'\tTab"],
        ["7", "'\rCR"],
        ["8", "plain, with comma"],
    ]
