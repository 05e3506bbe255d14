"""Writes of survey outreach (and the checks they rest on): who may be asked, campaigns that invite a list or
segment by email or SMS, sending and reminding in the background, bounces, and the invitation link's answers.

The chain a campaign follows, top to bottom:
    campaign_create_and_send  → invitations + contact log rows (one transaction; the frequency rule holds)
      └─ on commit: tasks.send_campaign → campaign_send → one email / SMS per invitation
      └─ on commit: tasks.send_reminders, run after N days → campaign_send_reminders (non-responders, once)
    the link /s/<slug>/i/<token>/ → invitation_opened, invitation_submit_page (→ surveys.response_submit_page)
"""

from __future__ import annotations

import logging
import smtplib
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.core.mail import get_connection
from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone

from cxloop.accounts.models import User, Workspace
from cxloop.core.exceptions import Conflict, ServiceError
from cxloop.customers.models import Customer
from cxloop.customers.schemas import normalize_email
from cxloop.surveys import services as survey_services
from cxloop.surveys.models import Response, Survey

from . import messages, sms
from .audience import REASONS, Audience, reason_label, resolve, suppressed_counts, with_reasons
from .models import (
    SEND_CHANNELS,
    Bounce,
    Campaign,
    Channel,
    Contact,
    Invitation,
    OutreachSettings,
    new_nonce,
    token_for,
    token_hash,
)

log = logging.getLogger(__name__)

MAX_COOLDOWN_DAYS = 365
MAX_EXPIRY_DAYS = 90
MAX_BOUNCES_PER_CALL = 1000
SEND_CHUNK = 200


class InputInvalid(ServiceError):
    status = 422


def cooldown_days(workspace: Workspace) -> int:
    value = (
        OutreachSettings.objects.filter(workspace=workspace).values_list("cooldown_days", flat=True).first()
    )
    return 30 if value is None else value


# -- who may be asked ---------------------------------------------------------------------------------------
def contact_check(*, workspace: Workspace, customer_ids, channel: str, now: datetime | None = None) -> dict:
    """{customer id: reason or None} for each id: None means the customer may be asked now on `channel`
    ("email", "sms" or "widget"). Reasons: unknown, unsubscribed, consent_withdrawn, no_email, no_phone,
    bounced, cooldown (asked within the workspace's cooldown, any survey, any channel). One query."""
    ids = list(dict.fromkeys(int(i) for i in customer_ids))
    qs = Customer.objects.filter(workspace=workspace, merged_into__isnull=True, pk__in=ids)
    found = dict(
        with_reasons(
            qs,
            workspace=workspace,
            channel=channel,
            cooldown_days=cooldown_days(workspace),
            now=now or timezone.now(),
        ).values_list("pk", "reason")
    )
    return {i: found.get(i, "unknown") for i in ids}


@transaction.atomic
def contact_record(
    *, workspace: Workspace, customer_id: int, channel: str, survey: Survey | None = None
) -> Contact:
    """Log that a customer was asked (e.g. the widget showed a survey): the frequency rule counts it."""
    if not Customer.objects.filter(workspace=workspace, pk=customer_id).exists():
        raise ServiceError(f"No customer with id {customer_id} in this workspace.")
    return Contact.objects.create(
        workspace=workspace, customer_id=customer_id, channel=channel, survey=survey
    )


@dataclass
class AudiencePreview:
    targeted: int
    allowed: int
    suppressed: dict[str, int]  # reason → customers
    unmatched: list[str] = field(default_factory=list)  # pasted entries that matched no customer
    cooldown_days: int = 0

    @property
    def suppressed_total(self) -> int:
        return sum(self.suppressed.values())

    def reasons(self) -> list[tuple[str, str, int]]:
        """(reason, label, customers), in the order the checks apply."""
        return [
            (r, reason_label(r, self.cooldown_days), self.suppressed[r])
            for r in REASONS
            if r in self.suppressed
        ]


def _plan(workspace: Workspace, audience: Audience, channel: str, now: datetime):
    days = cooldown_days(workspace)
    qs, unmatched = resolve(workspace, audience)
    annotated = with_reasons(qs, workspace=workspace, channel=channel, cooldown_days=days, now=now)
    return annotated, unmatched, days


def audience_preview(*, workspace: Workspace, audience: Audience, channel: str) -> AudiencePreview:
    """How many of an audience would be invited on `channel` now, and how many not, by reason."""
    _check_channel(channel)
    annotated, unmatched, days = _plan(workspace, audience, channel, timezone.now())
    counts = suppressed_counts(annotated)
    allowed = counts.pop("", 0)
    return AudiencePreview(
        targeted=allowed + sum(counts.values()),
        allowed=allowed,
        suppressed=counts,
        unmatched=unmatched,
        cooldown_days=days,
    )


def _check_channel(channel: str) -> None:
    if channel not in SEND_CHANNELS:
        raise ServiceError(f"Channel {channel!r} is not one of: email, sms.", field="channel")
    if channel == Channel.SMS and not sms.sms_configured():
        raise ServiceError(sms.OFF_MESSAGE, field="channel")


# -- campaigns ----------------------------------------------------------------------------------------------
def campaign_create_and_send(
    *,
    workspace: Workspace,
    survey: Survey,
    actor: User | None,
    audience: Audience,
    channel: str,
    expires_after_days: int,
    reminder_after_days: int | None = None,
    subject: str = "",
) -> Campaign:
    """Invite an audience to a live survey: one personal link per customer who may be asked (see
    contact_check); sending happens in the background, and a reminder is scheduled when asked for."""
    _check_channel(channel)
    if survey.workspace_id != workspace.pk:
        raise ServiceError("No such survey in this workspace.")
    if survey.status != Survey.Status.LIVE or survey.current_version_id is None:
        raise Conflict("Publish the survey first: only a live survey can be sent.")
    if not 1 <= expires_after_days <= MAX_EXPIRY_DAYS:
        raise ServiceError(
            f"Links expire after 1 to {MAX_EXPIRY_DAYS} days (you asked for {expires_after_days}).",
            field="expires_after_days",
        )
    if reminder_after_days is not None and not 1 <= reminder_after_days < expires_after_days:
        raise ServiceError(
            f"A reminder goes out after 1 to {expires_after_days - 1} days, before the links expire "
            f"(you asked for {reminder_after_days}).",
            field="reminder_after_days",
        )
    with transaction.atomic():
        # One campaign at a time per workspace: two sends at once cannot both pass the frequency rule.
        OutreachSettings.objects.get_or_create(workspace=workspace)
        OutreachSettings.objects.select_for_update().get(workspace=workspace)
        now = timezone.now()
        annotated, unmatched, _days = _plan(workspace, audience, channel, now)
        rows = list(annotated.values_list("pk", "reason", "email_address", "phone_number"))
        allowed = [
            (pk, email if channel == Channel.EMAIL else phone)
            for pk, reason, email, phone in rows
            if reason is None
        ]
        suppressed: dict[str, int] = {}
        for _pk, reason, _email, _phone in rows:
            if reason is not None:
                suppressed[reason] = suppressed.get(reason, 0) + 1
        if not allowed:
            raise ServiceError(
                f"No one to send to: all {len(rows)} customers of this audience are suppressed."
                if rows
                else "No customer matches this audience."
            )
        campaign = Campaign.objects.create(
            workspace=workspace,
            survey=survey,
            channel=channel,
            audience=audience.to_json(),
            audience_label=audience.label()[:300],
            subject=subject.strip()[:200],
            targeted=len(rows),
            suppressed=suppressed,
            unmatched=len(unmatched),
            expires_after_days=expires_after_days,
            reminder_after_days=reminder_after_days,
            created_by=actor,
            created_at=now,
        )
        expires_at = now + timedelta(days=expires_after_days)
        invitations = []
        for customer_id, address in allowed:
            nonce = new_nonce()
            invitations.append(
                Invitation(
                    workspace=workspace,
                    campaign=campaign,
                    survey=survey,
                    customer_id=customer_id,
                    channel=channel,
                    address=address,
                    token_nonce=nonce,
                    token_hash=token_hash(token_for(nonce)),
                    created_at=now,
                    expires_at=expires_at,
                    created_by=actor,
                )
            )
        Invitation.objects.bulk_create(invitations, batch_size=1000)
        Contact.objects.bulk_create(
            [
                Contact(
                    workspace=workspace,
                    customer_id=inv.customer_id,
                    channel=channel,
                    survey=survey,
                    invitation=inv,
                    contacted_at=now,
                )
                for inv in invitations
            ],
            batch_size=1000,
        )
        transaction.on_commit(lambda: _enqueue_send(campaign.pk))
        if reminder_after_days is not None:
            transaction.on_commit(lambda: _schedule_reminders(campaign))
    return campaign


def _enqueue_send(campaign_id: int) -> None:
    from .tasks import send_campaign

    send_campaign.enqueue(campaign_id=campaign_id)


def _schedule_reminders(campaign: Campaign) -> None:
    from .tasks import send_reminders

    if not send_reminders.get_backend().supports_defer:
        # Only the inline backend of the tests cannot wait; there the task is called when due.
        log.warning("Task backend cannot run tasks later: no reminder scheduled for campaign %s", campaign.pk)
        return
    send_reminders.using(run_after=campaign.reminder_due_at).enqueue(campaign_id=campaign.pk)


def _refusal(exc: smtplib.SMTPRecipientsRefused) -> str:
    parts = []
    for address, (code, text) in exc.recipients.items():
        detail = text.decode("utf-8", "replace") if isinstance(text, bytes) else str(text)
        parts.append(f"{address}: {code} {detail}")
    return ("Mail server refused the address: " + "; ".join(parts))[:300]


def _deliver(invitation: Invitation, *, connection, subject: str, reminder: bool) -> tuple[str, str]:
    """Send one invitation (or its reminder). Returns ("sent" | "bounced" | "failed", detail)."""
    if invitation.channel == Channel.EMAIL:
        message = messages.invitation_email(invitation, subject=subject, reminder=reminder)
        message.connection = connection
        try:
            message.send()
        except smtplib.SMTPRecipientsRefused as exc:
            return "bounced", _refusal(exc)
        except (smtplib.SMTPException, OSError) as exc:
            connection.close()  # the next message opens a fresh connection
            return "failed", f"Email not sent: {exc}"[:1000]
        return "sent", ""
    try:
        sms.sms_send(to=invitation.address, body=messages.invitation_sms(invitation, reminder=reminder))
    except sms.SmsError as exc:
        return "failed", str(exc)
    return "sent", ""


def _record_bounce(workspace_id: int, address: str, source: str, detail: str) -> None:
    Bounce.objects.bulk_create(
        [Bounce(workspace_id=workspace_id, address=address.lower(), source=source, detail=detail[:300])],
        ignore_conflicts=True,
    )


def _not_askable(customer: Customer) -> str:
    if customer.unsubscribed_at is not None:
        return "Not sent: the customer unsubscribed before it went out."
    if customer.consent == Customer.Consent.WITHDRAWN:
        return "Not sent: the customer withdrew consent before it went out."
    return ""


def campaign_send(*, campaign_id: int) -> Campaign | None:
    """Send a campaign's unsent invitations. Each is claimed before it goes out (sent_at set in one UPDATE),
    so a task run twice never sends twice; a send that fails clears the claim and keeps the reason."""
    campaign = Campaign.objects.select_related("workspace", "survey").filter(pk=campaign_id).first()
    if campaign is None:
        return None
    pending = Invitation.objects.filter(
        campaign=campaign, sent_at__isnull=True, bounced_at__isnull=True, error=""
    )
    if campaign.survey.status != Survey.Status.LIVE:
        ids = list(pending.values_list("pk", flat=True))
        pending.update(error="Not sent: the survey was closed before it went out.")
        Contact.objects.filter(invitation_id__in=ids).delete()
        return campaign_refresh_counts(campaign)
    ids = list(pending.order_by("pk").values_list("pk", flat=True))
    connection = get_connection()
    try:
        for start in range(0, len(ids), SEND_CHUNK):
            chunk = (
                Invitation.objects.filter(pk__in=ids[start : start + SEND_CHUNK])
                .select_related("workspace", "customer", "survey__current_version")
                .order_by("pk")
            )
            for invitation in chunk:
                _send_one(invitation, connection=connection, subject=campaign.subject)
    finally:
        connection.close()
    return campaign_refresh_counts(campaign)


def _send_one(invitation: Invitation, *, connection, subject: str) -> None:
    now = timezone.now()
    claimed = Invitation.objects.filter(
        pk=invitation.pk, sent_at__isnull=True, bounced_at__isnull=True, error=""
    ).update(sent_at=now)
    if not claimed:
        return
    refused = _not_askable(invitation.customer)
    outcome, detail = (
        ("failed", refused)
        if refused
        else _deliver(invitation, connection=connection, subject=subject, reminder=False)
    )
    if outcome == "sent":
        return
    changes: dict[str, Any] = {"sent_at": None, "error": detail}
    if outcome == "bounced":
        changes["bounced_at"] = now
        _record_bounce(invitation.workspace_id, invitation.address, Bounce.Source.SMTP, detail)
    Invitation.objects.filter(pk=invitation.pk).update(**changes)
    Contact.objects.filter(invitation_id=invitation.pk).delete()  # not asked after all


def campaign_refresh_counts(campaign: Campaign) -> Campaign:
    from django.db.models import Count, Q

    counts = Invitation.objects.filter(campaign=campaign).aggregate(
        sent=Count("pk", filter=Q(sent_at__isnull=False)),
        failed=Count("pk", filter=Q(sent_at__isnull=True) & (~Q(error="") | Q(bounced_at__isnull=False))),
    )
    campaign.sent, campaign.failed = counts["sent"], counts["failed"]
    campaign.save(update_fields=["sent", "failed"])
    return campaign


def campaign_send_reminders(*, campaign_id: int, now: datetime | None = None) -> int | None:
    """Remind, once, the campaign's invitees who have not answered: never after their link expired, never
    someone who answered, unsubscribed, withdrew consent or bounced meanwhile. Returns how many were
    reminded, or None when the reminder is not due yet."""
    now = now or timezone.now()
    campaign = Campaign.objects.select_related("workspace").filter(pk=campaign_id).first()
    if campaign is None or campaign.reminder_after_days is None or campaign.reminders_done_at is not None:
        return 0
    if now < campaign.reminder_due_at:
        return None
    due = (
        Invitation.objects.filter(
            campaign=campaign,
            sent_at__isnull=False,
            bounced_at__isnull=True,
            reminder_sent_at__isnull=True,
            expires_at__gt=now,
            customer__unsubscribed_at__isnull=True,
        )
        .exclude(customer__consent=Customer.Consent.WITHDRAWN)
        .exclude(response__status=Response.Status.COMPLETED)
        .exclude(
            Exists(Bounce.objects.filter(workspace_id=campaign.workspace_id, address=OuterRef("address")))
        )
        .select_related("workspace", "customer", "survey__current_version")
        .order_by("pk")
    )
    reminded = 0
    connection = get_connection()
    try:
        for invitation in list(due):
            claimed = Invitation.objects.filter(pk=invitation.pk, reminder_sent_at__isnull=True).update(
                reminder_sent_at=now
            )
            if not claimed:
                continue
            outcome, detail = _deliver(
                invitation, connection=connection, subject=campaign.subject, reminder=True
            )
            if outcome == "sent":
                reminded += 1
                continue
            changes: dict[str, Any] = {"error": f"Reminder not sent. {detail}"[:1000]}
            if outcome == "bounced":
                changes["bounced_at"] = now
                _record_bounce(invitation.workspace_id, invitation.address, Bounce.Source.SMTP, detail)
            Invitation.objects.filter(pk=invitation.pk).update(**changes)
    finally:
        connection.close()
    Campaign.objects.filter(pk=campaign.pk).update(reminders_sent=reminded, reminders_done_at=now)
    return reminded


# -- bounces ------------------------------------------------------------------------------------------------
@transaction.atomic
def bounces_record(
    *, workspace: Workspace, emails: list[str], source: str = Bounce.Source.WEBHOOK, detail: str = ""
) -> tuple[int, int]:
    """Mark addresses as bounced (a mail provider's bounce webhook): later sends skip them, and their
    open invitations show bounced. Returns (addresses, invitations marked)."""
    if not emails:
        raise InputInvalid("emails: list at least one address.", field="emails")
    if len(emails) > MAX_BOUNCES_PER_CALL:
        raise InputInvalid(
            f"emails: at most {MAX_BOUNCES_PER_CALL} addresses a call (this has {len(emails)}).",
            field="emails",
        )
    addresses = []
    for i, raw in enumerate(emails):
        try:
            addresses.append(normalize_email(str(raw)))
        except ValueError:
            raise InputInvalid(f"emails.{i}: {raw!r} is not an email address.", field=f"emails.{i}") from None
    addresses = sorted(set(addresses))
    now = timezone.now()
    Bounce.objects.bulk_create(
        [
            Bounce(workspace=workspace, address=a, source=source, detail=detail[:300], created_at=now)
            for a in addresses
        ],
        ignore_conflicts=True,
    )
    hit = Invitation.objects.filter(
        workspace=workspace,
        channel=Channel.EMAIL,
        address__in=addresses,
        bounced_at__isnull=True,
        sent_at__isnull=False,
        expires_at__gt=now,
    ).exclude(response__status=Response.Status.COMPLETED)
    ids = list(hit.values_list("pk", flat=True))
    Invitation.objects.filter(pk__in=ids).update(bounced_at=now)
    Contact.objects.filter(invitation_id__in=ids).delete()
    return len(addresses), len(ids)


# -- the invitation link ------------------------------------------------------------------------------------
def invitation_opened(*, invitation: Invitation) -> None:
    if invitation.opened_at is None:
        now = timezone.now()
        Invitation.objects.filter(pk=invitation.pk, opened_at__isnull=True).update(opened_at=now)
        invitation.opened_at = now


@transaction.atomic
def invitation_submit_page(
    *,
    invitation: Invitation,
    response: Response,
    page_index: int,
    submitted: dict[str, Any],
    others: dict[str, str],
    add_instance: str | None = None,
) -> survey_services.PageResult:
    """Keep a page answered through an invitation link: its first stored page links the response to the
    invitation (so the link resumes it, and answers once); the response carries the customer."""
    locked = Invitation.objects.select_for_update().get(pk=invitation.pk)
    if locked.response_id is not None:
        current = Response.objects.get(pk=locked.response_id)
        if current.status == Response.Status.COMPLETED:
            raise Conflict("This survey was answered with this link already. Thank you!")
        response = current
    elif locked.expired:
        raise Conflict("This link has expired.")
    result = survey_services.response_submit_page(
        response=response,
        page_index=page_index,
        submitted=submitted,
        others=others,
        add_instance=add_instance,
    )
    if locked.response_id is None and result.response.pk:
        locked.response = result.response
        locked.opened_at = locked.opened_at or timezone.now()
        locked.save(update_fields=["response", "opened_at"])
    return result


# -- settings -----------------------------------------------------------------------------------------------
def outreach_settings_update(
    *, workspace: Workspace, actor: User | None, cooldown_days: int
) -> OutreachSettings:
    if not 0 <= cooldown_days <= MAX_COOLDOWN_DAYS:
        raise ServiceError(
            f"The cooldown is 0 (off) to {MAX_COOLDOWN_DAYS} days; {cooldown_days} is outside that.",
            field="cooldown_days",
        )
    obj, _ = OutreachSettings.objects.update_or_create(
        workspace=workspace,
        defaults={"cooldown_days": cooldown_days, "updated_by": actor, "updated_at": timezone.now()},
    )
    return obj
