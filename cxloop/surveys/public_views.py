"""The public survey pages respondents see: /s/<slug>/ and its resume link /s/<slug>/r/<token>/.

Plain HTML forms (they work without JavaScript), one page per block (or per question, or all on one page),
saved page by page. Bots meet a honeypot field, a minimum time before the first page is sent, and a rate
limit per address.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from functools import wraps
from typing import Any

from django.conf import settings
from django.core import signing
from django.http import HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.views.decorators.clickjacking import xframe_options_sameorigin
from django.views.decorators.http import require_http_methods

from cxloop.accounts.models import Membership
from cxloop.accounts.roles import Perm, has_perm
from cxloop.core import ratelimit
from cxloop.core.exceptions import Conflict, NotFound, ServiceError
from cxloop.core.middleware import _CSP
from cxloop.core.request_meta import RequestMeta

from . import engine, services
from .chrome import chrome, translate_errors
from .definition import SurveyDefinition
from .models import Response, Survey

HONEYPOT = "website"
TIMER = "_t"
MIN_SECONDS = 2.0  # a person needs at least this long to read and answer a first page
_SIGNER_SALT = "cxloop.survey.timer"
# The builder shows previews in frames on its own pages; nothing else may frame a survey page.
_PREVIEW_CSP = _CSP.replace("frame-ancestors 'none'", "frame-ancestors 'self'")


@dataclass
class Choice:
    key: str
    label: str
    checked: bool = False
    rank: int | None = None


@dataclass
class ShownQuestion:
    """One question instance, ready for the template."""

    name: str  # the form field name (the answer key)
    key: str
    type: str
    label: str
    help: str
    required: bool
    error: str = ""
    value: Any = None
    other: str = ""
    options: list[Choice] = field(default_factory=list)
    points: list[int] = field(default_factory=list)
    rows: list[tuple[str, str, Any]] = field(default_factory=list)  # (row key, label, value)
    min_label: str = ""
    max_label: str = ""
    style: str = "numbers"
    multiline: bool = False
    max_length: int = 5000
    allow_other: bool = False
    conditional: bool = False  # shown or hidden by an answer on this same page
    hint: str = ""  # how to answer, when the type needs saying (ranking)


def _timer_token() -> str:
    return signing.dumps(time.time(), salt=_SIGNER_SALT)


def _timer_age(token: str | None) -> float | None:
    try:
        started = signing.loads(token or "", salt=_SIGNER_SALT, max_age=24 * 3600)
    except signing.BadSignature:
        return None
    return time.time() - float(started)


def _is_preview(request, survey: Survey) -> bool:
    if request.GET.get("preview") != "1" and request.POST.get("_preview") != "1":
        return False
    if not request.user.is_authenticated:
        return False
    role = (
        Membership.objects.filter(workspace_id=survey.workspace_id, user=request.user)
        .values_list("role", flat=True)
        .first()
    )
    request.survey_preview = has_perm(role, Perm.VIEW_DATA)
    return request.survey_preview


def _frameable_preview(view):
    """A preview's pages may be framed by this site's own pages (the builder); other answers stay DENY."""

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        response = view(request, *args, **kwargs)
        if getattr(request, "survey_preview", False):
            response = xframe_options_sameorigin(lambda _request: response)(request)
            response["Content-Security-Policy"] = _PREVIEW_CSP
        return response

    return wrapped


def _closed(request, survey: Survey) -> HttpResponse:
    return _message(
        request, survey, "This survey is closed", survey.closed_message or "Thank you for your interest.", 410
    )


def _message(request, survey: Survey | None, title: str, text: str, status: int = 200) -> HttpResponse:
    return render(
        request,
        "surveys/public/message.html",
        {"survey": survey, "title": title, "text": text},
        status=status,
    )


def present_page(
    defn: SurveyDefinition, page: engine.Page, state: engine.State, language: str, errors: dict, posted
) -> list[ShownQuestion]:
    """The page's questions as the template shows them, with earlier answers or what was just posted."""
    out = []
    same_page = {q.key for _, q in page.questions}
    for block, q in page.questions:
        if not engine.block_visible(block, state):
            continue
        # A condition on an answer given on this same page cannot be known before the page is sent (the
        # page works without JavaScript): such a question shows, and its answer is dropped if it does not
        # apply. Conditions on earlier pages are known: their questions show only when they apply.
        conditional = bool(q.show_if and any(ref in same_page for _, ref in q.show_if.references()))
        if q.show_if and not conditional and not engine.evaluate(q.show_if, state):
            continue
        for n in range(1, engine.instances(block, state) + 1):
            name = engine.instance_key(q.key, n)
            value = _posted_value(q, name, posted) if posted is not None else state.answers.get(name)
            other = (
                posted.get(f"{name}__other", "") if posted is not None else state.other.get(name, "")
            ) or ""
            label = engine.text(defn, q.label, language, state)
            if n > 1:
                label = f"{label} ({n})"
            shown = ShownQuestion(
                name=name,
                key=q.key,
                type=q.type,
                label=label,
                help=engine.text(defn, q.help, language, state),
                required=q.required,
                error=errors.get(name, ""),
                value=value,
                other=other,
                min_label=engine.text(defn, q.min_label, language, state),
                max_label=engine.text(defn, q.max_label, language, state),
                style=q.style,
                multiline=q.multiline,
                max_length=q.max_length,
                allow_other=q.allow_other,
                conditional=conditional,
            )
            scale = engine.scale_of(q)
            if scale:
                shown.points = list(range(scale[0], scale[1] + 1))
            if q.type in ("choice", "multi_choice", "ranking"):
                # a ranking just posted is {option key: position} (shown as typed); a kept one is a list
                positions = value if isinstance(value, dict) else {}
                chosen = value if isinstance(value, list) else [value] if value not in (None, "", {}) else []
                chosen = [str(c) for c in chosen]
                shown.options = [
                    Choice(
                        o.key,
                        engine.text(defn, o.label, language, state),
                        o.key in chosen,
                        (chosen.index(o.key) + 1 if o.key in chosen else _as_int(positions.get(o.key)))
                        if q.type == "ranking"
                        else None,
                    )
                    for o in engine.options_of(defn, q, state)
                ]
                if q.allow_other:
                    shown.options.append(
                        Choice(engine.OTHER, chrome(language)["other"], engine.OTHER in chosen)
                    )
                if q.type == "ranking":
                    shown.hint = chrome(language)["rank_hint"].format(n=len(shown.options))
            if q.type == "matrix":
                values = value if isinstance(value, dict) else {}
                shown.rows = [
                    (r.key, engine.text(defn, r.label, language, state), _as_int(values.get(r.key)))
                    for r in q.rows
                ]
            out.append(shown)
    return out


def _as_int(v: Any) -> Any:
    try:
        return int(float(v))
    except (TypeError, ValueError, OverflowError):
        return v


def _posted_value(q, name: str, posted) -> Any:
    if q.type == "multi_choice":
        return posted.getlist(name)
    if q.type == "ranking":  # {option key: position}, carried-forward options included; the engine checks it
        prefix = f"{name}__rank__"
        return {k.removeprefix(prefix): v for k, v in posted.items() if k.startswith(prefix) and v.strip()}
    if q.type == "matrix":
        return {r.key: posted.get(f"{name}__{r.key}", "") for r in q.rows}
    return posted.get(name)


def _collect(defn: SurveyDefinition, page: engine.Page, state: engine.State, posted) -> tuple[dict, dict]:
    submitted, others = {}, {}
    for block, q in page.questions:
        for n in range(1, engine.instances(block, state) + 1):
            name = engine.instance_key(q.key, n)
            value = _posted_value(q, name, posted)
            if q.type == "consent" and value is None:
                value = ""
            submitted[name] = value
            if posted.get(f"{name}__other"):
                others[name] = posted.get(f"{name}__other")
    return submitted, others


def _render_page(
    request,
    survey,
    defn,
    response,
    page_index,
    language,
    errors=None,
    posted=None,
    preview=False,
    form_error="",
):
    state = engine.State.load(response.state, seed=response.token)
    page = engine.pages(defn, state)[page_index]
    errors = translate_errors(errors or {}, language)
    questions = present_page(defn, page, state, language, errors, posted)
    block = page.blocks[0]
    words = chrome(language)
    context = {
        "ui": words,
        "n_errors": words["n_errors"].format(n=len(errors)),
        "survey": survey,
        "defn": defn,
        "language": language,
        "response": response,
        "page_index": page_index,
        "questions": questions,
        "title": engine.text(defn, block.title, language, state) if len(page.blocks) == 1 else "",
        "errors": errors or {},
        "error_count": len(errors or {}),
        "form_error": form_error,
        "progress": engine.progress(defn, state, page_index) if defn.progress_bar else None,
        "repeat_block": block if block.repeat and engine.instances(block, state) < block.repeat.max else None,
        "repeat_label": engine.text(defn, block.repeat.label, language) if block.repeat else "",
        "show_resume_hint": response.pk is not None,
        "honeypot": HONEYPOT,
        "timer": _timer_token(),
        "preview": preview,
        "action": (
            reverse("survey_resume", args=[survey.slug, response.token])
            if response.pk
            else request.get_full_path()
        ),
    }
    return render(request, "surveys/public/page.html", context, status=422 if errors or form_error else 200)


def _ending(request, survey, defn, response, language):
    ending = defn.ending(response.ending or None)
    state = engine.State.load(response.state, seed=response.token)
    if ending.redirect_url:
        return HttpResponseRedirect(ending.redirect_url)
    return render(
        request,
        "surveys/public/ending.html",
        {
            "survey": survey,
            "defn": defn,
            "language": language,
            "ui": chrome(language),
            "title": engine.text(defn, ending.title, language, state),
            "text": engine.text(defn, ending.text, language, state),
            "preview": response.via == Response.Via.PREVIEW,
        },
    )


def welcome_page(request, survey, defn, language: str, *, preview: bool = False) -> HttpResponse:
    """The welcome screen; its button opens the first page with the link's query string kept."""
    query = request.GET.copy()
    query["start"] = "1"
    words = chrome(language)
    return render(
        request,
        "surveys/public/welcome.html",
        {
            "survey": survey,
            "defn": defn,
            "language": language,
            "title": engine.text(defn, defn.welcome.title, language),
            "text": engine.text(defn, defn.welcome.text, language),
            "ui": words,
            "button": engine.text(defn, defn.welcome.button, language) or words["start"],
            "start_params": list(query.items()),
            "preview": preview,
        },
    )


def _throttled(request) -> HttpResponse | None:
    ip = RequestMeta.from_request(request).ip or "unknown"
    state = ratelimit.hit(
        f"survey-submit:{ip}", limit=settings.SURVEY_SUBMIT_RATE_PER_MINUTE, window_seconds=60
    )
    if state.exceeded:
        resp = _message(
            request,
            None,
            "Too many answers from your address",
            f"Please wait {state.retry_after} seconds and send again. "
            "Your answers on this page were not kept.",
            status=429,
        )
        resp["Retry-After"] = str(state.retry_after)
        return resp
    return None


def _is_bot(request) -> str | None:
    if request.POST.get(HONEYPOT):
        return "This form was filled in by a program, so it was not kept."
    return None


@require_http_methods(["GET", "POST"])
@_frameable_preview
def survey_start(request, slug: str):
    survey = get_object_or_404(Survey.objects.select_related("current_version"), slug=slug)
    preview = _is_preview(request, survey)
    if survey.status == Survey.Status.CLOSED and not preview:
        return _closed(request, survey)
    if (survey.status != Survey.Status.LIVE or survey.current_version_id is None) and not preview:
        return _message(request, None, "Survey not found", "There is no open survey at this address.", 404)
    defn = survey.parsed() if preview else survey.current_version.parsed()
    language = services.pick_language(
        defn, request.GET.get("lang"), request.META.get("HTTP_ACCEPT_LANGUAGE", "")
    )
    hidden = services.clean_hidden(defn, request.GET)
    response = services.response_new(
        survey=survey, via=Response.Via.LINK, language=language, hidden=hidden, preview=preview
    )
    if request.method == "GET":
        if defn.welcome and not request.GET.get("start"):
            return welcome_page(request, survey, defn, language, preview=preview)
        state = engine.State.load(response.state, seed=response.token)
        first = engine.next_page(defn, state, None)
        if isinstance(first, str):  # nothing to ask (every page hidden by logic)
            return _message(request, survey, "Nothing to answer", "This survey has no questions for you.")
        return _render_page(request, survey, defn, response, first, language, preview=preview)
    throttled = _throttled(request)
    if throttled:
        return throttled
    bot = _is_bot(request)
    if bot:
        return _message(request, survey, "Not sent", bot, status=400)
    age = _timer_age(request.POST.get(TIMER))
    page_index = _as_int(request.POST.get("_page"))
    if not isinstance(page_index, int):
        return _message(request, survey, "Not sent", "The form was incomplete; reload the survey.", 400)
    if age is None or age < MIN_SECONDS:
        state = engine.State.load(response.state, seed=response.token)
        pages = engine.pages(defn, state)
        page = pages[min(max(page_index, 0), len(pages) - 1)]
        return _render_page(
            request, survey, defn, response, page.index, language,
            form_error="That was very quick. Please check your answers and send them again.",
            posted=request.POST, preview=preview,
        )  # fmt: skip
    return _submit(request, survey, defn, response, page_index, language, preview)


def _submit(request, survey, defn, response, page_index, language, preview):
    state = engine.State.load(response.state, seed=response.token)
    all_pages = engine.pages(defn, state)
    if not 0 <= page_index < len(all_pages):
        return _message(request, survey, "Not sent", "That page is not part of this survey; reload it.", 400)
    submitted, others = _collect(defn, all_pages[page_index], state, request.POST)
    try:
        result = services.response_submit_page(
            response=response,
            page_index=page_index,
            submitted=submitted,
            others=others,
            add_instance=request.POST.get("_add") or None,
        )
    except Conflict as exc:
        return _message(request, survey, "Thank you", exc.message, 409)
    except (NotFound, ServiceError) as exc:
        return _message(request, survey, "Not sent", exc.message, 400)
    if result.errors:
        return _render_page(
            request, survey, defn, result.response, page_index, language,
            errors=result.errors, posted=request.POST, preview=preview,
        )  # fmt: skip
    url = reverse("survey_resume", args=[survey.slug, result.response.token])
    return _see_other(url)


def _see_other(url: str) -> HttpResponse:
    resp = HttpResponse(status=303)
    resp["Location"] = url
    return resp


@require_http_methods(["GET", "POST"])
@_frameable_preview
def survey_resume(request, slug: str, token: str):
    survey = get_object_or_404(Survey.objects.select_related("current_version"), slug=slug)
    try:
        response = services.response_by_token(survey=survey, token=token)
    except NotFound as exc:
        return _message(request, survey, "Link not valid", exc.message, 404)
    preview = request.survey_preview = response.via == Response.Via.PREVIEW
    defn = services.definition_of(response)
    language = response.language or defn.default_language
    if response.status == Response.Status.COMPLETED:
        if request.method == "POST":
            return _message(request, survey, "Thank you", "This survey has been answered already.", 409)
        return _ending(request, survey, defn, response, language)
    if survey.status == Survey.Status.CLOSED and not preview:
        return _closed(request, survey)
    if request.method == "GET":
        state = engine.State.load(response.state, seed=response.token)
        page = response.page if response.page is not None else engine.next_page(defn, state, None)
        if isinstance(page, str):
            return _ending(request, survey, defn, response, language)
        return _render_page(request, survey, defn, response, page, language, preview=preview)
    throttled = _throttled(request)
    if throttled:
        return throttled
    bot = _is_bot(request)
    if bot:
        return _message(request, survey, "Not sent", bot, status=400)
    page_index = _as_int(request.POST.get("_page"))
    if not isinstance(page_index, int):
        return _message(request, survey, "Not sent", "The form was incomplete; reload the survey.", 400)
    return _submit(request, survey, defn, response, page_index, language, preview)


def survey_theme(request, slug: str):
    """The survey's brand colour as a style sheet (the pages allow no inline styles)."""
    survey = get_object_or_404(Survey, slug=slug)
    colour = survey.parsed().theme.colour
    css = f":root{{--brand:{colour};}}\n"
    resp = HttpResponse(css, content_type="text/css; charset=utf-8")
    resp["Cache-Control"] = "public, max-age=300"
    return resp
