"""The answering engine without a database: what each answer must be, where the logic leads, what is shown
(piping, carry-forward, random order, repeats), and what reaches the feedback store."""

from __future__ import annotations

import pytest

from cxloop.feedback.schemas import AnswerIn
from cxloop.surveys import engine
from cxloop.surveys.definition import Condition, parse_definition
from cxloop.surveys.engine import AnswerError, State


def one(question: dict, **top):
    """A survey of one question, and that question."""
    defn = parse_definition({"blocks": [{"key": "b1", "questions": [question]}], **top})
    return defn, defn.questions()[0]


def check(question: dict, raw, other_text: str = "", state: State | None = None):
    defn, q = one(question)
    return engine.check_answer(defn, q, raw, state or State(), other_text)


def refused(question: dict, raw, other_text: str = "") -> str:
    with pytest.raises(AnswerError) as info:
        check(question, raw, other_text)
    assert info.value.key == question["key"]
    return info.value.message


def opts(*keys, **labels):
    return [{"key": k, "label": labels.get(k, k.title())} for k in keys]


NPS = {"key": "nps", "type": "nps", "label": "NPS"}
CSAT = {"key": "csat", "type": "csat", "label": "CSAT"}
CES = {"key": "ces", "type": "ces", "label": "CES"}
RATING = {"key": "stars", "type": "rating", "label": "Stars", "scale": [0, 4], "style": "stars"}
NUMBER = {"key": "age", "type": "number", "label": "Age", "minimum": 18, "maximum": 120}
TEXT = {"key": "why", "type": "text", "label": "Why", "max_length": 10}
DATE = {"key": "when", "type": "date", "label": "When"}
YES_NO = {"key": "ok", "type": "yes_no", "label": "OK?"}
CONSENT = {"key": "agree", "type": "consent", "label": "I agree", "required": True}
CHOICE = {"key": "pick", "type": "choice", "label": "Pick", "options": opts("a", "b", "c")}
CHOICE_OTHER = {**CHOICE, "allow_other": True}
MULTI = {"key": "many", "type": "multi_choice", "label": "Many", "options": opts("a", "b", "c")}
MULTI_OTHER = {**MULTI, "allow_other": True}
RANKING = {"key": "rank", "type": "ranking", "label": "Rank", "options": opts("x", "y", "z")}
MATRIX = {
    "key": "grid",
    "type": "matrix",
    "label": "Grid",
    "scale": [1, 5],
    "rows": opts("speed", "packaging"),
}


# -- scores -------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(("raw", "stored"), [("0", 0), ("10", 10), (7, 7), (7.0, 7), (" 8 ", 8), ("9.0", 9)])
def test_nps_takes_whole_numbers_from_0_to_10(raw, stored):
    assert check(NPS, raw) == (stored, "")


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("11", "11 is outside the scale 0 to 10."),
        (-1, "-1 is outside the scale 0 to 10."),
        ("7.5", "Choose a whole number from 0 to 10."),
        ("seven", "Choose a whole number from 0 to 10."),
        (True, "Choose a whole number from 0 to 10."),
        ([7], "Choose a whole number from 0 to 10."),
        ({"v": 7}, "Choose a whole number from 0 to 10."),
        ("inf", "Choose a whole number from 0 to 10."),
        ("-inf", "Choose a whole number from 0 to 10."),
        ("nan", "Choose a whole number from 0 to 10."),
        (float("inf"), "Choose a whole number from 0 to 10."),
        pytest.param(10**400, "Choose a whole number from 0 to 10.", id="10**400"),
    ],
)
def test_nps_refuses_what_is_not_a_point_of_its_scale(raw, message):
    assert refused(NPS, raw) == message


def test_csat_ces_and_rating_keep_to_their_scales():
    assert check(CSAT, "1") == (1, "") and check(CSAT, 5) == (5, "")
    assert refused(CSAT, "0") == "0 is outside the scale 1 to 5."
    assert refused(CSAT, 6) == "6 is outside the scale 1 to 5."
    assert check({**CSAT, "scale": [1, 7]}, "7") == (7, "")
    assert check(CES, "7") == (7, "")
    assert refused(CES, "8") == "8 is outside the scale 1 to 7."
    assert check(RATING, "0") == (0, "") and check(RATING, "4") == (4, "")
    assert refused(RATING, "5") == "5 is outside the scale 0 to 4."


# -- number, text, date -------------------------------------------------------------------------------------
def test_number_keeps_ints_and_decimals_within_min_and_max():
    assert check(NUMBER, "42") == (42, "")
    assert check(NUMBER, "18") == (18, "") and check(NUMBER, 120) == (120, "")
    assert check(NUMBER, "18.5") == (18.5, "")
    assert refused(NUMBER, "17.9") == "Enter a number of at least 18."
    assert refused(NUMBER, 121) == "Enter a number of at most 120."
    free = {"key": "n", "type": "number", "label": "N"}
    assert check(free, "-3.25") == (-3.25, "") and check(free, 10**12) == (10**12, "")


@pytest.mark.parametrize(
    "raw",
    ["forty", "", "nan", "inf", "-inf", "1e400", True, [1], {"n": 1}, pytest.param(10**400, id="10**400")],
)
def test_number_refuses_what_is_not_a_finite_number(raw):
    assert refused({"key": "n", "type": "number", "label": "N"}, raw) == "Enter a number."


def test_text_is_trimmed_and_kept_under_its_max_length():
    assert check(TEXT, "  too late  ") == ("too late", "")
    assert check(TEXT, "x" * 10) == ("x" * 10, "")
    assert refused(TEXT, "x" * 11) == "Keep it under 10 characters (this has 11)."
    assert refused(TEXT, 42) == "Enter text."
    assert refused(TEXT, ["a"]) == "Enter text."


@pytest.mark.parametrize("raw", ["2026-01-31", " 2026-01-31 "])
def test_date_takes_iso_dates(raw):
    assert check(DATE, raw) == ("2026-01-31", "")


@pytest.mark.parametrize(
    "raw",
    [
        "31/01/2026",
        "2026-02-30",
        "2026-13-01",
        "tomorrow",
        "2026-1-5",
        "20260131",
        "2026-W05-6",
        "2026-01-31T10:00",
        20260131,
        True,
    ],
)
def test_date_refuses_other_formats_and_impossible_days(raw):
    assert refused(DATE, raw) == "Enter a date like 2026-01-31."


# -- yes/no, consent ----------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("raw", "stored"),
    [
        ("yes", True),
        ("no", False),
        ("YES", True),
        (True, True),
        (False, False),
        ("on", True),
        ("0", False),
        ("1", True),
        ("false", False),
    ],
)
def test_yes_no_takes_yes_and_no_in_their_usual_spellings(raw, stored):
    assert check(YES_NO, raw) == (stored, "")


@pytest.mark.parametrize("raw", ["maybe", "y", [True], 2])
def test_yes_no_refuses_anything_else(raw):
    assert refused(YES_NO, raw) == "Answer yes or no."


def test_a_required_consent_must_be_given():
    assert check(CONSENT, "yes") == (True, "")
    assert refused(CONSENT, "no") == "Please tick the box to go on."
    assert refused(CONSENT, False) == "Please tick the box to go on."
    assert check({**CONSENT, "required": False}, False) == (False, "")


# -- choice and multiple choice -----------------------------------------------------------------------------
def test_choice_takes_one_option_key():
    assert check(CHOICE, "b") == ("b", "")
    assert refused(CHOICE, "d") == "'d' is not one of the options."
    assert refused(CHOICE, ["a"]) == "Choose one option."
    assert refused(CHOICE, "other", other_text="Radio") == "'other' is not one of the options."


def test_choice_with_other_keeps_the_other_text():
    assert check(CHOICE_OTHER, "other", other_text="  A podcast ") == ("other", "A podcast")
    assert check(CHOICE_OTHER, "a", other_text="ignored") == ("a", "")
    assert refused(CHOICE_OTHER, "other") == "Say what your other answer is."
    assert refused(CHOICE_OTHER, "other", other_text="   ") == "Say what your other answer is."
    # an API caller may send the other answer's words as the value
    assert check(CHOICE_OTHER, "A podcast") == ("other", "A podcast")
    assert check(CHOICE_OTHER, "other", other_text="x" * 600) == ("other", "x" * 500)


def test_multi_choice_takes_a_list_of_option_keys():
    assert check(MULTI, ["c", "a"]) == (["c", "a"], "")
    assert check(MULTI, "b") == (["b"], "")
    assert check(MULTI, ["a", " ", ""]) == (["a"], "")
    assert refused(MULTI, ["a", "a"]) == "An option is chosen twice."
    assert refused(MULTI, ["a", "d", "e"]) == "'d', 'e' is not one of the options."
    assert refused(MULTI, ["a", "other"], other_text="Radio") == '"other" is not an option here.'


def test_multi_choice_with_other_keeps_the_other_text():
    assert check(MULTI_OTHER, ["a", "other"], other_text="Radio") == (["a", "other"], "Radio")
    assert refused(MULTI_OTHER, ["a", "other"]) == "Say what your other answer is."
    assert check(MULTI_OTHER, ["b", "A podcast"]) == (["b", "other"], "A podcast")
    assert refused(MULTI_OTHER, ["b", "One", "Two"]) == "'One', 'Two' is not one of the options."
    assert refused(MULTI_OTHER, ["other", "Podcast"]) == "'Podcast' is not one of the options."


def test_ranking_must_rank_every_option_once():
    assert check(RANKING, ["z", "x", "y"]) == (["z", "x", "y"], "")
    assert refused(RANKING, ["z", "x"]) == "Rank every option."
    assert refused(RANKING, ["z", "x", "x"]) == "An option is chosen twice."
    assert refused(RANKING, ["z", "x", "w"]) == "'w' is not one of the options."


@pytest.mark.parametrize(
    ("positions", "order"),
    [({"x": "2", "y": "3", "z": "1"}, ["z", "x", "y"]), ({"x": 1, "y": 2.0, "z": " 3 "}, ["x", "y", "z"])],
)
def test_ranking_takes_positions_by_option(positions, order):
    assert check(RANKING, positions) == (order, "")


@pytest.mark.parametrize(
    "positions",
    [
        {"x": "1", "y": "1", "z": "2"},
        {"x": "1", "y": "2", "z": "4"},
        {"x": "0", "y": "1", "z": "2"},
        {"x": "1", "y": "2", "z": "2.5"},
        {"x": "1", "y": "2", "z": "first"},
        {"x": "1", "y": "2", "z": "inf"},
        {"x": "1", "y": "2", "z": "nan"},
        {"x": True, "y": "2", "z": "3"},
    ],
)
def test_ranking_positions_are_each_number_from_1_to_n_once(positions):
    assert refused(RANKING, positions) == "Give each option a different number from 1 to 3."


def test_ranking_positions_must_cover_every_known_option():
    assert refused(RANKING, {"x": "1", "y": "2", "z": ""}) == "Rank every option."
    assert refused(RANKING, {"x": "1", "y": "2", "w": "3"}) == "'w' is not one of the options."


# -- matrix -------------------------------------------------------------------------------------------------
def test_matrix_takes_a_point_of_the_scale_per_row():
    assert check(MATRIX, {"speed": "4", "packaging": 5}) == ({"speed": 4, "packaging": 5}, "")
    assert check(MATRIX, {"speed": "2", "packaging": ""}) == ({"speed": 2}, "")
    assert refused(MATRIX, {"speed": 4, "colour": 3}) == "Row 'colour' is not in this question."
    assert refused(MATRIX, {"speed": 6}) == "6 is outside the scale 1 to 5."
    assert refused(MATRIX, {"speed": "fast"}) == "Choose a whole number from 1 to 5."
    assert refused(MATRIX, [4, 5]) == "Answer each row."
    assert refused(MATRIX, "4") == "Answer each row."


def test_a_required_matrix_needs_every_row():
    required = {**MATRIX, "required": True}
    assert refused(required, {"speed": 4}) == "Answer every row."
    assert refused(required, {"speed": 4, "packaging": ""}) == "Answer every row."
    assert check(required, {"speed": 4, "packaging": 1}) == ({"speed": 4, "packaging": 1}, "")


# -- conditions ---------------------------------------------------------------------------------------------
def cond(**c) -> Condition:
    return Condition.model_validate(c)


ANSWERS = State(
    answers={"nps": 6, "pick": "b", "many": ["a", "c"], "ok": False, "why": "late"},
    hidden={"channel": "app", "order_id": "A-7"},
)


@pytest.mark.parametrize(
    ("condition", "expected"),
    [
        ({"q": "nps", "op": "eq", "value": 6}, True),
        ({"q": "nps", "op": "eq", "value": "6"}, True),
        ({"q": "nps", "op": "eq", "value": 7}, False),
        ({"q": "nps", "op": "neq", "value": 7}, True),
        ({"q": "nps", "op": "neq", "value": 6}, False),
        ({"q": "nps", "op": "lt", "value": 7}, True),
        ({"q": "nps", "op": "lt", "value": 6}, False),
        ({"q": "nps", "op": "lte", "value": 6}, True),
        ({"q": "nps", "op": "lte", "value": 5}, False),
        ({"q": "nps", "op": "gt", "value": 5}, True),
        ({"q": "nps", "op": "gt", "value": 6}, False),
        ({"q": "nps", "op": "gte", "value": 6}, True),
        ({"q": "nps", "op": "gte", "value": 7}, False),
        ({"q": "nps", "op": "lt", "value": "many"}, False),
        ({"q": "pick", "op": "in", "value": ["a", "b"]}, True),
        ({"q": "pick", "op": "in", "value": ["a", "c"]}, False),
        ({"q": "pick", "op": "not_in", "value": ["a", "c"]}, True),
        ({"q": "pick", "op": "not_in", "value": ["b"]}, False),
        ({"q": "many", "op": "in", "value": ["c", "x"]}, True),
        ({"q": "many", "op": "not_in", "value": ["b"]}, True),
        ({"q": "many", "op": "contains", "value": "c"}, True),
        ({"q": "many", "op": "contains", "value": "b"}, False),
        ({"q": "ok", "op": "eq", "value": False}, True),
        ({"q": "ok", "op": "eq", "value": True}, False),
        ({"q": "why", "op": "answered"}, True),
        ({"q": "why", "op": "not_answered"}, False),
        ({"q": "later", "op": "answered"}, False),
        ({"q": "later", "op": "not_answered"}, True),
        # an unanswered question matches only the "not" tests
        ({"q": "later", "op": "eq", "value": 1}, False),
        ({"q": "later", "op": "lt", "value": 100}, False),
        ({"q": "later", "op": "in", "value": [1]}, False),
        ({"q": "later", "op": "neq", "value": 1}, True),
        ({"q": "later", "op": "not_in", "value": [1]}, True),
        # hidden fields
        ({"hidden": "channel", "op": "eq", "value": "app"}, True),
        ({"hidden": "channel", "op": "in", "value": ["web", "email"]}, False),
        ({"hidden": "order_id", "op": "answered"}, True),
        ({"hidden": "touchpoint", "op": "not_answered"}, True),
        # all / any, nested
        (
            {
                "all": [
                    {"q": "nps", "op": "lte", "value": 6},
                    {"hidden": "channel", "op": "eq", "value": "app"},
                ]
            },
            True,
        ),
        (
            {
                "all": [
                    {"q": "nps", "op": "lte", "value": 6},
                    {"hidden": "channel", "op": "eq", "value": "web"},
                ]
            },
            False,
        ),
        ({"any": [{"q": "nps", "op": "gte", "value": 9}, {"q": "pick", "op": "eq", "value": "b"}]}, True),
        ({"any": [{"q": "nps", "op": "gte", "value": 9}, {"q": "pick", "op": "eq", "value": "a"}]}, False),
        (
            {
                "any": [
                    {"q": "nps", "op": "gte", "value": 9},
                    {"all": [{"q": "ok", "op": "eq", "value": False}, {"q": "why", "op": "answered"}]},
                ]
            },
            True,
        ),
    ],
)
def test_evaluate(condition, expected):
    assert engine.evaluate(cond(**condition), ANSWERS) is expected


def test_no_condition_is_always_true():
    assert engine.evaluate(None, State()) is True


# -- pages and where the logic leads ------------------------------------------------------------------------
def q(key, type_="nps", **extra):
    return {"key": key, "type": type_, "label": key.title(), **extra}


def route(defn, answers, hidden=None) -> list[int | str]:
    """The pages shown to someone giving `answers`, first to last, and the ending."""
    state = State(answers=dict(answers), hidden=dict(hidden or {}))
    at = engine.next_page(defn, state, None)
    path: list[int | str] = []
    while isinstance(at, int):
        path.append(at)
        at = engine.next_page(defn, state, at)
    return [*path, at]


BRANCHING = parse_definition(
    {
        "hidden_fields": ["channel"],
        "blocks": [
            {
                "key": "score",
                "questions": [q("nps")],
                "jumps": [
                    {"if": {"q": "nps", "op": "lte", "value": 2}, "to": "end:sorry"},
                    {"if": {"q": "nps", "op": "gte", "value": 9}, "to": "praise"},
                ],
            },
            {
                "key": "detractor",
                "show_if": {"q": "nps", "op": "lte", "value": 6},
                "questions": [q("fix", "text")],
            },
            {"key": "middle", "questions": [q("more", "text")]},
            {
                "key": "app",
                "show_if": {"hidden": "channel", "op": "eq", "value": "app"},
                "questions": [q("app_rating", "rating")],
                "jumps": [{"if": {"q": "app_rating", "op": "lte", "value": 2}, "to": "end"}],
            },
            {"key": "praise", "questions": [q("best", "text")]},
        ],
        "endings": [{"key": "thanks"}, {"key": "sorry"}],
    }
)


def test_blocks_layout_has_a_page_per_block():
    pages = engine.pages(BRANCHING, State())
    assert [[b.key for b in p.blocks] for p in pages] == [
        ["score"],
        ["detractor"],
        ["middle"],
        ["app"],
        ["praise"],
    ]
    assert [p.index for p in pages] == [0, 1, 2, 3, 4]


def test_a_block_shows_only_when_its_condition_holds():
    assert route(BRANCHING, {"nps": 5}) == [0, 1, 2, 4, "end:thanks"]
    assert route(BRANCHING, {"nps": 7}) == [0, 2, 4, "end:thanks"]


def test_a_hidden_field_shows_a_block():
    assert route(BRANCHING, {"nps": 7}, {"channel": "app"}) == [0, 2, 3, 4, "end:thanks"]
    assert route(BRANCHING, {"nps": 7}, {"channel": "web"}) == [0, 2, 4, "end:thanks"]


def test_a_jump_to_a_block_skips_the_blocks_between():
    assert route(BRANCHING, {"nps": 9}, {"channel": "app"}) == [0, 4, "end:thanks"]


def test_a_jump_to_an_ending_ends_there():
    assert route(BRANCHING, {"nps": 1}) == [0, "end:sorry"]


def test_a_jump_to_end_goes_to_the_first_ending():
    assert route(BRANCHING, {"nps": 7, "app_rating": 1}, {"channel": "app"}) == [0, 2, 3, "end:thanks"]
    assert engine.next_page(
        BRANCHING, State(answers={"nps": 7, "app_rating": 1}, hidden={"channel": "app"}), 3
    ) == ("end:thanks")


def test_a_jump_to_a_block_that_is_hidden_goes_on_to_the_next_shown_page():
    defn = parse_definition(
        {
            "blocks": [
                {
                    "key": "a",
                    "questions": [q("nps")],
                    "jumps": [{"if": {"q": "nps", "op": "gte", "value": 9}, "to": "c"}],
                },
                {"key": "b", "questions": [q("x", "text")]},
                {"key": "c", "show_if": {"q": "nps", "op": "lte", "value": 6}, "questions": [q("y", "text")]},
                {"key": "d", "questions": [q("z", "text")]},
            ]
        }
    )
    assert route(defn, {"nps": 10}) == [0, 3, "end:thanks"]


def test_when_every_page_is_hidden_the_survey_ends_at_once():
    defn = parse_definition(
        {
            "hidden_fields": ["vip"],
            "blocks": [
                {
                    "key": "a",
                    "show_if": {"hidden": "vip", "op": "eq", "value": "yes"},
                    "questions": [q("nps")],
                }
            ],
        }
    )
    assert route(defn, {}) == ["end:thanks"]
    assert route(defn, {}, {"vip": "yes"}) == [0, "end:thanks"]


SINGLE = parse_definition({**BRANCHING.dump(), "layout": "single_page"})
PER_SCREEN = parse_definition(
    {
        "layout": "one_per_screen",
        "blocks": [
            {"key": "first", "questions": [q("nps"), q("why", "text"), q("ok", "yes_no")]},
            {"key": "people", "repeat": {"max": 3}, "questions": [q("name", "text"), q("age", "number")]},
            {"key": "last", "questions": [q("comment", "text")]},
        ],
    }
)


def test_single_page_layout_shows_every_question_on_one_page():
    pages = engine.pages(SINGLE, State())
    assert len(pages) == 1
    assert [qq.key for _, qq in pages[0].questions] == ["nps", "fix", "more", "app_rating", "best"]
    assert route(SINGLE, {"nps": 5}) == [0, "end:thanks"]


def test_one_per_screen_layout_shows_one_question_per_page_and_a_repeat_block_together():
    pages = engine.pages(PER_SCREEN, State())
    assert [[qq.key for _, qq in p.questions] for p in pages] == [
        ["nps"],
        ["why"],
        ["ok"],
        ["name", "age"],
        ["comment"],
    ]
    assert route(PER_SCREEN, {}) == [0, 1, 2, 3, 4, "end:thanks"]


def test_one_per_screen_skips_a_question_hidden_by_an_earlier_answer():
    defn = parse_definition(
        {
            "layout": "one_per_screen",
            "blocks": [
                {
                    "key": "b",
                    "questions": [
                        q("nps"),
                        q("why", "text", show_if={"q": "nps", "op": "lte", "value": 6}),
                        q("ok", "yes_no"),
                    ],
                }
            ],
        }
    )
    assert route(defn, {"nps": 3}) == [0, 1, 2, "end:thanks"]
    assert route(defn, {"nps": 9}) == [0, 2, "end:thanks"]


def test_one_per_screen_jumps_after_the_last_question_of_the_block():
    defn = parse_definition(
        {
            "layout": "one_per_screen",
            "endings": [{"key": "thanks"}, {"key": "sorry"}],
            "blocks": [
                {
                    "key": "a",
                    "questions": [q("nps"), q("why", "text")],
                    "jumps": [{"if": {"q": "nps", "op": "lte", "value": 6}, "to": "end:sorry"}],
                },
                {"key": "b", "questions": [q("more", "text")]},
            ],
        }
    )
    assert engine.next_page(defn, State(answers={"nps": 3}), 0) == 1  # not yet: "why" is still to come
    assert route(defn, {"nps": 3}) == [0, 1, "end:sorry"]
    assert route(defn, {"nps": 8}) == [0, 1, 2, "end:thanks"]


def test_one_per_screen_jumps_when_the_rest_of_the_block_is_hidden():
    defn = parse_definition(
        {
            "layout": "one_per_screen",
            "endings": [{"key": "thanks"}, {"key": "sorry"}],
            "blocks": [
                {
                    "key": "a",
                    "questions": [
                        q("nps"),
                        q("praise", "text", show_if={"q": "nps", "op": "gte", "value": 9}),
                    ],
                    "jumps": [{"if": {"q": "nps", "op": "lte", "value": 6}, "to": "end:sorry"}],
                },
                {"key": "b", "questions": [q("more", "text")]},
            ],
        }
    )
    assert route(defn, {"nps": 3}) == [0, "end:sorry"]
    assert route(defn, {"nps": 10}) == [0, 1, 2, "end:thanks"]
    assert route(defn, {"nps": 7}) == [0, 2, "end:thanks"]


def test_progress_counts_the_pages_the_logic_can_still_show():
    state = State(answers={"nps": 7})
    assert engine.progress(BRANCHING, state, 0) == 0
    assert engine.progress(BRANCHING, state, 2) == 50  # done 2, left: middle and praise
    assert engine.progress(BRANCHING, state, 4) == 80


# -- piping -------------------------------------------------------------------------------------------------
PIPING = parse_definition(
    {
        "languages": ["en", "de"],
        "hidden_fields": ["first_name", "order_id"],
        "blocks": [
            {
                "key": "a",
                "questions": [
                    q("nps"),
                    {
                        "key": "colour",
                        "type": "choice",
                        "label": {"en": "Colour", "de": "Farbe"},
                        "allow_other": True,
                        "options": [
                            {"key": "red", "label": {"en": "Red", "de": "Rot"}},
                            {"key": "blue", "label": {"en": "Blue", "de": "Blau"}},
                        ],
                    },
                    {
                        "key": "extras",
                        "type": "multi_choice",
                        "label": "Extras",
                        "options": [
                            {"key": "wrap", "label": {"en": "Gift wrap", "de": "Geschenkpapier"}},
                            {"key": "card", "label": {"en": "Card", "de": "Karte"}},
                        ],
                    },
                    q("ok", "yes_no"),
                    q("when", "date"),
                ],
            },
            {
                "key": "b",
                "questions": [
                    {
                        "key": "why",
                        "type": "text",
                        "label": {
                            "en": "{{hidden:first_name}}, why {{answer:nps}} for {{ hidden:order_id }}?",
                            "de": "{{hidden:first_name}}, warum {{answer:nps}}?",
                        },
                    },
                    {
                        "key": "col",
                        "type": "text",
                        "label": {
                            "en": "Why {{answer:colour}} with {{answer:extras}}?",
                            "de": "Warum {{answer:colour}} mit {{answer:extras}}?",
                        },
                    },
                    {
                        "key": "rest",
                        "type": "text",
                        "label": "{{answer:ok}} on {{answer:when}}; {{answer:why}}|{{hidden:nope}}",
                    },
                ],
            },
        ],
    }
)


def label(key, state, language="en"):
    return engine.text(PIPING, PIPING.question(key).label, language, state)


def test_piping_fills_answers_and_hidden_fields():
    state = State(answers={"nps": 4}, hidden={"first_name": "Anna", "order_id": "A-7"})
    assert label("why", state) == "Anna, why 4 for A-7?"
    assert label("why", state, "de") == "Anna, warum 4?"


def test_piping_a_choice_gives_its_label_in_the_respondents_language():
    state = State(answers={"colour": "red", "extras": ["card", "wrap"]})
    assert label("col", state) == "Why Red with Card, Gift wrap?"
    assert label("col", state, "de") == "Warum Rot mit Karte, Geschenkpapier?"


def test_piping_an_other_answer_gives_its_text():
    state = State(answers={"colour": "other", "extras": ["wrap"]}, other={"colour": "Teal"})
    assert label("col", state) == "Why Teal with Gift wrap?"


def test_piping_yes_no_date_and_unanswered():
    state = State(answers={"ok": True, "when": "2026-01-31"})
    assert label("rest", state) == "yes on 2026-01-31; |"


def test_labels_without_a_state_are_not_piped():
    assert (
        engine.text(PIPING, PIPING.question("col").label, "en")
        == "Why {{answer:colour}} with {{answer:extras}}?"
    )


# -- carry-forward ------------------------------------------------------------------------------------------
def carried(which: str, source_type: str = "multi_choice", own=()):
    return parse_definition(
        {
            "blocks": [
                {
                    "key": "a",
                    "questions": [
                        {
                            "key": "reasons",
                            "type": source_type,
                            "label": "Reasons",
                            "options": opts("price", "delivery", "quality", "support"),
                        }
                    ],
                },
                {
                    "key": "b",
                    "questions": [
                        {
                            "key": "main",
                            "type": "choice",
                            "label": "Main",
                            "options": opts(*own),
                            "carry_forward": {"from": "reasons", "which": which},
                        }
                    ],
                },
            ]
        }
    )


def test_carry_forward_offers_the_chosen_options():
    defn = carried("chosen")
    state = State(answers={"reasons": ["quality", "price"]})
    main = defn.question("main")
    assert [o.key for o in engine.options_of(defn, main, state)] == ["price", "quality"]
    assert engine.check_answer(defn, main, "quality", state) == ("quality", "")
    with pytest.raises(AnswerError, match=r"^'delivery' is not one of the options\.$"):
        engine.check_answer(defn, main, "delivery", state)


def test_carry_forward_offers_the_options_not_chosen_and_its_own():
    defn = carried("not_chosen", own=("none",))
    state = State(answers={"reasons": ["quality", "price"]})
    assert [o.key for o in engine.options_of(defn, defn.question("main"), state)] == [
        "delivery",
        "support",
        "none",
    ]


def test_carry_forward_from_a_single_choice():
    defn = carried("chosen", source_type="choice")
    state = State(answers={"reasons": "support"})
    assert [o.key for o in engine.options_of(defn, defn.question("main"), state)] == ["support"]
    assert [o.key for o in engine.options_of(defn, defn.question("main"), State())] == []


# -- random order -------------------------------------------------------------------------------------------
SHUFFLED = parse_definition(
    {
        "blocks": [
            {"key": "mix", "randomize": True, "questions": [q(f"q{i}", "text") for i in range(8)]},
            {
                "key": "pick",
                "questions": [
                    {
                        "key": "brand",
                        "type": "choice",
                        "label": "Brand",
                        "randomize_options": True,
                        "options": opts(*[f"o{i}" for i in range(8)]),
                    }
                ],
            },
        ]
    }
)
SEEDS = [f"respondent-{i}" for i in range(6)]


def question_order(seed: str) -> list[str]:
    return [qq.key for qq in engine.block_questions(SHUFFLED.blocks[0], State(seed=seed))]


def option_order(seed: str) -> list[str]:
    return [o.key for o in engine.options_of(SHUFFLED, SHUFFLED.question("brand"), State(seed=seed))]


@pytest.mark.parametrize("order", [question_order, option_order])
def test_random_order_is_the_same_for_one_respondent_and_differs_between_respondents(order):
    orders = [order(seed) for seed in SEEDS]
    assert orders == [order(seed) for seed in SEEDS]  # stable across page loads
    assert len({tuple(o) for o in orders}) > 1
    prefix = "q" if order is question_order else "o"
    for o in orders:
        assert sorted(o) == [f"{prefix}{i}" for i in range(8)]


def test_the_pages_follow_the_respondents_question_order():
    state = State(seed=SEEDS[0])
    page = engine.pages(SHUFFLED, state)[0]
    assert [qq.key for _, qq in page.questions] == question_order(SEEDS[0])
    per_screen = parse_definition({**SHUFFLED.dump(), "layout": "one_per_screen"})
    assert [p.questions[0][1].key for p in engine.pages(per_screen, state)[:8]] == question_order(SEEDS[0])


def test_unshuffled_blocks_and_options_keep_their_order():
    defn = parse_definition({"blocks": [{"key": "b", "questions": [CHOICE, TEXT, NPS]}]})
    state = State(seed="anything")
    assert [qq.key for qq in engine.block_questions(defn.blocks[0], state)] == ["pick", "why", "nps"]
    assert [o.key for o in engine.options_of(defn, defn.question("pick"), state)] == ["a", "b", "c"]


# -- repeatable blocks --------------------------------------------------------------------------------------
REPEAT = parse_definition(
    {
        "blocks": [
            {"key": "start", "questions": [q("nps", required=True)]},
            {
                "key": "people",
                "repeat": {"max": 3, "label": "Add a person"},
                "questions": [q("name", "text", required=True), q("age", "number")],
            },
        ]
    }
)


def test_a_repeated_block_keys_its_answers_by_instance():
    state = State(answers={"nps": 8}, repeats={"people": 2})
    page = engine.pages(REPEAT, state)[1]
    errors = engine.apply_page(REPEAT, page, state, {"name": "Ann", "age": "30", "name.2": "Bob"}, {})
    assert errors == {}
    assert state.answers == {"nps": 8, "name": "Ann", "age": 30, "name.2": "Bob"}


def test_a_started_instance_needs_its_required_answers_and_an_empty_one_does_not():
    state = State(repeats={"people": 3})
    page = engine.pages(REPEAT, state)[1]
    errors = engine.apply_page(REPEAT, page, state, {"name": "Ann", "age.2": "41"}, {})
    assert errors == {"name.2": "This question needs an answer."}
    assert state.answers == {}  # nothing is written while a page has errors


def test_instances_stay_within_the_block_maximum():
    assert engine.instances(REPEAT.blocks[1], State(repeats={"people": 9})) == 3
    assert engine.instances(REPEAT.blocks[1], State()) == 1
    assert engine.instances(REPEAT.blocks[0], State(repeats={"start": 5})) == 1
    assert engine.instance_key("name", 1) == "name" and engine.instance_key("name", 3) == "name.3"


def test_check_complete_takes_repeated_instances():
    state = State()
    answers = {"nps": 9, "name": "Ann", "name.2": "Bob", "age.2": 40, "name.3": "Cy"}
    assert engine.check_complete(REPEAT, state, answers) == {}
    assert state.repeats == {"people": 3}
    assert state.answers == {"nps": 9, "name": "Ann", "name.2": "Bob", "age.2": 40, "name.3": "Cy"}
    assert [a["key"] for a in engine.stored_answers(REPEAT, state)] == [
        "nps",
        "name",
        "name.2",
        "name.3",
        "age.2",
    ]


def test_check_complete_enforces_the_repeat_maximum():
    answers = {"nps": 9, "name": "Ann", "name.2": "Bob", "name.3": "Cy", "name.4": "Di"}
    assert engine.check_complete(REPEAT, State(), answers) == {
        "people": "Block people can be repeated at most 3 times."
    }


# -- a whole response at once -------------------------------------------------------------------------------
def test_check_complete_refuses_unknown_keys():
    errors = engine.check_complete(BRANCHING, State(), {"nps": 7, "colour": "red", "more__other": "x"})
    assert errors == {"colour": "There is no such question in this survey."}


def test_check_complete_refuses_answers_in_a_block_the_logic_hides():
    errors = engine.check_complete(BRANCHING, State(), {"nps": 8, "fix": "Nothing", "more": "ok"})
    assert errors == {"fix": "The survey's logic skips this question for these answers."}


def test_check_complete_refuses_answers_a_jump_skips():
    errors = engine.check_complete(BRANCHING, State(), {"nps": 10, "more": "x", "best": "all"})
    assert errors == {"more": "The survey's logic skips this question for these answers."}
    errors = engine.check_complete(BRANCHING, State(), {"nps": 1, "fix": "everything"})
    assert errors == {"fix": "The survey's logic skips this question for these answers."}


def test_check_complete_refuses_answers_to_a_question_hidden_on_a_shown_page():
    defn = parse_definition(
        {
            "blocks": [
                {
                    "key": "b",
                    "questions": [
                        q("ok", "yes_no"),
                        q("why_not", "text", show_if={"q": "ok", "op": "eq", "value": False}),
                    ],
                }
            ]
        }
    )
    state = State()
    assert engine.check_complete(defn, state, {"ok": False, "why_not": "Late"}) == {}
    assert state.answers == {"ok": False, "why_not": "Late"}
    errors = engine.check_complete(defn, State(), {"ok": True, "why_not": "Late"})
    assert errors == {"why_not": "The survey's logic skips this question for these answers."}


def test_check_complete_refuses_missing_required_and_bad_answers():
    defn = parse_definition({"blocks": [{"key": "b", "questions": [q("nps", required=True), CONSENT]}]})
    assert engine.check_complete(defn, State(), {"agree": True}) == {"nps": "This question needs an answer."}
    assert engine.check_complete(defn, State(), {"nps": 12, "agree": True}) == {
        "nps": "12 is outside the scale 0 to 10."
    }
    assert engine.check_complete(defn, State(), {"nps": 5}) == {"agree": "Please tick the box to go on."}


def test_check_complete_follows_a_hidden_field():
    state = State(hidden={"channel": "app"})
    assert engine.check_complete(BRANCHING, state, {"nps": 7, "app_rating": 4, "best": "x"}) == {}
    errors = engine.check_complete(BRANCHING, State(hidden={"channel": "web"}), {"nps": 7, "app_rating": 4})
    assert errors == {"app_rating": "The survey's logic skips this question for these answers."}


def test_check_complete_keeps_other_texts():
    defn = parse_definition({"blocks": [{"key": "b", "questions": [CHOICE_OTHER, MULTI_OTHER]}]})
    state = State()
    errors = engine.check_complete(
        defn,
        state,
        {"pick": "other", "pick__other": "Teal", "many": ["a", "other"], "many__other": "Podcast"},
    )
    assert errors == {}
    assert state.answers == {"pick": "other", "many": ["a", "other"]}
    assert state.other == {"pick": "Teal", "many": "Podcast"}


def test_apply_page_drops_the_answer_to_a_question_its_own_page_hides():
    defn = parse_definition(
        {
            "blocks": [
                {
                    "key": "b",
                    "questions": [
                        q("ok", "yes_no"),
                        q("why_not", "text", required=True, show_if={"q": "ok", "op": "eq", "value": False}),
                    ],
                }
            ]
        }
    )
    state = State(answers={"why_not": "old"})
    page = engine.pages(defn, state)[0]
    assert engine.apply_page(defn, page, state, {"ok": "yes", "why_not": "typed anyway"}, {}) == {}
    assert state.answers == {"ok": True}
    assert engine.apply_page(defn, page, state, {"ok": "no", "why_not": ""}, {}) == {
        "why_not": "This question needs an answer."
    }


# -- a route changed by going back ------------------------------------------------------------------------
def test_drop_skipped_removes_answers_off_the_route():
    state = State(answers={"nps": 10, "fix": "Price", "more": "Fine", "best": "Staff"}, other={"fix": "x"})
    assert engine.drop_skipped(BRANCHING, state) == ["fix", "more"]  # a promoter jumps from score to praise
    assert state.answers == {"nps": 10, "best": "Staff"} and state.other == {}


def test_drop_skipped_keeps_the_answers_on_the_route_and_those_not_reached_yet():
    state = State(answers={"nps": 5, "fix": "Price"}, hidden={"channel": "app"})
    assert engine.drop_skipped(BRANCHING, state) == []
    assert state.answers == {"nps": 5, "fix": "Price"}


def test_drop_skipped_follows_conditions_on_dropped_answers():
    defn = parse_definition(
        {
            "blocks": [
                {"key": "a", "questions": [q("nps")]},
                {"key": "b", "show_if": {"q": "nps", "op": "lte", "value": 6}, "questions": [CHOICE]},
                {
                    "key": "c",
                    "show_if": {"q": "pick", "op": "eq", "value": "a"},
                    "questions": [q("detail", "text")],
                },
                {
                    "key": "d",
                    "questions": [
                        q("ok", "yes_no"),
                        q("why_not", "text", show_if={"q": "ok", "op": "eq", "value": False}),
                    ],
                },
            ]
        }
    )
    state = State(answers={"nps": 9, "pick": "a", "detail": "x", "ok": True, "why_not": "y"})
    assert sorted(engine.drop_skipped(defn, state)) == ["detail", "pick", "why_not"]
    assert state.answers == {"nps": 9, "ok": True}


def test_drop_skipped_keeps_repeated_instances():
    state = State(answers={"nps": 1, "name": "Ann", "name.2": "Bob", "name.3": "Cy"}, repeats={"people": 2})
    assert engine.drop_skipped(REPEAT, state) == ["name.3"]  # an instance beyond the count is not shown


# -- what the feedback store keeps --------------------------------------------------------------------------
EVERY_TYPE = parse_definition(
    {
        "blocks": [
            {
                "key": "b",
                "questions": [
                    NPS,
                    CSAT,
                    CES,
                    RATING,
                    NUMBER,
                    {**TEXT, "max_length": 500},
                    DATE,
                    YES_NO,
                    CONSENT,
                    CHOICE_OTHER,
                    MULTI_OTHER,
                    RANKING,
                    MATRIX,
                ],
            }
        ]
    }
)
FULL_STATE = State(
    answers={
        "nps": 9,
        "csat": 4,
        "ces": 2,
        "stars": 3,
        "age": 44,
        "why": "Quick and kind.",
        "when": "2026-01-31",
        "ok": False,
        "agree": True,
        "pick": "other",
        "many": ["b", "other"],
        "rank": ["z", "x", "y"],
        "grid": {"speed": 5, "packaging": 2},
    },
    other={"pick": "Teal", "many": "Podcast"},
)


def test_stored_answers_map_each_type_to_the_feedback_store():
    stored = {a["key"]: a for a in engine.stored_answers(EVERY_TYPE, FULL_STATE)}
    assert stored == {
        "nps": {"key": "nps", "type": "nps", "value": 9, "scale": (0, 10)},
        "csat": {"key": "csat", "type": "csat", "value": 4, "scale": (1, 5)},
        "ces": {"key": "ces", "type": "ces", "value": 2, "scale": (1, 7)},
        "stars": {"key": "stars", "type": "rating", "value": 3, "scale": (0, 4)},
        "age": {"key": "age", "type": "number", "value": 44},
        "why": {"key": "why", "type": "text", "value": "Quick and kind."},
        "when": {"key": "when", "type": "date", "value": "2026-01-31"},
        "ok": {"key": "ok", "type": "yes_no", "value": False},
        "agree": {"key": "agree", "type": "yes_no", "value": True},
        "pick": {"key": "pick", "type": "choice", "value": "other", "text": "Teal"},
        "many": {"key": "many", "type": "multi_choice", "value": ["b", "other"], "text": "Podcast"},
        "rank": {"key": "rank", "type": "multi_choice", "value": ["z", "x", "y"]},
        "grid.speed": {"key": "grid.speed", "type": "rating", "value": 5, "scale": (1, 5)},
        "grid.packaging": {"key": "grid.packaging", "type": "rating", "value": 2, "scale": (1, 5)},
    }


def test_stored_answers_follow_the_survey_order_and_skip_unanswered():
    state = State(answers={"grid": {"packaging": 3}, "nps": 0})
    assert [a["key"] for a in engine.stored_answers(EVERY_TYPE, state)] == ["nps", "grid.packaging"]


def test_every_stored_answer_is_accepted_by_the_feedback_store():
    for answer in engine.stored_answers(EVERY_TYPE, FULL_STATE):
        checked = AnswerIn.model_validate(answer)
        assert checked.key == answer["key"]
    ranking = AnswerIn.model_validate(
        next(a for a in engine.stored_answers(EVERY_TYPE, FULL_STATE) if a["key"] == "rank")
    )
    assert ranking.normalized["choices"] == ["z", "x", "y"]


def test_response_text_is_the_respondents_own_words():
    assert engine.response_text(EVERY_TYPE, FULL_STATE) == "Quick and kind.\n\nTeal\n\nPodcast"
    assert engine.response_text(EVERY_TYPE, State(answers={"nps": 3})) == ""
