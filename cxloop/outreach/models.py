"""Survey outreach: invitations by email and SMS, the campaigns that send them, and what keeps customers from
being over-asked (a contact log for the frequency rule, bounced addresses).

An invitation's link carries a token that is derived from a random nonce with the server's secret key; the
database keeps the nonce and a sha256 of the token (for lookup), never the token itself, so a copy of the
database alone opens no survey. The same token goes into the first email and its reminder.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
from datetime import timedelta

from django.conf import settings
from django.db import models
from django.utils import timezone as dj_timezone
from django.utils.crypto import salted_hmac

from cxloop.accounts.models import Workspace
from cxloop.customers.models import Customer
from cxloop.surveys.models import Response, Survey

_TOKEN_SALT = "cxloop.outreach.invitation"


class Channel(models.TextChoices):
    EMAIL = "email", "Email"
    SMS = "sms", "SMS"
    WIDGET = "widget", "Website widget"


SEND_CHANNELS = (Channel.EMAIL, Channel.SMS)


def new_nonce() -> str:
    return secrets.token_urlsafe(16)


def token_for(nonce: str) -> str:
    """The link token of an invitation: HMAC of its nonce with SECRET_KEY (43 URL-safe characters)."""
    digest = salted_hmac(_TOKEN_SALT, nonce, algorithm="sha256").digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class OutreachSettings(models.Model):
    """A workspace's contact-frequency rule."""

    workspace = models.OneToOneField(Workspace, on_delete=models.CASCADE, related_name="+")
    cooldown_days = models.PositiveSmallIntegerField(
        default=30, help_text="Ask no customer more than once in this many days (0 = no limit)"
    )
    updated_at = models.DateTimeField(default=dj_timezone.now)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    def __str__(self) -> str:
        return f"outreach settings of {self.workspace_id}"


class Campaign(models.Model):
    """One send of a survey to a list or segment, with what happened to it."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="+")
    channel = models.CharField(max_length=8, choices=Channel.choices)
    audience = models.JSONField(help_text="The audience as chosen (kind, filters or pasted entries)")
    audience_label = models.CharField(max_length=300)
    subject = models.CharField(max_length=200, blank=True, help_text="Email subject")
    targeted = models.PositiveIntegerField(default=0, help_text="Customers in the audience")
    suppressed = models.JSONField(default=dict, help_text="{reason: customers not invited for it}")
    unmatched = models.PositiveIntegerField(default=0, help_text="Pasted entries that matched no customer")
    sent = models.PositiveIntegerField(default=0)
    failed = models.PositiveIntegerField(default=0, help_text="Not sent: refused or bounced")
    expires_after_days = models.PositiveSmallIntegerField()
    reminder_after_days = models.PositiveSmallIntegerField(null=True, blank=True)
    reminders_sent = models.PositiveIntegerField(default=0)
    reminders_done_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=dj_timezone.now)

    class Meta:
        indexes = [models.Index(fields=["workspace", "survey", "-created_at"], name="campaign_ws_survey")]

    def __str__(self) -> str:
        return f"campaign {self.pk} of survey {self.survey_id}"

    @property
    def reminder_due_at(self):
        if self.reminder_after_days is None:
            return None
        return self.created_at + timedelta(days=self.reminder_after_days)


class Invitation(models.Model):
    """A personal, single-use, expiring link to a survey, sent to one customer by email or SMS."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    campaign = models.ForeignKey(
        Campaign, null=True, blank=True, on_delete=models.CASCADE, related_name="invitations"
    )
    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="+")
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="+")
    channel = models.CharField(max_length=8, choices=Channel.choices)
    address = models.CharField(max_length=254, help_text="The email address or phone number used")
    token_nonce = models.CharField(max_length=32)
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=dj_timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField()
    opened_at = models.DateTimeField(null=True, blank=True)
    bounced_at = models.DateTimeField(null=True, blank=True)
    reminder_sent_at = models.DateTimeField(null=True, blank=True)
    error = models.TextField(blank=True)
    # Set when the first page is stored. Answered = this response is completed (Response.status is the one
    # place that says so; see `answered_at`).
    response = models.OneToOneField(
        Response, null=True, blank=True, on_delete=models.SET_NULL, related_name="invitation"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        indexes = [
            models.Index(fields=["campaign", "id"], name="invitation_campaign"),
            models.Index(fields=["workspace", "channel", "address"], name="invitation_ws_address"),
        ]

    def __str__(self) -> str:
        return f"invitation {self.pk} to {self.address}"

    @property
    def token(self) -> str:
        return token_for(self.token_nonce)

    @property
    def answered_at(self):
        """When the invitation's response was completed (None while unanswered)."""
        response = self.response if self.response_id else None
        if response is not None and response.status == Response.Status.COMPLETED:
            return response.completed_at
        return None

    @property
    def expired(self) -> bool:
        return self.expires_at <= dj_timezone.now()


class Contact(models.Model):
    """One time a customer was asked for feedback (an invitation, a widget prompt): the frequency rule reads
    this log, across all surveys and channels, with one query for a whole list."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="+")
    channel = models.CharField(max_length=8, choices=Channel.choices)
    survey = models.ForeignKey(Survey, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    invitation = models.OneToOneField(
        Invitation, null=True, blank=True, on_delete=models.CASCADE, related_name="contact"
    )
    contacted_at = models.DateTimeField(default=dj_timezone.now)

    class Meta:
        indexes = [models.Index(fields=["customer", "-contacted_at"], name="contact_customer_time")]

    def __str__(self) -> str:
        return f"contact of customer {self.customer_id} at {self.contacted_at:%Y-%m-%d}"


class Bounce(models.Model):
    """An email address that bounced (refused at send time, or reported by the mail provider's webhook):
    later sends skip it."""

    class Source(models.TextChoices):
        SMTP = "smtp", "Refused when sending"
        WEBHOOK = "webhook", "Reported by the mail provider"

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    address = models.CharField(max_length=254, help_text="Lower-case email address")
    source = models.CharField(max_length=8, choices=Source.choices)
    detail = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(default=dj_timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["workspace", "address"], name="bounce_unique_address")]

    def __str__(self) -> str:
        return self.address
