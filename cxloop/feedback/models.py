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

    @property
    def enrichment_or_none(self):
        """The models' reading of the text (cxloop.analysis), or None until the worker has read it."""
        return getattr(self, "enrichment", None)


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
            # Every column the metrics engine reads of an answer (cxloop/metrics/engine.py): its queries read
            # this index alone (measured by bench/metrics.py: NPS over a year of 1M answers 102 → 55 ms on
            # SQLite). Key columns, not INCLUDE: SQLite has no INCLUDE.
            models.Index(
                fields=["workspace", "type", "occurred_at", "key", "value", "scale_max", "item"],
                name="answer_ws_type_time_cover",
            ),
            models.Index(fields=["workspace", "key", "occurred_at"], name="answer_ws_key_time"),
        ]

    def __str__(self) -> str:
        return f"{self.key}={self.value if self.value is not None else self.text[:20]}"


class WebhookEndpoint(models.Model):
    """An address that a source (a helpdesk, a review site, a shop) posts its events to.

    The URL carries a random token; payloads are also verified by HMAC (Standard Webhooks headers) or by a
    shared-secret header. Each payload is stored raw before mapping, so nothing is lost when mapping fails.
    """

    class Verification(models.TextChoices):
        STANDARD = (
            "standard",
            "Standard Webhooks signature (webhook-id, webhook-timestamp, webhook-signature)",
        )
        SHARED_SECRET = "shared_secret", "Shared secret in a header"

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    name = models.CharField(max_length=100)
    token = models.CharField(max_length=64, unique=True)
    secret = models.CharField(max_length=100, help_text="whsec_… signing secret, or the shared secret")
    verification = models.CharField(
        max_length=16, choices=Verification.choices, default=Verification.STANDARD
    )
    secret_header = models.CharField(max_length=100, blank=True, default="X-Webhook-Secret")
    mapping = models.JSONField()
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=dj_timezone.now)

    class Meta:
        indexes = [models.Index(fields=["workspace", "-created_at"], name="webhook_ws_created")]

    def __str__(self) -> str:
        return self.name


class WebhookDelivery(models.Model):
    """One received payload, kept raw. Failed ones are the dead-letter list: fix the mapping, then replay."""

    class Status(models.TextChoices):
        RECEIVED = "received", "Received"
        STORED = "stored", "Stored"
        SKIPPED = "skipped", "Skipped (empty)"
        FAILED = "failed", "Failed (dead letter)"

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    endpoint = models.ForeignKey(WebhookEndpoint, on_delete=models.CASCADE, related_name="deliveries")
    webhook_id = models.CharField(max_length=200, blank=True)
    received_at = models.DateTimeField(default=dj_timezone.now)
    body = models.TextField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.RECEIVED)
    error = models.TextField(blank=True)
    attempts = models.PositiveIntegerField(default=0)
    feedback_item = models.ForeignKey(
        FeedbackItem, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    event = models.ForeignKey(
        "customers.Event", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["endpoint", "webhook_id"],
                condition=~Q(webhook_id=""),
                name="webhook_delivery_unique_id",
            )
        ]
        indexes = [
            models.Index(fields=["endpoint", "-received_at"], name="delivery_endpoint_time"),
            models.Index(fields=["workspace", "status"], name="delivery_ws_status"),
        ]

    def __str__(self) -> str:
        return f"{self.endpoint_id}/{self.webhook_id or self.pk} {self.status}"


class SavedMapping(models.Model):
    """A field mapping kept for reuse by imports and webhooks."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    name = models.CharField(max_length=100)
    mapping = models.JSONField()
    created_at = models.DateTimeField(default=dj_timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["workspace", "name"], name="saved_mapping_unique_name")
        ]

    def __str__(self) -> str:
        return self.name


class ImportJob(models.Model):
    """One uploaded file and its import: preview, dry run or real run in the background, per-row report."""

    class Status(models.TextChoices):
        UPLOADED = "uploaded", "Uploaded"
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        DONE = "done", "Done"
        FAILED = "failed", "Failed"

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    created_by = models.ForeignKey(
        "accounts.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    path = models.CharField(max_length=500, help_text="Stored file, relative to the data folder's imports/.")
    original_name = models.CharField(max_length=255)
    format = models.CharField(max_length=8)
    size = models.BigIntegerField(default=0)
    sha256 = models.CharField(max_length=64, blank=True)
    mapping = models.JSONField(null=True, blank=True)
    dry_run = models.BooleanField(default=False)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.UPLOADED)
    rows_estimate = models.PositiveIntegerField(default=0, help_text="Line count, for the progress bar.")
    processed_rows = models.PositiveIntegerField(default=0)
    created_count = models.PositiveIntegerField(default=0)
    existing_count = models.PositiveIntegerField(default=0)
    skipped_count = models.PositiveIntegerField(default=0)
    error_count = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True, help_text="Why the whole import stopped, if it did.")
    created_at = models.DateTimeField(default=dj_timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["workspace", "-created_at"], name="import_ws_created")]

    def __str__(self) -> str:
        return f"import {self.pk} of {self.original_name}"

    @property
    def progress_percent(self) -> int:
        if self.status == self.Status.DONE:
            return 100
        if not self.rows_estimate:
            return 0
        return min(99, int(100 * self.processed_rows / self.rows_estimate))


class ImportRowError(models.Model):
    job = models.ForeignKey(ImportJob, on_delete=models.CASCADE, related_name="row_errors")
    row_number = models.PositiveIntegerField()
    message = models.TextField()

    class Meta:
        indexes = [models.Index(fields=["job", "row_number"], name="import_error_job_row")]

    def __str__(self) -> str:
        return f"row {self.row_number}: {self.message[:50]}"
