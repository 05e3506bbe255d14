"""The builder's form as plain data (no database): reading a posted form into a definition, the structural
edits, and where each validation error is shown."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from cxloop.surveys import builder
from cxloop.surveys.definition import QUESTION_TYPES, parse_definition
from cxloop.surveys.library import template_definition


def _form(**fields) -> dict:
    """A minimal builder form: one block with one NPS question, one ending; `fields` overrides or adds."""
    base = {
        "name": "Survey",
        "languages": ["en"],
        "layout": "blocks",
        "progress_bar": "1",
        "theme.colour": "#2f6f5e",
        "blocks.0.key": "b1",
        "blocks.0._orig": "b1",
        "blocks.0.title.en": "",
        "blocks.0.title.plain": "1",
        "blocks.0.questions.0.key": "nps",
        "blocks.0.questions.0._orig": "nps",
        "blocks.0.questions.0._type": "nps",
        "blocks.0.questions.0.type": "nps",
        "blocks.0.questions.0.label.en": "Recommend us?",
        "blocks.0.questions.0.label.plain": "1",
        "endings.0.key": "thanks",
        "endings.0.title.en": "Thank you!",
        "endings.0.title.plain": "1",
    }
    base.update(fields)
    return base


def _read(**fields) -> dict:
    return builder.read_form(_form(**fields)).definition


def _checked(defn: dict) -> dict:
    return parse_definition(defn).dump()


# -- reading -------------------------------------------------------------------------------------------------
def test_a_minimal_form_reads_as_a_valid_definition():
    edit = builder.read_form(_form(touchpoint="checkout", closed_message="Closed.\r\nBye."))
    defn = _checked(edit.definition)
    assert (edit.name, edit.touchpoint, edit.closed_message) == ("Survey", "checkout", "Closed.\nBye.")
    assert defn["blocks"][0]["questions"][0]["label"] == "Recommend us?"
    assert defn["progress_bar"] is True and defn["welcome"] is None
    assert _read(progress_bar="")["progress_bar"] is False


def test_texts_are_one_string_until_a_translation_is_typed():
    two = {"languages": ["en", "de"], "blocks.0.questions.0.label.de": ""}
    assert _read(**two)["blocks"][0]["questions"][0]["label"] == "Recommend us?"
    translated = _read(**two | {"blocks.0.questions.0.label.de": "Empfehlen?"})["blocks"][0]["questions"][0]
    assert translated["label"] == {"en": "Recommend us?", "de": "Empfehlen?"}
    # a text stored per language stays per language, even with one language filled in
    per_language = _read(**two | {"blocks.0.questions.0.label.plain": ""})["blocks"][0]["questions"][0]
    assert per_language["label"] == {"en": "Recommend us?"}


def test_a_new_language_hidden_fields_and_the_welcome_screen():
    defn = _read(
        new_language="PT-br",
        hidden_fields="order_id, touchpoint;segment",
        **{"welcome.on": "1", "welcome.title.en": "Hi", "welcome.title.plain": "1"},
    )
    assert defn["languages"] == ["en", "pt-br"]
    assert defn["hidden_fields"] == ["order_id", "touchpoint", "segment"]
    assert defn["welcome"]["title"] == "Hi"
    assert _read(new_language="en")["languages"] == ["en"]  # already there: not twice


def test_empty_keys_are_made_from_labels_and_kept_unique():
    defn = _read(
        **{
            "blocks.0.questions.1.key": "",
            "blocks.0.questions.1.type": "choice",
            "blocks.0.questions.1._type": "choice",
            "blocks.0.questions.1.label.en": "Wie zufrieden sind Sie mit Ihrer Lieferung heute?",
            "blocks.0.questions.1.label.plain": "1",
            "blocks.0.questions.1.options.0.key": "",
            "blocks.0.questions.1.options.0.label.en": "Ça va",
            "blocks.0.questions.1.options.0.label.plain": "1",
            "blocks.0.questions.1.options.1.key": "ca_va",
            "blocks.0.questions.1.options.1.label.en": "Other ça va",
            "blocks.0.questions.1.options.1.label.plain": "1",
            "blocks.0.questions.1.options.2.key": "",
            "blocks.0.questions.1.options.2.label.en": "",  # the empty row: ignored
        }
    )
    q = _checked(defn)["blocks"][0]["questions"][1]
    assert q["key"] == "wie_zufrieden_sind_sie_mit"
    assert [o["key"] for o in q["options"]] == ["ca_va_2", "ca_va"]


@pytest.mark.parametrize(
    ("text", "taken", "key"),
    [
        ("How was it?", set(), "how_was_it"),
        ("How was it?", {"how_was_it", "how_was_it_2"}, "how_was_it_3"),
        ("123 go", set(), "q_123_go"),
        ("", set(), "q"),
        ("???", {"q"}, "q_2"),
    ],
)
def test_key_from_a_label(text, taken, key):
    assert builder.key_from(text, taken) == key


def test_a_renamed_key_is_followed_into_conditions_carry_forward_and_piping():
    defn = template_definition("relationship_nps")
    defn["blocks"][2]["questions"][1]["carry_forward"] = None
    builder.rename_references(defn, "q", "nps", "score")
    assert defn["blocks"][2]["show_if"]["q"] == "score"
    assert defn["blocks"][1]["questions"][0]["label"]["de"].endswith("{{answer:score}}?")
    other = {"blocks": [{"key": "a", "jumps": [{"if": {"q": "x", "op": "answered"}, "to": "end:bye"}]}]}
    builder.rename_references(other, "ending", "bye", "farewell")
    assert other["blocks"][0]["jumps"][0]["to"] == "end:farewell"


def _condition_form(prefix: str, rows: list[tuple[str, str, str]], mode: str = "all") -> dict:
    out = {f"{prefix}.mode": mode}
    for n, (subject, op, value) in enumerate(rows):
        out |= {f"{prefix}.{n}.subject": subject, f"{prefix}.{n}.op": op, f"{prefix}.{n}.value": value}
    return out


def test_condition_rows_become_one_test_or_all_any_of_tests_with_typed_values():
    q2 = {
        "blocks.0.questions.1.key": "ok",
        "blocks.0.questions.1.type": "yes_no",
        "blocks.0.questions.1._type": "yes_no",
        "blocks.0.questions.1.label.en": "OK?",
        "blocks.0.questions.1.label.plain": "1",
        "hidden_fields": "order_id",
    }
    one = _read(**q2, **_condition_form("blocks.0.questions.1.show_if", [("q:nps", "lte", "6")]))
    assert one["blocks"][0]["questions"][1]["show_if"] == {"q": "nps", "op": "lte", "value": 6}
    rows = [
        ("q:nps", "in", "9, 10"),
        ("hidden:order_id", "eq", "007"),
        ("", "eq", "ignored: no subject"),
        ("q:nps", "answered", "ignored value"),
    ]
    many = _read(**q2, **_condition_form("blocks.0.questions.1.show_if", rows, mode="any"))
    assert many["blocks"][0]["questions"][1]["show_if"] == {
        "any": [
            {"q": "nps", "op": "in", "value": [9, 10]},
            {"hidden": "order_id", "op": "eq", "value": "007"},
            {"q": "nps", "op": "answered", "value": None},
        ]
    }
    yes = _read(
        **q2,
        **_condition_form("blocks.0.jumps.0.if", [("q:ok", "eq", "Yes")]),
        **{"blocks.0.jumps.0.to": "end"},
    )
    assert yes["blocks"][0]["jumps"] == [{"if": {"q": "ok", "op": "eq", "value": True}, "to": "end"}]


def test_a_condition_the_rows_cannot_show_is_kept_as_it_was_unless_removed():
    raw = '{"any": [{"all": [{"q": "nps", "op": "gte", "value": 9}]}, {"q": "nps", "op": "lt", "value": 2}]}'
    kept = _read(**{"blocks.0.questions.0.show_if.raw": raw})
    assert kept["blocks"][0]["questions"][0]["show_if"]["any"][1]["value"] == 2
    cleared = _read(**{"blocks.0.questions.0.show_if.raw": raw, "blocks.0.questions.0.show_if.clear": "1"})
    assert cleared["blocks"][0]["questions"][0]["show_if"] is None


def test_changing_a_questions_type_gives_it_what_the_new_type_needs():
    to_choice = _read(**{"blocks.0.questions.0.type": "choice"})["blocks"][0]["questions"][0]
    assert [o["label"] for o in to_choice["options"]] == ["Option 1", "Option 2"]
    assert to_choice["scale"] is None
    to_matrix = _read(**{"blocks.0.questions.0.type": "matrix"})["blocks"][0]["questions"][0]
    assert len(to_matrix["rows"]) == 2 and to_matrix["scale"] == [1, 5]
    _checked(_read(**{"blocks.0.questions.0.type": "text"}))


@pytest.mark.parametrize("qtype", list(QUESTION_TYPES))
def test_every_new_question_type_is_valid_as_it_comes(qtype):
    defn = _read()
    defn["blocks"][0]["questions"].append(builder.new_question(qtype, {"nps"}))
    _checked(defn)


def test_a_choice_question_left_with_one_option_is_not_silently_filled_up():
    fields = {
        "blocks.0.questions.0.type": "choice",
        "blocks.0.questions.0._type": "choice",
        "blocks.0.questions.0.options.0.key": "only",
        "blocks.0.questions.0.options.0.label.en": "Only",
        "blocks.0.questions.0.options.0.label.plain": "1",
    }
    with pytest.raises(ValidationError, match="needs at least 2 options"):
        parse_definition(_read(**fields))


# -- structural edits ----------------------------------------------------------------------------------------
def _two_blocks() -> dict:
    return {
        "languages": ["en", "de"],
        "blocks": [
            {"key": "a", "questions": [{"key": "q1", "label": "1"}, {"key": "q2", "label": "2"}]},
            {"key": "b", "questions": [{"key": "q3", "label": {"en": "3", "de": "drei"}}]},
        ],
        "endings": [{"key": "thanks", "title": {"en": "Thanks", "de": "Danke"}}],
    }


def _keys(defn: dict) -> list[list[str]]:
    return [[q["key"] for q in b["questions"]] for b in defn["blocks"]]


def test_questions_move_within_and_across_blocks():
    defn = _two_blocks()
    assert builder.apply_op(defn, "down:blocks.0.questions.0", {}) == "blocks.0.questions.1"
    assert _keys(defn) == [["q2", "q1"], ["q3"]]
    assert builder.apply_op(defn, "down:blocks.0.questions.1", {}) == "blocks.1.questions.0"
    assert _keys(defn) == [["q2"], ["q1", "q3"]]
    assert builder.apply_op(defn, "up:blocks.1.questions.0", {}) == "blocks.0.questions.1"
    assert _keys(defn) == [["q2", "q1"], ["q3"]]
    focus = builder.apply_op(defn, "move:blocks.0.questions.0", {"blocks.0.questions.0.move_to": "1"})
    assert focus == "blocks.1.questions.1" and _keys(defn) == [["q1"], ["q3", "q2"]]


@pytest.mark.parametrize(
    ("op", "message"),
    [
        ("remove:blocks.1.questions.0", "A block needs at least one question"),
        ("down:blocks.1.questions.0", None),  # the last question goes nowhere: no change
        ("remove:endings.0", "A survey needs at least one ending"),
        ("remove:blocks.7", "not there any more"),
        ("remove:theme", "nothing at 'theme'"),
        ("explode:blocks.0", "Unknown builder action"),
        ("remove_language:fr", "no language 'fr'"),
    ],
)
def test_edits_that_cannot_be_done_say_why(op, message):
    defn = _two_blocks()
    if message is None:
        builder.apply_op(defn, op, {})
        assert _keys(defn) == _keys(_two_blocks())
        return
    with pytest.raises(builder.OpError, match=message):
        builder.apply_op(defn, op, {})


def test_blocks_endings_and_questions_are_added_with_fresh_keys():
    defn = _two_blocks()
    assert builder.apply_op(defn, "add_block", {"add_block_type": "nps"}) == "blocks.2"
    assert defn["blocks"][2]["key"] == "b3" and defn["blocks"][2]["questions"][0]["key"] == "nps"
    focus = builder.apply_op(defn, "add_question:0", {"blocks.0.add_type": "nps", "blocks.0.add_label": ""})
    assert focus == "blocks.0.questions.2" and defn["blocks"][0]["questions"][2]["key"] == "nps_2"
    assert builder.apply_op(defn, "add_ending", {}) == "endings.1"
    assert defn["endings"][1]["key"] == "ending"
    with pytest.raises(builder.OpError, match="no question type"):
        builder.apply_op(defn, "add_question:0", {"blocks.0.add_type": "essay"})


def test_removing_a_language_drops_its_texts_but_never_the_only_one():
    defn = _two_blocks()
    defn["blocks"][1]["questions"][0]["help"] = {"de": "nur Deutsch"}
    builder.apply_op(defn, "remove_language:de", {})
    assert defn["languages"] == ["en"]
    q3 = defn["blocks"][1]["questions"][0]
    assert q3["label"] == {"en": "3"} and q3["help"] == "nur Deutsch"
    assert defn["endings"][0]["title"] == {"en": "Thanks"}
    with pytest.raises(builder.OpError, match="at least one language"):
        builder.apply_op(defn, "remove_language:en", {})
    defn = _two_blocks()
    builder.apply_op(defn, "default_language:de", {})
    assert defn["languages"] == ["de", "en"]


# -- where errors show ---------------------------------------------------------------------------------------
def test_errors_are_placed_at_the_part_they_concern():
    defn = template_definition("relationship_nps")
    errors = [
        {"loc": "blocks.2.questions.0.options.1.key", "msg": "String should match pattern '^[a-z]'"},
        {"loc": "theme.colour", "msg": "String should match pattern '^#[0-9a-fA-F]{6}$'"},
        {"loc": "blocks.1.jumps.0.if", "msg": "Input should be a valid dictionary or instance of Condition"},
        {"loc": "blocks.0.questions", "msg": "List should have at least 1 item after validation, not 0"},
        {"loc": "", "msg": "question contact_ok: condition reads 'x', which is not an earlier question"},
        {"loc": "", "msg": "block detractor jump: condition reads hidden field 'y', which is not declared"},
        {"loc": "", "msg": "ending key 'thanks' is used twice"},
        {"loc": "", "msg": "welcome: translation 'fr' is not one of the survey's languages"},
        {"loc": "", "msg": "something about the survey as a whole"},
        {"loc": "schema", "msg": "schema 2 is not supported"},
    ]
    placed = builder.place_errors(errors, defn)
    assert placed["blocks.2.questions.0"] == [
        "option 2 key: a key is lower-case letters, digits and _, starting with a letter (at most 50)"
    ]
    assert placed["theme.colour"] == ["write the colour as # and six hex digits, e.g. #2f6f5e"]
    assert placed["blocks.1"] == [
        "jump 1 condition: a jump needs a condition: choose a question or hidden field and a test"
    ]
    assert placed["blocks.0"] == ["questions: a block needs at least one question"]
    assert placed["blocks.2.questions.1"] == [
        "question contact_ok: condition reads 'x', which is not an earlier question"
    ]
    assert placed["blocks.2"] == [
        "block detractor jump: condition reads hidden field 'y', which is not declared"
    ]
    assert placed["endings.0"] == ["ending key 'thanks' is used twice"]
    assert placed["welcome"] == ["welcome: translation 'fr' is not one of the survey's languages"]
    assert placed[""] == ["something about the survey as a whole", "schema: schema 2 is not supported"]


def test_a_key_used_twice_is_shown_at_its_second_use():
    defn = _two_blocks()
    defn["blocks"][1]["questions"][0]["key"] = "q1"
    placed = builder.place_errors([{"loc": "", "msg": "question key 'q1' is used twice"}], defn)
    assert placed == {"blocks.1.questions.0": ["question key 'q1' is used twice"]}
