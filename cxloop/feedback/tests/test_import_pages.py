"""Settings › Imports: upload, preview, map, dry run or import, the per-row report.

Owners and admins import; analysts, agents and viewers are refused; a member of another workspace reaches
none of Acme's imports, whatever ids they use. Tasks run inline in tests, so an import started by a POST is
finished when the page is shown again.
"""

from __future__ import annotations

import copy
import csv
import io
import json
import re
from html import unescape

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from cxloop.customers.models import Customer
from cxloop.feedback import imports
from cxloop.feedback.models import FeedbackItem, ImportJob, ImportRowError, SavedMapping
from cxloop.feedback.presets import PRESETS

LIST = "/settings/imports/"
REVIEWS = PRESETS["generic_reviews"]["mapping"]
CSV = (
    b"id,date,rating,title,text,email,author\n"
    b"r-1,2026-01-02T10:00:00Z,5,Great,Fast delivery,anna@x.example,Anna\n"
    b"r-2,2026-01-03T10:00:00Z,9,Odd,Rating too high,ben@x.example,Ben\n"
    b'r-3,2026-01-04T10:00:00Z,2,Meh,"=HYPERLINK(""http://x"")",cleo@x.example,Cleo\n'
    b"r-4,2999-01-01T10:00:00Z,4,Future,From the future,dan@x.example,Dan\n"
)


def detail_url(job) -> str:
    return f"/settings/imports/{job.pk}/"


def report_url(job) -> str:
    return f"/settings/imports/{job.pk}/report.csv"


def upload(name="reviews.csv", data=CSV) -> dict:
    return {"file": SimpleUploadedFile(name, data, content_type="text/csv")}


def textarea(page: str) -> str:
    match = re.search(r'<textarea id="map"[^>]*>(.*?)</textarea>', page, re.S)
    assert match, "no mapping textarea"
    return unescape(match.group(1))


@pytest.fixture
def job(cast) -> ImportJob:
    """An uploaded (not yet started) import of Acme."""
    return imports.import_upload(
        workspace=cast.workspace, user=cast.owner, filename="reviews.csv", chunks=[CSV]
    )


@pytest.fixture
def done_job(cast, job, django_capture_on_commit_callbacks) -> ImportJob:
    """Acme's import, run to the end: 2 created, 2 row errors."""
    with django_capture_on_commit_callbacks(execute=True):
        imports.import_start(workspace=cast.workspace, job_id=job.pk, mapping=REVIEWS, dry_run=False)
    job.refresh_from_db()
    assert (job.status, job.created_count, job.error_count) == ("done", 2, 2)
    return job


def jobs_state() -> list:
    return list(
        ImportJob.objects.order_by("pk").values_list(
            "pk", "workspace_id", "status", "mapping", "dry_run", "processed_rows", "created_count"
        )
    )


def store_state() -> tuple:
    return (
        sorted(FeedbackItem.objects.values_list("pk", "workspace_id", "external_id")),
        sorted(Customer.objects.values_list("pk", "workspace_id")),
        sorted(ImportRowError.objects.values_list("pk", "job_id", "row_number")),
        sorted(SavedMapping.objects.values_list("pk", "workspace_id", "name")),
    )


# --- Upload and preview ---------------------------------------------------------------------------
def test_owner_uploads_a_file_and_sees_a_preview(cast, login):
    client = login(cast.owner)

    response = client.post(LIST, upload())

    job = ImportJob.objects.get()
    assert response.status_code == 302 and response["Location"] == detail_url(job)
    assert (job.workspace, job.created_by, job.original_name, job.status) == (
        cast.workspace,
        cast.owner,
        "reviews.csv",
        "uploaded",
    )
    page = client.get(detail_url(job)).content.decode()
    assert "encoding: utf-8 · delimiter: ," in page
    for column in ("id", "date", "rating", "title", "text", "email", "author"):
        assert f'<th scope="col">{column}</th>' in page
    assert "<td>r-1</td>" in page and "<td>Fast delivery</td>" in page and "<td>r-4</td>" in page
    assert "=HYPERLINK(&quot;http://x&quot;)" in page  # shown as text, escaped
    assert textarea(page) == ""  # no mapping yet: choose a preset or write one


def test_preview_shows_rows_the_reader_could_not_read(cast, login):
    client = login(cast.admin)
    client.post(LIST, upload(data=b"id;text\n1;fine\n2;too;many\n"))

    page = client.get(detail_url(ImportJob.objects.get())).content.decode()

    assert "delimiter: ;" in page
    assert "Row 3: 3 cells but the header has 2: check the delimiter and quoting" in page


def test_preview_of_a_file_that_cannot_be_read_says_why(cast, login):
    client = login(cast.owner)
    client.post(LIST, upload(name="book.xlsx", data=b"not a zip"))

    page = client.get(detail_url(ImportJob.objects.get()))

    assert page.status_code == 200
    assert "not a valid .xlsx file (it is not a zip archive)" in page.content.decode()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (upload(name="report.pdf", data=b"%PDF"), "&#x27;report.pdf&#x27;: use a .csv, .xlsx or .jsonl file"),
        (upload(data=b""), "The file is empty."),
        ({}, "Choose a file to upload."),
    ],
    ids=["pdf", "empty", "no-file"],
)
def test_wrong_upload_shows_the_error_and_creates_no_job(cast, login, data, message):
    response = login(cast.owner).post(LIST, data)

    assert response.status_code == 200
    assert message in response.content.decode()
    assert not ImportJob.objects.exists()


def test_list_shows_the_workspaces_imports(cast, login, done_job):
    page = login(cast.owner).get(LIST).content.decode()

    assert f'href="{detail_url(done_job)}">reviews.csv</a>' in page
    assert "by owner@acme.example" in page


# --- Mapping --------------------------------------------------------------------------------------
def test_choosing_a_preset_fills_the_mapping(cast, login, job):
    page = login(cast.owner).get(detail_url(job), {"preset": "zendesk_tickets"}).content.decode()

    assert json.loads(textarea(page)) == PRESETS["zendesk_tickets"]["mapping"]
    for name in PRESETS:
        assert f'href="?preset={name}"' in page


def test_an_unknown_preset_fills_nothing(cast, login, job):
    page = login(cast.owner).get(detail_url(job), {"preset": "../../etc"}).content.decode()

    assert textarea(page) == ""


def test_saving_a_mapping_under_a_name_keeps_it_for_the_next_import(cast, login, job):
    client = login(cast.owner)
    mapping = copy.deepcopy(REVIEWS)
    mapping["fields"]["source"] = {"const": "Trustpilot"}

    client.post(
        detail_url(job), {"mapping": json.dumps(mapping), "save_as": "Trustpilot", "action": "dry_run"}
    )

    saved = SavedMapping.objects.get()
    assert (saved.workspace, saved.name, saved.mapping) == (cast.workspace, "Trustpilot", mapping)
    page = client.get(detail_url(job), {"saved": saved.pk}).content.decode()
    assert f'href="?saved={saved.pk}">saved: Trustpilot</a>' in page
    assert json.loads(textarea(page)) == mapping


def test_saving_under_the_same_name_replaces_the_saved_mapping(cast, login, job):
    client = login(cast.owner)
    for source in ("First", "Second"):
        mapping = copy.deepcopy(REVIEWS)
        mapping["fields"]["source"] = {"const": source}
        client.post(
            detail_url(job), {"mapping": json.dumps(mapping), "save_as": "Reviews", "action": "dry_run"}
        )

    assert SavedMapping.objects.get().mapping["fields"]["source"] == {"const": "Second"}


def test_a_saved_mapping_of_another_workspace_is_not_offered(cast, login, job):
    theirs = SavedMapping.objects.create(workspace=cast.other_workspace, name="Theirs", mapping=REVIEWS)

    page = login(cast.owner).get(detail_url(job), {"saved": theirs.pk}).content.decode()

    assert "Theirs" not in page
    assert textarea(page) == ""


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('{"fields": {"text": }}', "Mapping is not valid JSON: Expecting value at line 1 column 21."),
        (json.dumps({"fields": {"stars": "rating"}}), "Mapping: unknown feedback field &#x27;stars&#x27;"),
        (json.dumps({**REVIEWS, "skip_empty": ["txt"]}), "skip_empty names &#x27;txt&#x27;"),
    ],
    ids=["invalid-json", "unknown-field", "bad-skip-empty"],
)
@pytest.mark.parametrize("save_as", ["", "Broken"])
def test_bad_mapping_shows_the_error_and_does_not_start(cast, login, job, text, message, save_as):
    response = login(cast.owner).post(
        detail_url(job), {"mapping": text, "action": "import", "save_as": save_as}
    )

    assert response.status_code == 200
    page = response.content.decode()
    assert message in page
    assert textarea(page) == text  # kept, to be fixed
    job.refresh_from_db()
    assert (job.status, job.mapping) == ("uploaded", None)
    assert not FeedbackItem.objects.exists()
    assert not SavedMapping.objects.exists()


# --- Running --------------------------------------------------------------------------------------
def test_import_runs_and_the_page_shows_the_counts_and_the_errors(
    cast, login, job, django_capture_on_commit_callbacks
):
    client = login(cast.owner)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(detail_url(job), {"mapping": json.dumps(REVIEWS), "action": "import"})

    assert response.status_code == 302 and response["Location"] == detail_url(job)
    job.refresh_from_db()
    assert (job.status, job.dry_run, job.created_count, job.error_count) == ("done", False, 2, 2)
    assert sorted(
        FeedbackItem.objects.filter(workspace=cast.workspace).values_list("external_id", flat=True)
    ) == [
        "r-1",
        "r-3",
    ]
    assert FeedbackItem.objects.get(external_id="r-3").text == '=HYPERLINK("http://x")'
    page = client.get(detail_url(job)).content.decode()
    assert "<strong>Done</strong>" in page
    assert "4 rows read · 2 created · 0 already there · 0 skipped · 2 with errors" in page
    assert 'value="100"' in page
    assert "Row 3: answers.0: Value error, rating value 9 is outside its scale 1–5" in page
    assert "Row 5: occurred_at: Value error, occurred_at 2999-01-01T10:00:00+00:00 is in the future" in page
    assert f'href="{report_url(job)}"' in page
    assert json.loads(textarea(page)) == REVIEWS  # the mapping used is shown again


def test_dry_run_stores_nothing_and_says_what_would_be_created(
    cast, login, job, django_capture_on_commit_callbacks
):
    client = login(cast.admin)

    with django_capture_on_commit_callbacks(execute=True):
        client.post(detail_url(job), {"mapping": json.dumps(REVIEWS), "action": "dry_run"})

    job.refresh_from_db()
    assert (job.status, job.dry_run, job.created_count, job.error_count) == ("done", True, 2, 2)
    assert not FeedbackItem.objects.exists()
    page = client.get(detail_url(job)).content.decode()
    assert "dry run: nothing is stored" in page
    assert "2 would be created" in page


def test_importing_the_same_file_again_adds_nothing(
    cast, login, done_job, django_capture_on_commit_callbacks
):
    client = login(cast.owner)
    client.post(LIST, upload())
    second = ImportJob.objects.exclude(pk=done_job.pk).get()

    with django_capture_on_commit_callbacks(execute=True):
        client.post(detail_url(second), {"mapping": json.dumps(REVIEWS), "action": "import"})

    second.refresh_from_db()
    assert (second.created_count, second.existing_count) == (0, 2)
    assert FeedbackItem.objects.count() == 2


def test_progress_partial_for_htmx_polling(cast, login, done_job):
    response = login(cast.owner).get(detail_url(done_job), {"progress": "1"}, headers={"HX-Request": "true"})

    page = response.content.decode()
    assert page.startswith('<div id="import-progress">')  # finished: no more polling
    assert "hx-get" not in page
    assert "2 created" in page


def test_a_running_import_keeps_polling(cast, login, job):
    ImportJob.objects.filter(pk=job.pk).update(status="running", processed_rows=2)

    page = (
        login(cast.owner)
        .get(detail_url(job), {"progress": "1"}, headers={"HX-Request": "true"})
        .content.decode()
    )

    assert f'hx-get="{detail_url(job)}?progress=1"' in page
    assert 'value="40"' in page  # 2 of about 5 lines


def test_a_running_import_is_not_started_twice(cast, login, job):
    ImportJob.objects.filter(pk=job.pk).update(status="running")

    response = login(cast.owner).post(detail_url(job), {"mapping": json.dumps(REVIEWS), "action": "import"})

    assert "This import is already running." in response.content.decode()
    assert not FeedbackItem.objects.exists()


# --- The report -----------------------------------------------------------------------------------
def test_report_downloads_as_csv_with_each_bad_row(cast, login, done_job):
    response = login(cast.owner).get(report_url(done_job))

    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv"
    assert response["Content-Disposition"] == f'attachment; filename="import-{done_job.pk}-report.csv"'
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert rows == [
        ["row", "error"],
        ["3", "answers.0: Value error, rating value 9 is outside its scale 1–5"],
        ["5", "occurred_at: Value error, occurred_at 2999-01-01T10:00:00+00:00 is in the future"],
    ]


# --- Who may use the pages ------------------------------------------------------------------------
@pytest.mark.parametrize("role", ["analyst", "agent", "viewer"])
def test_other_roles_are_refused_every_import_page(
    cast, login, done_job, role, django_capture_on_commit_callbacks
):
    client = login(cast.user(role))
    before = (jobs_state(), store_state())

    with django_capture_on_commit_callbacks(execute=True):
        responses = [
            client.get(LIST),
            client.post(LIST, upload()),
            client.get(detail_url(done_job)),
            client.post(
                detail_url(done_job), {"mapping": json.dumps(REVIEWS), "action": "import", "save_as": "X"}
            ),
            client.get(report_url(done_job)),
        ]

    assert [r.status_code for r in responses] == [403] * 5
    assert (jobs_state(), store_state()) == before


@pytest.mark.parametrize("role", ["owner", "admin"])
def test_owner_and_admin_may_use_every_import_page(cast, login, done_job, role):
    client = login(cast.user(role))

    assert [client.get(url).status_code for url in (LIST, detail_url(done_job), report_url(done_job))] == [
        200
    ] * 3


def test_anonymous_visitor_is_sent_to_login(client, job):
    response = client.get(detail_url(job))

    assert response.status_code == 302 and response["Location"].startswith("/login/")


# --- Another workspace's member -------------------------------------------------------------------
def test_outsider_sees_only_their_own_imports(cast, login, done_job):
    client = login(cast.outsider)

    page = client.get(LIST).content.decode()
    client.post(LIST, upload(name="theirs.csv"))

    assert "reviews.csv" not in page and detail_url(done_job) not in page
    theirs = ImportJob.objects.get(original_name="theirs.csv")
    assert (theirs.workspace, theirs.created_by) == (cast.other_workspace, cast.outsider)
    assert list(ImportJob.objects.filter(workspace=cast.workspace)) == [done_job]


def test_outsider_gets_404_for_acme_import_and_cannot_start_it(
    cast, login, job, django_capture_on_commit_callbacks
):
    client = login(cast.outsider)
    before = (jobs_state(), store_state())

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        page = client.get(detail_url(job))
        start = client.post(
            detail_url(job), {"mapping": json.dumps(REVIEWS), "action": "import", "save_as": "Stolen"}
        )
        preset = client.get(detail_url(job), {"preset": "generic_reviews"})

    assert [page.status_code, start.status_code, preset.status_code] == [404, 404, 404]
    for response in (page, start, preset):
        assert "Fast delivery" not in response.content.decode()  # no preview of Acme's file
    assert callbacks == []  # nothing queued
    assert (jobs_state(), store_state()) == before


def test_outsider_cannot_download_acme_import_report(cast, login, done_job):
    response = login(cast.outsider).get(report_url(done_job))

    assert response.status_code == 404
    assert b"rating value 9" not in response.content


def test_unknown_import_ids_are_404(cast, login):
    client = login(cast.owner)

    assert client.get("/settings/imports/999999/").status_code == 404
    assert client.get("/settings/imports/999999/report.csv").status_code == 404
