"""`cxloop import`, run as an operator would: the installed command in a fresh process, on its own data
folder.

The subprocesses use SQLite in a throw-away data folder (no DATABASE_URL), never the test run's database.
One data folder, migrated and with a workspace "Shop" (slug "shop"), serves the whole module.
"""

from __future__ import annotations

import csv
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

CXLOOP = Path(sys.executable).parent / "cxloop"
PASSWORD = "correct horse battery staple"
REVIEWS_CSV = (
    "id,date,rating,title,text,email,author\n"
    "r-1,2026-01-02T10:00:00Z,5,Great,Fast delivery,anna@x.example,Anna\n"
    "r-2,2026-01-03T10:00:00Z,9,Odd,Rating too high,ben@x.example,Ben\n"
    "r-3,2026-01-04T10:00:00Z,2,Meh,Slow,cleo@x.example,Cleo\n"
    "r-4,,4,Undated,No date,dan@x.example,Dan\n"
    'r-5,2026-01-05T10:00:00Z,4,Fine,"=HYPERLINK(""http://x"")",eve@x.example,Eve\n'
)


def cxloop(*args: str, data_dir: Path) -> subprocess.CompletedProcess:
    env = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("CXLOOP_", "DATABASE_", "DJANGO_", "EMAIL_"))
    }
    return subprocess.run(
        [str(CXLOOP), *args, "--data-dir", str(data_dir)],
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=120,
    )


def query(data_dir: Path, sql: str) -> list[tuple]:
    with sqlite3.connect(f"file:{data_dir / 'cxloop.sqlite3'}?mode=ro", uri=True) as db:
        return db.execute(sql).fetchall()


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory) -> Path:
    """A data folder, migrated, with the workspace 'Shop' (slug 'shop')."""
    folder = tmp_path_factory.mktemp("cli-data")
    migrated = cxloop("migrate", data_dir=folder)
    assert migrated.returncode == 0, migrated.stderr
    created = cxloop(
        "createadmin",
        "--email",
        "ops@shop.example",
        "--password",
        PASSWORD,
        "--workspace",
        "Shop",
        data_dir=folder,
    )
    assert created.returncode == 0, created.stderr
    assert query(folder, "SELECT slug FROM accounts_workspace") == [("shop",)]
    return folder


def feedback_ids(data_dir: Path) -> list[str]:
    return [
        row[0]
        for row in query(data_dir, "SELECT external_id FROM feedback_feedbackitem ORDER BY external_id")
    ]


def test_import_prints_a_summary_and_writes_the_rows_that_failed_beside_the_file(data_dir, tmp_path):
    path = tmp_path / "reviews.csv"
    path.write_text(REVIEWS_CSV)

    result = cxloop(
        "import", str(path), "--workspace", "shop", "--preset", "generic_reviews", data_dir=data_dir
    )

    assert result.returncode == 0, result.stderr
    report = tmp_path / "reviews.errors.csv"
    assert result.stdout.splitlines() == [
        "done: 5 rows, 3 created, 0 already there, 0 skipped, 2 with errors.",
        f"Per-row report: {report}",
    ]
    assert "5 rows · 3 new · 0 already there · 2 errors" in result.stderr  # the progress line
    with open(report, newline="") as fh:
        assert list(csv.reader(fh)) == [
            ["row", "error"],
            ["3", "answers.0: Value error, rating value 9 is outside its scale 1–5"],
            ["5", "occurred_at: Field required"],
        ]
    assert feedback_ids(data_dir) == ["r-1", "r-3", "r-5"]
    assert query(data_dir, "SELECT text FROM feedback_feedbackitem WHERE external_id = 'r-5'") == [
        ('=HYPERLINK("http://x")',)
    ]

    again = cxloop(
        "import", str(path), "--workspace", "shop", "--preset", "generic_reviews", data_dir=data_dir
    )

    assert again.returncode == 0, again.stderr
    assert (
        again.stdout.splitlines()[0] == "done: 5 rows, 0 created, 3 already there, 0 skipped, 2 with errors."
    )
    assert feedback_ids(data_dir) == ["r-1", "r-3", "r-5"]


def test_dry_run_with_a_mapping_file_stores_nothing(data_dir, tmp_path):
    path = tmp_path / "events.jsonl"
    path.write_text(
        '{"order": "A-1", "type": "order_placed", "at": "2026-01-02T10:00:00Z"}\n'
        '{"order": "A-2", "type": "order_placed", "at": "2026-01-03T10:00:00Z"}\n'
    )
    mapping = tmp_path / "events.json"
    mapping.write_text(
        '{"kind": "event", "fields": {"name": "type", "occurred_at": "at", "external_id": "order",'
        ' "source": {"const": "Shop"}}}'
    )
    before = query(data_dir, "SELECT count(*) FROM customers_event")

    result = cxloop(
        "import", str(path), "--workspace", "shop", "--mapping", str(mapping), "--dry-run", data_dir=data_dir
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout == (
        "done: 2 rows, 2 would be created (dry run), 0 already there, 0 skipped, 0 with errors.\n"
    )
    assert query(data_dir, "SELECT count(*) FROM customers_event") == before
    assert not (tmp_path / "events.errors.csv").exists()


def test_unknown_workspace_is_refused_with_a_clear_message(data_dir, tmp_path):
    path = tmp_path / "reviews.csv"
    path.write_text(REVIEWS_CSV)

    result = cxloop(
        "import", str(path), "--workspace", "nope", "--preset", "generic_reviews", data_dir=data_dir
    )

    assert result.returncode != 0
    assert "cxloop: no workspace with the identifier 'nope' (see Settings › Workspace)." in result.stderr
    assert result.stdout == ""


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["--preset", "surveymonkey"],
            "unknown preset 'surveymonkey'; known: generic_reviews, zendesk_tickets",
        ),
        (["--mapping", "{mapping}"], "unknown feedback field 'stars'"),
    ],
    ids=["unknown-preset", "bad-mapping-file"],
)
def test_mapping_problems_are_refused_naming_them(data_dir, tmp_path, args, message):
    path = tmp_path / "reviews.csv"
    path.write_text(REVIEWS_CSV)
    mapping = tmp_path / "m.json"
    mapping.write_text('{"fields": {"stars": "rating"}}')
    before = feedback_ids(data_dir)

    result = cxloop(
        "import",
        str(path),
        "--workspace",
        "shop",
        *[a.format(mapping=mapping) for a in args],
        data_dir=data_dir,
    )

    assert result.returncode == 2
    assert message in result.stderr
    assert feedback_ids(data_dir) == before


def test_file_of_another_type_is_refused(data_dir, tmp_path):
    pdf = tmp_path / "report.pdf"
    pdf.write_bytes(b"%PDF-1.7")

    result = cxloop(
        "import", str(pdf), "--workspace", "shop", "--preset", "generic_reviews", data_dir=data_dir
    )

    assert result.returncode == 2
    assert "cxloop: 'report.pdf': use a .csv, .xlsx or .jsonl file" in result.stderr


def test_file_that_cannot_be_read_fails_with_exit_code_1(data_dir, tmp_path):
    path = tmp_path / "book.xlsx"
    path.write_bytes(b"not a zip")

    result = cxloop(
        "import", str(path), "--workspace", "shop", "--preset", "generic_reviews", data_dir=data_dir
    )

    assert result.returncode == 1
    assert result.stdout.startswith("failed: 0 rows")
    assert "error: not a valid .xlsx file (it is not a zip archive)" in result.stderr


def test_unmigrated_data_folder_asks_for_migrate_first(tmp_path):
    path = tmp_path / "reviews.csv"
    path.write_text(REVIEWS_CSV)
    empty = tmp_path / "fresh-data"

    result = cxloop("import", str(path), "--workspace", "shop", "--preset", "generic_reviews", data_dir=empty)

    assert result.returncode == 2
    assert "the database is not up to date: run `cxloop migrate` first." in result.stderr
    assert "Traceback" not in result.stderr
