"""The builder's accessibility check, on definitions alone (no database)."""

from __future__ import annotations

import pytest

from cxloop.surveys.builder import accessibility_problems, contrast_ratio, relative_luminance
from cxloop.surveys.definition import parse_definition
from cxloop.surveys.library import TEMPLATES, template_definition


def _survey(questions: list[dict], **changes):
    data = {"blocks": [{"key": "b1", "questions": questions}], **changes}
    return parse_definition(data)


def _problems(defn, name: str = "Survey") -> list[tuple[str, str]]:
    return [(p.loc, p.message) for p in accessibility_problems(defn, survey_name=name)]


NPS = {"key": "nps", "type": "nps", "label": "Recommend us?"}


@pytest.mark.parametrize("template", [t.key for t in TEMPLATES])
def test_the_templates_have_no_problems(template):
    assert _problems(parse_definition(template_definition(template))) == []


def test_wcag_relative_luminance_and_contrast():
    assert relative_luminance("#ffffff") == pytest.approx(1.0)
    assert relative_luminance("#000000") == pytest.approx(0.0)
    assert contrast_ratio("#000000", "#ffffff") == pytest.approx(21.0)
    assert contrast_ratio("#ffffff", "#767676") == pytest.approx(4.54, abs=0.01)  # the lightest AA grey
    assert contrast_ratio("#777777", "#ffffff") == pytest.approx(4.48, abs=0.01)


@pytest.mark.parametrize(
    ("colour", "flagged"),
    [("#2f6f5e", False), ("#767676", False), ("#777777", True), ("#ffcc00", True), ("#FFFFFF", True)],
)
def test_a_brand_colour_without_enough_contrast_with_white_text(colour, flagged):
    problems = _problems(_survey([NPS], theme={"colour": colour}))
    assert bool(problems) is flagged
    if flagged:
        ((loc, message),) = problems
        assert loc == "theme.colour" and "at least 4.5:1" in message and colour in message


def test_a_logo_needs_the_survey_name_as_its_alternative_text():
    defn = _survey([NPS], theme={"logo_url": "https://cdn.example.com/logo.png"})
    assert _problems(defn, name="Delivery check") == []
    ((loc, message),) = _problems(defn, name="  ")
    assert loc == "theme.logo_url" and "alternative text" in message
    assert _problems(_survey([NPS]), name="") == []  # no logo, no alt text needed


def test_texts_missing_in_one_of_the_languages():
    defn = _survey(
        [
            {"key": "nps", "type": "nps", "label": {"en": "Recommend us?", "de": "Empfehlen?"}},
            {
                "key": "why",
                "type": "choice",
                "label": {"en": "Why?"},
                "options": [
                    {"key": "price", "label": {"en": "Price", "de": "Preis"}},
                    {"key": "speed", "label": {"en": "Speed", "de": " "}},
                ],
            },
            {
                "key": "grid",
                "type": "matrix",
                "label": {"en": "Rate", "de": "Bewerten"},
                "rows": [{"key": "staff", "label": {"de": "Personal"}}],
            },
        ],
        languages=["en", "de"],
        endings=[
            {"key": "thanks", "title": {"en": "Thanks", "de": "Danke"}},
            {"key": "bye", "title": {"en": "Bye"}, "text": {"en": "See you"}},
            {"key": "away", "title": "", "text": "", "redirect_url": "https://example.com/"},
        ],
    )
    assert _problems(defn) == [
        ("blocks.0.questions.1", "The label has no text in de."),
        ("blocks.0.questions.1", "The option speed's label has no text in de."),
        ("blocks.0.questions.2", "The row staff's label has no text in en."),
        ("endings.1", "The ending has no text in de."),
    ]


def test_one_text_for_every_language_is_reported_as_not_translated():
    defn = _survey(
        [NPS], languages=["en", "fr"], endings=[{"key": "thanks", "title": {"en": "Hi", "fr": "Salut"}}]
    )
    assert _problems(defn) == [
        ("blocks.0.questions.0", "The label is not translated: respondents reading fr see it in en.")
    ]


def test_empty_option_and_question_labels():
    defn = _survey(
        [
            {"key": "blank", "type": "yes_no", "label": ""},
            {
                "key": "pick",
                "type": "multi_choice",
                "label": "Pick",
                "options": [{"key": "a", "label": "A"}, {"key": "b", "label": ""}],
            },
        ]
    )
    assert _problems(defn) == [
        ("blocks.0.questions.0", "The label is empty: screen readers announce nothing for it."),
        ("blocks.0.questions.1", "The option b's label is empty: screen readers announce nothing for it."),
    ]


@pytest.mark.parametrize(
    ("question", "flagged"),
    [
        ({"key": "r", "type": "rating", "label": "Rate", "scale": [0, 10]}, True),
        ({"key": "r", "type": "rating", "label": "Rate", "scale": [1, 8]}, True),
        ({"key": "r", "type": "rating", "label": "Rate", "scale": [1, 7]}, False),
        (
            {
                "key": "m",
                "type": "matrix",
                "label": "Rate",
                "scale": [1, 10],
                "rows": [{"key": "a", "label": "A"}],
            },
            True,
        ),
        (NPS, False),  # NPS is 0–10 by definition; people know it
    ],
)
def test_long_scales_are_hard_on_phones(question, flagged):
    problems = _problems(_survey([question]))
    assert bool(problems) is flagged
    if flagged:
        assert problems[0][0] == "blocks.0.questions.0" and "7 or fewer" in problems[0][1]


def test_a_required_consent_cannot_be_refused():
    required = _survey([{"key": "ok", "type": "consent", "label": "You may contact me.", "required": True}])
    ((loc, message),) = _problems(required)
    assert loc == "blocks.0.questions.0" and "Make it optional" in message
    assert _problems(_survey([{"key": "ok", "type": "consent", "label": "You may contact me."}])) == []


def test_an_empty_welcome_screen():
    defn = _survey([NPS], welcome={"title": "", "text": ""})
    assert _problems(defn) == [
        ("welcome", "The welcome screen is empty: screen readers announce nothing for it.")
    ]
