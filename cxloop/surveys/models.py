from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone as dj_timezone

from cxloop.accounts.models import Workspace
from cxloop.feedback.models import FeedbackItem

from .definition import SurveyDefinition, parse_definition


class Survey(models.Model):
    """A survey: its working definition (what the builder edits) and, once live, its published versions.

    Editing a live survey publishes a new version; each response keeps the version it answered.
    """

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        LIVE = "live", "Live"
        CLOSED = "closed", "Closed"

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    name = models.CharField(max_length=120)
    slug = models.SlugField(max_length=80, unique=True, help_text="The public address: /s/<slug>/")
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.DRAFT)
    template = models.CharField(max_length=40, blank=True)
    touchpoint = models.CharField(
        max_length=100, blank=True, help_text="Journey stage its responses are about, e.g. delivery"
    )
    definition = models.JSONField(help_text="The working definition (the builder's copy)")
    current_version = models.ForeignKey(
        "SurveyVersion", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    closed_message = models.CharField(max_length=300, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=dj_timezone.now)
    updated_at = models.DateTimeField(default=dj_timezone.now)

    class Meta:
        indexes = [models.Index(fields=["workspace", "-updated_at"], name="survey_ws_updated")]

    def __str__(self) -> str:
        return self.name

    def parsed(self) -> SurveyDefinition:
        return parse_definition(self.definition)


class SurveyVersion(models.Model):
    """A frozen definition: what respondents of that version saw."""

    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField()
    definition = models.JSONField()
    created_at = models.DateTimeField(default=dj_timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        constraints = [models.UniqueConstraint(fields=["survey", "number"], name="survey_version_unique")]

    def __str__(self) -> str:
        return f"{self.survey} v{self.number}"

    def parsed(self) -> SurveyDefinition:
        return parse_definition(self.definition)


class Response(models.Model):
    """One respondent's way through one survey version, saved page by page (so drop-off is measurable).

    Its answers are also in the feedback store, as one FeedbackItem (channel "survey" or "web_widget") that
    is written at the first answered page and updated as the respondent goes on.
    """

    class Status(models.TextChoices):
        PARTIAL = "partial", "Partial"
        COMPLETED = "completed", "Completed"

    class Via(models.TextChoices):
        LINK = "link", "Link"
        EMAIL = "email", "Email invitation"
        SMS = "sms", "SMS invitation"
        WIDGET = "widget", "Website widget"
        API = "api", "API"
        PREVIEW = "preview", "Preview (not stored as feedback)"

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="responses")
    # null for previews, which run the survey's working definition
    version = models.ForeignKey(
        SurveyVersion, null=True, blank=True, on_delete=models.PROTECT, related_name="responses"
    )
    token = models.CharField(max_length=64, unique=True, help_text="The resume link's secret")
    via = models.CharField(max_length=8, choices=Via.choices, default=Via.LINK)
    language = models.CharField(max_length=16, blank=True)
    state = models.JSONField(default=dict)
    page = models.IntegerField(null=True, blank=True, help_text="The page the respondent is on")
    last_question = models.CharField(
        max_length=100, blank=True, help_text="The last question answered (for drop-off)"
    )
    answered = models.PositiveIntegerField(default=0)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PARTIAL)
    ending = models.CharField(max_length=50, blank=True)
    # The respondent (if known) is the item's customer. Erasing the item (or its customer) erases the
    # response too: it holds the same answers.
    feedback_item = models.OneToOneField(
        FeedbackItem, null=True, blank=True, on_delete=models.CASCADE, related_name="survey_response"
    )
    started_at = models.DateTimeField(default=dj_timezone.now)
    updated_at = models.DateTimeField(default=dj_timezone.now)
    completed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["survey", "status", "-started_at"], name="response_survey_status"),
            models.Index(fields=["workspace", "-started_at"], name="response_ws_started"),
        ]

    def __str__(self) -> str:
        return f"response {self.pk} to {self.survey_id}"


class ResultShare(models.Model):
    """A read-only link to a survey's results for people without an account, with chosen parts redacted.

    Only the sha256 of the link's token is stored; the token itself is shown once, when the link is made.
    The shared page never shows who answered (no customers, no links into the inbox).
    """

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    survey = models.ForeignKey(Survey, on_delete=models.CASCADE, related_name="result_shares")
    token_hash = models.CharField(max_length=64, unique=True)
    label = models.CharField(max_length=100, blank=True, help_text="Who the link is for, e.g. the board")
    hidden_questions = models.JSONField(default=list, blank=True, help_text="Question keys not shown")
    hide_open_texts = models.BooleanField(default=True)
    hide_hidden_fields = models.BooleanField(default=True)
    expires_at = models.DateTimeField()
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=dj_timezone.now)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["survey", "-created_at"], name="result_share_survey")]

    def __str__(self) -> str:
        return f"results link {self.pk} of survey {self.survey_id}"

    @property
    def is_expired(self) -> bool:
        return self.expires_at <= dj_timezone.now()

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None and not self.is_expired
