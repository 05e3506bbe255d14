"""The survey builder's pages as a person uses them: the form is read from the page and sent back the way a
browser without JavaScript sends it (checked boxes only, selected options, the clicked button)."""

from __future__ import annotations

import html
import json
import re
from html.parser import HTMLParser

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from cxloop.surveys import services
from cxloop.surveys.definition import QUESTION_TYPES, parse_definition
from cxloop.surveys.library import TEMPLATES
from cxloop.surveys.models import Response, Survey

from .helpers import form, live_survey, resume_path

pytestmark = pytest.mark.django_db


# -- a browser's view of the form ----------------------------------------------------------------------------
class _FormParser(HTMLParser):
    """The successful controls of one <form>, in document order, as a browser would send them."""

    def __init__(self, form_id: str):
        super().__init__(convert_charrefs=True)
        self.form_id = form_id
        self.inside = False
        self.fields: list[list[str]] = []
        self.selects: dict[str, list[str]] = {}
        self.buttons: list[tuple[str, str, str]] = []  # (name, value, text)
        self._select: dict | None = None
        self._option: dict | None = None
        self._textarea: list | None = None
        self._button: list | None = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form" and a.get("id") == self.form_id:
            self.inside = True
        if not self.inside:
            return
        if tag == "input":
            kind = a.get("type", "text")
            if kind in ("checkbox", "radio"):
                if "checked" in a:
                    self.fields.append([a["name"], a.get("value", "on")])
            elif kind not in ("submit", "button", "file") and a.get("name"):
                self.fields.append([a["name"], a.get("value", "")])
        elif tag == "select":
            self._select = {"name": a.get("name"), "options": [], "selected": None}
        elif tag == "option" and self._select is not None:
            self._option = {"value": a.get("value"), "text": "", "selected": "selected" in a}
        elif tag == "textarea":
            self._textarea = [a.get("name"), ""]
        elif tag == "button":
            self._button = [a.get("name", ""), a.get("value", ""), ""]

    def handle_data(self, data):
        if self._option is not None:
            self._option["text"] += data
        if self._textarea is not None:
            self._textarea[1] += data
        if self._button is not None:
            self._button[2] += data

    def handle_endtag(self, tag):
        if not self.inside:
            return
        if tag == "form":
            self.inside = False
        elif tag == "option" and self._option is not None:
            value = self._option["value"] if self._option["value"] is not None else self._option["text"]
            self._select["options"].append(value)
            if self._option["selected"]:
                self._select["selected"] = value
            self._option = None
        elif tag == "select" and self._select is not None:
            s = self._select
            self.selects[s["name"]] = s["options"]
            chosen = s["selected"] if s["selected"] is not None else (s["options"] or [None])[0]
            if chosen is not None:
                self.fields.append([s["name"], chosen])
            self._select = None
        elif tag == "textarea" and self._textarea is not None:
            self.fields.append(self._textarea)
            self._textarea = None
        elif tag == "button" and self._button is not None:
            self.buttons.append(tuple(self._button))
            self._button = None


class BuilderPage:
    """The builder page of a survey: read its form, change fields, press a button."""

    def __init__(self, client, survey: Survey, response):
        self.client = client
        self.survey = survey
        self.response = response
        self.html = response.content.decode()
        parser = _FormParser("builder")
        parser.feed(self.html)
        self.fields = parser.fields
        self.selects = parser.selects
        self.buttons = parser.buttons

    @classmethod
    def open(cls, client, survey: Survey) -> BuilderPage:
        response = client.get(f"/surveys/{survey.pk}/edit/")
        assert response.status_code == 200
        return cls(client, survey, response)

    def value(self, name: str) -> str | None:
        return next((v for n, v in self.fields if n == name), None)

    def values(self, name: str) -> list[str]:
        return [v for n, v in self.fields if n == name]

    def set(self, name: str, value: str) -> BuilderPage:
        for field in self.fields:
            if field[0] == name:
                field[1] = value
                return self
        self.fields.append([name, value])
        return self

    def check(self, name: str, on: bool = True) -> BuilderPage:
        self.fields = [f for f in self.fields if f[0] != name]
        if on:
            self.fields.append([name, "1"])
        return self

    def data(self, op: str) -> dict[str, list[str]]:
        out: dict[str, list[str]] = {}
        for name, value in self.fields:
            out.setdefault(name, []).append(value)
        out["op"] = [op]
        return out

    def press(self, op: str = "save", expect: int = 302) -> BuilderPage:
        """Press the button whose value is `op`; a saved form is followed to the page it leads to."""
        assert any(value == op for name, value, _ in self.buttons if name == "op"), f"no button {op!r}"
        response = self.client.post(f"/surveys/{self.survey.pk}/edit/", self.data(op))
        assert response.status_code == expect, self._errors(response)
        if response.status_code == 302:
            assert response["Location"].startswith(f"/surveys/{self.survey.pk}/edit/")
            response = self.client.get(response["Location"])
        self.survey.refresh_from_db()
        return BuilderPage(self.client, self.survey, response)

    @staticmethod
    def _errors(response) -> str:
        return "; ".join(
            re.findall(r"<li>(.*?)</li>", response.content.decode().split("builder-summary")[-1])[:8]
        )

    def part(self, anchor: str) -> str:
        """The HTML of the part with this id (a question, block, ending or setting)."""
        start = self.html.index(f'id="{anchor}"')
        tag_start = self.html.rindex("<", 0, start)
        tag = re.match(r"<(\w+)", self.html[tag_start:]).group(1)
        depth, pos = 0, tag_start
        for m in re.finditer(rf"<(/?){tag}\b", self.html[tag_start:]):
            depth += -1 if m.group(1) else 1
            if depth == 0:
                pos = tag_start + m.end()
                break
        return self.html[tag_start:pos]


def _cond(**test) -> dict:
    """A simple condition as stored (every field of the schema present)."""
    return {"q": None, "hidden": None, "op": None, "value": None, "all": None, "any": None, **test}


def _definition(survey: Survey) -> dict:
    survey.refresh_from_db()
    return survey.definition


# -- saving --------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("template", [t.key for t in TEMPLATES])
def test_saving_the_untouched_form_changes_nothing(login, cast, template):
    survey = live_survey(cast.workspace, template=template, name=f"From {template}")
    before = _definition(survey)
    page = BuilderPage.open(login(cast.analyst), survey).press("save")
    assert _definition(survey) == before
    assert "Publish changes" not in login(cast.analyst).get(f"/surveys/{survey.pk}/").content.decode()
    assert "Saved." in page.html


def test_a_large_survey_saves_through_the_builder(login, cast):
    """120 questions in two languages: over 4000 form fields in one post (Django allows 1000 by default)."""
    choice = {
        "type": "choice",
        "options": [{"key": f"o{n}", "label": {"en": f"O{n}", "de": f"D{n}"}} for n in range(6)],
    }
    blocks = [
        {
            "key": f"b{b}",
            "questions": [
                {"key": f"q{b}_{n}", "label": {"en": f"Q{b}.{n}", "de": f"F{b}.{n}"}, **choice}
                for n in range(10)
            ],
        }
        for b in range(12)
    ]
    data = {"languages": ["en", "de"], "blocks": blocks}
    survey = services.survey_create(workspace=cast.workspace, actor=None, name="Census", definition=data)
    before = _definition(survey)
    page = BuilderPage.open(login(cast.analyst), survey)
    assert len(page.fields) > 4000
    # so many questions: a condition names its question in a text field with suggestions, not a long select
    assert "blocks.11.questions.9.show_if.0.subject" not in page.selects
    assert page.html.count('<option value="q:q0_0"') == 1  # one shared list of suggestions
    page.set("blocks.11.questions.9.label.de", "Letzte Frage")
    page.set("blocks.11.questions.9.show_if.0.subject", "q0_0").set(
        "blocks.11.questions.9.show_if.0.value", "o1"
    )
    page.set("blocks.11.questions.8.carry_forward.from", "q10_0")
    page.press("save")
    after = _definition(survey)
    last, carried = after["blocks"][11]["questions"][9], after["blocks"][11]["questions"][8]
    assert last["label"] == {"en": "Q11.9", "de": "Letzte Frage"}
    assert (last["show_if"]["q"], last["show_if"]["op"], last["show_if"]["value"]) == ("q0_0", "eq", "o1")
    assert carried["carry_forward"] == {"from": "q10_0", "which": "chosen"}
    last.update(label=before["blocks"][11]["questions"][9]["label"], show_if=None)
    carried["carry_forward"] = None
    assert after == before


def _path_of(survey: Survey, key: str) -> str:
    """The builder path of the question with this key in the stored definition."""
    for b, block in enumerate(_definition(survey)["blocks"]):
        for n, q in enumerate(block["questions"]):
            if q["key"] == key:
                return f"blocks.{b}.questions.{n}"
    raise AssertionError(f"no question {key}")


def _question(survey: Survey, key: str) -> dict:
    return next(q for b in _definition(survey)["blocks"] for q in b["questions"] if q["key"] == key)


@pytest.mark.parametrize("template", [t.key for t in TEMPLATES])
def test_builder_round_trip_from_each_template(login, client, cast, template):
    client = login(cast.analyst)
    resp = client.post("/surveys/new/", {"name": f"From {template}", "template": template})
    survey = Survey.objects.get(pk=int(resp["Location"].strip("/").split("/")[-1]))
    original = _definition(survey)
    lang = original["languages"][0]
    page = BuilderPage.open(client, survey)

    # settings, look and welcome screen, all in one save
    page.set("name", "Renamed survey").set("touchpoint", "checkout").set("closed_message", "We are done.")
    page.set("new_language", "FR").set("layout", "one_per_screen").check("progress_bar", False)
    page.set("theme.colour", "#1f4e79").set("theme.logo_url", "https://cdn.example.com/logo.png")
    page.set("hidden_fields", ", ".join([*original["hidden_fields"], "segment"]))
    page.check("welcome.on").set(f"welcome.title.{lang}", "Hello there")
    page = page.press("save")
    stored = _definition(survey)
    assert (survey.name, survey.touchpoint, survey.closed_message) == (
        "Renamed survey",
        "checkout",
        "We are done.",
    )
    assert stored["languages"] == [*original["languages"], "fr"]
    assert stored["layout"] == "one_per_screen" and stored["progress_bar"] is False
    assert stored["theme"] == {"colour": "#1f4e79", "logo_url": "https://cdn.example.com/logo.png"}
    assert stored["hidden_fields"] == [*original["hidden_fields"], "segment"]
    welcome_title = stored["welcome"]["title"]
    assert (welcome_title if isinstance(welcome_title, str) else welcome_title[lang]) == "Hello there"
    assert page.value("languages") is not None and page.values("languages")[-1] == "fr"

    # a new block starting with a choice question, then one question of every type
    page.set("add_block_type", "choice").set("add_block_label", "Which plan are you on?")
    page = page.press("add_block")
    new_b = len(_definition(survey)["blocks"]) - 1
    assert _definition(survey)["blocks"][new_b]["questions"][0]["key"] == "which_plan_are_you_on"
    for qtype in QUESTION_TYPES:
        page.set(f"blocks.{new_b}.add_type", qtype)
        page = page.press(f"add_question:{new_b}")
    block = _definition(survey)["blocks"][new_b]
    assert [q["type"] for q in block["questions"]] == ["choice", *QUESTION_TYPES]
    keys = [q["key"] for q in block["questions"]]
    assert len(set(keys)) == len(keys)
    all_keys = [q["key"] for b in _definition(survey)["blocks"] for q in b["questions"]]
    assert len(set(all_keys)) == len(all_keys)
    plan = _question(survey, "which_plan_are_you_on")
    assert [o["key"] for o in plan["options"]] == ["option_1", "option_2"]
    matrix = next(q for q in block["questions"] if q["type"] == "matrix")
    assert len(matrix["rows"]) == 2 and matrix["scale"] == [1, 5]

    # options: relabel two, add one in the empty row (its key made from the label), then remove one
    p = _path_of(survey, "which_plan_are_you_on")
    page.set(f"{p}.options.0.label.{lang}", "Basic").set(f"{p}.options.1.label.{lang}", "Pro")
    page.set(f"{p}.options.2.label.{lang}", "Enterprise")
    page.check(f"{p}.allow_other")
    page = page.press("save")
    assert [o["key"] for o in _question(survey, "which_plan_are_you_on")["options"]] == [
        "option_1",
        "option_2",
        "enterprise",
    ]
    page = page.press(f"remove:{p}.options.1")
    plan = _question(survey, "which_plan_are_you_on")
    labels = [o["label"] if isinstance(o["label"], str) else o["label"][lang] for o in plan["options"]]
    assert labels == ["Basic", "Enterprise"] and plan["allow_other"] is True

    # a condition: the consent question shows only for the enterprise plan
    consent_key = next(q["key"] for q in block["questions"] if q["type"] == "consent")
    c = _path_of(survey, consent_key)
    page.set(f"{c}.show_if.0.subject", "q:which_plan_are_you_on").set(f"{c}.show_if.0.op", "eq")
    page.set(f"{c}.show_if.0.value", "enterprise")
    page = page.press("save")
    stored_if = _question(survey, consent_key)["show_if"]
    assert stored_if == _cond(q="which_plan_are_you_on", op="eq", value="enterprise")

    # a jump: when the first question is not answered, go to the end
    first_key = original["blocks"][0]["questions"][0]["key"]
    jumps_before = len(original["blocks"][0]["jumps"])
    j = f"blocks.0.jumps.{jumps_before}"
    page.set(f"{j}.if.0.subject", f"q:{first_key}").set(f"{j}.if.0.op", "not_answered").set(f"{j}.to", "end")
    page = page.press("save")
    assert _definition(survey)["blocks"][0]["jumps"][-1] == {
        "if": _cond(q=first_key, op="not_answered"),
        "to": "end",
    }

    # blocks: move the new one up, add another and remove it again
    page = page.press(f"up:blocks.{new_b}")
    new_b -= 1
    assert _definition(survey)["blocks"][new_b]["questions"][0]["key"] == "which_plan_are_you_on"
    page = page.press("add_block")
    assert len(_definition(survey)["blocks"]) == len(original["blocks"]) + 2
    page = page.press(f"remove:blocks.{len(original['blocks']) + 1}")
    assert len(_definition(survey)["blocks"]) == len(original["blocks"]) + 1

    # questions: move one down, move one into the template's first block, remove one
    date_key = next(q["key"] for q in block["questions"] if q["type"] == "date")
    number_key = next(q["key"] for q in block["questions"] if q["type"] == "number")
    page = page.press(f"down:{_path_of(survey, number_key)}")
    keys = [q["key"] for q in _definition(survey)["blocks"][new_b]["questions"]]
    assert keys.index(number_key) == keys.index(date_key) + 1  # number came after date, now after it again
    first_block = [b["key"] for b in _definition(survey)["blocks"]].index(original["blocks"][0]["key"])
    page.set(f"{_path_of(survey, date_key)}.move_to", str(first_block))
    page = page.press(f"move:{_path_of(survey, date_key)}")
    assert _definition(survey)["blocks"][first_block]["questions"][-1]["key"] == date_key
    page = page.press(f"remove:{_path_of(survey, number_key)}")
    final = _definition(survey)
    assert number_key not in [q["key"] for b in final["blocks"] for q in b["questions"]]
    assert [q["type"] for q in final["blocks"][new_b]["questions"]] == [
        "choice",
        *[t for t in QUESTION_TYPES if t not in ("date", "number")],
    ]
    # the template's own questions are untouched
    for block_before in original["blocks"]:
        for q in block_before["questions"]:
            assert _question(survey, q["key"]) == q
    parse_definition(final)

    # export, import into another survey: the same definition
    exported = client.get(f"/surveys/{survey.pk}/export.json")
    upload = SimpleUploadedFile("survey.json", exported.content, content_type="application/json")
    assert client.post("/surveys/import/", {"file": upload}).status_code == 302
    copy = Survey.objects.exclude(pk=survey.pk).get(workspace=cast.workspace)
    assert copy.definition == final and copy.name == "Renamed survey"


# -- refused edits -------------------------------------------------------------------------------------------
def _set_key(page, path, value):
    return page.set(f"{path}.key", value)


REFUSED = [
    # (template, what the person does, the part the error is shown at, words of the error, the input kept)
    (
        "delivery_csat",
        lambda page: _set_key(page, "blocks.0.questions.0", "Not A Key"),
        "save",
        "at-blocks-0-questions-0",
        "lower-case letters, digits and _",
        ("blocks.0.questions.0.key", "Not A Key"),
    ),
    (
        "delivery_csat",
        lambda page: page.set("name", "   "),
        "save",
        "at-name",
        "Give the survey a name.",
        ("theme.colour", "#2f6f5e"),
    ),
    (
        "delivery_csat",
        lambda page: page.set("theme.logo_url", "javascript:alert(1)"),
        "save",
        "at-theme-logo_url",
        "logo_url must be an http(s) address",
        ("theme.logo_url", "javascript:alert(1)"),
    ),
    (
        "delivery_csat",
        lambda page: page.set("blocks.1.questions.2.max_length", "lots"),
        "save",
        "at-blocks-1-questions-2",
        "max length: Input should be a valid integer",
        ("blocks.1.questions.2.max_length", "lots"),
    ),
    (
        "delivery_csat",
        lambda page: _set_key(page, "blocks.1.questions.0", "csat"),
        "save",
        "at-blocks-1-questions-0",
        "question key 'csat' is used twice",
        ("blocks.1.questions.0.key", "csat"),
    ),
    (
        "relationship_nps",
        lambda page: page.set("blocks.2.questions.0.options.1.key", "delivery"),
        "save",
        "at-blocks-2-questions-0",
        "option key 'delivery' is used twice",
        ("blocks.2.questions.0.options.1.key", "delivery"),
    ),
    (
        "relationship_nps",
        lambda page: page.set("blocks.1.jumps.0.to", "end"),
        "save",
        "at-blocks-1",
        "a jump needs a condition",
        ("blocks.1.jumps.0.to", "end"),
    ),
    (  # the detractor block reads the NPS answer: the NPS block cannot go
        "relationship_nps",
        lambda page: page.set("blocks.1.title.en", "Typed before removing"),
        "remove:blocks.0",
        "at-blocks-1",
        "block detractor: condition reads 'nps', which is not an earlier question",
        ("blocks.0.title.en", "Typed before removing"),
    ),
    (
        "relationship_nps",
        lambda page: page.set("blocks.1.questions.0.label.en", "Kept label"),
        "remove:blocks.0.questions.0",
        "at-blocks-0-questions-0",
        "A block needs at least one question",
        ("blocks.1.questions.0.label.en", "Kept label"),
    ),
    (
        "relationship_nps",
        lambda page: page.set("blocks.2.show_if.0.value", ""),
        "save",
        "at-blocks-2",
        "op lte needs a value",
        ("blocks.2.show_if.0.op", "lte"),
    ),
]


@pytest.mark.parametrize(("template", "edit", "op", "anchor", "message", "kept"), REFUSED)
def test_invalid_edit_is_refused_with_the_error_at_its_part(
    login, cast, template, edit, op, anchor, message, kept
):
    survey = services.survey_create(workspace=cast.workspace, actor=None, name="Draft", template=template)
    before = _definition(survey)
    page = BuilderPage.open(login(cast.analyst), survey)
    edit(page)
    refused = page.press(op, expect=422)
    assert "Not saved" in refused.html
    assert message in html.unescape(refused.part(anchor)), refused.part(anchor)[:2000]
    assert refused.value(kept[0]) == kept[1]  # what was typed is still in the form
    survey.refresh_from_db()
    assert survey.definition == before and survey.name == "Draft"


def test_block_question_and_ending_settings_are_stored_as_set(login, cast):
    data = {
        "welcome": {"title": "Hi", "text": "", "button": ""},
        "blocks": [
            {
                "key": "first",
                "questions": [
                    {
                        "key": "reasons",
                        "type": "multi_choice",
                        "label": "Why?",
                        "options": [{"key": "price", "label": "Price"}, {"key": "speed", "label": "Speed"}],
                    }
                ],
            },
            {
                "key": "second",
                "questions": [
                    {
                        "key": "rank",
                        "type": "ranking",
                        "label": "Rank",
                        "options": [{"key": "x", "label": "X"}, {"key": "y", "label": "Y"}],
                    },
                    {"key": "stars", "type": "rating", "label": "Rate"},
                    {"key": "age", "type": "number", "label": "Age"},
                    {"key": "note", "type": "text", "label": "Note"},
                ],
            },
        ],
    }
    survey = services.survey_create(workspace=cast.workspace, actor=None, name="Settings", definition=data)
    page = BuilderPage.open(login(cast.analyst), survey)
    assert page.selects["blocks.1.questions.0.carry_forward.from"] == ["", "reasons"]  # earlier choices only
    assert page.selects["blocks.0.questions.0.carry_forward.from"] == [""]
    q = "blocks.1.questions"
    page.set(f"{q}.0.carry_forward.from", "reasons").set(f"{q}.0.carry_forward.which", "not_chosen")
    page.check(f"{q}.0.randomize_options")
    page.set(f"{q}.1.scale_from", "0").set(f"{q}.1.scale_to", "6").set(f"{q}.1.style", "emoji")
    page.set(f"{q}.1.min_label.en", "Awful").set(f"{q}.1.max_label.en", "Great")
    page.set(f"{q}.2.minimum", "18").set(f"{q}.2.maximum", "99.5")
    page.check(f"{q}.3.multiline").set(f"{q}.3.max_length", "280").check(f"{q}.3.required")
    page.check("blocks.1.randomize").check("blocks.1.repeat.on").set("blocks.1.repeat.max", "4")
    page.set("blocks.1.repeat.label.en", "One more").set("blocks.1.title.en", "About it")
    page.check("welcome.on", False)
    page = page.press("save")
    page = page.press("add_ending")
    page.set("endings.1.key", "gone").set("endings.1.title.en", "Bye").set("endings.1.text.en", "Off you go")
    page.set("endings.1.redirect_url", "https://example.com/thanks")
    page = page.press("save")

    stored = _definition(survey)
    second = stored["blocks"][1]
    assert second["title"] == "About it" and second["randomize"] is True
    assert second["repeat"] == {"max": 4, "label": "One more"}
    rank, stars, age, note = second["questions"]
    assert rank["carry_forward"] == {"from": "reasons", "which": "not_chosen"} and rank["randomize_options"]
    assert (stars["scale"], stars["style"], stars["min_label"], stars["max_label"]) == (
        [0, 6],
        "emoji",
        "Awful",
        "Great",
    )
    assert (age["minimum"], age["maximum"]) == (18, 99.5)
    assert (note["multiline"], note["max_length"], note["required"]) == (True, 280, True)
    assert stored["welcome"] is None
    assert stored["endings"][1] == {
        "key": "gone",
        "title": "Bye",
        "text": "Off you go",
        "redirect_url": "https://example.com/thanks",
    }
    page.press("remove:endings.0")
    assert [e["key"] for e in _definition(survey)["endings"]] == ["gone"]


def test_a_stale_form_is_not_saved_over_someone_elses_changes(login, cast):
    survey = services.survey_create(workspace=cast.workspace, actor=None, name="Draft", template="pmf")
    page = BuilderPage.open(login(cast.analyst), survey)
    services.survey_update(survey=survey, actor=None, name="Renamed elsewhere")
    page.set("touchpoint", "mine")
    conflict = page.press("save", expect=409)
    assert "Someone else saved this survey" in conflict.html
    survey.refresh_from_db()
    assert survey.name == "Renamed elsewhere" and survey.touchpoint != "mine"
    conflict.press("save")  # saving again replaces their changes, knowingly
    survey.refresh_from_db()
    assert survey.touchpoint == "mine"


def test_json_tab_does_not_save_a_stale_text_over_someone_elses_changes(login, cast):
    survey = services.survey_create(workspace=cast.workspace, actor=None, name="Draft", template="pmf")
    client = login(cast.analyst)
    page = client.get(f"/surveys/{survey.pk}/edit/json/").content.decode()
    stamp = re.search(r'name="updated" value="([^"]+)"', page).group(1)
    services.survey_update(
        survey=survey, actor=None, definition=survey.definition | {"layout": "single_page"}
    )
    mine = json.dumps(_definition(survey) | {"progress_bar": False})
    resp = client.post(f"/surveys/{survey.pk}/edit/json/", {"definition": mine, "updated": stamp})
    assert resp.status_code == 409 and "Someone else saved this survey" in resp.content.decode()
    assert _definition(survey)["progress_bar"] is True
    again = re.search(r'name="updated" value="([^"]+)"', resp.content.decode()).group(1)
    assert (
        client.post(f"/surveys/{survey.pk}/edit/json/", {"definition": mine, "updated": again}).status_code
        == 302
    )
    assert _definition(survey)["progress_bar"] is False


def test_renaming_a_key_follows_it_into_conditions_and_piping(login, cast):
    survey = services.survey_create(
        workspace=cast.workspace, actor=None, name="NPS", template="relationship_nps"
    )
    page = BuilderPage.open(login(cast.analyst), survey)
    page.set("blocks.0.questions.0.key", "score")
    page.press("save")
    stored = _definition(survey)
    assert stored["blocks"][0]["questions"][0]["key"] == "score"
    assert stored["blocks"][2]["show_if"]["q"] == "score"
    assert "{{answer:score}}" in stored["blocks"][1]["questions"][0]["label"]["en"]


def test_languages_are_added_made_default_and_removed(login, cast):
    survey = services.survey_create(
        workspace=cast.workspace, actor=None, name="NPS", template="relationship_nps"
    )
    page = BuilderPage.open(login(cast.analyst), survey)
    page = page.set("new_language", "fr").press("save")
    assert page.value("blocks.0.questions.0.label.fr") == ""  # every text has a French field now
    page = page.set("blocks.0.questions.0.label.fr", "Recommanderiez-vous ?").press("default_language:de")
    assert _definition(survey)["languages"] == ["de", "en", "fr"]
    page.press("remove_language:en")
    stored = _definition(survey)
    assert stored["languages"] == ["de", "fr"]
    assert set(stored["blocks"][0]["questions"][0]["label"]) == {"de", "fr"}


def test_builder_tells_how_a_change_reaches_a_live_survey(login, cast):
    survey = live_survey(cast.workspace, template="pmf")
    page = BuilderPage.open(login(cast.analyst), survey)
    assert (
        "Live: your changes are saved as a draft of version 2; publish them on the survey page" in page.html
    )
    draft = services.survey_create(workspace=cast.workspace, actor=None, name="Draft", template="pmf")
    assert "Draft: your changes are saved as you go" in BuilderPage.open(login(cast.analyst), draft).html


# -- the JSON tab --------------------------------------------------------------------------------------------
def test_json_tab_saves_a_valid_definition(login, cast):
    survey = services.survey_create(workspace=cast.workspace, actor=None, name="Draft", template="pmf")
    client = login(cast.analyst)
    page = client.get(f"/surveys/{survey.pk}/edit/json/")
    assert page.status_code == 200 and "&quot;blocks&quot;" in page.content.decode()
    changed = _definition(survey)
    changed["layout"] = "single_page"
    resp = client.post(f"/surveys/{survey.pk}/edit/json/", {"definition": json.dumps(changed)})
    assert resp.status_code == 302
    assert _definition(survey)["layout"] == "single_page"


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ('{"blocks": [', "line 1, column 13"),
        ('{"blocks": []}', "<code>blocks</code>: List should have at least 1 item"),
        (
            '{"blocks": [{"key": "b", "questions": '
            '[{"key": "q", "type": "rating", "label": "?", "scale": [2, 5]}]}]}',
            "<code>blocks.0.questions.0</code>: rating scale 2–5 must start at 0 or 1",
        ),
        (
            '{"blocks": [{"key": "b", "questions": [{"key": "q", "type": "nps", "label": "?"}]}], "x": 1}',
            "<code>x</code>",
        ),
    ],
)
def test_json_tab_lists_errors_and_keeps_the_text(login, cast, text, shown):
    survey = services.survey_create(workspace=cast.workspace, actor=None, name="Draft", template="pmf")
    before = _definition(survey)
    resp = login(cast.analyst).post(f"/surveys/{survey.pk}/edit/json/", {"definition": text})
    page = resp.content.decode()
    assert resp.status_code == 422 and "Not saved" in page
    assert shown in page
    kept = re.search(r'<textarea id="f-definition"[^>]*>(.*?)</textarea>', page, re.S).group(1)
    assert html.unescape(kept) == text  # the textarea holds exactly what was sent
    assert _definition(survey) == before


# -- who may build -------------------------------------------------------------------------------------------
ROUTES = ["edit/", "edit/json/", "edit/preview/"]


@pytest.mark.parametrize("role", ["agent", "viewer"])
@pytest.mark.parametrize("route", ROUTES)
def test_agents_and_viewers_cannot_use_the_builder(login, cast, role, route):
    survey = services.survey_create(workspace=cast.workspace, actor=None, name="Draft", template="pmf")
    before = _definition(survey)
    client = login(cast.user(role))
    assert client.get(f"/surveys/{survey.pk}/{route}").status_code == 403
    assert (
        client.post(f"/surveys/{survey.pk}/{route}", {"name": "Taken", "definition": "{}"}).status_code == 403
    )
    survey.refresh_from_db()
    assert survey.definition == before and survey.name == "Draft"


@pytest.mark.parametrize("role", ["owner", "admin", "analyst"])
def test_analysts_and_up_use_the_builder(login, cast, role):
    survey = services.survey_create(workspace=cast.workspace, actor=None, name="Draft", template="pmf")
    client = login(cast.user(role))
    for route in ROUTES:
        assert client.get(f"/surveys/{survey.pk}/{route}").status_code == 200
    assert f'href="/surveys/{survey.pk}/edit/"' in client.get(f"/surveys/{survey.pk}/").content.decode()


def test_viewers_see_no_edit_link(login, cast):
    survey = services.survey_create(workspace=cast.workspace, actor=None, name="Draft", template="pmf")
    assert (
        f"/surveys/{survey.pk}/edit/" not in login(cast.viewer).get(f"/surveys/{survey.pk}/").content.decode()
    )


def test_outsider_cannot_open_or_change_acme_surveys_in_the_builder(login, client, cast):
    survey = services.survey_create(workspace=cast.workspace, actor=None, name="Secret plan", template="pmf")
    before = _definition(survey)
    acme_form = BuilderPage.open(login(cast.analyst), survey).set("name", "Hijacked").data("save")
    outsider = login(cast.outsider)
    for route in ROUTES:
        resp = outsider.get(f"/surveys/{survey.pk}/{route}")
        assert resp.status_code == 404 and "Secret plan" not in resp.content.decode()
    assert outsider.post(f"/surveys/{survey.pk}/edit/", acme_form).status_code == 404
    assert (
        outsider.post(f"/surveys/{survey.pk}/edit/", {**acme_form, "op": ["remove:blocks.0"]}).status_code
        == 404
    )
    valid = json.dumps(before | {"layout": "single_page"})
    assert outsider.post(f"/surveys/{survey.pk}/edit/json/", {"definition": valid}).status_code == 404
    survey.refresh_from_db()
    assert survey.definition == before and survey.name == "Secret plan"
    assert not Survey.objects.filter(workspace=cast.other_workspace).exists()


# -- a live survey's versions --------------------------------------------------------------------------------
def test_live_survey_edited_in_the_builder_publishes_version_2_and_old_responses_keep_version_1(login, cast):
    from django.test import Client

    survey = live_survey(cast.workspace, template="relationship_nps", name="Quarterly NPS")
    respondent = Client()
    first = respondent.post(f"/s/{survey.slug}/?start=1", form(0, nps="9"))
    earlier = Response.objects.get(token=resume_path(first).rstrip("/").rsplit("/", 1)[-1])
    assert earlier.version.number == 1

    staff = login(cast.analyst)
    page = BuilderPage.open(staff, survey)
    page.set("blocks.0.questions.0.label.en", "Would you recommend us?")
    page = page.press("save")
    assert "saved changes the live version does not have yet" in page.html
    survey.refresh_from_db()
    assert survey.current_version.number == 1  # respondents still get version 1
    assert "Would you recommend us?" not in respondent.get(f"/s/{survey.slug}/?start=1").content.decode()

    detail = staff.get(f"/surveys/{survey.pk}/").content.decode()
    assert "Publish changes as v2" in detail
    staff.post(f"/surveys/{survey.pk}/publish/")
    survey.refresh_from_db()
    assert survey.current_version.number == 2
    assert "Would you recommend us?" in Client().get(f"/s/{survey.slug}/?start=1").content.decode()
    earlier.refresh_from_db()
    assert earlier.version.number == 1
    # the earlier respondent goes on with the version they started
    resumed = respondent.get(resume_path(first)).content.decode()
    assert "What is the main reason for your score of 9?" in resumed


# -- preview in frames ---------------------------------------------------------------------------------------
def test_preview_tab_frames_the_public_page_at_phone_and_desktop_widths(login, cast):
    survey = services.survey_create(workspace=cast.workspace, actor=None, name="Draft", template="pmf")
    page = login(cast.analyst).get(f"/surveys/{survey.pk}/edit/preview/").content.decode()
    frames = re.findall(r'<iframe class="([^"]+)" src="([^"]+)"', page)
    src = f"/s/{survey.slug}/?preview=1&amp;lang=en"
    assert frames == [("builder-frame-phone", src), ("builder-frame-desktop", src)]


def test_only_preview_pages_may_be_framed_and_only_by_this_site(login, client, cast):
    draft = services.survey_create(workspace=cast.workspace, actor=None, name="Draft", template="pmf")
    live = live_survey(cast.workspace, template="pmf", name="Live")
    staff = login(cast.analyst)

    def framing(resp):
        csp = resp["Content-Security-Policy"]
        return resp["X-Frame-Options"], re.search(r"frame-ancestors ([^;]+)", csp).group(1)

    preview = staff.get(f"/s/{draft.slug}/?preview=1")
    assert preview.status_code == 200 and framing(preview) == ("SAMEORIGIN", "'self'")
    assert "script-src 'self'" in preview["Content-Security-Policy"]  # the rest of the policy stays
    sent = staff.post(f"/s/{draft.slug}/?preview=1", form(0, disappointed="very"))
    assert sent.status_code == 303
    assert framing(staff.get(sent["Location"])) == ("SAMEORIGIN", "'self'")  # the preview goes on framed

    assert framing(staff.get(f"/s/{live.slug}/")) == ("DENY", "'none'")  # not a preview
    assert framing(staff.get(f"/surveys/{draft.pk}/edit/")) == ("DENY", "'none'")
    client.logout()
    assert framing(client.get(f"/s/{live.slug}/")) == ("DENY", "'none'")
    assert framing(client.get(f"/s/{live.slug}/?preview=1")) == ("DENY", "'none'")  # no member, no preview
    answered = client.post(f"/s/{live.slug}/", form(0, disappointed="very"))
    assert framing(client.get(answered["Location"])) == ("DENY", "'none'")
