"""What an invitation says: the email (HTML and plain text, the first question embedded, an unsubscribe link
and List-Unsubscribe headers) and the text message."""

from __future__ import annotations

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string

from cxloop.surveys.definition import SurveyDefinition

from . import links
from .models import Invitation

SMS_MAX_NAME = 40


def _definition(invitation: Invitation) -> SurveyDefinition:
    survey = invitation.survey
    version = survey.current_version
    return version.parsed() if version is not None else survey.parsed()


def invitation_email(
    invitation: Invitation, *, subject: str = "", reminder: bool = False
) -> EmailMultiAlternatives:
    survey = invitation.survey
    defn = _definition(invitation)
    language = defn.default_language
    token = invitation.token
    unsubscribe = links.unsubscribe_url(
        workspace_id=invitation.workspace_id, customer_id=invitation.customer_id
    )
    context = {
        "workspace_name": invitation.workspace.name,
        "survey_name": survey.name,
        "customer_name": invitation.customer.name,
        "question": links.embedded_question(defn, language, survey.slug, token),
        "start_url": links.absolute(links.invitation_path(survey.slug, token)),
        "unsubscribe_url": unsubscribe,
        "expires_at": invitation.expires_at,
        "reminder": reminder,
    }
    subject = subject or f"{invitation.workspace.name}: {survey.name}"
    if reminder:
        subject = f"Reminder: {subject}"
    message = EmailMultiAlternatives(
        subject=subject,
        body=render_to_string("outreach/email/invitation.txt", context),
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[invitation.address],
        headers={
            "List-Unsubscribe": f"<{unsubscribe}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
            "Auto-Submitted": "auto-generated",
        },
    )
    message.attach_alternative(render_to_string("outreach/email/invitation.html", context), "text/html")
    return message


def invitation_sms(invitation: Invitation, *, reminder: bool = False) -> str:
    survey = invitation.survey
    name = survey.name if len(survey.name) <= SMS_MAX_NAME else survey.name[: SMS_MAX_NAME - 1] + "…"
    link = links.absolute(links.invitation_path(survey.slug, invitation.token))
    stop = links.unsubscribe_url(workspace_id=invitation.workspace_id, customer_id=invitation.customer_id)
    lead = "Reminder: " if reminder else ""
    return f"{lead}{invitation.workspace.name} asks: {name}. Answer here: {link} Opt out: {stop}"
