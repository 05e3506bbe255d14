from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils import timezone as dj_timezone

from cxloop.accounts.models import Workspace
from cxloop.customers.models import Customer


class Channel(models.TextChoices):
    SURVEY = "survey", "Survey"
    EMAIL = "email", "Email"
    WEB_WIDGET = "web_widget", "Web widget"
    REVIEW = "review", "Review"
    SOCIAL = "social", "Social"
    TICKET = "ticket", "Support ticket"
    CHAT = "chat", "Chat"
    CALL = "call", "Call / interview"
    OTHER = "other", "Other"


class AnswerType(models.TextChoices):
    NPS = "nps", "NPS (0–10)"
    CSAT = "csat", "CSAT"
    CES = "ces", "CES"
    RATING = "rating", "Rating"
    TEXT = "text", "Text"
    CHOICE = "choice", "Choice"
    MULTI_CHOICE = "multi_choice", "Multiple choice"
    YES_NO = "yes_no", "Yes / no"
    NUMBER = "number", "Number"
    DATE = "date", "Date"


class FeedbackItem(models.Model):
    """One piece of feedback from one customer (or anonymous) at one moment, from any channel."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    customer = models.ForeignKey(
        Customer, null=True, blank=True, on_delete=models.SET_NULL, related_name="feedback_items"
    )
    channel = models.CharField(max_length=16, choices=Channel.choices)
    source = models.CharField(
        max_length=100, blank=True, help_text="e.g. Trustpilot, Zendesk, a survey's name"
    )
    touchpoint = models.CharField(
        max_length=100, blank=True, help_text="Journey stage, e.g. delivery, returns"
    )
    external_id = models.CharField(max_length=200, null=True, blank=True)
    occurred_at = models.DateTimeField()
    received_at = models.DateTimeField(default=dj_timezone.now)
    language = models.CharField(max_length=16, blank=True)
    title = models.CharField(max_length=300, blank=True)
    text = models.TextField(blank=True)
    metadata = models.JSONField(default=dict, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["workspace", "source", "external_id"],
                condition=Q(external_id__isnull=False),
                name="feedback_external_id_unique",
            )
        ]
        indexes = [
            models.Index(fields=["workspace", "-occurred_at", "-id"], name="feedback_ws_time"),
            models.Index(
                fields=["workspace", "channel", "-occurred_at", "-id"], name="feedback_ws_channel_time"
            ),
            models.Index(fields=["workspace", "source", "-occurred_at"], name="feedback_ws_source_time"),
            models.Index(fields=["customer", "-occurred_at"], name="feedback_customer_time"),
        ]

    def __str__(self) -> str:
        return f"{self.channel} {self.external_id or self.pk}"


class Answer(models.Model):
    """One typed answer of a feedback item. Metrics read these rows, so the item's workspace, channel and time
    are copied here (they never change after the item is stored) and indexed together."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    item = models.ForeignKey(FeedbackItem, on_delete=models.CASCADE, related_name="answers")
    key = models.CharField(max_length=100)
    type = models.CharField(max_length=16, choices=AnswerType.choices)
    value = models.FloatField(null=True, blank=True, help_text="Numeric value (scores, numbers, yes=1/no=0)")
    text = models.TextField(blank=True)
    choices = models.JSONField(null=True, blank=True)
    scale_min = models.SmallIntegerField(null=True, blank=True)
    scale_max = models.SmallIntegerField(null=True, blank=True)
    occurred_at = models.DateTimeField()
    channel = models.CharField(max_length=16, choices=Channel.choices)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["item", "key"], name="answer_unique_key_per_item")]
        indexes = [
            models.Index(fields=["workspace", "type", "occurred_at"], name="answer_ws_type_time"),
            models.Index(fields=["workspace", "key", "occurred_at"], name="answer_ws_key_time"),
        ]

    def __str__(self) -> str:
        return f"{self.key}={self.value if self.value is not None else self.text[:20]}"
