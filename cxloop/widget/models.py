"""The website widget: a workspace's site key, and where each survey shows on the customer's web site."""

from __future__ import annotations

from django.db import models
from django.utils import timezone as dj_timezone

from cxloop.accounts.models import Workspace
from cxloop.surveys.models import Survey


class WidgetSite(models.Model):
    """A workspace's widget installation. The site key is public (it is in the page's <script> tag); the
    identity secret stays on the customer's server, which signs visitor ids with it (HMAC-SHA256) so the
    widget cannot be used to put words in a known customer's mouth."""

    workspace = models.OneToOneField(Workspace, on_delete=models.CASCADE, related_name="+")
    site_key = models.CharField(max_length=40, unique=True)
    identity_secret = models.CharField(max_length=80)
    allowed_origins = models.JSONField(
        default=list, blank=True, help_text="Origins allowed to use the widget; empty = any"
    )
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=dj_timezone.now)

    def __str__(self) -> str:
        return f"widget of {self.workspace}"


class Placement(models.Model):
    """How one survey shows in the widget: a pop-over on triggers, or an always-visible feedback tab."""

    class Mode(models.TextChoices):
        POPOVER = "popover", "Pop-over on triggers"
        TAB = "tab", "Always-visible feedback tab"

    class UrlOp(models.TextChoices):
        ANY = "any", "any page"
        CONTAINS = "contains", "URL contains"
        EQUALS = "equals", "URL is exactly"
        STARTS = "starts_with", "URL starts with"

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    survey = models.OneToOneField(Survey, on_delete=models.CASCADE, related_name="placement")
    enabled = models.BooleanField(default=False)
    mode = models.CharField(max_length=8, choices=Mode.choices, default=Mode.POPOVER)
    url_op = models.CharField(max_length=12, choices=UrlOp.choices, default=UrlOp.ANY)
    url_value = models.CharField(max_length=300, blank=True)
    delay_seconds = models.PositiveIntegerField(default=0, help_text="Time on page before it shows")
    exit_intent = models.BooleanField(default=False, help_text="Show when the pointer leaves the page")
    events = models.JSONField(default=list, blank=True, help_text='cxloop.track("name") calls that show it')
    sample_rate = models.PositiveSmallIntegerField(default=100, help_text="Percent of matching visits")
    targeting = models.JSONField(
        default=list,
        blank=True,
        help_text='Visitor attribute tests, e.g. [{"attribute": "plan", "op": "eq", ...}]',
    )
    cooldown_days = models.PositiveIntegerField(
        default=30, help_text="Days before the same browser is asked again"
    )
    tab_label = models.CharField(max_length=40, default="Feedback")
    updated_at = models.DateTimeField(default=dj_timezone.now)

    def __str__(self) -> str:
        return f"placement of {self.survey}"
