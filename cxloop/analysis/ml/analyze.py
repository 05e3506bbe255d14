"""`cxloop analyze`: JSON lines in, JSON lines out, with the shipped default models (nothing is trained).

Each input line is an object `{"id": ..., "text": ...}`. Each non-blank input line gives one output line, in
input order:

- a text that was read: `{"id", "language", "language_confidence", "sentiment", "sentiment_score",
  "emotions", "themes", "flags", "pii", "notes"}`, plus `"error"` when the pipeline could not read that one
  text. `id` is echoed as given (any JSON scalar; `null` when missing). `pii` lists the kinds of personal data
  found (the data itself is never written). Floats are rounded to 4 places; a value not yet produced by the
  pipeline is `null` (sentiment) or empty.
- a line that could not be used: `{"line": N, "error": "..."}` (N counts from 1, blank lines included),
  with `"id"` too when the line was an object with a usable id. Invalid JSON, a non-object, a missing or null
  "text", a non-string "text", an id that is an array or object, invalid UTF-8 and lines longer than
  MAX_LINE_BYTES are such lines; the run goes on.

Blank lines give no output (but count for line numbers). Lines are read lazily and texts are read in batches
of at most `batch_size` (and at most MAX_BATCH_CHARS characters), so memory stays bounded by one batch
whatever the length of the input. No Django here.
"""

from __future__ import annotations

import dataclasses
import json
import math
import numbers
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import IO, Any

MAX_LINE_BYTES = 1 << 20  # 1 MiB: a longer line is reported, not parsed (the pipeline looks at ≤ 1M chars)
MAX_BATCH_CHARS = 16_000_000  # a batch is read early once its texts hold this many characters
MAX_BATCH_SIZE = 10_000
FLOAT_DIGITS = 4

_BOM = "\ufeff"


@dataclass
class Stats:
    lines: int = 0  # every input line, blank ones included
    blank: int = 0
    invalid: int = 0  # lines that were not a usable {"id", "text"} object
    analysed: int = 0  # texts given to the pipeline
    failed: int = 0  # texts the pipeline returned with an error
    batches: int = 0

    @property
    def errors(self) -> int:
        return self.invalid + self.failed


class _BadLine(ValueError):
    def __init__(self, message: str, id_: Any = None, has_id: bool = False):
        super().__init__(message)
        self.message, self.id, self.has_id = message, id_, has_id


def iter_lines(stream: IO[bytes], max_bytes: int = MAX_LINE_BYTES) -> Iterator[bytes]:
    """The lines of a binary stream, each cut to at most `max_bytes + 1` bytes (the rest of an over-long line
    is read and dropped, so memory stays bounded); `analyze_stream` reports such a line as too long."""
    while True:
        line = stream.readline(max_bytes + 1)
        if not line:
            return
        if len(line) > max_bytes and not line.endswith(b"\n"):
            while True:  # discard the rest of the line, a bounded piece at a time
                rest = stream.readline(max_bytes + 1)
                if not rest or rest.endswith(b"\n"):
                    break
        yield line


def _finite(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"number out of range: {text[:40]}")
    return value


def _no_constants(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


def _line_size(line: str | bytes) -> int:
    if isinstance(line, bytes | bytearray):
        return len(line)
    return len(line) if line.isascii() else len(line.encode("utf-8", "surrogatepass"))


def _parse(line: str | bytes, number: int, max_bytes: int) -> tuple[Any, str]:
    """(id, text) of one non-blank line, or _BadLine."""
    if _line_size(line.rstrip(b"\r\n" if isinstance(line, bytes | bytearray) else "\r\n")) > max_bytes:
        raise _BadLine(f"line longer than {max_bytes:,} bytes: skipped")
    if isinstance(line, bytes | bytearray):
        try:
            line = bytes(line).decode("utf-8")
        except UnicodeDecodeError as exc:
            raise _BadLine(f"invalid UTF-8 at byte {exc.start + 1} of the line") from None
    if number == 1 and line.startswith(_BOM):
        line = line[1:]
    try:
        obj = json.loads(line, parse_float=_finite, parse_constant=_no_constants)
    except (ValueError, RecursionError) as exc:
        detail = exc.msg if isinstance(exc, json.JSONDecodeError) else str(exc)
        where = f" (column {exc.colno})" if isinstance(exc, json.JSONDecodeError) else ""
        raise _BadLine(f"invalid JSON: {detail}{where}") from None
    if not isinstance(obj, dict):
        raise _BadLine(f'expected a JSON object {{"id": ..., "text": ...}}, got {_json_type(obj)}')
    id_ = obj.get("id")
    if isinstance(id_, dict | list):
        raise _BadLine(f'"id" must be a string, number, boolean or null, not {_json_type(id_)}')
    if "text" not in obj:
        raise _BadLine('missing "text"', id_, True)
    text = obj["text"]
    if text is None:
        raise _BadLine('"text" is null', id_, True)
    if not isinstance(text, str):
        raise _BadLine(f'"text" must be a string, not {_json_type(text)}', id_, True)
    return id_, text


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    return "an object"


def _plain(value: Any) -> Any:
    """A JSON-ready copy: floats rounded (non-finite ones become null), containers and dataclasses copied."""
    if value is None or isinstance(value, str | bool | int):
        return value
    if isinstance(value, float):
        return round(value, FLOAT_DIGITS) if math.isfinite(value) else None
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [_plain(v) for v in value]
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return _plain(dataclasses.asdict(value))
    if hasattr(value, "tolist"):  # numpy scalars and arrays
        return _plain(value.tolist())
    if isinstance(value, numbers.Integral):
        return int(value)
    if isinstance(value, numbers.Real):
        return _plain(float(value))
    return str(value)


def _pii_kinds(spans: Any) -> list[str]:
    kinds: list[str] = []
    for span in spans or ():
        kind = span.get("kind") if isinstance(span, dict) else getattr(span, "kind", None)
        if kind and str(kind) not in kinds:
            kinds.append(str(kind))
    return kinds


def reading_to_dict(id_: Any, reading: Any) -> dict[str, Any]:
    """The output object for one text: fields the Reading lacks get empty defaults, others are ignored."""
    out = {
        "id": id_,
        "language": getattr(reading, "language", None) or "und",
        "language_confidence": _plain(getattr(reading, "language_confidence", 0.0)),
        "sentiment": getattr(reading, "sentiment", None) or None,
        "sentiment_score": _plain(getattr(reading, "sentiment_score", None)),
        "emotions": _plain(getattr(reading, "emotions", None) or {}),
        "themes": _plain(getattr(reading, "themes", None) or []),
        "flags": _plain(getattr(reading, "flags", None) or {}),
        "pii": _pii_kinds(getattr(reading, "pii", None)),
        "notes": _plain(getattr(reading, "notes", None) or []),
    }
    error = getattr(reading, "error", None)
    if error:
        out["error"] = str(error)
    return out


def _dumps(obj: dict[str, Any]) -> str:
    line = json.dumps(obj, ensure_ascii=False, allow_nan=False, separators=(", ", ": "))
    if not line.isascii():
        try:
            line.encode("utf-8")
        except UnicodeEncodeError:  # a lone surrogate from a "\ud800" escape in an id: keep it escaped
            line = json.dumps(obj, ensure_ascii=True, allow_nan=False, separators=(", ", ": "))
    return line + "\n"


def _read_batch(read: Callable[[Sequence[str]], list[Any]], texts: list[str]) -> list[Any]:
    """One Reading per text; if the whole batch fails, each text is read alone so one bad text costs one."""
    try:
        readings = list(read(texts))
        if len(readings) == len(texts):
            return readings
        problem = f"the pipeline returned {len(readings)} readings for {len(texts)} texts"
    except Exception as exc:
        problem = f"{type(exc).__name__}: {exc}"
    if len(texts) == 1:
        return [_Failed(problem[:500])]
    out = []
    for text in texts:
        out.extend(_read_batch(read, [text]))
    return out


@dataclass
class _Failed:
    error: str


def analyze_stream(
    lines: Iterable[str | bytes],
    write: Callable[[str], None],
    *,
    read: Callable[[Sequence[str]], list[Any]] | None = None,
    batch_size: int = 256,
    flush: Callable[[], None] | None = None,
    max_line_bytes: int = MAX_LINE_BYTES,
    max_batch_chars: int = MAX_BATCH_CHARS,
) -> Stats:
    """Read JSON lines, write one JSON line (ending in "\\n") per non-blank input line, in input order.

    `read(texts) -> readings` defaults to `pipeline.read`; it is called once per batch of at most
    `batch_size` texts. `flush` (if given) is called after each batch's lines are written.
    """
    if not 1 <= batch_size <= MAX_BATCH_SIZE:
        raise ValueError(f"batch_size must be between 1 and {MAX_BATCH_SIZE:,}, not {batch_size}")
    if read is None:
        from .pipeline import read

    stats = Stats()
    pending: list[tuple[Any, ...]] = []  # ("ok", id) or ("bad", error object), in input order
    texts: list[str] = []
    chars = 0

    def emit() -> None:
        nonlocal chars
        readings = _read_batch(read, texts) if texts else []
        if texts:
            stats.batches += 1
            stats.analysed += len(texts)
        it = iter(readings)
        for kind, payload in pending:
            if kind == "bad":
                write(_dumps(payload))
            else:
                out = reading_to_dict(payload, next(it))
                stats.failed += "error" in out
                write(_dumps(out))
        pending.clear()
        texts.clear()
        chars = 0
        if flush is not None:
            flush()

    for number, line in enumerate(lines, start=1):
        stats.lines += 1
        if not line.strip():
            stats.blank += 1
            continue
        try:
            id_, text = _parse(line, number, max_line_bytes)
        except _BadLine as exc:
            stats.invalid += 1
            error: dict[str, Any] = {"line": number}
            if exc.has_id:
                error["id"] = exc.id
            error["error"] = exc.message
            pending.append(("bad", error))
        else:
            pending.append(("ok", id_))
            texts.append(text)
            chars += len(text)
        if len(pending) >= batch_size or chars >= max_batch_chars:
            emit()
    if pending:
        emit()
    return stats
