"""What the local models read in each text: one Enrichment per feedback item, the workspace's theme taxonomy,
and the themes found in each item (by a model, or set by an analyst)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone as dj_timezone

from cxloop.accounts.models import Workspace
from cxloop.feedback.models import FeedbackItem


class Enrichment(models.Model):
    """The reading of one item's text. `model_version` names the models that produced it, so a change of
    model or taxonomy can find what to read again."""

    class Status(models.TextChoices):
        PENDING = "pending", "Waiting"
        DONE = "done", "Read"
        FAILED = "failed", "Failed"

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    item = models.OneToOneField(FeedbackItem, on_delete=models.CASCADE, related_name="enrichment")
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.PENDING)
    language = models.CharField(max_length=8, blank=True, help_text='ISO 639 code; "und" when unknown')
    language_confidence = models.FloatField(null=True, blank=True)
    sentiment = models.CharField(max_length=8, blank=True, help_text="negative, neutral or positive")
    sentiment_score = models.FloatField(null=True, blank=True, help_text="-1 … 1")
    emotions = models.JSONField(default=dict, blank=True)
    flags = models.JSONField(
        default=dict, blank=True, help_text="urgency, churn intent, effort: score + evidence"
    )
    pii = models.JSONField(default=list, blank=True, help_text="Kinds and places of personal data found")
    redacted_text = models.TextField(blank=True, help_text="The text with personal data replaced")
    notes = models.JSONField(default=list, blank=True, help_text='e.g. "truncated from 100,000 characters"')
    embedding = models.BinaryField(
        null=True, blank=True, help_text="The sentence embedding (384 float16), for semantic search"
    )
    model_version = models.CharField(max_length=200, blank=True)
    error = models.TextField(blank=True)
    enriched_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["workspace", "status"], name="enrichment_ws_status"),
            models.Index(fields=["workspace", "sentiment"], name="enrichment_ws_sentiment"),
        ]

    def __str__(self) -> str:
        return f"enrichment of {self.item_id}: {self.status}"


class Theme(models.Model):
    """One theme of a workspace's taxonomy: two levels (Delivery › Late delivery). Names, descriptions and
    examples are what the models read to assign it without training."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.CASCADE, related_name="children"
    )
    name = models.CharField(max_length=80)
    description = models.CharField(max_length=300, blank=True)
    examples = models.JSONField(default=list, blank=True, help_text="Short example texts")
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=dj_timezone.now)
    updated_at = models.DateTimeField(default=dj_timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["workspace", "parent", "name"], name="theme_unique_name"),
            models.UniqueConstraint(
                fields=["workspace", "name"],
                condition=models.Q(parent__isnull=True),
                name="theme_unique_top_name",
            ),
        ]
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def path(self) -> str:
        """The theme's place in the taxonomy, e.g. "Delivery › Late delivery"."""
        return f"{self.parent.name} › {self.name}" if self.parent_id else self.name


class ThemeMention(models.Model):
    """A theme found in an item (by a model, with its score and the sentence that carries it), or set or
    rejected by an analyst. Analysts' decisions become examples the models learn from."""

    class Source(models.TextChoices):
        MODEL = "model", "Model"
        ANALYST = "analyst", "Analyst"

    class Status(models.TextChoices):
        SUGGESTED = "suggested", "Suggested"
        ACCEPTED = "accepted", "Accepted"
        REJECTED = "rejected", "Rejected"

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    item = models.ForeignKey(FeedbackItem, on_delete=models.CASCADE, related_name="theme_mentions")
    theme = models.ForeignKey(Theme, on_delete=models.CASCADE, related_name="mentions")
    score = models.FloatField(null=True, blank=True)
    sentiment = models.CharField(max_length=8, blank=True, help_text="Sentiment of the mention itself")
    sentiment_score = models.FloatField(null=True, blank=True)
    evidence = models.CharField(max_length=500, blank=True, help_text="The sentence that mentions it")
    source = models.CharField(max_length=8, choices=Source.choices, default=Source.MODEL)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.SUGGESTED)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    model_version = models.CharField(max_length=120, blank=True)
    created_at = models.DateTimeField(default=dj_timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["item", "theme"], name="theme_mention_unique")]
        indexes = [
            models.Index(fields=["workspace", "theme", "status"], name="mention_ws_theme_status"),
        ]

    def __str__(self) -> str:
        return f"{self.theme} in {self.item_id}"
