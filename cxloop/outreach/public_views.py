"""The public pages an invitation leads to: the personal survey link /s/<slug>/i/<token>/ and the unsubscribe
link /unsubscribe/<signed>/. The survey pages themselves are the surveys app's (its page rendering, bot
checks and rate limit are reused here, not copied).

A GET never stores an answer: mail scanners open links before people do. A score clicked in the email is
shown chosen and stored when the respondent sends the page.
"""

from __future__ import annotations

from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from cxloop.accounts.models import Workspace
from cxloop.core.exceptions import Conflict, NotFound, ServiceError
from cxloop.customers.services import customer_unsubscribe
from cxloop.surveys import engine
from cxloop.surveys import public_views as pages
from cxloop.surveys import services as survey_services
from cxloop.surveys.models import Survey

from . import links, selectors, services


def _closed(request, survey: Survey):
    if survey.status == Survey.Status.CLOSED:
        text = survey.closed_message or "Thank you for your interest."
        return pages._message(request, survey, "This survey is closed", text, 410)
    if survey.status != Survey.Status.LIVE or survey.current_version_id is None:
        return pages._message(
            request, None, "Survey not found", "There is no open survey at this address.", 404
        )
    return None


@require_http_methods(["GET", "POST"])
def survey_invitation(request, slug: str, token: str):
    survey = get_object_or_404(Survey.objects.select_related("current_version"), slug=slug)
    invitation = selectors.invitation_by_token(survey=survey, token=token)
    if invitation is None:
        return pages._message(
            request,
            survey,
            "Link not valid",
            "This invitation link is not valid. Check that it was copied whole from the email or message.",
            404,
        )
    if invitation.answered_at is not None:
        return pages._message(
            request,
            survey,
            "Already answered",
            "This survey was answered with this link already. Thank you!",
            409,
        )
    partial = invitation.response  # started through this link, not finished
    if partial is None and invitation.expired:
        return pages._message(
            request,
            survey,
            "This link has expired",
            f"The invitation was open until {invitation.expires_at:%d %B %Y}. Thank you for your interest.",
            410,
        )
    closed = _closed(request, survey)
    if closed:
        return closed
    if partial is not None and request.method == "GET":
        return HttpResponseRedirect(reverse("survey_resume", args=[survey.slug, partial.token]))
    if partial is not None:
        defn, language, response = survey_services.definition_of(partial), partial.language, partial
        clicked = {}
    else:
        defn = survey.current_version.parsed()
        language = survey_services.pick_language(
            defn, request.GET.get("lang"), request.META.get("HTTP_ACCEPT_LANGUAGE", "")
        )
        clicked = links.clicked_answer(defn, request.GET)
        response = survey_services.response_new(
            survey=survey,
            via=invitation.channel,
            language=language,
            hidden=survey_services.clean_hidden(defn, request.GET),
            customer_id=invitation.customer_id,
            answers=clicked,
        )
    if request.method == "GET":
        services.invitation_opened(invitation=invitation)
        return _first_page(request, survey, defn, response, language, clicked)
    throttled = pages._throttled(request)
    if throttled:
        return throttled
    bot = pages._is_bot(request)
    if bot:
        return pages._message(request, survey, "Not sent", bot, status=400)
    page_index = pages._as_int(request.POST.get("_page"))
    state = engine.State.load(response.state, seed=response.token)
    all_pages = engine.pages(defn, state)
    if not isinstance(page_index, int) or not 0 <= page_index < len(all_pages):
        return pages._message(request, survey, "Not sent", "The form was incomplete; reload the survey.", 400)
    submitted, others = pages._collect(defn, all_pages[page_index], state, request.POST)
    try:
        result = services.invitation_submit_page(
            invitation=invitation,
            response=response,
            page_index=page_index,
            submitted=submitted,
            others=others,
            add_instance=request.POST.get("_add") or None,
        )
    except Conflict as exc:
        return pages._message(request, survey, "Thank you", exc.message, 409)
    except (NotFound, ServiceError) as exc:
        return pages._message(request, survey, "Not sent", exc.message, 400)
    if result.errors:
        return pages._render_page(
            request,
            survey,
            defn,
            result.response,
            page_index,
            language,
            errors=result.errors,
            posted=request.POST,
        )
    return pages._see_other(reverse("survey_resume", args=[survey.slug, result.response.token]))


def _first_page(request, survey, defn, response, language, clicked):
    if defn.welcome and not clicked and not request.GET.get("start"):
        return pages.welcome_page(request, survey, defn, language)
    state = engine.State.load(response.state, seed=response.token)
    first = engine.next_page(defn, state, None)
    if isinstance(first, str):
        return pages._message(request, survey, "Nothing to answer", "This survey has no questions for you.")
    return pages._render_page(request, survey, defn, response, first, language)


# The signed token is the capability; mail providers' one-click unsubscribe POSTs carry no CSRF token.
@csrf_exempt
@require_http_methods(["GET", "POST"])
def unsubscribe(request, token: str):
    ids = links.unsubscribe_ids(token)
    workspace = Workspace.objects.filter(pk=ids[0]).first() if ids else None
    if workspace is None:
        return pages._message(
            request,
            None,
            "Link not valid",
            "This unsubscribe link is not valid. Check that it was copied whole.",
            404,
        )
    if request.method == "GET":  # a confirmation: mail scanners open links, people press the button
        return render(request, "outreach/public/unsubscribe.html", {"workspace_name": workspace.name})
    try:
        customer_unsubscribe(workspace=workspace, customer_id=ids[1])
    except NotFound:
        return pages._message(request, None, "Link not valid", "We hold no record of you any more.", 404)
    return pages._message(
        request,
        None,
        "You are unsubscribed",
        f"{workspace.name} will not send you surveys any more.",
    )
