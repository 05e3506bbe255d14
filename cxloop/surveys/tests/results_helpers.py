"""Shared by the results tests: one survey with every kind of answer, and responses made the way real
ones are (whole responses through services.response_create like the API, partial ones page by page)."""

from __future__ import annotations

from datetime import datetime

from cxloop.customers.schemas import CustomerRef
from cxloop.feedback.models import Answer, FeedbackItem
from cxloop.surveys import services
from cxloop.surveys.models import Response

from .helpers import live_survey


def opts(*keys: str) -> list[dict]:
    return [{"key": k, "label": k.title()} for k in keys]


DEFINITION = {
    "hidden_fields": ["touchpoint", "order_id"],
    "blocks": [
        {"key": "b1", "questions": [{"key": "nps", "type": "nps", "label": "How likely?", "required": True}]},
        {
            "key": "b2",
            "questions": [
                {"key": "csat", "type": "csat", "label": "How satisfied?"},
                {"key": "ces", "type": "ces", "label": "How easy?"},
                {
                    "key": "reason",
                    "type": "choice",
                    "label": "Main reason",
                    "allow_other": True,
                    "options": opts("price", "speed"),
                },
                {"key": "comment", "type": "text", "label": "Anything else?"},
            ],
        },
        {
            "key": "b3",
            "questions": [
                {"key": "grid", "type": "matrix", "label": "Rate us", "rows": opts("speed", "care")},
                {"key": "rank", "type": "ranking", "label": "Rank these", "options": opts("x", "y", "z")},
                {"key": "ok", "type": "yes_no", "label": "All good?"},
                {"key": "age", "type": "number", "label": "Your age"},
                {"key": "when", "type": "date", "label": "When?"},
            ],
        },
    ],
}
NPS_SCORES = [10, 10, 9, 9, 9, 8, 7, 6, 3, 0]  # 5 promoters, 2 passives, 3 detractors: NPS +20


def results_survey(workspace, name: str = "Results survey"):
    return live_survey(workspace, definition=DEFINITION, name=name)


def complete(survey, answers: dict, *, hidden: dict | None = None, customer: dict | None = None) -> Response:
    return services.response_create(
        survey=survey,
        answers=answers,
        hidden=hidden or {},
        customer=CustomerRef(**customer) if customer else None,
    )


def partial(survey, pages: list[dict], *, hidden: dict | None = None) -> Response:
    """A response that answered these pages (form-style values) and then stopped."""
    response = services.response_new(survey=survey, via=Response.Via.LINK, language="en", hidden=hidden or {})
    for index, submitted in enumerate(pages):
        result = services.response_submit_page(
            response=response, page_index=index, submitted=submitted, others={}
        )
        assert not result.errors, result.errors
        response = result.response
    return response


def backdate(response: Response, when: datetime) -> None:
    """Move a response (and its feedback item and answers) to another moment."""
    Response.objects.filter(pk=response.pk).update(started_at=when, updated_at=when)
    if response.feedback_item_id:
        FeedbackItem.objects.filter(pk=response.feedback_item_id).update(occurred_at=when)
        Answer.objects.filter(item_id=response.feedback_item_id).update(occurred_at=when)


def known_set(survey) -> dict:
    """Ten complete responses with the NPS scores of NPS_SCORES, and three partial ones that stop at the
    first, second and second page. Returns what the test asserts on."""
    made = []
    for i, score in enumerate(NPS_SCORES):
        answers = {"nps": score}
        if i < 6:
            answers.update(
                csat=5 if i < 4 else 2, ces=7 if i < 3 else 4, reason="price" if i < 4 else "speed"
            )
        if i == 0:
            answers.update(
                comment="Lovely people",
                grid={"speed": 5, "care": 4},
                rank=["y", "x", "z"],
                ok=True,
                age=30,
                when="2026-01-31",
            )
        if i == 1:
            answers.update(
                reason="Cheaper elsewhere",
                grid={"speed": 3, "care": 2},
                rank=["x", "y", "z"],
                ok=False,
                age=50,
            )
        made.append(
            complete(
                survey,
                answers,
                hidden={"touchpoint": "store" if i % 2 else "web", "order_id": f"A-{i}"},
                customer={
                    "email": f"person{i}@example.com",
                    "name": f"Person {i}",
                    "segment": "smb" if i < 5 else "enterprise",
                },
            )
        )
    stopped_first = partial(survey, [{"nps": "4"}])
    stopped_second = partial(survey, [{"nps": "9"}, {"csat": "4", "ces": "5", "reason": "speed"}])
    stopped_blank = partial(survey, [{"nps": "2"}, {}])
    return {"complete": made, "partial": [stopped_first, stopped_second, stopped_blank]}
