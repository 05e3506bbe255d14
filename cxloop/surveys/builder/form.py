"""Reading the builder's form: the posted values as a definition, with keys made from labels and renamed keys
followed into the conditions, jumps, carry-forwards and piped labels that use them.

Form field names are the definition's own paths, so an error's `loc` names the input it concerns:
``blocks.0.questions.1.label.en`` is the English label of the second question of the first block.
A text has one input per survey language (``<path>.<lang>``), and ``<path>.plain`` when it is stored as one
text for every language. A condition is edited as rows (``<path>.<n>.subject|op|value``, ``<path>.mode``).
"""

from __future__ import annotations

import copy
import json
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from ..definition import CHOICE_TYPES, FIXED_SCALES, OPS, QUESTION_TYPES

OP_WORDS = {
    "eq": "is",
    "neq": "is not",
    "lt": "is less than",
    "lte": "is at most",
    "gt": "is more than",
    "gte": "is at least",
    "in": "is one of",
    "not_in": "is none of",
    "contains": "includes",
    "answered": "is answered",
    "not_answered": "is not answered",
}
assert set(OP_WORDS) == set(OPS)
SCALE_TYPES = ("nps", "csat", "ces", "rating")  # one scale of points with a style and end labels
NUMERIC_TYPES = {"nps", "csat", "ces", "rating", "number"}
YES_NO_TYPES = {"yes_no", "consent"}
TEXT_FIELDS = {
    "welcome": ("title", "text", "button"),
    "block": ("title",),
    "repeat": ("label",),
    "question": ("label", "help", "min_label", "max_label"),
    "option": ("label",),
    "ending": ("title", "text"),
}
_NEW_QUESTION: dict[str, tuple[str, str, dict[str, Any]]] = {  # type: (key, label, other fields)
    "nps": (
        "nps",
        "How likely are you to recommend us to a friend or colleague?",
        {"required": True, "min_label": "Not at all likely", "max_label": "Extremely likely"},
    ),
    "csat": (
        "csat",
        "How satisfied are you?",
        {"required": True, "min_label": "Very dissatisfied", "max_label": "Very satisfied"},
    ),
    "ces": (
        "ces",
        "How easy was it to get what you needed?",
        {"required": True, "scale": [1, 7], "min_label": "Very difficult", "max_label": "Very easy"},
    ),
    "rating": ("rating", "How would you rate it?", {"scale": [1, 5], "style": "stars"}),
    "choice": ("choice", "Which one fits best?", {}),
    "multi_choice": ("multi_choice", "Which of these apply?", {}),
    "text": ("comment", "Anything else you would like to tell us?", {"multiline": True}),
    "yes_no": ("yes_no", "Did we solve your problem?", {}),
    "number": ("number", "How many?", {}),
    "date": ("date", "When was it?", {}),
    "matrix": (
        "matrix",
        "How would you rate…",
        {"scale": [1, 5], "min_label": "Poor", "max_label": "Excellent"},
    ),
    "ranking": ("ranking", "Put these in order of importance", {}),
    "consent": ("consent", "You may contact me about my answers.", {}),
}
assert set(_NEW_QUESTION) == set(QUESTION_TYPES)


class OpError(ValueError):
    """A builder action that cannot be done (e.g. removing a block's only question)."""

    def __init__(self, loc: str, msg: str):
        super().__init__(msg)
        self.loc = loc
        self.msg = msg


@dataclass
class Edit:
    """What a builder form asks for: the survey's own fields and its whole definition."""

    name: str
    touchpoint: str
    closed_message: str
    definition: dict[str, Any]


class _Values:
    """A posted form (Django's QueryDict) or a plain dict of str / list[str], read the same way."""

    def __init__(self, data):
        self.data = data

    def get(self, name: str) -> str:
        if hasattr(self.data, "getlist"):
            value = self.data.get(name, "")
        else:
            value = self.data.get(name, "")
            value = value[-1] if isinstance(value, list) and value else value
        return str(value or "").replace("\r\n", "\n")

    def getlist(self, name: str) -> list[str]:
        if hasattr(self.data, "getlist"):
            return [str(v) for v in self.data.getlist(name)]
        value = self.data.get(name, [])
        return [str(v) for v in (value if isinstance(value, list) else [value])]

    def flag(self, name: str) -> bool:
        return self.get(name) not in ("", "0", "false", "off")

    def indices(self, prefix: str, suffix: str) -> list[int]:
        pattern = re.compile(rf"^{re.escape(prefix)}\.(\d+)\.{re.escape(suffix)}$")
        found = {int(m.group(1)) for m in map(pattern.match, self.data.keys()) if m}
        return sorted(found)


# -- keys --------------------------------------------------------------------------------------------------
def key_from(text: str, taken: set[str] | list[str], fallback: str = "q") -> str:
    """A key (lower-case letters, digits, _) made from a label, unique among `taken`."""
    ascii_text = unicodedata.normalize("NFKD", text or "").encode("ascii", "ignore").decode()
    words = [w for w in re.split(r"[^a-z0-9]+", ascii_text.lower()) if w]
    base = ""
    for word in words:
        if len(base) + len(word) + 1 > 30 and base:
            break
        base = f"{base}_{word}" if base else word
    if not base or not base[0].isalpha():
        base = f"{fallback}_{base}" if base else fallback
    base = base[:44]
    key, n = base, 2
    while key in taken:
        key, n = f"{base}_{n}", n + 1
    return key


def new_question(qtype: str, taken: set[str], label: str = "") -> dict[str, Any]:
    """A question of `qtype` with sensible defaults, its key made from the label (or the type)."""
    if qtype not in _NEW_QUESTION:
        raise OpError("", f"There is no question type {qtype!r}.")
    base_key, default_label, extra = _NEW_QUESTION[qtype]
    label = label.strip()
    key = key_from(label, taken) if label else key_from(base_key, taken)
    question = {"key": key, "type": qtype, "label": label or default_label, **copy.deepcopy(extra)}
    return fit_type(question)


def fit_type(q: dict[str, Any]) -> dict[str, Any]:
    """Give a question what its type needs (two options, a matrix row, a scale) and drop what it has not."""
    t = q.get("type")
    if t in CHOICE_TYPES:
        options = q.setdefault("options", [])
        while not q.get("carry_forward") and len(options) < 2:
            n = len(options) + 1
            options.append(
                {"key": key_from(f"option {n}", {o["key"] for o in options}), "label": f"Option {n}"}
            )
        if t == "ranking":
            q["allow_other"] = False
    else:
        q.update(options=[], allow_other=False, carry_forward=None, randomize_options=False)
    if t == "matrix":
        if not q.get("rows"):
            q["rows"] = [{"key": "row_1", "label": "Row 1"}, {"key": "row_2", "label": "Row 2"}]
    else:
        q["rows"] = []
    if t in ("rating", "matrix"):
        q["scale"] = q.get("scale") or [1, 5]
    elif t in FIXED_SCALES:
        q["scale"] = q.get("scale") if t != "nps" and q.get("scale") in ([1, 5], [1, 7]) else None
    else:
        q["scale"] = None
    return q


def rename_references(defn: dict[str, Any], kind: str, old: str, new: str) -> None:
    """Follow a renamed question, block or ending key into conditions, jumps, carry-forward and piping."""
    for cond in _conditions(defn):
        if kind == "q" and cond.get("q") == old:
            cond["q"] = new
    for block in defn.get("blocks", []):
        for jump in block.get("jumps", []):
            if kind == "block" and jump.get("to") == old:
                jump["to"] = new
            if kind == "ending" and jump.get("to") == f"end:{old}":
                jump["to"] = f"end:{new}"
        for q in block.get("questions", []):
            if kind == "q" and (q.get("carry_forward") or {}).get("from") == old:
                q["carry_forward"]["from"] = new
    if kind == "q":
        pattern = re.compile(r"\{\{\s*answer:" + re.escape(old) + r"\s*\}\}")
        piped = "{{answer:" + new + "}}"
        for owner, name in text_fields(defn):
            value = owner.get(name)
            if isinstance(value, str):
                owner[name] = pattern.sub(piped, value)
            elif isinstance(value, dict):
                owner[name] = {lang: pattern.sub(piped, t) for lang, t in value.items()}


def text_fields(defn: dict[str, Any]) -> Iterator[tuple[dict, str]]:
    """(owner, field name) of every translatable text in a definition."""
    if defn.get("welcome"):
        for name in TEXT_FIELDS["welcome"]:
            yield defn["welcome"], name
    for block in defn.get("blocks", []):
        yield block, "title"
        if block.get("repeat"):
            yield block["repeat"], "label"
        for q in block.get("questions", []):
            for name in TEXT_FIELDS["question"]:
                yield q, name
            for option in [*q.get("options", []), *q.get("rows", [])]:
                yield option, "label"
    for ending in defn.get("endings", []):
        for name in TEXT_FIELDS["ending"]:
            yield ending, name


def _conditions(defn: dict[str, Any]) -> Iterator[dict]:
    def walk(cond):
        if isinstance(cond, dict):
            yield cond
            for group in (cond.get("all"), cond.get("any")):
                for sub in group if isinstance(group, list) else []:
                    yield from walk(sub)

    for block in defn.get("blocks", []):
        yield from walk(block.get("show_if"))
        for jump in block.get("jumps", []):
            yield from walk(jump.get("if"))
        for q in block.get("questions", []):
            yield from walk(q.get("show_if"))


# -- reading the form --------------------------------------------------------------------------------------
def read_text(values: _Values, prefix: str, languages: list[str]) -> str | dict[str, str]:
    texts = {lang: values.get(f"{prefix}.{lang}").strip() for lang in languages}
    if values.flag(f"{prefix}.plain") and not any(texts[lang] for lang in languages[1:]):
        return texts[languages[0]]
    return {lang: t for lang, t in texts.items() if t} or ""


def _number(text: str, default: Any = None) -> Any:
    """An int or float from a form field; the text itself when it is not a number (validation says so)."""
    text = text.strip()
    if not text:
        return default
    if re.fullmatch(r"-?\d{1,15}", text):
        return int(text)
    if re.fullmatch(r"-?\d{0,15}\.\d{1,15}", text):
        return float(text)
    return text


def _condition_value(text: str, op: str, qtype: str | None) -> Any:
    def one(item: str) -> Any:
        if qtype in NUMERIC_TYPES:
            return _number(item)
        if qtype in YES_NO_TYPES and item.lower() in ("yes", "true", "no", "false"):
            return item.lower() in ("yes", "true")
        return item

    if op in ("answered", "not_answered"):
        return None
    if op in ("in", "not_in"):
        return [one(v.strip()) for v in text.split(",") if v.strip()]
    return one(text.strip()) if text.strip() else None


def format_value(value: Any) -> str:
    """A condition's value as the builder's text input shows it."""
    if value is None:
        return ""
    if isinstance(value, list):
        return ", ".join(format_value(v) for v in value)
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def read_condition(values: _Values, prefix: str) -> dict | None:
    raw = values.get(f"{prefix}.raw")
    if raw and not values.flag(f"{prefix}.clear"):
        try:
            return json.loads(raw)
        except json.JSONDecodeError:
            return None
    tests = []
    for n in values.indices(prefix, "subject"):
        subject = values.get(f"{prefix}.{n}.subject").strip()
        kind, _, ref = (
            subject.partition(":") if ":" in subject else ("q", "", subject)
        )  # a bare key: a question
        if not ref or kind not in ("q", "hidden"):
            continue
        op = values.get(f"{prefix}.{n}.op") or "eq"
        # the value is typed once every question's type is known (see _type_values)
        tests.append({kind: ref, "op": op, "value": _Raw(values.get(f"{prefix}.{n}.value"))})
    if not tests:
        return None
    if len(tests) == 1 and not values.flag(f"{prefix}.group"):
        return tests[0]
    return {"any" if values.get(f"{prefix}.mode") == "any" else "all": tests}


class _Raw(str):
    """A condition value as typed, until the type of the question it tests is known."""


def _type_values(defn: dict[str, Any]) -> None:
    types = {q.get("key"): q.get("type") for b in defn.get("blocks", []) for q in b.get("questions", [])}
    for cond in _conditions(defn):
        if isinstance(cond.get("value"), _Raw):
            qtype = types.get(cond.get("q"))
            cond["value"] = _condition_value(str(cond["value"]), cond.get("op", ""), qtype)


def _read_options(values: _Values, prefix: str, languages: list[str]) -> list[dict[str, Any]]:
    options = []
    for n in values.indices(prefix, "key"):
        p = f"{prefix}.{n}"
        key = values.get(f"{p}.key").strip()
        label = read_text(values, f"{p}.label", languages)
        if key or label:
            options.append({"key": key, "label": label, "_orig": values.get(f"{p}._orig")})
    return options


def _read_question(values: _Values, p: str, languages: list[str]) -> dict[str, Any]:
    qtype = values.get(f"{p}.type")
    q: dict[str, Any] = {
        "key": values.get(f"{p}.key").strip(),
        "type": qtype,
        "label": read_text(values, f"{p}.label", languages),
        "help": read_text(values, f"{p}.help", languages),
        "required": values.flag(f"{p}.required"),
        "show_if": read_condition(values, f"{p}.show_if"),
        "_orig": values.get(f"{p}._orig"),
    }
    if qtype in CHOICE_TYPES:
        q["options"] = _read_options(values, f"{p}.options", languages)
        q["allow_other"] = values.flag(f"{p}.allow_other")
        q["randomize_options"] = values.flag(f"{p}.randomize_options")
        source = values.get(f"{p}.carry_forward.from")
        which = values.get(f"{p}.carry_forward.which") or "chosen"
        q["carry_forward"] = {"from": source, "which": which} if source else None
    if qtype in SCALE_TYPES or qtype == "matrix":
        q["min_label"] = read_text(values, f"{p}.min_label", languages)
        q["max_label"] = read_text(values, f"{p}.max_label", languages)
    if qtype in SCALE_TYPES:
        q["style"] = values.get(f"{p}.style") or "numbers"
    if qtype in ("rating", "matrix", "csat", "ces"):
        low, high = values.get(f"{p}.scale_from"), values.get(f"{p}.scale_to")
        if low or high:
            q["scale"] = [_number(low, 1), _number(high, 5)]
    if qtype == "matrix":
        q["rows"] = _read_options(values, f"{p}.rows", languages)
    if qtype == "text":
        q["multiline"] = values.flag(f"{p}.multiline")
        q["max_length"] = _number(values.get(f"{p}.max_length"), 5000)
    if qtype == "number":
        q["minimum"] = _number(values.get(f"{p}.minimum"))
        q["maximum"] = _number(values.get(f"{p}.maximum"))
    if qtype in QUESTION_TYPES and values.get(f"{p}._type") not in ("", qtype):
        fit_type(q)  # the type was changed: give it what the new type needs
    return q


def _read_block(values: _Values, p: str, languages: list[str]) -> dict[str, Any]:
    jumps = []
    for n in values.indices(f"{p}.jumps", "to"):
        to = values.get(f"{p}.jumps.{n}.to")
        cond = read_condition(values, f"{p}.jumps.{n}.if")
        if to or cond:
            jumps.append({"if": cond, "to": to})
    repeat = None
    if values.flag(f"{p}.repeat.on"):
        repeat = {
            "max": _number(values.get(f"{p}.repeat.max"), 3),
            "label": read_text(values, f"{p}.repeat.label", languages) or "Add another",
        }
    return {
        "key": values.get(f"{p}.key").strip(),
        "title": read_text(values, f"{p}.title", languages),
        "randomize": values.flag(f"{p}.randomize"),
        "repeat": repeat,
        "show_if": read_condition(values, f"{p}.show_if"),
        "jumps": jumps,
        "questions": [
            _read_question(values, f"{p}.questions.{n}", languages)
            for n in values.indices(f"{p}.questions", "key")
        ],
        "_orig": values.get(f"{p}._orig"),
    }


def normal_language(code: str) -> str:
    head, _, tail = code.strip().partition("-")
    return f"{head.lower()}-{tail}" if tail else head.lower()


def read_form(data) -> Edit:
    """The builder form's values as the survey they describe (not yet checked; see services.check_definition).
    Empty keys are made from labels, and renamed keys are followed into the conditions that use them."""
    values = _Values(data)
    languages = [normal_language(code) for code in values.getlist("languages") if code.strip()]
    new_language = normal_language(values.get("new_language"))
    if new_language and new_language not in languages:
        languages.append(new_language)
    languages = languages or ["en"]
    welcome = None
    if values.flag("welcome.on"):
        welcome = {name: read_text(values, f"welcome.{name}", languages) for name in TEXT_FIELDS["welcome"]}
    defn: dict[str, Any] = {
        "schema": 1,
        "languages": languages,
        "layout": values.get("layout") or "blocks",
        "progress_bar": values.flag("progress_bar"),
        "welcome": welcome,
        "hidden_fields": [h for h in re.split(r"[\s,;]+", values.get("hidden_fields")) if h],
        "blocks": [_read_block(values, f"blocks.{n}", languages) for n in values.indices("blocks", "key")],
        "endings": [
            {
                "key": values.get(f"endings.{n}.key").strip(),
                "title": read_text(values, f"endings.{n}.title", languages),
                "text": read_text(values, f"endings.{n}.text", languages),
                "redirect_url": values.get(f"endings.{n}.redirect_url").strip(),
                "_orig": values.get(f"endings.{n}._orig"),
            }
            for n in values.indices("endings", "key")
        ],
        "theme": {
            "colour": values.get("theme.colour") or "#2f6f5e",
            "logo_url": values.get("theme.logo_url"),
        },
    }
    _settle_keys(defn)
    _type_values(defn)
    return Edit(
        name=values.get("name"),
        touchpoint=values.get("touchpoint"),
        closed_message=values.get("closed_message"),
        definition=defn,
    )


def _settle_keys(defn: dict[str, Any]) -> None:
    """Fill empty keys from labels and follow renamed keys; drop the form's bookkeeping."""
    language = defn["languages"][0]

    def label(value) -> str:
        return value if isinstance(value, str) else (value or {}).get(language) or next(iter(value or {}), "")

    taken = {q["key"] for b in defn["blocks"] for q in b["questions"] if q["key"]}
    for block in defn["blocks"]:
        for q in block["questions"]:
            if not q["key"]:
                q["key"] = key_from(label(q["label"]), taken)
                taken.add(q["key"])
            for group in ("options", "rows"):
                own = {o["key"] for o in q.get(group, []) if o["key"]}
                for option in q.get(group, []):
                    if not option["key"]:
                        option["key"] = key_from(
                            label(option["label"]), own, "option" if group == "options" else "row"
                        )
                        own.add(option["key"])
                    option.pop("_orig", None)
    block_keys = {b["key"] for b in defn["blocks"] if b["key"]}
    for n, block in enumerate(defn["blocks"], 1):
        if not block["key"]:
            block["key"] = key_from(f"b{n}", block_keys, "b")
            block_keys.add(block["key"])
    ending_keys = {e["key"] for e in defn["endings"] if e["key"]}
    for ending in defn["endings"]:
        if not ending["key"]:
            ending["key"] = key_from(label(ending["title"]) or "ending", ending_keys, "ending")
            ending_keys.add(ending["key"])
    renames = []
    for block in defn["blocks"]:
        renames.append(("block", block.pop("_orig", ""), block["key"]))
        renames.extend(("q", q.pop("_orig", ""), q["key"]) for q in block["questions"])
    renames.extend(("ending", e.pop("_orig", ""), e["key"]) for e in defn["endings"])
    for kind, old, new in renames:
        if old and old != new:
            rename_references(defn, kind, old, new)
