"""/api/v1/intents: the workspace's intents of support tickets and chats, their examples, and predictions
(cxloop/analysis/intents.py)."""

from __future__ import annotations

from datetime import datetime

from ninja import Field, Router, Schema, Status

from cxloop.accounts.api_auth import read_key, write_key
from cxloop.core.problems import problem_response

from . import intents

router = Router(tags=["intents"])

MAX_BATCH, MAX_PREDICT, MAX_PREDICT_TEXT = 1000, 100, 10_000


class ExampleCountsOut(Schema):
    manual: int = Field(..., description="Typed in on the Intents page")
    imported: int = Field(..., description="From a CSV file or this API")
    corrections: int = Field(..., description="Items whose intent an analyst set in the Inbox")
    total: int


class IntentOut(Schema):
    id: int
    name: str
    description: str
    examples: ExampleCountsOut


class IntentModelOut(Schema):
    status: str = Field(..., description="none, training, ready, failed or too_few")
    ready: bool = Field(..., description="A trained model reads texts (also while a newer one trains)")
    message: str = Field(..., description="What is missing, or notes of the last training")
    error: str
    trained_at: datetime | None
    examples: int = Field(..., description="Examples the model was trained on")
    intents: int
    cv_accuracy: float | None = Field(
        ...,
        description="Cross-validated accuracy, 0–1: the share of the examples predicted right by a "
        "model trained without them",
    )
    cv_folds: int


class IntentsOut(Schema):
    model: IntentModelOut
    intents: list[IntentOut]


def _model_json(model) -> dict:
    if model is None:
        return {
            "status": "none",
            "ready": False,
            "message": intents.not_ready_reason(None),
            "error": "",
            "trained_at": None,
            "examples": 0,
            "intents": 0,
            "cv_accuracy": None,
            "cv_folds": 0,
        }
    return {
        "status": model.status,
        "ready": bool(model.version),
        "message": model.message,
        "error": model.error,
        "trained_at": model.trained_at,
        "examples": model.examples,
        "intents": model.intents,
        "cv_accuracy": model.cv_accuracy,
        "cv_folds": model.cv_folds,
    }


@router.get("/intents", response=IntentsOut, auth=read_key, summary="The intents, their examples and model")
def list_intents(request):
    workspace = request.auth.workspace
    found, _ = intents.intents_overview(workspace=workspace)
    return {
        "model": _model_json(intents.model_status(workspace=workspace)),
        "intents": [
            {
                "id": i.pk,
                "name": i.name,
                "description": i.description,
                "examples": {
                    "manual": i.manual,
                    "imported": i.imported,
                    "corrections": i.corrections,
                    "total": i.total,
                },
            }
            for i in found
        ],
    }


class ExampleIn(Schema):
    text: str = Field(..., description=f"Up to {intents.MAX_TEXT:,} characters")
    intent: str = Field(..., description="The intent's name; a new name creates the intent")


class ExamplesIn(Schema):
    examples: list[ExampleIn] = Field(..., min_length=1, max_length=MAX_BATCH)


class ExamplesAddedOut(Schema):
    added: int
    existing: int = Field(..., description="Already examples of the same intent (not added twice)")
    intents_created: list[str]


@router.post(
    "/intents/examples",
    auth=write_key,
    response={201: ExamplesAddedOut},
    summary="Add up to 1,000 labelled examples; all or nothing, with per-example errors",
    description="Intents are matched by name whatever its case; a new name creates the intent. A text is "
    "an example of one intent: one that is already another intent's is refused. 400 with `errors` "
    "(`loc` ['body', 'examples', index, field], `msg`) when any example is refused; nothing is then added. "
    "The model trains again in the background.",
)
def add_examples(request, payload: ExamplesIn):
    rows = [(n, e.text, e.intent) for n, e in enumerate(payload.examples)]
    try:
        added = intents.examples_import(workspace=request.auth.workspace, rows=rows, noun="example")
    except intents.ExampleErrors as exc:
        errors = [
            {"loc": ["body", "examples", e.row, e.field], "msg": e.message, "type": "value_error"}
            for e in exc.errors
        ]
        return problem_response(400, type_="invalid-examples", detail=exc.message, errors=errors)
    body = {"added": added.added, "existing": added.existing, "intents_created": added.intents_created}
    return Status(201, body)


class PredictIn(Schema):
    texts: list[str] = Field(..., min_length=1, max_length=MAX_PREDICT)


class PredictionOut(Schema):
    intent: str | None = Field(..., description="null for a text without words")
    intent_id: int | None
    probability: float | None = Field(..., description="The model's probability of that intent, 0–1")


class PredictOut(Schema):
    predictions: list[PredictionOut] = Field(..., description="One per text, in order")


@router.post(
    "/intents/predict",
    auth=read_key,
    response={200: PredictOut},
    summary="The intent of up to 100 texts",
    description="Each text's first 10,000 characters are read. 409 when the workspace has no trained model "
    "yet, with the reason (what is missing); while a new model trains, the last one answers.",
)
def predict(request, payload: PredictIn):
    texts = [t[:MAX_PREDICT_TEXT] for t in payload.texts]
    found = intents.intent_predict(workspace=request.auth.workspace, texts=texts)
    return {
        "predictions": [
            {
                "intent": intent.name if intent else None,
                "intent_id": intent.pk if intent else None,
                "probability": probability,
            }
            for intent, probability in found
        ]
    }
