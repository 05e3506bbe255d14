"""The builder's accessibility check: what makes a survey hard to answer for some people. Pure: it reads a
checked definition and says what to fix and where."""

from __future__ import annotations

from dataclasses import dataclass

from ..definition import SurveyDefinition


# -- accessibility -------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Problem:
    """An accessibility problem: `loc` is the definition path of the part (the builder links to it)."""

    loc: str
    where: str
    message: str


def relative_luminance(colour: str) -> float:
    """WCAG 2.1 relative luminance of an sRGB colour written #rrggbb."""

    def channel(c: int) -> float:
        s = c / 255
        return s / 12.92 if s <= 0.03928 else ((s + 0.055) / 1.055) ** 2.4

    r, g, b = (int(colour[i : i + 2], 16) for i in (1, 3, 5))
    return 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b)


def contrast_ratio(a: str, b: str) -> float:
    la, lb = sorted((relative_luminance(a), relative_luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def _has_text(value, language: str) -> bool:
    if isinstance(value, str):
        return bool(value.strip())
    return bool((value or {}).get(language, "").strip())


def _text_problems(values: list, languages: list[str], loc: str, where: str, what: str) -> list[Problem]:
    """Problems of a text (or of a part with several texts, any of which will do) in each language."""
    missing = [lang for lang in languages if not any(_has_text(v, lang) for v in values)]
    if len(missing) == len(languages):
        return [Problem(loc, where, f"The {what} is empty: screen readers announce nothing for it.")]
    if missing:
        return [Problem(loc, where, f"The {what} has no text in {', '.join(missing)}.")]
    if len(languages) > 1 and all(isinstance(v, str) for v in values):
        others = ", ".join(languages[1:])
        return [
            Problem(
                loc,
                where,
                f"The {what} is not translated: respondents reading {others} see it in {languages[0]}.",
            )
        ]
    return []


def accessibility_problems(defn: SurveyDefinition, *, survey_name: str = "") -> list[Problem]:
    """What makes a survey hard to answer for some people: missing texts in a language, low contrast of the
    brand colour with white text, a logo without alternative text (the survey name is its alt text), long
    scales on phones, a consent that cannot be refused."""
    languages = defn.languages
    problems: list[Problem] = []
    ratio = contrast_ratio(defn.theme.colour, "#ffffff")
    if ratio < 4.5:
        problems.append(
            Problem(
                "theme.colour",
                "theme colour",
                f"White text on {defn.theme.colour} has a contrast of {ratio:.1f}:1; buttons need at least "
                "4.5:1 (WCAG 2.1 AA). Choose a darker colour.",
            )
        )
    if defn.theme.logo_url and not survey_name.strip():
        problems.append(
            Problem(
                "theme.logo_url",
                "logo",
                "The logo's alternative text is the survey name, and the name is empty: name the survey.",
            )
        )
    if defn.welcome is not None:
        welcome = [defn.welcome.title, defn.welcome.text]
        problems += _text_problems(welcome, languages, "welcome", "welcome screen", "welcome screen")
    for b, block in enumerate(defn.blocks):
        for n, q in enumerate(block.questions):
            loc, where = f"blocks.{b}.questions.{n}", f"question {q.key}"
            problems += _text_problems([q.label], languages, loc, where, "label")
            for kind, items in (("option", q.options), ("row", q.rows)):
                for item in items:
                    problems += _text_problems(
                        [item.label], languages, loc, where, f"{kind} {item.key}'s label"
                    )
            if q.type in ("rating", "matrix") and q.scale and q.scale[1] - q.scale[0] + 1 > 7:
                points = q.scale[1] - q.scale[0] + 1
                problems.append(
                    Problem(
                        loc,
                        where,
                        f"{points} points are hard to tell apart and tap on a phone; 7 or fewer are easier.",
                    )
                )
            if q.type == "consent" and q.required:
                problems.append(
                    Problem(
                        loc,
                        where,
                        "A required consent cannot be refused: people who do not agree cannot finish. "
                        "Make it optional.",
                    )
                )
    for n, ending in enumerate(defn.endings):
        if not ending.redirect_url:  # a redirecting ending shows no screen
            texts = [ending.title, ending.text]
            problems += _text_problems(texts, languages, f"endings.{n}", f"ending {ending.key}", "ending")
    return problems
