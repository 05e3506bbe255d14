"""Running a survey: which page comes next, which questions show, what an answer must be, what is stored.

Pure Python over a SurveyDefinition and a respondent's state; the public page, the widget and the
server-to-server API all go through it, so a response is checked the same way whichever way it arrives.

State (kept on the Response row as JSON):
    answers  {question key: value}  value by type: number for scores/number, str for text/choice/date,
             list[str] for multi_choice/ranking, bool for yes_no/consent, {row: number} for matrix;
             a repeated block's answers are keyed "<key>.<n>" for the n-th instance (n >= 2)
    other    {question key: text}   the "other" text of a choice question
    hidden   {field: value}         hidden fields from the link
    repeats  {block key: count}     instances of a repeatable block
"""

from __future__ import annotations

import contextlib
import hashlib
import math
import random
import re
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from .chrome import REQUIRED, TICK
from .definition import FIXED_SCALES, Block, Condition, Question, SurveyDefinition, text_in

OTHER = "other"
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_PIPE = re.compile(r"\{\{\s*(answer|hidden):([a-z][a-z0-9_]*)\s*\}\}")


@dataclass
class State:
    answers: dict[str, Any] = field(default_factory=dict)
    other: dict[str, str] = field(default_factory=dict)
    hidden: dict[str, str] = field(default_factory=dict)
    repeats: dict[str, int] = field(default_factory=dict)
    seed: str = ""

    @classmethod
    def load(cls, data: dict | None, seed: str = "") -> State:
        data = data or {}
        return cls(
            answers=dict(data.get("answers") or {}),
            other=dict(data.get("other") or {}),
            hidden=dict(data.get("hidden") or {}),
            repeats=dict(data.get("repeats") or {}),
            seed=seed,
        )

    def dump(self, into: dict[str, Any] | None = None) -> dict[str, Any]:
        """The state as JSON; `into` (the stored state) keeps its other keys, e.g. customer_id."""
        return {
            **(into or {}),
            "answers": self.answers,
            "other": self.other,
            "hidden": self.hidden,
            "repeats": self.repeats,
        }


@dataclass
class Page:
    """What one screen shows: questions of one block (or one question, or everything)."""

    index: int
    blocks: list[Block]
    questions: list[tuple[Block, Question]]


class AnswerError(ValueError):
    def __init__(self, key: str, message: str):
        super().__init__(message)
        self.key = key
        self.message = message


# -- conditions ---------------------------------------------------------------------------------------------
def _number(v: Any) -> float | None:
    if isinstance(v, bool):
        return float(v)
    try:
        return float(v) if isinstance(v, int | float) else float(str(v))
    except (TypeError, ValueError, OverflowError):  # OverflowError: an int too large for a float
        return None


def evaluate(cond: Condition | None, state: State) -> bool:
    if cond is None:
        return True
    if cond.all is not None:
        return all(evaluate(c, state) for c in cond.all)
    if cond.any is not None:
        return any(evaluate(c, state) for c in cond.any)
    actual = state.answers.get(cond.q) if cond.q is not None else state.hidden.get(cond.hidden or "")
    op, expected = cond.op, cond.value
    present = actual not in (None, "", [], {})
    if op == "answered":
        return present
    if op == "not_answered":
        return not present
    if not present:
        return op in ("neq", "not_in")
    if op == "contains":
        return isinstance(actual, list) and expected in actual
    if op in ("in", "not_in"):
        hit = (
            any(_same(actual, e) for e in expected)
            if not isinstance(actual, list)
            else any(a in expected for a in actual)
        )
        return hit if op == "in" else not hit
    if op == "eq":
        return _same(actual, expected)
    if op == "neq":
        return not _same(actual, expected)
    a, b = _number(actual), _number(expected)
    if a is None or b is None:
        return False
    return {"lt": a < b, "lte": a <= b, "gt": a > b, "gte": a >= b}[op]


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, bool) or isinstance(b, bool):
        return str(a).lower() == str(b).lower()
    na, nb = _number(a), _number(b)
    if na is not None and nb is not None and not isinstance(a, str | list):
        return na == nb
    return str(a) == str(b)


# -- pages and order ----------------------------------------------------------------------------------------
def _rng(state: State, salt: str) -> random.Random:
    digest = hashlib.sha256(f"{state.seed}:{salt}".encode()).digest()
    return random.Random(int.from_bytes(digest[:8], "big"))  # noqa: S311 - an order, not a secret


def block_questions(block: Block, state: State) -> list[Question]:
    questions = list(block.questions)
    if block.randomize:
        _rng(state, block.key).shuffle(questions)
    return questions


def pages(defn: SurveyDefinition, state: State) -> list[Page]:
    """The survey's screens in order (before logic: skipped blocks are still listed)."""
    out: list[Page] = []
    if defn.layout == "single_page":
        pairs = [(b, q) for b in defn.blocks for q in block_questions(b, state)]
        return [Page(0, list(defn.blocks), pairs)]
    for block in defn.blocks:
        qs = block_questions(block, state)
        if defn.layout == "one_per_screen" and block.repeat is None:
            out.extend(Page(len(out), [block], [(block, q)]) for q in qs)
        else:
            out.append(Page(len(out), [block], [(block, q) for q in qs]))
    return out


def block_visible(block: Block, state: State) -> bool:
    return evaluate(block.show_if, state)


def page_visible(page: Page, state: State) -> bool:
    if not any(block_visible(b, state) for b in page.blocks):
        return False
    return any(evaluate(q.show_if, state) for b, q in page.questions if block_visible(b, state))


def next_page(defn: SurveyDefinition, state: State, after: int | None) -> int | str:
    """Index of the next page to show after page `after` (None: the first), or "end:<ending key>"."""
    all_pages = pages(defn, state)
    start = 0 if after is None else after + 1
    if after is not None:
        current = all_pages[after]
        last_block = current.blocks[-1]
        # the respondent leaves the block when none of its remaining pages (one_per_screen) is shown
        is_last_of_block = not any(
            page_visible(p, state) for p in all_pages[after + 1 :] if p.blocks[0] is last_block
        )
        if is_last_of_block and defn.layout != "single_page":
            for jump in last_block.jumps:
                if evaluate(jump.if_, state):
                    if jump.to == "end":
                        return f"end:{defn.endings[0].key}"
                    if jump.to.startswith("end:"):
                        return jump.to
                    for p in all_pages:
                        if p.blocks[0].key == jump.to:
                            start = p.index
                            break
                    break
    for p in all_pages[start:]:
        if page_visible(p, state):
            return p.index
    return f"end:{defn.endings[0].key}"


def visible_questions(page: Page, state: State) -> list[tuple[Block, Question]]:
    return [(b, q) for b, q in page.questions if block_visible(b, state) and evaluate(q.show_if, state)]


def instances(block: Block, state: State) -> int:
    return max(1, min(state.repeats.get(block.key, 1), block.repeat.max)) if block.repeat else 1


def instance_key(key: str, n: int) -> str:
    return key if n == 1 else f"{key}.{n}"


# -- rendering helpers --------------------------------------------------------------------------------------
def display_value(defn: SurveyDefinition, q: Question | None, value: Any, language: str, state: State) -> str:
    if value is None:
        return ""
    if q is not None and q.type in ("choice", "multi_choice", "ranking"):
        labels = {
            o.key: text_in(o.label, language, defn.default_language) for o in options_of(defn, q, state)
        }
        values = value if isinstance(value, list) else [value]
        shown = [state.other.get(q.key, "") or "other" if v == OTHER else labels.get(v, v) for v in values]
        return ", ".join(shown)
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def pipe(text: str, defn: SurveyDefinition, state: State, language: str) -> str:
    """Fill {{answer:key}} and {{hidden:field}} in a label."""

    def fill(m: re.Match) -> str:
        kind, key = m.group(1), m.group(2)
        if kind == "hidden":
            return str(state.hidden.get(key, ""))
        return display_value(defn, defn.question(key), state.answers.get(key), language, state)

    return _PIPE.sub(fill, text) if "{{" in text else text


def options_of(defn: SurveyDefinition, q: Question, state: State):
    """A choice question's options: its own, plus those carried forward from an earlier question."""
    options = list(q.options)
    if q.carry_forward is not None:
        src = defn.question(q.carry_forward.from_)
        if src is not None:
            chosen = state.answers.get(src.key)
            chosen = set(chosen if isinstance(chosen, list) else [chosen] if chosen else [])
            want = q.carry_forward.which == "chosen"
            options = [o for o in src.options if (o.key in chosen) == want] + options
    if q.randomize_options:
        _rng(state, q.key).shuffle(options)
    return options


# -- checking one answer -------------------------------------------------------------------------------------
def scale_of(q: Question) -> tuple[int, int] | None:
    if q.scale is not None:
        return tuple(q.scale)
    return FIXED_SCALES.get(q.type)


def _whole(q: Question, raw: Any) -> int:
    lo, hi = scale_of(q) or (0, 10)
    n = _number(raw) if not isinstance(raw, bool) else None
    if n is None or not math.isfinite(n) or n != int(n):
        raise AnswerError(q.key, f"Choose a whole number from {lo} to {hi}.")
    if not lo <= n <= hi:
        raise AnswerError(q.key, f"{int(n)} is outside the scale {lo} to {hi}.")
    return int(n)


def check_answer(
    defn: SurveyDefinition, q: Question, raw: Any, state: State, other_text: str = ""
) -> tuple[Any, str]:
    """The stored form of one answer to `q`, and its "other" text; raises AnswerError naming the problem.
    `raw` is a JSON value (API, widget) or what a form posted (strings)."""
    t = q.type
    if t in ("nps", "csat", "ces", "rating"):
        return _whole(q, raw), ""
    if t == "number":
        n = _number(raw) if not isinstance(raw, bool) else None
        if n is None or n != n or n in (float("inf"), float("-inf")):
            raise AnswerError(q.key, "Enter a number.")
        if q.minimum is not None and n < q.minimum:
            raise AnswerError(q.key, f"Enter a number of at least {q.minimum:g}.")
        if q.maximum is not None and n > q.maximum:
            raise AnswerError(q.key, f"Enter a number of at most {q.maximum:g}.")
        return (int(n) if n.is_integer() else n), ""
    if t == "text":
        if not isinstance(raw, str):
            raise AnswerError(q.key, "Enter text.")
        value = raw.strip()
        if len(value) > q.max_length:
            raise AnswerError(q.key, f"Keep it under {q.max_length:,} characters (this has {len(value):,}).")
        return value, ""
    if t == "date":
        value = raw.strip() if isinstance(raw, str) else ""
        try:
            if not _DATE.fullmatch(value):  # fromisoformat also reads 20260131 and 2026-W05-6
                raise ValueError(value)
            return date.fromisoformat(value).isoformat(), ""
        except ValueError:
            raise AnswerError(q.key, "Enter a date like 2026-01-31.") from None
    if t in ("yes_no", "consent"):
        truthy = {"yes": True, "true": True, "1": True, "on": True, "no": False, "false": False, "0": False}
        if isinstance(raw, bool):
            flag = raw
        elif str(raw).strip().lower() in truthy:
            flag = truthy[str(raw).strip().lower()]
        else:
            raise AnswerError(q.key, "Answer yes or no.")
        if t == "consent" and q.required and not flag:
            raise AnswerError(q.key, TICK)
        return flag, ""
    keys = [o.key for o in options_of(defn, q, state)]
    if t == "choice":
        if isinstance(raw, list):
            raise AnswerError(q.key, "Choose one option.")
        value = str(raw).strip()
        if value in keys:
            return value, ""
        if q.allow_other and (value == OTHER or value not in keys):
            text = (other_text if value == OTHER else value).strip()
            if not text:
                raise AnswerError(q.key, "Say what your other answer is.")
            return OTHER, text[:500]
        raise AnswerError(q.key, f"{value!r} is not one of the options.")
    if t == "ranking" and isinstance(raw, dict):  # {option key: position}, as the page's number pickers send
        raw = _ranked(q, raw, len(keys))
    if t in ("multi_choice", "ranking"):
        values = raw if isinstance(raw, list) else [raw]
        values = [str(v).strip() for v in values if str(v).strip()]
        if len(set(values)) != len(values):
            raise AnswerError(q.key, "An option is chosen twice.")
        other = ""
        unknown = [v for v in values if v not in keys and v != OTHER]
        if unknown:
            if q.allow_other and len(unknown) == 1 and OTHER not in values:
                other = unknown[0]
                values = [OTHER if v == unknown[0] else v for v in values]
            else:
                raise AnswerError(q.key, f"{', '.join(map(repr, unknown))} is not one of the options.")
        if OTHER in values:
            if not q.allow_other:
                raise AnswerError(q.key, '"other" is not an option here.')
            other = (other or other_text).strip()
            if not other:
                raise AnswerError(q.key, "Say what your other answer is.")
        if t == "ranking" and set(values) != set(keys):
            raise AnswerError(q.key, "Rank every option.")
        return values, other[:500]
    if t == "matrix":
        if not isinstance(raw, dict):
            raise AnswerError(q.key, "Answer each row.")
        rows = {r.key for r in q.rows}
        unknown = sorted(set(raw) - rows)
        if unknown:
            raise AnswerError(q.key, f"Row {unknown[0]!r} is not in this question.")
        out = {}
        for row, v in raw.items():
            if v in (None, ""):
                continue
            out[row] = _whole(q, v)
        if q.required and set(out) != rows:
            raise AnswerError(q.key, "Answer every row.")
        return out, ""
    raise AnswerError(q.key, f"Unknown question type {t}.")  # pragma: no cover - the schema forbids it


def _ranked(q: Question, positions: dict[str, Any], count: int) -> list[str]:
    """Option keys in order of their positions, which must be 1..count, each once."""
    given = {k: None if isinstance(v, bool) else _number(v) for k, v in positions.items() if str(v).strip()}
    numbers = list(given.values())
    wrong = any(n is None or not 1 <= n <= count or n != int(n) for n in numbers)
    if wrong or len(set(numbers)) != len(numbers):
        raise AnswerError(q.key, f"Give each option a different number from 1 to {count}.")
    return sorted(given, key=lambda k: given[k])


def is_empty(q: Question, raw: Any) -> bool:
    if raw is None:
        return True
    if isinstance(raw, str):
        return not raw.strip()
    if isinstance(raw, list | dict):
        return not any(str(v).strip() for v in (raw.values() if isinstance(raw, dict) else raw))
    return False


def apply_page(
    defn: SurveyDefinition, page: Page, state: State, submitted: dict[str, Any], others: dict[str, str]
) -> dict[str, str]:
    """Check a page's answers and write them into `state`. Returns {answer key: error} (empty when all
    is well; nothing is written then). Answers to questions the logic hides are dropped."""
    errors: dict[str, str] = {}
    staged: dict[str, Any] = {}
    staged_other: dict[str, str] = {}
    # conditions may read answers given on this same page: evaluate them against the page's answers too
    trial = State(
        answers={**state.answers},
        other=state.other,
        hidden=state.hidden,
        repeats=state.repeats,
        seed=state.seed,
    )
    for b, q in page.questions:
        for n in range(1, instances(b, state) + 1):
            key = instance_key(q.key, n)
            raw = submitted.get(key)
            if not is_empty(q, raw):
                with contextlib.suppress(AnswerError):
                    trial.answers[key] = check_answer(defn, q, raw, state, others.get(key, ""))[0]
    for b, q in page.questions:
        if not block_visible(b, trial) or not evaluate(q.show_if, trial):
            continue
        for n in range(1, instances(b, state) + 1):
            key = instance_key(q.key, n)
            raw = submitted.get(key)
            if is_empty(q, raw):
                if q.required and (n == 1 or _instance_started(b, n, submitted)):
                    errors[key] = REQUIRED if q.type != "consent" else TICK
                continue
            try:
                value, other = check_answer(defn, q, raw, state, others.get(key, ""))
            except AnswerError as exc:
                errors[key] = exc.message
                continue
            staged[key] = value
            if other:
                staged_other[key] = other
    if errors:
        return errors
    for b, q in page.questions:  # answers to this page replace what was there (going back and changing)
        for n in range(1, instances(b, state) + 1):
            key = instance_key(q.key, n)
            state.answers.pop(key, None)
            state.other.pop(key, None)
    state.answers.update(staged)
    state.other.update(staged_other)
    return {}


def drop_skipped(defn: SurveyDefinition, state: State) -> list[str]:
    """Remove the answers to questions the logic no longer shows, e.g. a branch left when the respondent went
    back and changed an earlier answer. The route is walked from the first page counting only the answers on
    it, so a condition never reads an answer from a branch left behind. Returns the keys removed."""
    on_route = State(hidden=state.hidden, repeats=state.repeats, seed=state.seed)
    all_pages = pages(defn, state)
    at = next_page(defn, on_route, None)
    while isinstance(at, int):
        page = all_pages[at]
        keys = [instance_key(q.key, n) for b, q in page.questions for n in range(1, instances(b, state) + 1)]
        on_route.answers.update({k: state.answers[k] for k in keys if k in state.answers})
        shown = {
            instance_key(q.key, n)
            for b, q in visible_questions(page, on_route)
            for n in range(1, instances(b, state) + 1)
        }
        for k in keys:
            if k not in shown:
                on_route.answers.pop(k, None)
        at = next_page(defn, on_route, at)
    dropped = [k for k in state.answers if k not in on_route.answers]
    for k in dropped:
        del state.answers[k]
        state.other.pop(k, None)
    return dropped


def _instance_started(block: Block, n: int, submitted: dict[str, Any]) -> bool:
    return any(not is_empty(q, submitted.get(instance_key(q.key, n))) for q in block.questions)


def check_complete(defn: SurveyDefinition, state: State, submitted: dict[str, Any]) -> dict[str, str]:
    """Check a whole response given at once (API, widget): walk the pages the logic leads through, apply
    each, and refuse answers to questions the path never showed. Returns {answer key: error}."""
    known = {q.key for q in defn.questions()}
    unknown = sorted(k for k in submitted if k.removesuffix("__other").split(".")[0] not in known)
    if unknown:
        return {k: "There is no such question in this survey." for k in unknown}
    errors: dict[str, str] = {}
    for b in defn.blocks:
        if b.repeat:
            count = 1 + max(
                (
                    int(k.rsplit(".", 1)[1]) - 1
                    for k in submitted
                    if "." in k
                    and k.rsplit(".", 1)[1].isdigit()
                    and k.rsplit(".", 1)[0] in {q.key for q in b.questions}
                ),
                default=0,
            )
            if count > b.repeat.max:
                errors[b.key] = f"Block {b.key} can be repeated at most {b.repeat.max} times."
            state.repeats[b.key] = min(count, b.repeat.max)
    if errors:
        return errors
    others = {k[: -len("__other")]: str(v) for k, v in submitted.items() if k.endswith("__other")}
    shown: set[str] = set()
    at: int | str = next_page(defn, state, None)
    all_pages = pages(defn, state)
    guard = 0
    while isinstance(at, int) and guard <= len(all_pages):
        guard += 1
        page = all_pages[at]
        page_errors = apply_page(defn, page, state, submitted, others)
        if page_errors:
            return page_errors
        for b, q in visible_questions(page, state):  # a question its own page's answers hide is skipped too
            for n in range(1, instances(b, state) + 1):
                shown.add(instance_key(q.key, n))
        at = next_page(defn, state, at)
    skipped = sorted(
        k
        for k in submitted
        if k not in shown
        and not k.endswith("__other")
        and not is_empty(defn.question(k.split(".")[0]), submitted[k])
    )
    if skipped:
        return {k: "The survey's logic skips this question for these answers." for k in skipped}
    return {}


# -- what the feedback store keeps ---------------------------------------------------------------------------
ANSWER_TYPE = {
    "nps": "nps",
    "csat": "csat",
    "ces": "ces",
    "rating": "rating",
    "choice": "choice",
    "multi_choice": "multi_choice",
    "ranking": "multi_choice",
    "text": "text",
    "yes_no": "yes_no",
    "consent": "yes_no",
    "number": "number",
    "date": "date",
}


def stored_answers(defn: SurveyDefinition, state: State) -> list[dict[str, Any]]:
    """The response as feedback-store answers (the AnswerIn shape): one per answered question, one per
    matrix row. Choice answers keep option keys; an "other" answer keeps its text."""
    out: list[dict[str, Any]] = []
    for b in defn.blocks:
        for q in b.questions:
            for n in range(1, instances(b, state) + 1):
                key = instance_key(q.key, n)
                value = state.answers.get(key)
                if value is None:
                    continue
                if q.type == "matrix":
                    for row, v in value.items():
                        out.append(
                            {"key": f"{key}.{row}", "type": "rating", "value": v, "scale": scale_of(q)}
                        )
                    continue
                answer: dict[str, Any] = {"key": key, "type": ANSWER_TYPE[q.type], "value": value}
                if scale_of(q) and q.type in ("nps", "csat", "ces", "rating"):
                    answer["scale"] = scale_of(q)
                if key in state.other:
                    answer["text"] = state.other[key]
                out.append(answer)
    return out


def response_text(defn: SurveyDefinition, state: State) -> str:
    """The respondent's own words (open text and "other" answers), for the item's text field."""
    parts = []
    for b in defn.blocks:
        for q in b.questions:
            for n in range(1, instances(b, state) + 1):
                key = instance_key(q.key, n)
                if q.type == "text" and state.answers.get(key):
                    parts.append(state.answers[key])
                elif key in state.other:
                    parts.append(state.other[key])
    return "\n\n".join(parts)


def progress(defn: SurveyDefinition, state: State, at: int) -> int:
    """Percent of the way through at page `at` (of the pages the logic can still show)."""
    all_pages = pages(defn, state)
    remaining = sum(1 for p in all_pages[at:] if page_visible(p, state))
    done = at
    total = done + remaining
    return int(100 * done / total) if total else 100


def text(defn: SurveyDefinition, value, language: str, state: State | None = None) -> str:
    out = text_in(value, language, defn.default_language)
    return pipe(out, defn, state, language) if state is not None else out
