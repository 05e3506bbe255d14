"""/api/v1/surveys: list and read surveys, and collect responses server to server."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from ninja import Field, Router, Schema

from cxloop.accounts.api_auth import read_key, write_key
from cxloop.core.exceptions import NotFound
from cxloop.core.idempotency import run_idempotent
from cxloop.customers.schemas import CustomerRef

from . import selectors, services
from .definition import text_in
from .models import Survey

router = Router(tags=["surveys"])


class QuestionOut(Schema):
    key: str
    type: str
    label: str
    required: bool
    block: str
    options: list[str] = Field(default_factory=list, description="Option keys (choice questions)")
    rows: list[str] = Field(default_factory=list, description="Row keys (matrix questions)")
    scale: list[int] | None = None


class SurveyOut(Schema):
    id: int
    name: str
    status: str = Field(..., description="draft, live or closed")
    public_url: str
    version: int | None = Field(None, description="The live version's number")
    touchpoint: str
    created_at: datetime
    updated_at: datetime


class SurveyDetailOut(SurveyOut):
    languages: list[str]
    hidden_fields: list[str]
    questions: list[QuestionOut]
    definition: dict[str, Any] = Field(..., description="The full definition (the export format's)")


class SurveyPage(Schema):
    items: list[SurveyOut]
    next: str | None = None


class ResponseIn(Schema):
    answers: dict[str, Any] = Field(..., description='Question key → value, e.g. {"nps": 9, "reason": "…"}')
    hidden: dict[str, Any] = Field(
        default_factory=dict, description='Hidden fields, e.g. {"order_id": "A-1"}'
    )
    language: str | None = None
    customer: CustomerRef | None = None


class ResponseOut(Schema):
    id: int
    survey_id: int
    version: int
    status: str
    feedback_id: int | None
    completed_at: datetime | None


def _survey_json(request, survey: Survey) -> dict[str, Any]:
    return {
        "id": survey.pk,
        "name": survey.name,
        "status": survey.status,
        "public_url": request.build_absolute_uri(f"/s/{survey.slug}/"),
        "version": survey.current_version.number if survey.current_version else None,
        "touchpoint": survey.touchpoint,
        "created_at": survey.created_at,
        "updated_at": survey.updated_at,
    }


@router.get(
    "/surveys", response=SurveyPage, auth=read_key, summary="List surveys, most recently changed first"
)
def list_surveys(request):
    return {
        "items": [_survey_json(request, s) for s in selectors.survey_list(workspace=request.auth.workspace)],
        "next": None,
    }


@router.get(
    "/surveys/{int:survey_id}",
    response=SurveyDetailOut,
    auth=read_key,
    summary="One survey with its questions",
)
def get_survey(request, survey_id: int):
    survey = selectors.survey_get(workspace=request.auth.workspace, survey_id=survey_id)
    if survey is None:
        raise NotFound(f"No survey with id {survey_id} in this workspace.")
    # the questions respondents answer now: the live version's, else the draft's
    defn = survey.current_version.parsed() if survey.current_version else survey.parsed()
    questions = [
        {
            "key": q.key,
            "type": q.type,
            "label": text_in(q.label, defn.default_language, defn.default_language),
            "required": q.required,
            "block": b.key,
            "options": [o.key for o in q.options] + (["other"] if q.allow_other else []),
            "rows": [r.key for r in q.rows],
            "scale": list(q.scale) if q.scale else None,
        }
        for b in defn.blocks
        for q in b.questions
    ]
    return {
        **_survey_json(request, survey),
        "languages": defn.languages,
        "hidden_fields": defn.hidden_fields,
        "questions": questions,
        "definition": defn.dump(),
    }


@router.post(
    "/surveys/{int:survey_id}/responses",
    response={201: ResponseOut},
    auth=write_key,
    summary="Record a complete response (server to server)",
    description=(
        "Answers are checked against the survey's live version like the public page checks them: type, "
        "scale, required questions and logic. The response is stored in the feedback store as a "
        "survey item with typed answers. Send an Idempotency-Key header to make retries safe."
    ),
)
def create_response(request, survey_id: int, payload: ResponseIn):
    survey = selectors.survey_get(workspace=request.auth.workspace, survey_id=survey_id)
    if survey is None:
        raise NotFound(f"No survey with id {survey_id} in this workspace.")

    def produce():
        response = services.response_create(
            survey=survey,
            answers=payload.answers,
            hidden=payload.hidden,
            language=payload.language,
            customer=payload.customer,
        )
        return 201, {
            "id": response.pk,
            "survey_id": survey.pk,
            "version": response.version.number,
            "status": response.status,
            "feedback_id": response.feedback_item_id,
            "completed_at": response.completed_at,
        }

    return run_idempotent(request, request.auth.workspace, produce)
