"""`cxloop eval`: argument errors, a run on small data sets written by the test, and a --quick run of the
installed command on the real data sets (skipped where ../shared/datasets is absent)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from cxloop.analysis.ml.evaluate import default_datasets_dir
from cxloop.analysis.ml.tests.test_evaluate import write_datasets
from cxloop.cli import main

CXLOOP = Path(sys.executable).parent / "cxloop"
REPO = Path(__file__).resolve().parents[3]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--tasks", "airline,nope"], "cxloop: unknown task nope; choose from: airline-sentiment-oob,"),
        (["--tasks", ","], "cxloop: unknown task (none given)"),
        (["--models", "tfidf,bert"], "cxloop: unknown model bert; choose from: product, majority, vader,"),
        (["--datasets", "/nowhere/datasets"], "the data sets folder /nowhere/datasets does not exist"),
    ],
)
def test_bad_arguments_exit_2_with_a_message_naming_them(args, message, capsys):
    with pytest.raises(SystemExit) as stopped:
        main(["eval", *args])

    assert stopped.value.code == 2
    assert message in capsys.readouterr().err


def test_a_data_set_file_missing_for_the_chosen_tasks_is_named(tmp_path, capsys):
    folder = write_datasets(tmp_path / "datasets")
    (folder / "goemotions" / "dev.tsv").unlink()

    with pytest.raises(SystemExit) as stopped:
        main(["eval", "--datasets", str(folder), "--tasks", "goemotions"])

    assert stopped.value.code == 2
    assert f"{folder}/goemotions/dev.tsv is missing" in capsys.readouterr().err


def test_eval_prints_a_table_per_task_or_json(tmp_path, capsys):
    folder = write_datasets(tmp_path / "datasets")
    args = ["eval", "--datasets", str(folder), "--tasks", "airline-sentiment,banking77-full"]

    main([*args, "--models", "product,majority,tfidf"])
    table = capsys.readouterr()
    main([*args, "--models", "majority,tfidf", "--json"])
    report = json.loads(capsys.readouterr().out)

    assert "airline-sentiment: Airline tweets: sentiment trained on the stratified 80%" in table.out
    assert "banking77-full: BANKING77" in table.out
    header = next(line for line in table.out.splitlines() if "majority" in line)
    assert header.split() == ["product", "majority", "TF-IDF+LR"]
    assert "… airline-sentiment: TF-IDF+LR" in table.err  # progress goes to stderr
    assert [t["name"] for t in report["tasks"]] == ["airline-sentiment", "banking77-full"]
    banking = report["tasks"][1]["columns"]
    assert [c["model"] for c in banking] == ["majority", "TF-IDF+LR"]
    assert banking[1]["accuracy"] == 1.0  # the made-up intents differ by their words


def test_speed_runs_each_column_in_its_own_process(tmp_path, capsys):
    folder = write_datasets(tmp_path / "datasets")

    main(["eval", "--datasets", str(folder), "--tasks", "speed", "--models", "tfidf", "--json"])

    speed = json.loads(capsys.readouterr().out)["tasks"][0]
    (column,) = speed["columns"]
    assert column["status"] == "ok" and column["texts"] > 0 and column["texts_per_second"] > 0
    assert column["peak_rss_mb"] >= speed["baseline_rss_mb"] > 0


@pytest.mark.skipif(not default_datasets_dir().is_dir(), reason="../shared/datasets is not here")
def test_quick_run_of_the_installed_command_on_the_real_data_sets():
    result = subprocess.run(
        [str(CXLOOP), "eval", "--quick", "--models", "product,majority,vader,tfidf,names-tfidf", "--json"],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    by_name = {t["name"]: {c["key"]: c for c in t["columns"]} for t in report["tasks"]}
    assert list(by_name) == [
        "airline-sentiment-oob",
        "airline-sentiment",
        "airline-reasons",
        "banking77-full",
        "banking77-10shot",
        "goemotions-28",
        "goemotions-sentiment",
        "speed",
    ]
    # Far above chance even on 1,000 training texts: the loaders, splits and metrics fit together.
    assert by_name["airline-sentiment"]["tfidf"]["accuracy"] > 0.7
    assert (
        by_name["airline-sentiment"]["tfidf"]["macro_f1"]
        > by_name["airline-sentiment"]["majority"]["macro_f1"]
    )
    assert by_name["banking77-full"]["tfidf"]["accuracy"] > 0.5 > 1 / 77
    assert 0.1 < by_name["goemotions-28"]["tfidf"]["macro_f1"] < 0.6
    assert by_name["speed"]["tfidf"]["texts_per_second"] > 0
