"""Staff pages of survey outreach: invite an audience (with a preview of who would be suppressed and why),
a campaign's invitations and their status, Settings › Outreach (the cooldown), and QR codes of a survey's
public link."""

from __future__ import annotations

import io
from urllib.parse import urlencode

import segno
from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from cxloop.accounts.access import workspace_view
from cxloop.accounts.roles import Perm
from cxloop.core.exceptions import ServiceError
from cxloop.surveys import selectors as survey_selectors
from cxloop.surveys import services as survey_services
from cxloop.surveys.models import Survey
from cxloop.surveys.views import public_url

from . import selectors, services, sms
from .audience import SEGMENT_FIELDS, Audience, reason_label, segment_values
from .models import Channel

DEFAULT_EXPIRY_DAYS = 14
DEFAULT_REMINDER_DAYS = 3


def _survey(request, survey_id: int) -> Survey:
    survey = survey_selectors.survey_get(workspace=request.workspace, survey_id=survey_id)
    if survey is None:
        raise Http404("No such survey.")
    return survey


def _days(data, name: str, label: str, *, optional: bool = False) -> int | None:
    raw = (data.get(name) or "").strip()
    if not raw and optional:
        return None
    try:
        return int(raw)
    except ValueError:
        raise ServiceError(
            f"{label}: {raw or 'nothing'!r} is not a whole number of days.", field=name
        ) from None


@workspace_view(Perm.ANALYSE)
@require_http_methods(["GET", "POST"])
def survey_invite(request, survey_id: int):
    survey = _survey(request, survey_id)
    form = {
        "audience": "all",
        "channel": Channel.EMAIL,
        "entries": "",
        "subject": "",
        "expires_after_days": str(DEFAULT_EXPIRY_DAYS),
        "reminder_after_days": str(DEFAULT_REMINDER_DAYS),
        **{f: "" for f in SEGMENT_FIELDS},
    }
    preview = error = error_field = None
    status = 200
    if request.method == "POST":
        form.update({k: request.POST.get(k, default) for k, default in form.items()})
        try:
            audience = Audience.from_data(request.POST)
            channel = form["channel"]
            if request.POST.get("action") == "send":
                campaign = services.campaign_create_and_send(
                    workspace=request.workspace,
                    survey=survey,
                    actor=request.user,
                    audience=audience,
                    channel=channel,
                    expires_after_days=_days(form, "expires_after_days", "Links expire after"),
                    reminder_after_days=_days(form, "reminder_after_days", "Remind after", optional=True),
                    subject=form["subject"],
                )
                messages.success(
                    request,
                    f"Sending {campaign.targeted - sum(campaign.suppressed.values())} invitations "
                    f"by {campaign.get_channel_display().lower()}.",
                )
                return redirect("outreach_campaign", survey.pk, campaign.pk)
            preview = services.audience_preview(
                workspace=request.workspace, audience=audience, channel=channel
            )
        except ServiceError as exc:
            error, error_field, status = exc.message, exc.field, 422
    return render(
        request,
        "outreach/invite.html",
        {
            "survey": survey,
            "form": form,
            "preview": preview,
            "error": error,
            "error_field": error_field,
            "sms_on": sms.sms_configured(),
            "sms_off_message": sms.OFF_MESSAGE,
            "segment_fields": [(f, v, form[f]) for f, v in segment_values(request.workspace).items()],
            "campaigns": selectors.campaigns_for_survey(workspace=request.workspace, survey=survey),
            "cooldown_days": services.cooldown_days(request.workspace),
        },
        status=status,
    )


@workspace_view(Perm.ANALYSE)
def campaign_detail(request, survey_id: int, campaign_id: int):
    survey = _survey(request, survey_id)
    campaign = selectors.campaign_get(workspace=request.workspace, survey=survey, campaign_id=campaign_id)
    if campaign is None:
        raise Http404("No such campaign.")
    status = request.GET.get("status") or None
    limit = 500
    invitations = list(selectors.campaign_invitations(campaign=campaign, status=status, limit=limit))
    cooldown = services.cooldown_days(request.workspace)
    return render(
        request,
        "outreach/campaign.html",
        {
            "survey": survey,
            "campaign": campaign,
            "stats": selectors.campaign_stats(campaign=campaign),
            "invitations": invitations,
            "limited": len(invitations) == limit,
            "statuses": selectors.STATUSES,
            "status": status if status in selectors.STATUSES else None,
            "suppressed": [(reason_label(r, cooldown), n) for r, n in campaign.suppressed.items()],
            "suppressed_total": sum(campaign.suppressed.values()),
        },
    )


@workspace_view(Perm.MANAGE_WORKSPACE)
@require_http_methods(["GET", "POST"])
def outreach_settings(request):
    value = str(services.cooldown_days(request.workspace))
    error = None
    if request.method == "POST":
        value = request.POST.get("cooldown_days", "").strip()
        try:
            days = _days(request.POST, "cooldown_days", "Cooldown")
            services.outreach_settings_update(
                workspace=request.workspace, actor=request.user, cooldown_days=days
            )
        except ServiceError as exc:
            error = exc.message
        else:
            messages.success(
                request,
                f"No customer is asked more than once in {days} days."
                if days
                else "The contact-frequency rule is off: customers can be asked at any time.",
            )
            return redirect("outreach_settings")
    return render(
        request,
        "outreach/settings.html",
        {"tab": "outreach", "cooldown_days": value, "error": error},
        status=422 if error else 200,
    )


@workspace_view(Perm.VIEW_DATA)
def survey_qr(request, survey_id: int, kind: str):
    """The survey's public link as a QR code to download (SVG for print, PNG), with hidden field values
    from the query string: /surveys/7/qr.svg?touchpoint=store-berlin."""
    survey = _survey(request, survey_id)
    defn = survey.current_version.parsed() if survey.current_version else survey.parsed()
    unknown = sorted(set(request.GET) - set(defn.hidden_fields))
    if unknown:
        declared = ", ".join(defn.hidden_fields) or "none"
        return HttpResponse(
            f"{unknown[0]!r} is not a hidden field of this survey (its hidden fields: {declared}).",
            status=400,
            content_type="text/plain; charset=utf-8",
        )
    hidden = survey_services.clean_hidden(defn, request.GET)
    url = public_url(request, survey) + (f"?{urlencode(hidden)}" if hidden else "")
    qr = segno.make(url, error="m", micro=False)
    out = io.BytesIO()
    if kind == "svg":
        qr.save(out, kind="svg", scale=10, border=4, title=url)
        content_type = "image/svg+xml"
    else:
        qr.save(out, kind="png", scale=10, border=4)
        content_type = "image/png"
    resp = HttpResponse(out.getvalue(), content_type=content_type)
    resp["Content-Disposition"] = f'attachment; filename="survey-{survey.slug}-qr.{kind}"'
    return resp
