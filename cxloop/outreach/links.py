"""The links an invitation carries, and reading them back.

- the personal survey link /s/<slug>/i/<token>/, optionally with a clicked score: ?<question key>=<value>
  (the email embeds the survey's first question as one link per score);
- the unsubscribe link /unsubscribe/<signed>/: the workspace and customer ids signed with SECRET_KEY, so it
  works without login, forever, and cannot be forged for someone else.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.core import signing
from django.urls import reverse

from cxloop.surveys import engine
from cxloop.surveys.definition import Question, SurveyDefinition

EMBEDDABLE = ("nps", "csat", "ces", "rating", "yes_no")
_UNSUBSCRIBE_SALT = "cxloop.outreach.unsubscribe"


def absolute(path: str) -> str:
    return f"{settings.BASE_URL}{path}"


def invitation_path(slug: str, token: str, params: dict[str, Any] | None = None) -> str:
    path = reverse("survey_invitation", args=[slug, token])
    return f"{path}?{urlencode(params)}" if params else path


def unsubscribe_token(*, workspace_id: int, customer_id: int) -> str:
    return signing.Signer(salt=_UNSUBSCRIBE_SALT).sign_object([workspace_id, customer_id])


def unsubscribe_ids(token: str) -> tuple[int, int] | None:
    """(workspace id, customer id) of a signed unsubscribe token, or None when it is not genuine."""
    try:
        value = signing.Signer(salt=_UNSUBSCRIBE_SALT).unsign_object(token)
    except (signing.BadSignature, ValueError, TypeError):
        return None
    if not (isinstance(value, list) and len(value) == 2 and all(isinstance(v, int) for v in value)):
        return None
    return value[0], value[1]


def unsubscribe_url(*, workspace_id: int, customer_id: int) -> str:
    token = unsubscribe_token(workspace_id=workspace_id, customer_id=customer_id)
    return absolute(reverse("outreach_unsubscribe", args=[token]))


@dataclass
class Choice:
    label: str
    value: str
    url: str


@dataclass
class EmbeddedQuestion:
    key: str
    type: str
    label: str
    min_label: str
    max_label: str
    choices: list[Choice]


def first_question(defn: SurveyDefinition) -> Question | None:
    """The first question a respondent meets (before any answer), if it can be answered from an email."""
    state = engine.State()
    first = engine.next_page(defn, state, None)
    if isinstance(first, str):
        return None
    shown = engine.visible_questions(engine.pages(defn, state)[first], state)
    if not shown:
        return None
    question = shown[0][1]
    return question if question.type in EMBEDDABLE else None


def embedded_question(
    defn: SurveyDefinition, language: str, slug: str, token: str
) -> EmbeddedQuestion | None:
    """The survey's first question with one personal link per answer, or None (then the email says Start)."""
    q = first_question(defn)
    if q is None:
        return None
    if q.type == "yes_no":
        values = [("Yes", "yes"), ("No", "no")]
    else:
        lo, hi = engine.scale_of(q)
        values = [(str(n), str(n)) for n in range(lo, hi + 1)]
    return EmbeddedQuestion(
        key=q.key,
        type=q.type,
        label=engine.text(defn, q.label, language, engine.State()),
        min_label=engine.text(defn, q.min_label, language),
        max_label=engine.text(defn, q.max_label, language),
        choices=[
            Choice(label, value, absolute(invitation_path(slug, token, {q.key: value})))
            for label, value in values
        ],
    )


def clicked_answer(defn: SurveyDefinition, params) -> dict[str, Any]:
    """The answer a respondent clicked in the email ({key: stored value}), read from the link's query string.
    Only the first question counts, and only a value it accepts; anything else is ignored (the page then
    simply asks)."""
    q = first_question(defn)
    if q is None or params.get(q.key) in (None, ""):
        return {}
    try:
        value, _ = engine.check_answer(defn, q, params.get(q.key), engine.State())
    except engine.AnswerError:
        return {}
    return {q.key: value}
