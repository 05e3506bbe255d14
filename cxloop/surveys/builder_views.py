"""The survey builder's pages: /surveys/<id>/edit/ (the form), its JSON tab and its preview tab.

Every save reads the whole form (builder.read_form), applies the button's action (builder.apply_op) and
stores the result through services.survey_update, which checks the whole definition. An invalid edit is
refused: nothing is stored, the page shows what was typed with each error next to the part it concerns.
"""

from __future__ import annotations

import copy
import json
from typing import Any

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods
from pydantic import ValidationError

from cxloop.accounts.access import workspace_view
from cxloop.accounts.roles import Perm
from cxloop.core.exceptions import ServiceError

from . import builder, selectors, services
from .definition import CHOICE_TYPES, QUESTION_TYPES
from .models import Survey

LAYOUTS = [
    ("blocks", "Blocks: one page per block"),
    ("one_per_screen", "One question per screen"),
    ("single_page", "All on one page"),
]
STYLES = [("numbers", "Numbers"), ("stars", "Stars"), ("emoji", "Emoji")]
# Up to this many questions and hidden fields, a condition's subject is a <select>; beyond, a text field with
# one shared list of suggestions (a select per condition row would make a 200-question page megabytes long).
SUBJECT_SELECT_MAX = 40
CARRY = ("choice", "multi_choice")  # the questions whose options can be carried forward
STALE = (
    "Someone else saved this survey after you opened the builder. Saving now replaces their changes with "
    "what you see here: save again to do so, or open the builder anew to see theirs."
)


def _survey(request, survey_id: int) -> Survey:
    survey = selectors.survey_get(workspace=request.workspace, survey_id=survey_id)
    if survey is None:
        raise Http404("No such survey.")
    return survey


def _stamp(survey: Survey) -> str:
    return survey.updated_at.isoformat()


def _anchor(path: str) -> str:
    return "at-" + (path.replace(".", "-") if path else "top")


def _status_note(survey: Survey) -> str:
    if survey.status == Survey.Status.LIVE and survey.current_version is not None:
        n = survey.current_version.number
        return (
            f"Live: your changes are saved as a draft of version {n + 1}; publish them on the survey page. "
            f"Respondents see version {n} until then, and earlier responses keep the version they answered."
        )
    if survey.status == Survey.Status.CLOSED:
        return "Closed: your changes are saved; publishing on the survey page opens it again."
    return "Draft: your changes are saved as you go; publish the survey on its page to open its link."


def _unpublished(survey: Survey) -> bool:
    return (
        survey.status == Survey.Status.LIVE
        and survey.current_version is not None
        and survey.current_version.definition != survey.definition
    )


# -- the form ------------------------------------------------------------------------------------------------
@workspace_view(Perm.ANALYSE)
@require_http_methods(["GET", "POST"])
def survey_edit(request, survey_id: int):
    survey = _survey(request, survey_id)
    if request.method == "POST":
        return _save(request, survey)
    fields = {"name": survey.name, "touchpoint": survey.touchpoint, "closed_message": survey.closed_message}
    return _render(request, survey, survey.definition, fields, focus=request.GET.get("at", ""))


def _save(request, survey: Survey):
    edit = builder.read_form(request.POST)
    fields = {"name": edit.name, "touchpoint": edit.touchpoint, "closed_message": edit.closed_message}
    working = copy.deepcopy(edit.definition)
    op = request.POST.get("op", "")
    try:
        focus = builder.apply_op(working, op, request.POST)
    except builder.OpError as exc:
        errors = [{"loc": exc.loc, "msg": exc.msg}]
        return _render(request, survey, edit.definition, fields, errors=errors, focus=exc.loc, status=422)
    if request.POST.get("updated", _stamp(survey)) != _stamp(survey):
        return _render(request, survey, working, fields, errors=[{"loc": "", "msg": STALE}], status=409)
    try:
        services.survey_update(
            survey=survey,
            actor=request.user,
            name=edit.name,
            definition=working,
            touchpoint=edit.touchpoint,
            closed_message=edit.closed_message,
        )
    except services.DefinitionError as exc:
        return _render(request, survey, working, fields, errors=exc.errors, focus=focus, status=422)
    except ServiceError as exc:
        errors = [{"loc": exc.field or "", "msg": exc.message}]
        return _render(request, survey, working, fields, errors=errors, focus=focus, status=422)
    survey.refresh_from_db()
    note = " Publish them on the survey page to make them live." if _unpublished(survey) else ""
    messages.success(request, f"Saved.{note}")
    url = reverse("survey_edit", args=[survey.pk])
    return redirect(f"{url}?at={focus}#{_anchor(focus)}" if focus else url)


def _render(request, survey, defn, fields, *, errors=None, focus="", status=200):
    placed = builder.place_errors(errors or [], defn)
    context = {
        "survey": survey,
        "tab": "build",
        "status_note": _status_note(survey),
        "unpublished": _unpublished(survey),
        "updated": _stamp(survey),
        "form": BuilderForm(defn, fields, placed, focus).context(),
        "summary": _summary(placed, defn),
        "problems": _problems(survey),
    }
    return render(request, "surveys/builder/edit.html", context, status=status)


def _problems(survey: Survey) -> list[dict[str, str]]:
    try:
        defn = survey.parsed()
    except ValidationError:  # stored before a check was added: the builder is where it gets fixed
        return []
    found = builder.accessibility_problems(defn, survey_name=survey.name)
    return [{"anchor": _anchor(p.loc), "where": p.where, "message": p.message} for p in found]


def _summary(placed: dict[str, list[str]], defn: dict[str, Any]) -> list[dict[str, str]]:
    """The error summary at the top of the page: each error with a link to its place."""
    out = []
    for place, msgs in placed.items():
        where = _place_words(place, defn)
        out.extend({"anchor": _anchor(place), "where": where, "msg": m} for m in msgs)
    return out


def _place_words(place: str, defn: dict[str, Any]) -> str:
    parts = place.split(".")
    try:
        if parts[0] == "blocks" and len(parts) == 4:
            return f"Question {defn['blocks'][int(parts[1])]['questions'][int(parts[3])].get('key')}"
        if parts[0] == "blocks" and len(parts) == 2:
            return f"Block {defn['blocks'][int(parts[1])].get('key')}"
        if parts[0] == "endings" and len(parts) == 2:
            return f"Ending {defn['endings'][int(parts[1])].get('key')}"
    except (IndexError, KeyError, ValueError):
        pass
    return {"": "Survey", "welcome": "Welcome screen", "blocks": "Blocks", "endings": "Endings"}.get(
        place, f"Settings › {place.replace('theme.', '').replace('_', ' ')}"
    )


class BuilderForm:
    """The definition (stored, or as just posted) shaped for the builder's templates."""

    def __init__(
        self, defn: dict[str, Any], fields: dict[str, str], errors: dict[str, list[str]], focus: str
    ):
        self.defn = defn
        self.fields = fields
        self.errors = errors
        self.focus = focus
        self.languages = list(defn.get("languages") or ["en"])
        self.hidden = list(defn.get("hidden_fields") or [])
        self.questions = [
            (b, n, q)
            for b, block in enumerate(defn.get("blocks", []))
            for n, q in enumerate(block["questions"])
        ]
        self.types = {q.get("key"): q.get("type") for _, _, q in self.questions}
        self.subject_list = len(self.questions) + len(self.hidden) > SUBJECT_SELECT_MAX

    # -- pieces --
    def text(self, value, prefix: str, label: str, long: bool = False) -> dict[str, Any]:
        default = self.languages[0]
        entries = []
        for lang in self.languages:
            if isinstance(value, str):
                shown = value if lang == default else ""
                hint = value if lang != default else ""
            else:
                shown, hint = (value or {}).get(lang, ""), ""
            entries.append(
                {
                    "lang": lang,
                    "name": f"{prefix}.{lang}",
                    "id": "f-" + f"{prefix}.{lang}",
                    "value": shown,
                    "hint": hint,
                }
            )
        return {
            "prefix": prefix,
            "label": label,
            "long": long,
            "plain": isinstance(value, str),
            "multi": len(self.languages) > 1,
            "entries": entries,
        }

    def _subjects(self, upto: int, include_block: int | None = None, block_randomized: bool = False):
        """The questions a condition may test: those before question number `upto`, in survey order."""
        out = []
        for i, (b, _, q) in enumerate(self.questions):
            if i >= upto:
                break
            if include_block is not None and b == include_block and block_randomized:
                continue
            label = _plain(q.get("label"), self.languages[0])
            out.append({"value": f"q:{q.get('key')}", "label": f"{q.get('key')} — {label[:60]}"})
        return out

    def condition(self, cond, prefix: str, legend: str, subjects: list[dict[str, str]]) -> dict[str, Any]:
        view: dict[str, Any] = {"prefix": prefix, "id": "f-" + prefix, "legend": legend, "ops": _OPS}
        view["as_list"] = self.subject_list
        rows, mode, group = _rows_of(cond)
        if rows is None:
            view["raw"] = json.dumps(cond, ensure_ascii=False)
            return view
        hidden = [{"value": f"hidden:{h}", "label": h} for h in self.hidden]
        known = {s["value"] for s in subjects} | {h["value"] for h in hidden}
        types = self.types
        shown = []
        for n, test in enumerate([*rows, {}]):
            if test.get("q") is not None:
                subject = f"q:{test['q']}"
            else:
                subject = f"hidden:{test['hidden']}" if test.get("hidden") is not None else ""
            qtype = types.get(test.get("q"))
            shown.append(
                {
                    "n": n,
                    "name": f"{prefix}.{n}",
                    "id": f"f-{prefix}.{n}",
                    "subject": subject,
                    "unknown": subject if subject and subject not in known else "",
                    "op": test.get("op", "eq"),
                    "value": builder.format_value(test.get("value")),
                    "datalist": f"opts-{test['q']}" if qtype in CHOICE_TYPES else "",
                    "blank": not test,
                }
            )
        view.update(rows=shown, mode=mode, group=group, questions=subjects, hidden=hidden, count=len(rows))
        return view

    def _choice_source(self, q: dict[str, Any]) -> dict[str, str]:
        return {
            "value": q.get("key"),
            "label": f"{q.get('key')} — {_plain(q.get('label'), self.languages[0])[:50]}",
        }

    # -- parts --
    def context(self) -> dict[str, Any]:
        d = self.defn
        welcome = d.get("welcome")
        theme = d.get("theme") or {}
        settings_errors = {
            k.replace(".", "_"): v for k, v in self.errors.items() if k in builder.SETTINGS_FIELDS
        }
        return {
            "fields": self.fields,
            "languages": self.languages,
            "layouts": LAYOUTS,
            "styles": STYLES,
            "layout": d.get("layout", "blocks"),
            "progress_bar": d.get("progress_bar", True),
            "hidden_fields": ", ".join(self.hidden),
            "colour": theme.get("colour", "#2f6f5e"),
            "logo_url": theme.get("logo_url", ""),
            "settings_errors": settings_errors,
            "general_errors": self.errors.get("", []),
            "welcome": {
                "on": welcome is not None,
                "title": self.text((welcome or {}).get("title", ""), "welcome.title", "Title"),
                "text": self.text((welcome or {}).get("text", ""), "welcome.text", "Text", long=True),
                "button": self.text(
                    (welcome or {}).get("button", ""), "welcome.button", "Button (default: Start)"
                ),
                "errors": self.errors.get("welcome", []),
            },
            "blocks": [self._block(b, block) for b, block in enumerate(d.get("blocks", []))],
            "blocks_errors": self.errors.get("blocks", []),
            "endings": [self._ending(n, e) for n, e in enumerate(d.get("endings", []))],
            "endings_errors": self.errors.get("endings", []),
            "question_types": list(QUESTION_TYPES.items()),
            "block_choices": [
                {"n": n, "label": f"Block {n + 1} ({b.get('key')})"}
                for n, b in enumerate(d.get("blocks", []))
            ],
            "subject_list": (
                [
                    {"value": f"q:{q.get('key')}", "label": _plain(q.get("label"), self.languages[0])[:60]}
                    for _, _, q in self.questions
                ]
                + [{"value": f"hidden:{h}", "label": "hidden field"} for h in self.hidden]
                if self.subject_list
                else []
            ),
            "carry_list": (
                [self._choice_source(q) for _, _, q in self.questions if q.get("type") in CARRY]
                if self.subject_list
                else []
            ),
            "datalists": [
                {"id": f"opts-{q.get('key')}", "options": [o.get("key") for o in q.get("options", [])]}
                for _, _, q in self.questions
                if q.get("type") in CHOICE_TYPES
            ],
            "piping": {
                "answers": [q.get("key") for _, _, q in self.questions],
                "hidden": self.hidden,
            },
        }

    def _block(self, b: int, block: dict[str, Any]) -> dict[str, Any]:
        path = f"blocks.{b}"
        first_q = sum(len(x["questions"]) for x in self.defn["blocks"][:b])  # its first question's number
        n_blocks = len(self.defn["blocks"])
        repeat = block.get("repeat")
        later = [x.get("key") for x in self.defn["blocks"][b + 1 :]]
        targets = [{"value": k, "label": f"Block {k}"} for k in later]
        targets.append({"value": "end", "label": "The end (first ending)"})
        targets += [
            {"value": f"end:{e.get('key')}", "label": f"Ending {e.get('key')}"} for e in self.defn["endings"]
        ]
        subjects_after = self._subjects(first_q + len(block["questions"]))
        jumps = []
        for j, jump in enumerate([*block.get("jumps", []), {}]):
            to = jump.get("to", "")
            jumps.append(
                {
                    "path": f"{path}.jumps.{j}",
                    "n": j,
                    "to": to,
                    "unknown": to if to and to not in {t["value"] for t in targets} else "",
                    "blank": not jump,
                    "cond": self.condition(
                        jump.get("if"), f"{path}.jumps.{j}.if", "Jump when", subjects_after
                    ),
                }
            )
        return {
            "path": path,
            "anchor": _anchor(path),
            "n": b + 1,
            "index": b,
            "key": block.get("key", ""),
            "first": b == 0,
            "last": b == n_blocks - 1,
            "title": self.text(block.get("title", ""), f"{path}.title", "Title (shown above its questions)"),
            "randomize": block.get("randomize", False),
            "repeat_on": repeat is not None,
            "repeat_max": (repeat or {}).get("max", 3),
            "repeat_label": self.text(
                (repeat or {}).get("label", "Add another"), f"{path}.repeat.label", "Button"
            ),
            "show_if": self.condition(
                block.get("show_if"), f"{path}.show_if", "Show this block only when", self._subjects(first_q)
            ),
            "jumps": jumps,
            "targets": targets,
            "questions": [
                self._question(b, n, q, first_q + n, block) for n, q in enumerate(block["questions"])
            ],
            "errors": self.errors.get(path, []),
            "open": bool(self.errors.get(path)) or self.focus == path,
        }

    def _question(
        self, b: int, n: int, q: dict[str, Any], index: int, block: dict[str, Any]
    ) -> dict[str, Any]:
        path = f"blocks.{b}.questions.{n}"
        qtype = q.get("type", "")
        scale = q.get("scale") or []
        errors = self.errors.get(path, [])
        subjects = self._subjects(index, include_block=b, block_randomized=block.get("randomize", False))
        earlier_choice = (
            []
            if self.subject_list  # a text field with one list of suggestions instead (see context)
            else [
                self._choice_source(x)
                for bi, _, x in self.questions[:index]
                if bi < b and x.get("type") in CARRY
            ]
        )
        carry = q.get("carry_forward") or {}
        view = {
            "path": path,
            "anchor": _anchor(path),
            "n": index + 1,
            "block": b,
            "key": q.get("key", ""),
            "type": qtype,
            "type_label": QUESTION_TYPES.get(qtype, qtype),
            "summary": _plain(q.get("label"), self.languages[0]),
            "first": index == 0,
            "last": index == len(self.questions) - 1,
            "label": self.text(q.get("label", ""), f"{path}.label", "Label"),
            "help": self.text(q.get("help", ""), f"{path}.help", "Help text", long=True),
            "required": q.get("required", False),
            "show_if": self.condition(
                q.get("show_if"), f"{path}.show_if", "Show this question only when", subjects
            ),
            "is_choice": qtype in CHOICE_TYPES,
            "can_other": qtype in ("choice", "multi_choice"),
            "allow_other": q.get("allow_other", False),
            "randomize_options": q.get("randomize_options", False),
            "carry_from": carry.get("from", ""),
            "carry_which": carry.get("which", "chosen"),
            "carry_sources": earlier_choice,
            "carry_unknown": carry.get("from", "")
            if carry and carry.get("from") not in {c["value"] for c in earlier_choice}
            else "",
            "has_style": qtype in builder.SCALE_TYPES,
            "style": q.get("style", "numbers"),
            "has_ends": qtype in builder.SCALE_TYPES or qtype == "matrix",
            "min_label": self.text(q.get("min_label", ""), f"{path}.min_label", "Label of the lowest point"),
            "max_label": self.text(q.get("max_label", ""), f"{path}.max_label", "Label of the highest point"),
            "scale_kind": "free"
            if qtype in ("rating", "matrix")
            else "fixed"
            if qtype in ("csat", "ces")
            else "",
            "scale_from": scale[0] if scale else 1,
            "scale_to": scale[1] if len(scale) > 1 else (7 if qtype == "ces" else 5),
            "multiline": q.get("multiline", False),
            "max_length": q.get("max_length", 5000),
            "minimum": "" if q.get("minimum") is None else builder.format_value(q.get("minimum")),
            "maximum": "" if q.get("maximum") is None else builder.format_value(q.get("maximum")),
            "errors": errors,
            "open": bool(errors) or self.focus == path or self.focus.startswith(path + "."),
        }
        view["options"] = (
            self._items(q.get("options", []), f"{path}.options", "Option") if view["is_choice"] else []
        )
        view["rows"] = self._items(q.get("rows", []), f"{path}.rows", "Row") if qtype == "matrix" else []
        return view

    def _items(self, items: list[dict[str, Any]], prefix: str, noun: str) -> list[dict[str, Any]]:
        out = []
        for n, item in enumerate([*items, {}]):
            path = f"{prefix}.{n}"
            out.append(
                {
                    "path": path,
                    "n": n + 1,
                    "key": item.get("key", ""),
                    "label": self.text(item.get("label", ""), f"{path}.label", f"{noun} {n + 1}"),
                    "blank": not item,
                    "first": n == 0,
                    "last": n == len(items) - 1,
                }
            )
        return out

    def _ending(self, n: int, ending: dict[str, Any]) -> dict[str, Any]:
        path = f"endings.{n}"
        return {
            "path": path,
            "anchor": _anchor(path),
            "n": n + 1,
            "key": ending.get("key", ""),
            "title": self.text(ending.get("title", ""), f"{path}.title", "Title"),
            "text": self.text(ending.get("text", ""), f"{path}.text", "Text", long=True),
            "redirect_url": ending.get("redirect_url", ""),
            "errors": self.errors.get(path, []),
            "only": len(self.defn["endings"]) == 1,
        }


_OPS = [{"value": op, "label": words} for op, words in builder.OP_WORDS.items()]


def _plain(value, language: str) -> str:
    if isinstance(value, str):
        return value
    return (value or {}).get(language) or next(iter((value or {}).values()), "")


def _rows_of(cond) -> tuple[list[dict] | None, str, bool]:
    """A condition as rows of simple tests joined by all/any; None when it is nested deeper than that."""
    if cond is None:
        return [], "all", False
    if not isinstance(cond, dict):
        return None, "all", False
    for mode in ("all", "any"):
        tests = cond.get(mode)
        if tests is not None:
            simple = isinstance(tests, list) and all(
                isinstance(t, dict) and t.get("all") is None and t.get("any") is None for t in tests
            )
            return (tests if simple else None), mode, True
    return [cond], "all", False


# -- JSON tab ------------------------------------------------------------------------------------------------
@workspace_view(Perm.ANALYSE)
@require_http_methods(["GET", "POST"])
def survey_edit_json(request, survey_id: int):
    survey = _survey(request, survey_id)
    context = {
        "survey": survey,
        "tab": "json",
        "status_note": _status_note(survey),
        "unpublished": _unpublished(survey),
        "updated": _stamp(survey),
    }
    if request.method == "GET":
        text = json.dumps(survey.definition, indent=2, ensure_ascii=False)
        return render(request, "surveys/builder/json.html", {**context, "text": text})
    text = request.POST.get("definition", "")

    def refused(error: str, problems: list[dict[str, str]], status: int = 422):
        page = {**context, "text": text, "error": error, "problems": problems}
        return render(request, "surveys/builder/json.html", page, status=status)

    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        where = f"line {exc.lineno}, column {exc.colno}"
        return refused("This is not valid JSON, so nothing was saved.", [{"loc": where, "msg": exc.msg}])
    if request.POST.get("updated", _stamp(survey)) != _stamp(survey):
        return refused(STALE, [], status=409)
    try:
        services.survey_update(survey=survey, actor=request.user, definition=data)
    except services.DefinitionError as exc:
        return refused("The definition does not hold together, so nothing was saved:", exc.errors)
    messages.success(request, "Saved the definition.")
    return redirect("survey_edit_json", survey.pk)


# -- preview tab ---------------------------------------------------------------------------------------------
@workspace_view(Perm.ANALYSE)
@require_GET
def survey_edit_preview(request, survey_id: int):
    survey = _survey(request, survey_id)
    defn = survey.parsed()
    language = request.GET.get("lang") if request.GET.get("lang") in defn.languages else defn.default_language
    src = f"/s/{survey.slug}/?preview=1&lang={language}"
    return render(
        request,
        "surveys/builder/preview.html",
        {
            "survey": survey,
            "tab": "preview",
            "status_note": _status_note(survey),
            "unpublished": _unpublished(survey),
            "src": src,
            "languages": defn.languages,
            "language": language,
        },
    )
