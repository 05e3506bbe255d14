"""The survey document: every template parses; a definition that does not hold together is refused with a
message that says what is wrong and where (the builder, an imported file and the API all show it)."""

from __future__ import annotations

import copy

import pytest
from pydantic import ValidationError

from cxloop.surveys.definition import SCHEMA_VERSION, parse_definition
from cxloop.surveys.library import BLANK, TEMPLATES, template_definition
from cxloop.surveys.services import DefinitionError, check_definition


def nps(key="nps", **extra):
    return {"key": key, "type": "nps", "label": "How likely?", **extra}


def choice(key, options=("a", "b"), type_="choice", **extra):
    return {
        "key": key,
        "type": type_,
        "label": f"Pick {key}",
        "options": [{"key": o, "label": o.upper()} for o in options],
        **extra,
    }


def survey(*blocks, **top):
    """A definition of `blocks`, each a list of questions or a complete block dict."""
    out = []
    for i, b in enumerate(blocks, start=1):
        out.append(b if isinstance(b, dict) else {"key": f"b{i}", "questions": list(b)})
    return {"blocks": out, **top}


def refusal(data) -> list[tuple[str, str]]:
    """Every problem of a refused definition as (place, message): the place is the dotted path pydantic
    reports, the message what the builder shows."""
    with pytest.raises(ValidationError) as info:
        parse_definition(data)
    return [
        (".".join(str(p) for p in e["loc"]), e["msg"].removeprefix("Value error, "))
        for e in info.value.errors()
    ]


def only(data) -> tuple[str, str]:
    problems = refusal(data)
    assert len(problems) == 1, problems
    return problems[0]


# -- what is accepted ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("template", [t.key for t in TEMPLATES])
def test_every_template_parses_and_round_trips_through_its_dump(template):
    raw = next(t for t in TEMPLATES if t.key == template).definition
    defn = parse_definition(copy.deepcopy(raw))
    assert defn.questions(), template
    dumped = template_definition(template)
    assert dumped["schema"] == SCHEMA_VERSION
    assert parse_definition(dumped).dump() == dumped  # an exported template imports unchanged


def test_the_blank_start_parses():
    defn = parse_definition(BLANK)
    assert [(q.key, q.type) for q in defn.questions()] == [("nps", "nps")]
    assert defn.languages == ["en"] and defn.endings[0].key == "thanks"


def test_defaults_fill_the_fixed_scales():
    defn = parse_definition(
        survey([nps(), {"key": "c", "type": "csat", "label": "C"}, {"key": "e", "type": "ces", "label": "E"}])
    )
    assert [q.scale for q in defn.questions()] == [(0, 10), (1, 5), (1, 7)]


@pytest.mark.parametrize("scale", [[1, 3], [0, 2], [1, 5], [1, 10], [0, 10], [1, 11]])
def test_rating_scales_of_3_to_11_points_are_accepted(scale):
    defn = parse_definition(survey([{"key": "r", "type": "rating", "label": "R", "scale": scale}]))
    assert defn.questions()[0].scale == tuple(scale)


# -- what is refused, and where -----------------------------------------------------------------------------
def test_a_question_key_used_twice_is_named():
    _, msg = only(survey([nps("score")], [nps("score")]))
    assert msg == "question key 'score' is used twice"


def test_a_question_key_used_twice_in_one_block_is_named():
    _, msg = only(survey([nps("score"), nps("score")]))
    assert "'score'" in msg and "twice" in msg


def test_a_block_key_used_twice_is_named():
    data = survey({"key": "intro", "questions": [nps("a")]}, {"key": "intro", "questions": [nps("b")]})
    _, msg = only(data)
    assert "block" in msg and "'intro'" in msg


def test_an_option_key_used_twice_is_refused_at_its_question():
    data = survey([nps(), choice("colour", options=("red", "red", "blue"))])
    where, msg = only(data)
    assert where == "blocks.0.questions.1"
    assert "option" in msg and "'red'" in msg


def test_an_ending_key_used_twice_is_named():
    data = survey([nps()], endings=[{"key": "bye"}, {"key": "bye"}])
    _, msg = only(data)
    assert "ending" in msg and "'bye'" in msg


@pytest.mark.parametrize("type_", ["choice", "multi_choice", "ranking"])
def test_a_choice_question_needs_two_options(type_):
    where, msg = only(survey([nps(), choice("pick", options=("only",), type_=type_)]))
    assert where == "blocks.0.questions.1"
    assert msg == f"a {type_} question needs at least 2 options"


@pytest.mark.parametrize("type_", ["nps", "text", "yes_no", "number", "matrix"])
def test_options_on_a_question_without_options_are_refused(type_):
    question = choice("q", type_=type_)
    if type_ == "matrix":
        question["rows"] = [{"key": "r1", "label": "Row"}]
    where, msg = only(survey([question]))
    assert where == "blocks.0.questions.0"
    assert msg == f"a {type_} question has no options"


def test_other_on_a_question_without_options_is_refused():
    where, msg = only(survey([{"key": "t", "type": "text", "label": "T", "allow_other": True}]))
    assert (where, msg) == ("blocks.0.questions.0", "a text question has no options")


def test_the_option_key_other_is_reserved_when_other_is_allowed():
    where, msg = only(survey([choice("pick", options=("a", "other"), allow_other=True)]))
    assert where == "blocks.0.questions.0" and '"other" is reserved' in msg


@pytest.mark.parametrize("scale", [[1, 10], [0, 5], [1, 11]])
def test_nps_keeps_its_0_to_10_scale(scale):
    where, msg = only(survey([nps(scale=scale)]))
    assert where == "blocks.0.questions.0"
    assert msg == f"nps scale {scale[0]}–{scale[1]} is not supported"


def test_csat_refuses_a_scale_it_does_not_have():
    where, msg = only(survey([{"key": "c", "type": "csat", "label": "C", "scale": [0, 10]}]))
    assert (where, msg) == ("blocks.0.questions.0", "csat scale 0–10 is not supported")


@pytest.mark.parametrize(
    ("type_", "scale"),
    [("rating", [1, 2]), ("rating", [0, 11]), ("rating", [2, 6]), ("matrix", [1, 2]), ("matrix", [1, 12])],
)
def test_rating_and_matrix_scales_outside_3_to_11_points_are_refused(type_, scale):
    question = {"key": "r", "type": type_, "label": "R", "scale": scale}
    if type_ == "matrix":
        question["rows"] = [{"key": "speed", "label": "Speed"}]
    where, msg = only(survey([nps(), question]))
    assert where == "blocks.0.questions.1"
    assert msg == f"{type_} scale {scale[0]}–{scale[1]} must start at 0 or 1 and have 3 to 11 points"


def test_a_scale_on_a_text_question_is_refused():
    where, msg = only(survey([{"key": "t", "type": "text", "label": "T", "scale": [1, 5]}]))
    assert (where, msg) == ("blocks.0.questions.0", "a text question has no scale")


def test_a_matrix_needs_rows():
    where, msg = only(survey([nps()], [{"key": "grid", "type": "matrix", "label": "Grid"}]))
    assert (where, msg) == ("blocks.1.questions.0", "a matrix question needs at least one row")


def test_matrix_row_keys_are_unique():
    rows = [{"key": "speed", "label": "Speed"}, {"key": "speed", "label": "Speed again"}]
    where, msg = only(survey([{"key": "grid", "type": "matrix", "label": "Grid", "rows": rows}]))
    assert where == "blocks.0.questions.0" and "row" in msg and "'speed'" in msg


def test_number_minimum_above_maximum_is_refused():
    where, msg = only(survey([{"key": "n", "type": "number", "label": "N", "minimum": 10, "maximum": 1}]))
    assert (where, msg) == ("blocks.0.questions.0", "minimum is above maximum")


def test_a_question_condition_on_a_later_question_is_refused():
    data = survey([nps("first", show_if={"q": "second", "op": "gte", "value": 9})], [nps("second")])
    _, msg = only(data)
    assert msg == "question first: condition reads 'second', which is not an earlier question"


def test_a_block_condition_on_its_own_question_is_refused():
    block = {"key": "loop", "show_if": {"q": "inside", "op": "answered"}, "questions": [nps("inside")]}
    _, msg = only(survey([nps()], block))
    assert msg == "block loop: condition reads 'inside', which is not an earlier question"


def test_a_condition_on_an_unknown_question_inside_any_is_refused():
    cond = {"any": [{"q": "nps", "op": "lte", "value": 6}, {"q": "ghost", "op": "answered"}]}
    _, msg = only(survey([nps()], {"key": "more", "show_if": cond, "questions": [nps("again")]}))
    assert msg == "block more: condition reads 'ghost', which is not an earlier question"


def test_in_a_randomised_block_a_condition_cannot_read_a_question_of_the_same_block():
    block = {
        "key": "shuffled",
        "randomize": True,
        "questions": [nps("a"), nps("b", show_if={"q": "a", "op": "gte", "value": 7})],
    }
    _, msg = only(survey(block))
    assert msg == "question b: condition reads 'a', which is not an earlier question"
    block["randomize"] = False
    assert parse_definition(survey(block)).question("b").show_if is not None


def test_a_condition_on_an_undeclared_hidden_field_is_refused():
    data = survey(
        [nps(show_if={"hidden": "channel", "op": "eq", "value": "app"})], hidden_fields=["order_id"]
    )
    _, msg = only(data)
    assert msg == "question nps: condition reads hidden field 'channel', which is not declared"


def test_a_condition_needs_one_subject_and_an_op():
    where, msg = refusal(
        survey([nps(), nps("b", show_if={"q": "nps", "hidden": "x", "op": "eq", "value": 1})])
    )[0]
    assert where.startswith("blocks.0.questions.1.show_if")
    assert "exactly one of q" in msg
    where, msg = refusal(survey([nps(), nps("b", show_if={"q": "nps"})]))[0]
    assert where.startswith("blocks.0.questions.1.show_if") and "needs op" in msg
    where, msg = refusal(survey([nps(), nps("b", show_if={"q": "nps", "op": "in", "value": 3})]))[0]
    assert where.startswith("blocks.0.questions.1.show_if") and "needs a list value" in msg
    where, msg = refusal(survey([nps(), nps("b", show_if={"q": "nps", "op": "bigger", "value": 3})]))[0]
    assert where.startswith("blocks.0.questions.1.show_if.op")


def test_a_jump_to_an_earlier_block_is_refused():
    back = {
        "key": "second",
        "jumps": [{"if": {"q": "b", "op": "answered"}, "to": "first"}],
        "questions": [nps("b")],
    }
    _, msg = only(survey({"key": "first", "questions": [nps("a")]}, back))
    assert msg == "block second: jump target 'first' is not a later block"


def test_a_jump_to_its_own_block_or_an_unknown_block_is_refused():
    own = {
        "key": "first",
        "jumps": [{"if": {"q": "a", "op": "answered"}, "to": "first"}],
        "questions": [nps("a")],
    }
    assert only(survey(own))[1] == "block first: jump target 'first' is not a later block"
    own["jumps"][0]["to"] = "nowhere"
    assert only(survey(own))[1] == "block first: jump target 'nowhere' is not a later block"


def test_a_jump_to_an_unknown_ending_is_refused():
    block = {
        "key": "first",
        "jumps": [{"if": {"q": "a", "op": "lte", "value": 6}, "to": "end:sorry"}],
        "questions": [nps("a")],
    }
    _, msg = only(survey(block, endings=[{"key": "thanks"}]))
    assert msg == "block first: jump to unknown ending 'sorry'"
    assert parse_definition(survey(block, endings=[{"key": "thanks"}, {"key": "sorry"}])).blocks[0].jumps


def test_a_jump_condition_reads_only_earlier_questions():
    block = {
        "key": "first",
        "jumps": [{"if": {"q": "later", "op": "answered"}, "to": "end"}],
        "questions": [nps("a")],
    }
    _, msg = only(survey(block, [nps("later")]))
    assert msg == "block first jump: condition reads 'later', which is not an earlier question"


def test_carry_forward_from_a_non_choice_question_is_refused():
    carried = {"key": "main", "type": "choice", "label": "Main", "carry_forward": {"from": "nps"}}
    _, msg = only(survey([nps()], [carried]))
    assert msg.startswith(
        "question main: carry_forward.from must be an earlier choice or multi_choice question"
    )


def test_carry_forward_from_a_later_question_is_refused():
    carried = {"key": "main", "type": "choice", "label": "Main", "carry_forward": {"from": "reasons"}}
    _, msg = only(survey([carried], [choice("reasons", type_="multi_choice")]))
    assert msg.startswith("question main: carry_forward.from must be an earlier")


def test_carry_forward_from_the_same_block_is_refused():
    carried = {"key": "main", "type": "choice", "label": "Main", "carry_forward": {"from": "reasons"}}
    _, msg = only(survey([choice("reasons", type_="multi_choice"), carried]))
    assert msg.startswith("question main: carry_forward.from must be an earlier")
    assert parse_definition(survey([choice("reasons", type_="multi_choice")], [carried])).question("main")


def test_a_translation_in_an_undeclared_language_is_refused():
    data = survey([nps(label={"en": "How likely?", "fr": "Quelle probabilité ?"})], languages=["en", "de"])
    assert only(data)[1] == "question nps: translation 'fr' is not one of the survey's languages"


def test_an_option_translation_in_an_undeclared_language_is_named_with_its_option():
    question = choice("pick")
    question["options"][1]["label"] = {"en": "B", "es": "Be"}
    assert (
        only(survey([question]))[1]
        == "question pick option b: translation 'es' is not one of the survey's languages"
    )


def test_an_ending_translation_in_an_undeclared_language_is_named():
    data = survey([nps()], endings=[{"key": "thanks", "title": {"en": "Thanks", "it": "Grazie"}}])
    assert only(data)[1] == "ending thanks: translation 'it' is not one of the survey's languages"


@pytest.mark.parametrize("code", ["EN", "english", "e", "de_DE", "pt-", "", "en-TOOLONGCODE"])
def test_bad_language_codes_are_refused(code):
    where, msg = only(survey([nps()], languages=["en", code]))
    assert where == "languages"
    assert msg == f"language {code!r} is not a code like en or pt-BR"


def test_good_language_codes_are_accepted():
    assert parse_definition(survey([nps()], languages=["en", "pt-BR", "de", "fil"])).languages[1] == "pt-BR"


def test_repeated_languages_are_refused():
    assert only(survey([nps()], languages=["en", "de", "en"])) == ("languages", "languages are repeated")


@pytest.mark.parametrize(
    "url",
    [
        "javascript:alert(1)",
        "JAVASCRIPT:alert(1)",
        "data:text/html,hi",
        "//evil.example",
        "ftp://files.example/x",
        "https://exa mple.com",
    ],
)
def test_a_redirect_that_is_not_an_http_address_is_refused(url):
    where, msg = only(survey([nps()], endings=[{"key": "thanks", "redirect_url": url}]))
    assert where == "endings.0.redirect_url"
    assert msg == "redirect_url must be an http(s) address"


def test_an_http_redirect_is_accepted_and_trimmed():
    defn = parse_definition(
        survey([nps()], endings=[{"key": "thanks", "redirect_url": " https://shop.example/ok "}])
    )
    assert defn.endings[0].redirect_url == "https://shop.example/ok"


@pytest.mark.parametrize("colour", ["red", "#fff", "#12345g", "#1234567", "javascript:x", "#2f6f5e;}"])
def test_a_theme_colour_that_is_not_hex_is_refused(colour):
    where, _ = only(survey([nps()], theme={"colour": colour}))
    assert where == "theme.colour"


def test_a_logo_that_is_not_an_address_is_refused():
    where, msg = only(survey([nps()], theme={"logo_url": "javascript:alert(1)"}))
    assert where == "theme.logo_url" and "http(s) address" in msg


def test_schema_version_2_is_refused_with_the_version_this_reads():
    where, msg = only(survey([nps()], schema=2))
    assert where == "schema"
    assert msg == f"schema 2 is not supported; this version reads schema {SCHEMA_VERSION}"


def test_unknown_fields_are_refused_where_they_are():
    where, _ = only(survey([nps(colour="red")]))
    assert where == "blocks.0.questions.0.colour"
    where, _ = only(survey([nps()], title="Survey"))
    assert where == "title"


def test_an_unknown_question_type_is_refused_at_its_type():
    where, _ = only(survey([{"key": "q", "type": "slider", "label": "Q"}]))
    assert where == "blocks.0.questions.0.type"


def test_bad_keys_are_refused_where_they_are():
    where, _ = only(survey([nps("Bad Key")]))
    assert where == "blocks.0.questions.0.key"


def test_a_survey_without_blocks_or_an_empty_block_is_refused():
    assert only({"blocks": []})[0] == "blocks"
    assert only({"blocks": [{"key": "b1", "questions": []}]})[0] == "blocks.0.questions"


def test_the_service_reports_each_problem_with_its_place():
    with pytest.raises(DefinitionError) as info:
        check_definition(survey([nps()], schema=2, theme={"colour": "red"}))
    places = {e["loc"] for e in info.value.errors}
    assert places == {"schema", "theme.colour"}
    assert info.value.message.startswith("schema: schema 2 is not supported")
