"""Writes of the surveys app: build, publish and close surveys; record responses page by page.

A response is written to the feedback store as one FeedbackItem at its first answered page and updated
as the respondent goes on, so partial answers count and drop-off is measurable.
"""

from __future__ import annotations

import secrets
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify
from pydantic import ValidationError

from cxloop.accounts.models import AuditEvent, User, Workspace
from cxloop.accounts.services import audit_record
from cxloop.core.exceptions import Conflict, NotFound, ServiceError
from cxloop.core.request_meta import SYSTEM, RequestMeta
from cxloop.customers.schemas import CustomerRef
from cxloop.feedback.schemas import AnswerIn, FeedbackIn
from cxloop.feedback.services import feedback_ingest, feedback_replace_answers

from . import engine
from .definition import SurveyDefinition, parse_definition
from .library import BLANK, BY_KEY, template_definition
from .models import Response, Survey, SurveyVersion

EXPORT_FORMAT = 1
MAX_HIDDEN_VALUE = 200


class DefinitionError(ServiceError):
    """A survey definition that does not hold together; `errors` lists each problem with its place."""

    status = 422

    def __init__(self, exc: ValidationError):
        self.errors = [
            {"loc": ".".join(str(p) for p in e["loc"]), "msg": e["msg"].removeprefix("Value error, ")}
            for e in exc.errors()
        ]
        first = self.errors[0]
        super().__init__(f"{first['loc'] or 'survey'}: {first['msg']}" if first["loc"] else first["msg"])


class AnswersInvalid(ServiceError):
    """Answers that do not fit the survey (type, scale, required, logic)."""

    status = 422


def check_definition(data: Any) -> SurveyDefinition:
    try:
        return parse_definition(data)
    except ValidationError as exc:
        raise DefinitionError(exc) from None


def _slug(name: str) -> str:
    base = slugify(name)[:50].strip("-") or "survey"
    while True:
        slug = f"{base}-{secrets.token_hex(3)}"
        if not Survey.objects.filter(slug=slug).exists():
            return slug


# -- building -----------------------------------------------------------------------------------------------
def survey_create(
    *,
    workspace: Workspace,
    actor: User | None,
    name: str,
    template: str | None = None,
    definition: Any = None,
    touchpoint: str | None = None,
) -> Survey:
    """A new draft survey from a template, a definition, or a one-question NPS start."""
    name = (name or "").strip()
    if not name:
        raise ServiceError("Give the survey a name.", field="name")
    if template:
        if template not in BY_KEY:
            raise ServiceError(f"There is no template {template!r}.", field="template")
        data = template_definition(template)
        touchpoint = BY_KEY[template].touchpoint if touchpoint is None else touchpoint
    else:
        data = check_definition(definition if definition is not None else BLANK).dump()
    now = timezone.now()
    return Survey.objects.create(
        workspace=workspace,
        name=name[:120],
        slug=_slug(name),
        template=template or "",
        touchpoint=(touchpoint or "")[:100],
        definition=data,
        created_by=actor,
        created_at=now,
        updated_at=now,
    )


def _new_version(survey: Survey, actor: User | None) -> SurveyVersion:
    last = survey.versions.order_by("-number").values_list("number", flat=True).first() or 0
    version = SurveyVersion.objects.create(
        survey=survey, number=last + 1, definition=survey.definition, created_by=actor
    )
    survey.current_version = version
    return version


@transaction.atomic
def survey_update(
    *,
    survey: Survey,
    actor: User | None,
    name: str | None = None,
    definition: Any = None,
    touchpoint: str | None = None,
    closed_message: str | None = None,
) -> Survey:
    """Change a survey's working copy. Respondents keep seeing the published version until the changes are
    published (survey_publish), which makes a new version: responses already given keep theirs."""
    survey = Survey.objects.select_for_update().get(pk=survey.pk)
    fields = ["updated_at"]
    if name is not None:
        if not name.strip():
            raise ServiceError("Give the survey a name.", field="name")
        survey.name = name.strip()[:120]
        fields.append("name")
    if touchpoint is not None:
        survey.touchpoint = touchpoint.strip()[:100]
        fields.append("touchpoint")
    if closed_message is not None:
        survey.closed_message = closed_message.strip()[:300]
        fields.append("closed_message")
    if definition is not None:
        survey.definition = check_definition(definition).dump()
        fields.append("definition")
    survey.updated_at = timezone.now()
    survey.save(update_fields=fields)
    return survey


@transaction.atomic
def survey_publish(*, survey: Survey, actor: User | None, meta: RequestMeta = SYSTEM) -> Survey:
    """Make a survey live, or publish a live survey's changes: a new version whenever its working copy
    differs from the last version (editing a live survey creates a new version)."""
    survey = Survey.objects.select_for_update().get(pk=survey.pk)
    check_definition(survey.definition)
    changed = survey.current_version is None or survey.current_version.definition != survey.definition
    if survey.status == Survey.Status.LIVE and not changed:
        raise Conflict("The survey is live and has no unpublished changes.")
    if changed:
        _new_version(survey, actor)
    survey.status = Survey.Status.LIVE
    survey.updated_at = timezone.now()
    survey.save(update_fields=["status", "current_version", "updated_at"])
    audit_record(
        action=AuditEvent.Action.SURVEY_PUBLISHED,
        workspace=survey.workspace,
        actor=actor,
        meta=meta,
        target=f"survey {survey.pk} {survey.name}",
        data={"version": survey.current_version.number},
    )
    return survey


@transaction.atomic
def survey_close(*, survey: Survey, actor: User | None, meta: RequestMeta = SYSTEM) -> Survey:
    survey = Survey.objects.select_for_update().get(pk=survey.pk)
    if survey.status != Survey.Status.LIVE:
        raise Conflict("Only a live survey can be closed.")
    survey.status = Survey.Status.CLOSED
    survey.updated_at = timezone.now()
    survey.save(update_fields=["status", "updated_at"])
    audit_record(
        action=AuditEvent.Action.SURVEY_CLOSED,
        workspace=survey.workspace,
        actor=actor,
        meta=meta,
        target=f"survey {survey.pk} {survey.name}",
    )
    return survey


def survey_export(survey: Survey) -> dict[str, Any]:
    """The survey as a file: copy it to another workspace or keep it in version control."""
    return {
        "cxloop_survey": EXPORT_FORMAT,
        "name": survey.name,
        "touchpoint": survey.touchpoint,
        "definition": parse_definition(survey.definition).dump(),
    }


def survey_import(*, workspace: Workspace, actor: User | None, data: Any) -> Survey:
    """A new draft from an exported survey file."""
    if not isinstance(data, dict) or data.get("cxloop_survey") != EXPORT_FORMAT:
        raise ServiceError(
            f'This is not a CX Loop survey file (it needs "cxloop_survey": {EXPORT_FORMAT}).', field="file"
        )
    return survey_create(
        workspace=workspace,
        actor=actor,
        name=str(data.get("name") or "Imported survey"),
        definition=data.get("definition"),
        touchpoint=str(data.get("touchpoint") or ""),
    )


# -- answering ----------------------------------------------------------------------------------------------
def pick_language(defn: SurveyDefinition, requested: str | None, accept_language: str = "") -> str:
    """The survey language for a respondent: a ?lang= parameter, else the browser's preference."""
    langs = defn.languages
    if requested:
        for code in (requested, requested.split("-")[0]):
            if code in langs:
                return code
    for part in accept_language.split(","):
        code = part.split(";")[0].strip()
        for candidate in (code, code.split("-")[0].lower()):
            if candidate in langs:
                return candidate
    return defn.default_language


def clean_hidden(defn: SurveyDefinition, params) -> dict[str, str]:
    """The declared hidden fields found in `params` (a link's query string), values cut to a sane size."""
    out = {}
    for name in defn.hidden_fields:
        value = params.get(name)
        if value not in (None, ""):
            out[name] = str(value)[:MAX_HIDDEN_VALUE]
    return out


def definition_of(response: Response) -> SurveyDefinition:
    source = response.version.definition if response.version_id else response.survey.definition
    return parse_definition(source)


def _require_open(survey: Survey, *, preview: bool) -> None:
    if preview:
        return
    if survey.status == Survey.Status.CLOSED:
        raise Conflict(survey.closed_message or "This survey is closed.")
    if survey.status != Survey.Status.LIVE or survey.current_version_id is None:
        raise NotFound("This survey is not open.")


def response_new(
    *,
    survey: Survey,
    via: str,
    language: str,
    hidden: dict[str, str],
    preview: bool = False,
    customer_id: int | None = None,
    answers: dict[str, Any] | None = None,
    token: str | None = None,
) -> Response:
    """An unsaved response; it is stored with its first answered page. `customer_id` is the respondent
    when known (an invitation, an identified widget visitor); `answers` are pre-filled (e.g. the score a
    respondent clicked in an email), shown as chosen and kept once the page is sent. `token` is one
    this server issued earlier (the widget shows a first page before anything is stored)."""
    _require_open(survey, preview=preview)
    state: dict[str, Any] = {"hidden": hidden}
    if customer_id is not None:
        state["customer_id"] = customer_id
    if answers:
        state["answers"] = answers
    return Response(
        workspace_id=survey.workspace_id,
        survey=survey,
        version=None if preview else survey.current_version,
        token=token or secrets.token_urlsafe(24),
        via=Response.Via.PREVIEW if preview else via,
        language=language,
        state=state,
        page=None,
    )


class PageResult:
    def __init__(self, errors: dict[str, str], response: Response, next_page: int | str | None):
        self.errors = errors
        self.response = response
        self.next_page = next_page

    @property
    def finished(self) -> bool:
        return isinstance(self.next_page, str)


@transaction.atomic
def response_submit_page(
    *,
    response: Response,
    page_index: int,
    submitted: dict[str, Any],
    others: dict[str, str],
    add_instance: str | None = None,
) -> PageResult:
    """Check and keep one page of answers, then move the respondent to the next page or an ending.
    `add_instance` (a repeatable block's key) adds one more instance of it and stays on the page."""
    if response.pk:
        response = (
            Response.objects.select_for_update(of=("self",))
            .select_related("survey", "version")
            .get(pk=response.pk)
        )
    survey = response.survey
    _require_open(survey, preview=response.via == Response.Via.PREVIEW)
    if response.status == Response.Status.COMPLETED:
        raise Conflict("This survey has been answered already. Thank you!")
    defn = definition_of(response)
    state = engine.State.load(response.state, seed=response.token)
    all_pages = engine.pages(defn, state)
    expected = engine.next_page(defn, state, None) if response.page is None else response.page
    if not 0 <= page_index < len(all_pages) or page_index > expected:
        raise ServiceError("That page is not part of this response; reload the survey.")
    page = all_pages[page_index]
    if add_instance:
        block = next((b for b in page.blocks if b.key == add_instance and b.repeat), None)
        if block is not None:
            state.repeats[block.key] = min(engine.instances(block, state) + 1, block.repeat.max)
    errors = engine.apply_page(defn, page, state, submitted, others)
    if errors:
        return PageResult(errors, response, page_index)
    if add_instance:  # keep what was typed so far and show the page again with one more instance
        response.state = state.dump(response.state)
        response.page = page_index
        response.save()
        return PageResult({}, response, page_index)
    engine.drop_skipped(defn, state)  # an earlier answer changed may leave a branch answered before
    nxt = engine.next_page(defn, state, page_index)
    now = timezone.now()
    response.state = state.dump(response.state)
    response.answered = sum(1 for v in state.answers.values() if v not in (None, "", [], {}))
    answered_here = [q.key for _, q in page.questions if q.key in state.answers]
    if answered_here:
        response.last_question = answered_here[-1]
    response.updated_at = now
    if isinstance(nxt, str):
        response.status = Response.Status.COMPLETED
        response.completed_at = now
        response.ending = nxt.removeprefix("end:")
        response.page = None
    else:
        response.page = nxt
    response.save()
    _sync_feedback(response, defn, state)
    return PageResult({}, response, nxt)


@transaction.atomic
def response_create(
    *,
    survey: Survey,
    answers: dict[str, Any],
    hidden: dict[str, Any] | None = None,
    language: str | None = None,
    customer: CustomerRef | None = None,
    via: str = Response.Via.API,
) -> Response:
    """A whole response at once (server to server, the widget): checked against the survey's current
    version and its logic like the public page checks it, then stored complete."""
    _require_open(survey, preview=False)
    defn = parse_definition(survey.current_version.definition)
    hidden = hidden or {}
    unknown = sorted(set(hidden) - set(defn.hidden_fields))
    if unknown:
        raise AnswersInvalid(
            f"hidden.{unknown[0]}: this survey declares no such hidden field.", field=f"hidden.{unknown[0]}"
        )
    state = engine.State(
        hidden={k: str(v)[:MAX_HIDDEN_VALUE] for k, v in hidden.items() if v not in (None, "")},
        seed=secrets.token_urlsafe(8),
    )
    errors = engine.check_complete(defn, state, answers)
    if errors:
        key, message = next(iter(errors.items()))
        raise AnswersInvalid(f"answers.{key}: {message}", field=f"answers.{key}")
    language = language if language in defn.languages else defn.default_language
    now = timezone.now()
    response = Response.objects.create(
        workspace_id=survey.workspace_id,
        survey=survey,
        version=survey.current_version,
        token=secrets.token_urlsafe(24),
        via=via,
        language=language,
        state=state.dump(),
        answered=len(state.answers),
        last_question=next(reversed(state.answers), ""),
        status=Response.Status.COMPLETED,
        ending=defn.endings[0].key,
        started_at=now,
        updated_at=now,
        completed_at=now,
    )
    _sync_feedback(response, defn, state, customer=customer)
    return response


def _sync_feedback(
    response: Response, defn: SurveyDefinition, state: engine.State, customer: CustomerRef | None = None
) -> None:
    """Write the response into the feedback store (create its item, or replace the item's answers)."""
    if response.via == Response.Via.PREVIEW:
        return
    survey = response.survey
    answers = [AnswerIn.model_validate(a) for a in engine.stored_answers(defn, state)]
    metadata: dict[str, Any] = {
        "survey_id": survey.pk,
        "survey_version": response.version.number,
        "response_id": response.pk,
        "response_status": response.status,
        "via": response.via,
    }
    if state.hidden:
        metadata["hidden"] = state.hidden
    text = engine.response_text(defn, state)
    if response.feedback_item_id is None:
        if customer is None and response.state.get("customer_id"):
            customer = CustomerRef(id=response.state["customer_id"])
        data = FeedbackIn(
            external_id=f"response-{response.pk}",
            channel="web_widget" if response.via == Response.Via.WIDGET else "survey",
            source=survey.name[:100],
            touchpoint=(state.hidden.get("touchpoint") or survey.touchpoint)[:100],
            customer=customer,
            occurred_at=response.started_at,
            language=response.language,
            text=text,
            metadata=metadata,
            answers=answers,
        )
        ((item, _),) = feedback_ingest(workspace=survey.workspace, items=[data])
        response.feedback_item = item
        response.save(update_fields=["feedback_item"])
    else:
        feedback_replace_answers(item=response.feedback_item, answers=answers, text=text, metadata=metadata)


def response_by_token(*, survey: Survey, token: str) -> Response:
    response = Response.objects.filter(survey=survey, token=token).select_related("version").first()
    if response is None:
        raise NotFound("This link is not valid (it may have been mistyped).")
    return response
