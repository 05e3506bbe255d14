"""`cxloop analyze`: JSON lines in, one JSON line out per input line in order, bad lines reported in place."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from cxloop.analysis.ml import analyze
from cxloop.analysis.ml.analyze import analyze_stream, iter_lines
from cxloop.cli import main

REQUIRED = {
    "id",
    "language",
    "language_confidence",
    "sentiment",
    "sentiment_score",
    "emotions",
    "themes",
    "flags",
    "pii",
    "notes",
}
REPO = Path(__file__).resolve().parents[4]


@dataclass
class FakeReading:
    language: str = "en"
    language_confidence: float = 0.912345678
    sentiment: str = "positive"
    sentiment_score: float | None = 0.87654321
    emotions: dict[str, float] = field(default_factory=lambda: {"joy": 0.55555555})
    themes: list[dict[str, Any]] = field(default_factory=list)
    flags: dict[str, dict[str, Any]] = field(default_factory=dict)
    pii: list[dict[str, Any]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    error: str = ""


class FakeRead:
    """Deterministic readings: the text is echoed in notes; "FAIL" gives a Reading with an error."""

    def __init__(self):
        self.calls: list[list[str]] = []

    def __call__(self, texts):
        self.calls.append(list(texts))
        return [
            FakeReading(error="ValueError: cannot read") if t == "FAIL" else FakeReading(notes=[t])
            for t in texts
        ]


def run(lines, **kwargs) -> tuple[list[dict], analyze.Stats, FakeRead]:
    out: list[str] = []
    fake = kwargs.pop("read", None) or FakeRead()
    stats = analyze_stream(lines, out.append, read=fake, **kwargs)
    assert all(line.endswith("\n") and line.count("\n") == 1 for line in out)
    return [json.loads(line) for line in out], stats, fake


def j(obj) -> bytes:
    return json.dumps(obj).encode() + b"\n"


# -- order, blanks, batches ----------------------------------------------------------------------------------


def test_outputs_follow_input_order_with_bad_lines_in_place_and_blank_lines_skipped():
    lines = [
        j({"id": 1, "text": "one"}),
        b"not json\n",
        b"\n",
        j({"id": 2, "text": "two"}),
        b"   \r\n",
        j([1, 2]),
        j({"id": 3, "text": "three"}),
        j({"id": 4}),
    ]
    outs, stats, fake = run(lines, batch_size=3)
    assert [(o.get("id"), o.get("line"), o["notes"][0] if "notes" in o else None) for o in outs] == [
        (1, None, "one"),
        (None, 2, None),
        (2, None, "two"),
        (None, 6, None),
        (3, None, "three"),
        (4, 8, None),
    ]
    assert [o for o in outs if "line" in o] == [
        {"line": 2, "error": outs[1]["error"]},
        {"line": 6, "error": outs[3]["error"]},
        {"line": 8, "id": 4, "error": 'missing "text"'},
    ]
    assert (stats.lines, stats.blank, stats.invalid, stats.analysed, stats.failed, stats.errors) == (
        8,
        2,
        3,
        3,
        0,
        3,
    )
    assert sum(len(c) for c in fake.calls) == 3


def test_batches_are_bounded_and_flushed():
    lines = [j({"id": i, "text": f"t{i}"}) for i in range(5)]
    flushes = []
    outs, stats, fake = run(lines, batch_size=2, flush=lambda: flushes.append(1))
    assert fake.calls == [["t0", "t1"], ["t2", "t3"], ["t4"]]
    assert len(flushes) == 3 and stats.batches == 3
    assert [o["id"] for o in outs] == [0, 1, 2, 3, 4]


def test_the_input_is_read_lazily_one_batch_ahead_at_most():
    consumed = []

    def lines():
        for i in range(7):
            consumed.append(i)
            yield j({"id": i, "text": "x"})

    written_when = []
    fake = FakeRead()

    def read(texts):
        written_when.append(len(consumed))
        return fake(texts)

    analyze_stream(lines(), lambda line: None, read=read, batch_size=3)
    assert written_when == [3, 6, 7]


def test_a_batch_is_read_early_when_its_texts_are_large():
    lines = [j({"id": i, "text": "x" * 40}) for i in range(5)]
    _, _, fake = run(lines, batch_size=100, max_batch_chars=100)
    assert [len(c) for c in fake.calls] == [3, 2]


def test_a_run_of_bad_lines_is_written_in_bounded_groups_without_calling_the_model():
    outs, stats, fake = run([b"{\n"] * 7, batch_size=3)
    assert [o["line"] for o in outs] == list(range(1, 8))
    assert fake.calls == [] and stats.invalid == 7


def test_str_lines_work_like_bytes_lines():
    outs, _, _ = run(['{"id": "a", "text": "café"}\n', "\n", '{"id": "b", "text": 5}'])
    assert outs[0]["id"] == "a" and outs[0]["notes"] == ["café"]
    assert outs[1] == {"line": 3, "id": "b", "error": '"text" must be a string, not a number'}


def test_empty_input_writes_nothing():
    outs, stats, fake = run([])
    assert outs == [] and stats.lines == 0 and fake.calls == []


@pytest.mark.parametrize("size", [0, 10_001])
def test_batch_size_out_of_range_is_refused(size):
    with pytest.raises(ValueError, match="batch_size"):
        analyze_stream([], print, read=FakeRead(), batch_size=size)


# -- bad lines -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("line", "message"),
    [
        (b'{"id": 1, "text": "unterminated\n', "invalid JSON"),
        (b"{'id': 1, 'text': 'single quotes'}\n", "invalid JSON"),
        (b'{"id": 1, "text": "x"} trailing\n', "invalid JSON"),
        (b'{"id": NaN, "text": "x"}\n', "NaN is not valid JSON"),
        (b'{"id": 1e400, "text": "x"}\n', "number out of range"),
        (b"[" * 100_000 + b"\n", "invalid JSON"),
        (b'"just a string"\n', "got a string"),
        (b"42\n", "got a number"),
        (b"null\n", "got null"),
        (b'[{"id": 1, "text": "x"}]\n', "got an array"),
        (b'{"id": 1, "txt": "typo"}\n', 'missing "text"'),
        (b'{"id": 1, "text": null}\n', '"text" is null'),
        (b'{"id": 1, "text": 3.5}\n', '"text" must be a string, not a number'),
        (b'{"id": 1, "text": ["a"]}\n', '"text" must be a string, not an array'),
        (b'{"id": 1, "text": {"body": "a"}}\n', '"text" must be a string, not an object'),
        (b'{"id": 1, "text": true}\n', '"text" must be a string, not a boolean'),
        (b'{"id": [1], "text": "x"}\n', '"id" must be a string, number, boolean or null, not an array'),
        (b'{"id": {"a": 1}, "text": "x"}\n', "not an object"),
        (b'{"id": 1, "text": "caf\xe9"}\n', "invalid UTF-8 at byte 23 of the line"),
        (b"\xff\xfe{}\n", "invalid UTF-8 at byte 1"),
    ],
)
def test_every_kind_of_bad_line_gets_an_error_object_with_its_line_number(line, message):
    good = j({"id": "ok", "text": "fine"})
    outs, stats, _ = run([good, line, good])
    assert len(outs) == 3 and outs[0]["id"] == outs[2]["id"] == "ok"
    bad = outs[1]
    assert bad["line"] == 2 and message in bad["error"]
    assert set(bad) <= {"line", "id", "error"}
    assert stats.invalid == 1 and stats.analysed == 2


def test_an_over_long_line_is_reported_and_the_next_line_is_read_whole():
    long_line = j({"id": "big", "text": "x" * 5_000})
    stream = io.BytesIO(j({"id": 1, "text": "a"}) + long_line + j({"id": 3, "text": "c"}))
    pieces = list(iter_lines(stream, max_bytes=1_000))
    assert [len(p) for p in pieces][1] == 1_001  # never more than the cap (plus one) held in memory
    outs, _, _ = run(pieces, max_line_bytes=1_000)
    assert outs[0]["id"] == 1 and outs[2] == {**outs[2], "id": 3, "notes": ["c"]}
    assert outs[1] == {"line": 2, "error": "line longer than 1,000 bytes: skipped"}


def test_a_line_exactly_at_the_cap_is_accepted_and_a_last_line_without_newline_is_read():
    line = j({"id": 1, "text": ""})
    line = j({"id": 1, "text": "y" * (200 - len(line) + 1)})
    assert len(line) == 201  # 200 bytes plus the newline
    stream = io.BytesIO(line + b'{"id": 2, "text": "end"}')
    outs, _, _ = run(iter_lines(stream, max_bytes=200), max_line_bytes=200)
    assert [o["id"] for o in outs] == [1, 2] and "error" not in outs[0]


def test_an_over_long_str_line_is_reported_too():
    outs, _, _ = run([json.dumps({"id": 1, "text": "é" * 600})], max_line_bytes=1_000)
    assert outs == [{"line": 1, "error": "line longer than 1,000 bytes: skipped"}]


def test_a_byte_order_mark_on_the_first_line_and_crlf_endings_are_accepted():
    lines = list(iter_lines(io.BytesIO(b'\xef\xbb\xbf{"id": 1, "text": "a"}\r\n{"id": 2, "text": "b"}\r\n')))
    outs, _, _ = run(lines)
    assert [o["id"] for o in outs] == [1, 2] and all("error" not in o for o in outs)


# -- the output object ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("id_", ["abc", "", "ünï 🙂", 0, -7, 12345678901234567890, 3.25, True, False, None])
def test_ids_of_every_json_scalar_type_are_echoed(id_):
    outs, _, _ = run([j({"id": id_, "text": "x"})])
    assert outs[0]["id"] == id_ and type(outs[0]["id"]) is type(id_)


def test_a_missing_id_becomes_null_and_the_text_is_still_read():
    outs, stats, _ = run([j({"text": "no id"})])
    assert outs[0]["id"] is None and outs[0]["notes"] == ["no id"] and stats.analysed == 1


def test_a_lone_surrogate_in_an_id_stays_escaped_so_the_output_is_valid_utf8():
    out: list[str] = []
    analyze_stream([b'{"id": "a\\ud800b", "text": "x"}'], out.append, read=FakeRead())
    out[0].encode("utf-8")  # does not raise
    assert json.loads(out[0])["id"] == "a\ud800b"


def test_non_ascii_is_written_as_is():
    out: list[str] = []
    analyze_stream([j({"id": "ü", "text": "x"})], out.append, read=FakeRead())
    assert '"id": "ü"' in out[0]


def test_the_output_has_every_field_with_floats_rounded_and_pii_as_kinds():
    def read(texts):
        return [
            FakeReading(
                emotions={"anger": np.float32(0.123456789)},
                themes=[{"key": "t1", "path": "Delivery › Late", "score": np.float64(0.987654321)}],
                flags={"urgency": {"score": 0.333333333, "evidence": ["asap"]}},
                pii=[
                    {"kind": "email", "start": 0, "end": 5},
                    {"kind": "phone", "start": 6, "end": 9},
                    {"kind": "email", "start": 10, "end": 12},
                ],
            )
            for _ in texts
        ]

    outs, _, _ = run([j({"id": 9, "text": "x"})], read=read)
    assert outs[0] == {
        "id": 9,
        "language": "en",
        "language_confidence": 0.9123,
        "sentiment": "positive",
        "sentiment_score": 0.8765,
        "emotions": {"anger": 0.1235},
        "themes": [{"key": "t1", "path": "Delivery › Late", "score": 0.9877}],
        "flags": {"urgency": {"score": 0.3333, "evidence": ["asap"]}},
        "pii": ["email", "phone"],
        "notes": [],
    }


def test_readings_without_some_fields_or_with_new_ones_still_give_every_key():
    @dataclass
    class Old:
        language: str = "fr"
        sentiment: str = ""

    @dataclass
    class Future(FakeReading):
        embedding: Any = field(default_factory=lambda: np.zeros(384))
        something_new: object = field(default_factory=object)

    outs, _, _ = run(
        [j({"id": 1, "text": "a"}), j({"id": 2, "text": "b"})],
        read=lambda texts: [Old(), Future()],
    )
    assert set(outs[0]) == REQUIRED and set(outs[1]) == REQUIRED
    assert outs[0]["language"] == "fr" and outs[0]["sentiment"] is None and outs[0]["themes"] == []


def test_a_reading_with_an_error_keeps_its_id_and_the_error():
    outs, stats, _ = run([j({"id": "a", "text": "FAIL"}), j({"id": "b", "text": "fine"})])
    assert outs[0]["id"] == "a" and outs[0]["error"] == "ValueError: cannot read"
    assert set(outs[0]) >= REQUIRED and "error" not in outs[1]
    assert stats.failed == 1 and stats.errors == 1


def test_when_the_batch_fails_each_text_is_read_alone_and_only_the_bad_one_fails():
    calls = []

    def read(texts):
        calls.append(list(texts))
        if "boom" in texts:
            raise RuntimeError("model exploded")
        return [FakeReading(notes=[t]) for t in texts]

    outs, stats, _ = run([j({"id": i, "text": t}) for i, t in enumerate(["a", "boom", "c"])], read=read)
    assert calls == [["a", "boom", "c"], ["a"], ["boom"], ["c"]]
    assert outs[1]["error"] == "RuntimeError: model exploded" and outs[1]["id"] == 1
    assert outs[0]["notes"] == ["a"] and outs[2]["notes"] == ["c"] and stats.failed == 1


def test_a_read_that_returns_the_wrong_number_of_readings_is_an_error_not_a_misalignment():
    outs, _, _ = run([j({"id": 1, "text": "a"})], read=lambda texts: [])
    assert outs[0]["error"] == "the pipeline returned 0 readings for 1 texts"


# -- the command, end to end with the real pipeline ----------------------------------------------------------


def _write_input(path: Path) -> None:
    html = "<html><body><p>The parcel was <b>late</b> &amp; the box was crushed.</p><script>x()</script>"
    lines = [
        j({"id": "empty", "text": ""}),
        j({"id": "emoji", "text": "😀🎉👍"}),
        j({"id": "html", "text": html}),
        j({"id": "long", "text": "The delivery was slow but the staff were kind. " * 2_200}),
        b'{"id": "bad-utf8", "text": "caf\xe9 \xff"}\n',
        j({"id": "surrogate", "text": "caf\udce9 was fine"}),
        b"\n",
        j({"id": 7, "text": "Call me on +44 7700 900123, the order is a week late!"}),
    ]
    path.write_bytes(b"".join(lines))


def test_cxloop_analyze_end_to_end(tmp_path, capsys):
    src, dst = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    _write_input(src)
    assert len(json.loads(src.read_bytes().splitlines()[3])["text"].encode()) > 100_000
    main(["analyze", "--input", str(src), "--output", str(dst), "--batch-size", "2"])
    outs = [json.loads(line) for line in dst.read_text(encoding="utf-8").splitlines()]
    assert len(outs) == 7
    by_id = {o.get("id"): o for o in outs}
    bad = outs[4]
    assert bad == {"line": 5, "error": bad["error"]} and "invalid UTF-8" in bad["error"]
    for out in outs[:4] + outs[5:]:
        assert set(out) >= REQUIRED, out
        assert out["sentiment"] in {"negative", "neutral", "positive", None}
    assert by_id["empty"]["sentiment"] == "neutral" and by_id["empty"]["language"] == "und"
    assert by_id["empty"]["sentiment_score"] == 0.0 and "error" not in by_id["empty"]
    assert by_id["emoji"]["sentiment"] == "neutral" and by_id["emoji"]["language"] == "und"
    assert "markup removed" in by_id["html"]["notes"]
    assert any(n.startswith("truncated from") for n in by_id["long"]["notes"])
    assert "invalid UTF-8 replaced" in by_id["surrogate"]["notes"]
    assert by_id[7]["pii"] == ["phone"] and by_id[7]["language"] == "en"
    errors = sum("error" in o for o in outs)  # 1 once the shipped models are in place
    err = capsys.readouterr().err
    assert err.startswith(f"cxloop analyze: 7 texts, {errors} error") and err.endswith("texts/s)\n")


def test_cxloop_analyze_quiet_and_stdin_stdout():
    result = subprocess.run(
        [sys.executable, "-m", "cxloop.cli", "analyze", "--quiet"],
        input=j({"id": 1, "text": ""}) + b"oops\n",
        capture_output=True,
        cwd=REPO,
        timeout=120,
    )
    assert result.returncode == 0 and result.stderr == b""
    outs = [json.loads(line) for line in result.stdout.splitlines()]
    assert outs[0]["id"] == 1 and outs[0]["language"] == "und" and outs[1]["line"] == 2


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--batch-size", "0"], "--batch-size 0 is out of range"),
        (["--batch-size", "10001"], "out of range"),
        (["--input", "/nonexistent/in.jsonl"], "cannot read /nonexistent/in.jsonl"),
        (["--input", "."], "cannot read ."),
        (["--output", "/nonexistent/dir/out.jsonl"], "cannot write"),
    ],
)
def test_unusable_options_exit_2_with_a_message(argv, message, capsys, tmp_path, monkeypatch):
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(b"")))
    with pytest.raises(SystemExit) as exc:
        main(["analyze", *argv])
    assert exc.value.code == 2 and message in capsys.readouterr().err


def test_the_output_may_not_overwrite_the_input(tmp_path, capsys):
    src = tmp_path / "in.jsonl"
    src.write_bytes(j({"id": 1, "text": "keep me"}))
    with pytest.raises(SystemExit) as exc:
        main(["analyze", "--input", str(src), "--output", str(tmp_path / "." / "in.jsonl")])
    assert exc.value.code == 2 and "same file" in capsys.readouterr().err
    assert src.read_bytes() == j({"id": 1, "text": "keep me"})


def test_a_closed_pipe_stops_the_command_quietly(tmp_path):
    src = tmp_path / "in.jsonl"
    src.write_bytes(j({"id": 1, "text": ""}) * 20_000)
    proc = subprocess.Popen(
        [sys.executable, "-m", "cxloop.cli", "analyze", "--input", str(src), "--batch-size", "1"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        cwd=REPO,
    )
    first = proc.stdout.readline()
    proc.stdout.close()
    _, err = proc.communicate(timeout=120)
    assert json.loads(first)["id"] == 1
    assert b"Traceback" not in err and b"BrokenPipe" not in err
    assert proc.returncode == 1
