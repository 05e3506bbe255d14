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
            # the search index finds texts read again since its last look (analysis/search.py)
            models.Index(fields=["workspace", "enriched_at"], name="enrichment_ws_enriched"),
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


class EmergingTheme(models.Model):
    """A group of a window's texts that fit no theme, proposed to an analyst as a new theme: its keywords,
    how many texts it has now and had in the window before, and its most typical texts
    (cxloop/analysis/emerging.py)."""

    class Status(models.TextChoices):
        PROPOSED = "proposed", "Proposed"
        ADOPTED = "adopted", "Adopted"
        DISMISSED = "dismissed", "Dismissed"

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    window_start = models.DateTimeField()
    window_end = models.DateTimeField()
    label = models.CharField(max_length=120)
    keywords = models.JSONField(default=list, blank=True)
    size = models.PositiveIntegerField(help_text="Texts of the window in the group")
    previous_size = models.PositiveIntegerField(
        default=0, help_text="Texts of the window before (as long) as close to its centre as its members"
    )
    cohesion = models.FloatField(default=0.0, help_text="Mean cosine of its texts to its centre")
    radius = models.FloatField(default=0.0, help_text="The cosine to its centre that 90% of its texts reach")
    centroid = models.BinaryField(help_text="The centre of its texts' embeddings (384 float16)")
    representative_ids = models.JSONField(
        default=list, blank=True, help_text="Items closest to its centre, the closest first"
    )
    member_ids = models.JSONField(default=list, blank=True, help_text="Its items (at most 500)")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PROPOSED)
    adopted_theme = models.ForeignKey(
        Theme, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=dj_timezone.now)

    class Meta:
        indexes = [models.Index(fields=["workspace", "status"], name="emerging_ws_status")]

    def __str__(self) -> str:
        return f"{self.label} ({self.status})"


class EmergingRun(models.Model):
    """One look for emerging themes in a workspace: asked for (by the schedule, an analyst or the demo) at
    `queued_at`, done at `ran_at` (None while it waits for the worker)."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    queued_at = models.DateTimeField(default=dj_timezone.now)
    ran_at = models.DateTimeField(null=True, blank=True)
    window_start = models.DateTimeField(null=True, blank=True)
    window_end = models.DateTimeField(null=True, blank=True)
    items_considered = models.PositiveIntegerField(
        default=0, help_text="Read texts of the window with no theme"
    )
    clusters_found = models.PositiveIntegerField(default=0)
    proposed = models.PositiveIntegerField(default=0, help_text="Clusters proposed (not decided before)")
    error = models.TextField(blank=True)

    class Meta:
        indexes = [models.Index(fields=["workspace", "queued_at"], name="emerging_run_ws_queued")]

    def __str__(self) -> str:
        return f"emerging themes of workspace {self.workspace_id} at {self.ran_at or self.queued_at}"


# -- intents of support tickets and chats, learnt from the workspace's examples (cxloop/analysis/intents.py)
class Intent(models.Model):
    """What a customer contacting support wants ("Where is my order", "Refund request"), learnt from the
    workspace's labelled examples."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    name = models.CharField(max_length=80)
    description = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(default=dj_timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["workspace", "name"], name="intent_unique_name")]
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class IntentExample(models.Model):
    """One labelled text of an intent: typed in, imported, or an item an analyst corrected. A text is an
    example of one intent only in a workspace (`digest`: sha256 of the text, so that the unique index stays
    small on PostgreSQL whatever the text's characters)."""

    class Source(models.TextChoices):
        MANUAL = "manual", "Typed in"
        IMPORT = "import", "Imported"
        CORRECTION = "correction", "Correction"

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    intent = models.ForeignKey(Intent, on_delete=models.CASCADE, related_name="examples")
    text = models.CharField(max_length=1000)
    digest = models.CharField(max_length=64, help_text="sha256 of the text")
    source = models.CharField(max_length=10, choices=Source.choices, default=Source.MANUAL)
    item = models.ForeignKey(
        FeedbackItem,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="The item an analyst corrected, for a correction",
    )
    created_at = models.DateTimeField(default=dj_timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["workspace", "digest"], name="intent_example_unique_text")
        ]
        indexes = [models.Index(fields=["intent", "source"], name="intent_example_source")]

    def __str__(self) -> str:
        return f"{self.intent_id}: {self.text[:40]}"


class IntentModel(models.Model):
    """The workspace's intent classifier: how its last training went (`status`) and the head it trained
    last (`data`: the features and weights as .npz bytes), which keeps reading texts while a new one trains.
    `version` names the examples and the encoder it was trained on."""

    class Status(models.TextChoices):
        TRAINING = "training", "Training"
        READY = "ready", "Ready"
        FAILED = "failed", "Failed"
        TOO_FEW = "too_few", "Too few examples"

    workspace = models.OneToOneField(Workspace, on_delete=models.CASCADE, related_name="+")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.TRAINING)
    queued_at = models.DateTimeField(null=True, blank=True, help_text="When a training was last asked for")
    trained_at = models.DateTimeField(null=True, blank=True)
    examples = models.PositiveIntegerField(default=0, help_text="Examples the head was trained on")
    intents = models.PositiveIntegerField(default=0, help_text="Intents the head tells apart")
    cv_accuracy = models.FloatField(null=True, blank=True, help_text="Cross-validated accuracy, 0–1")
    cv_folds = models.PositiveSmallIntegerField(default=0)
    cv_recall = models.JSONField(
        default=dict, blank=True, help_text="Per intent: the share of its examples cross-validation got right"
    )
    seconds = models.FloatField(null=True, blank=True, help_text="How long the last training took")
    message = models.TextField(blank=True, help_text="What is missing, or notes of the training")
    error = models.TextField(blank=True)
    data = models.BinaryField(null=True, blank=True)
    version = models.CharField(max_length=32, blank=True)

    def __str__(self) -> str:
        return f"intent model of workspace {self.workspace_id}: {self.status}"


class IntentReading(models.Model):
    """The intent of one support item: read by the workspace's model (with its probability) or set by an
    analyst (kept through later readings, and its text one more example)."""

    class Source(models.TextChoices):
        MODEL = "model", "Model"
        ANALYST = "analyst", "Analyst"

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    item = models.OneToOneField(FeedbackItem, on_delete=models.CASCADE, related_name="intent_reading")
    intent = models.ForeignKey(
        Intent, null=True, blank=True, on_delete=models.SET_NULL, related_name="readings"
    )
    score = models.FloatField(null=True, blank=True, help_text="The model's probability, 0–1")
    source = models.CharField(max_length=8, choices=Source.choices, default=Source.MODEL)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    model_version = models.CharField(max_length=32, blank=True)
    read_at = models.DateTimeField(default=dj_timezone.now)

    class Meta:
        indexes = [models.Index(fields=["workspace", "intent"], name="intent_reading_ws_intent")]

    def __str__(self) -> str:
        return f"intent of {self.item_id}: {self.intent_id}"
