"""The survey document: questions, blocks, logic, translations and screens, as one JSON value.

A survey's definition is what the builder edits, what a version freezes, what export/import writes and reads,
and what the answering engine (engine.py) runs. It is plain pydantic, no Django: it is checked the same way
whether it comes from the builder, an imported file or the API.

Shape (every text field is either a string or {language: string}):

    {"schema": 1, "languages": ["en", "de"], "layout": "blocks",
     "welcome": {"title": "...", "text": "..."},
     "hidden_fields": ["order_id", "touchpoint"],
     "blocks": [{"key": "b1", "title": "...", "randomize": false,
                 "show_if": {"q": "nps", "op": "lte", "value": 6},
                 "jumps": [{"if": {...}, "to": "b3" | "end" | "end:<ending key>"}],
                 "repeat": {"max": 3, "label": "Add another"},
                 "questions": [{"key": "nps", "type": "nps", "label": "...", "required": true, ...}]}],
     "endings": [{"key": "thanks", "title": "...", "text": "...", "redirect_url": ""}]}
"""

from __future__ import annotations

import re
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

SCHEMA_VERSION = 1
KEY = r"^[a-z][a-z0-9_]{0,49}$"
LANG = r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})?$"
MAX_QUESTIONS = 200

QuestionType = Literal[
    "nps",
    "csat",
    "ces",
    "rating",
    "choice",
    "multi_choice",
    "text",
    "yes_no",
    "number",
    "date",
    "matrix",
    "ranking",
    "consent",
]
QUESTION_TYPES: dict[str, str] = {
    "nps": "NPS (0–10)",
    "csat": "CSAT (1–5)",
    "ces": "Customer effort (1–7)",
    "rating": "Rating (stars, emoji or numbers)",
    "choice": "Single choice",
    "multi_choice": "Multiple choice",
    "text": "Open text",
    "yes_no": "Yes / no",
    "number": "Number",
    "date": "Date",
    "matrix": "Matrix (rows × scale)",
    "ranking": "Ranking",
    "consent": "Consent checkbox",
}
FIXED_SCALES = {"nps": (0, 10), "csat": (1, 5), "ces": (1, 7)}
CHOICE_TYPES = {"choice", "multi_choice", "ranking"}
OPS = ("eq", "neq", "lt", "lte", "gt", "gte", "in", "not_in", "contains", "answered", "not_answered")

Text = str | dict[str, str]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


def text_in(value: Text | None, language: str, default_language: str) -> str:
    """A text in `language`, falling back to the default language, then to any translation."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    return value.get(language) or value.get(default_language) or next(iter(value.values()), "")


def _repeated(keys: list[str]) -> str:
    """The first key that appears twice in `keys`."""
    seen: set[str] = set()
    return next(k for k in keys if k in seen or seen.add(k))


def _texts(value: Text | None) -> list[tuple[str | None, str]]:
    if value is None:
        return []
    if isinstance(value, str):
        return [(None, value)]
    return list(value.items())


class Option(_Strict):
    key: str = Field(..., pattern=KEY)
    label: Text


class Condition(_Strict):
    """A test on an earlier answer (`q`) or a hidden field (`hidden`), or all/any of other conditions."""

    q: str | None = None
    hidden: str | None = None
    op: Literal[OPS] | None = None  # type: ignore[valid-type]
    value: Any = None
    all: list[Condition] | None = None
    any: list[Condition] | None = None

    @model_validator(mode="after")
    def _shape(self):
        groups = [g for g in (self.all, self.any) if g is not None]
        subjects = [s for s in (self.q, self.hidden) if s is not None]
        if groups:
            if len(groups) > 1 or subjects or self.op:
                raise ValueError("a condition is either all/any of conditions or one test, not both")
            if not groups[0]:
                raise ValueError("all/any needs at least one condition")
            return self
        if len(subjects) != 1:
            raise ValueError("a condition tests exactly one of q (a question key) or hidden (a hidden field)")
        if self.op is None:
            raise ValueError(f"a condition needs op, one of {', '.join(OPS)}")
        if self.op in ("in", "not_in") and not isinstance(self.value, list):
            raise ValueError(f"op {self.op} needs a list value")
        if self.op not in ("answered", "not_answered", "in", "not_in") and self.value is None:
            raise ValueError(f"op {self.op} needs a value")
        return self

    def references(self) -> list[tuple[str, str]]:
        """(kind, key) of every question ("q") and hidden field ("hidden") this condition reads."""
        if self.all is not None or self.any is not None:
            return [ref for c in (self.all or self.any or []) for ref in c.references()]
        return [("q", self.q)] if self.q is not None else [("hidden", self.hidden)]


class Jump(_Strict):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)
    if_: Condition = Field(..., alias="if")
    to: str = Field(..., description='a later block key, "end", or "end:<ending key>"')


class CarryForward(_Strict):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)
    from_: str = Field(..., alias="from", description="an earlier choice question's key")
    which: Literal["chosen", "not_chosen"] = "chosen"


class Question(_Strict):
    key: str = Field(..., pattern=KEY)
    type: QuestionType
    label: Text
    help: Text = ""
    required: bool = False
    show_if: Condition | None = None
    # choice, multi_choice, ranking
    options: list[Option] = Field(default_factory=list, max_length=100)
    allow_other: bool = False
    randomize_options: bool = False
    carry_forward: CarryForward | None = None
    # rating and matrix scale; nps/csat/ces have fixed scales
    scale: tuple[int, int] | None = None
    style: Literal["numbers", "stars", "emoji"] = "numbers"
    min_label: Text = ""
    max_label: Text = ""
    rows: list[Option] = Field(default_factory=list, max_length=50)  # matrix
    # text
    multiline: bool = False
    max_length: int = Field(5000, ge=1, le=100_000)
    # number
    minimum: float | None = None
    maximum: float | None = None

    @model_validator(mode="after")
    def _by_type(self):
        t = self.type
        if t in CHOICE_TYPES:
            if self.carry_forward is None and len(self.options) < 2:
                raise ValueError(f"a {t} question needs at least 2 options")
            keys = [o.key for o in self.options]
            if len(set(keys)) != len(keys):
                raise ValueError(f"option key {_repeated(keys)!r} is used twice")
            if "other" in keys and self.allow_other:
                raise ValueError('option key "other" is reserved for the "other" answer')
        elif self.options or self.allow_other or self.carry_forward:
            raise ValueError(f"a {t} question has no options")
        if t == "ranking" and self.allow_other:
            raise ValueError('a ranking question cannot have an "other" answer')
        if t == "matrix":
            if len(self.rows) < 1:
                raise ValueError("a matrix question needs at least one row")
            if len({r.key for r in self.rows}) != len(self.rows):
                raise ValueError(f"matrix row key {_repeated([r.key for r in self.rows])!r} is used twice")
        elif self.rows:
            raise ValueError(f"a {t} question has no rows")
        if t in ("rating", "matrix"):
            lo, hi = self.scale or (1, 5)
            if lo not in (0, 1) or not 3 <= hi - lo + 1 <= 11:
                raise ValueError(f"{t} scale {lo}–{hi} must start at 0 or 1 and have 3 to 11 points")
            self.scale = (lo, hi)
        elif self.scale is not None and t not in FIXED_SCALES:
            raise ValueError(f"a {t} question has no scale")
        elif t in FIXED_SCALES:
            allowed = {"nps": {(0, 10)}, "csat": {(1, 5), (1, 7)}, "ces": {(1, 5), (1, 7)}}[t]
            scale = self.scale or FIXED_SCALES[t]
            if tuple(scale) not in allowed:
                raise ValueError(f"{t} scale {scale[0]}–{scale[1]} is not supported")
            self.scale = tuple(scale)
        if t == "number" and None not in (self.minimum, self.maximum) and self.minimum > self.maximum:
            raise ValueError("minimum is above maximum")
        return self

    def answer_keys(self) -> list[str]:
        """The keys this question's answers are stored under (a matrix stores one per row)."""
        if self.type == "matrix":
            return [f"{self.key}.{r.key}" for r in self.rows]
        return [self.key]


class Repeat(_Strict):
    max: int = Field(3, ge=2, le=20)
    label: Text = "Add another"


class Block(_Strict):
    key: str = Field(..., pattern=KEY)
    title: Text = ""
    questions: list[Question] = Field(..., min_length=1)
    show_if: Condition | None = None
    jumps: list[Jump] = Field(default_factory=list)
    randomize: bool = False
    repeat: Repeat | None = None


class Screen(_Strict):
    title: Text = ""
    text: Text = ""
    button: Text = ""


class Ending(_Strict):
    key: str = Field(..., pattern=KEY)
    title: Text = "Thank you!"
    text: Text = ""
    redirect_url: str = Field("", max_length=500)

    @field_validator("redirect_url")
    @classmethod
    def _url(cls, v: str) -> str:
        v = v.strip()
        if v and not re.match(r"^https?://[^\s]+$", v):
            raise ValueError("redirect_url must be an http(s) address")
        return v


class Theme(_Strict):
    colour: str = Field("#2f6f5e", pattern=r"^#[0-9a-fA-F]{6}$")
    logo_url: str = Field("", max_length=500)

    @field_validator("logo_url")
    @classmethod
    def _logo(cls, v: str) -> str:
        v = v.strip()
        if v and not re.match(r"^(https?://|/)[^\s\"'<>]+$", v):
            raise ValueError("logo_url must be an http(s) address or a path on this server")
        return v


class SurveyDefinition(_Strict):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)
    schema_: int = Field(SCHEMA_VERSION, alias="schema")
    languages: list[str] = Field(default_factory=lambda: ["en"], min_length=1, max_length=30)
    layout: Literal["blocks", "one_per_screen", "single_page"] = "blocks"
    progress_bar: bool = True
    welcome: Screen | None = None
    hidden_fields: list[str] = Field(default_factory=list, max_length=30)
    blocks: list[Block] = Field(..., min_length=1, max_length=100)
    endings: list[Ending] = Field(default_factory=lambda: [Ending(key="thanks")], min_length=1)
    theme: Theme = Field(default_factory=Theme)

    @field_validator("schema_")
    @classmethod
    def _schema(cls, v: int) -> int:
        if v != SCHEMA_VERSION:
            raise ValueError(f"schema {v} is not supported; this version reads schema {SCHEMA_VERSION}")
        return v

    @field_validator("languages")
    @classmethod
    def _languages(cls, v: list[str]) -> list[str]:
        for code in v:
            if not re.fullmatch(LANG, code):
                raise ValueError(f"language {code!r} is not a code like en or pt-BR")
        if len(set(v)) != len(v):
            raise ValueError("languages are repeated")
        return v

    @field_validator("hidden_fields")
    @classmethod
    def _hidden(cls, v: list[str]) -> list[str]:
        for name in v:
            if not re.fullmatch(KEY, name):
                raise ValueError(f"hidden field {name!r} must be lower-case letters, digits and _")
        if len(set(v)) != len(v):
            raise ValueError("hidden fields are repeated")
        return v

    @model_validator(mode="after")
    def _references(self):
        questions = self.questions()
        if len(questions) > MAX_QUESTIONS:
            raise ValueError(f"a survey has at most {MAX_QUESTIONS} questions")
        seen_q: dict[str, Question] = {}
        block_keys = [b.key for b in self.blocks]
        if len(set(block_keys)) != len(block_keys):
            raise ValueError(f"block key {_repeated(block_keys)!r} is used twice")
        ending_keys = [e.key for e in self.endings]
        if len(set(ending_keys)) != len(ending_keys):
            raise ValueError(f"ending key {_repeated(ending_keys)!r} is used twice")
        hidden = set(self.hidden_fields)

        def check(cond: Condition | None, where: str, available: dict[str, Question]) -> None:
            if cond is None:
                return
            for kind, ref in cond.references():
                if kind == "hidden" and ref not in hidden:
                    raise ValueError(f"{where}: condition reads hidden field {ref!r}, which is not declared")
                if kind == "q" and ref not in available:
                    raise ValueError(f"{where}: condition reads {ref!r}, which is not an earlier question")

        for bi, block in enumerate(self.blocks):
            check(block.show_if, f"block {block.key}", seen_q)
            in_block: dict[str, Question] = {}
            for q in block.questions:
                if q.key in seen_q or q.key in in_block:
                    raise ValueError(f"question key {q.key!r} is used twice")
                check(
                    q.show_if, f"question {q.key}", {**seen_q, **in_block} if not block.randomize else seen_q
                )
                if q.carry_forward is not None:
                    src = seen_q.get(q.carry_forward.from_)
                    if src is None or src.type not in ("choice", "multi_choice"):
                        raise ValueError(
                            f"question {q.key}: carry_forward.from must be an earlier choice or multi_choice "
                            "question in an earlier block"
                        )
                in_block[q.key] = q
            seen_q.update(in_block)
            for jump in block.jumps:
                check(jump.if_, f"block {block.key} jump", seen_q)
                target = jump.to
                if target == "end":
                    continue
                if target.startswith("end:"):
                    if target[4:] not in ending_keys:
                        raise ValueError(f"block {block.key}: jump to unknown ending {target[4:]!r}")
                    continue
                if target not in block_keys or block_keys.index(target) <= bi:
                    raise ValueError(f"block {block.key}: jump target {target!r} is not a later block")
        for where, value in self._all_texts():
            for lang, _ in _texts(value):
                if lang is not None and lang not in self.languages:
                    raise ValueError(f"{where}: translation {lang!r} is not one of the survey's languages")
        return self

    def _all_texts(self):
        if self.welcome:
            yield "welcome", self.welcome.title
            yield "welcome", self.welcome.text
        for b in self.blocks:
            yield f"block {b.key}", b.title
            for q in b.questions:
                for v in (q.label, q.help, q.min_label, q.max_label):
                    yield f"question {q.key}", v
                for o in [*q.options, *q.rows]:
                    yield f"question {q.key} option {o.key}", o.label
        for e in self.endings:
            yield f"ending {e.key}", e.title
            yield f"ending {e.key}", e.text

    # -- reading --------------------------------------------------------------------------------------------
    @property
    def default_language(self) -> str:
        return self.languages[0]

    def questions(self) -> list[Question]:
        return [q for b in self.blocks for q in b.questions]

    def question(self, key: str) -> Question | None:
        return next((q for q in self.questions() if q.key == key), None)

    def ending(self, key: str | None) -> Ending:
        return next((e for e in self.endings if e.key == key), self.endings[0])

    def dump(self) -> dict[str, Any]:
        """The JSON form (export, storage): aliases, no defaults left out so versions compare exactly."""
        return self.model_dump(mode="json", by_alias=True)


def parse_definition(data: Any) -> SurveyDefinition:
    """Check a definition from any source; raises pydantic.ValidationError naming what and where."""
    return SurveyDefinition.model_validate(data)
