"""What the metrics app stores: targets for metrics, metric alerts and scheduled reports. (Figures
themselves are never stored: the engine computes them from the answers on every request.)"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone as dj_timezone

from cxloop.accounts.models import Workspace


class MetricTarget(models.Model):
    """A goal for one metric over a rolling or calendar period, optionally for one slice of the feedback
    (e.g. "NPS of the North West at least 30 this quarter"). Its status is computed when read
    (cxloop/metrics/targets.py)."""

    class Period(models.TextChoices):
        MONTH = "month", "This month"
        QUARTER = "quarter", "This quarter"
        DAYS_30 = "30d", "Last 30 days"
        DAYS_90 = "90d", "Last 90 days"

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    name = models.CharField(max_length=120)
    metric = models.CharField(max_length=16)
    target = models.FloatField(help_text="The figure to reach or beat, in the metric's units")
    period = models.CharField(max_length=8, choices=Period.choices, default=Period.QUARTER)
    filters = models.JSONField(default=dict, blank=True, help_text="Slice: channel, touchpoint, region, …")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=dj_timezone.now)
    updated_at = models.DateTimeField(default=dj_timezone.now)

    class Meta:
        ordering = ["name", "id"]
        constraints = [
            models.UniqueConstraint(fields=["workspace", "name"], name="metric_target_unique_name")
        ]

    def __str__(self) -> str:
        return self.name


class MetricAlert(models.Model):
    """A watch on one metric (optionally of one slice): each week or month, the last complete period is
    compared with the one before (engine.compare) and a significant change in the watched direction is
    sent to the recipients, in the app and by email (cxloop/metrics/alerts.py)."""

    class Every(models.TextChoices):
        WEEK = "week", "Every week"
        MONTH = "month", "Every month"

    class Watch(models.TextChoices):
        DROP = "drop", "A significant drop"
        RISE = "rise", "A significant rise"
        BOTH = "both", "A significant change either way"

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    name = models.CharField(max_length=120)
    metric = models.CharField(max_length=16)
    filters = models.JSONField(default=dict, blank=True, help_text="Slice: channel, touchpoint, region, …")
    every = models.CharField(max_length=8, choices=Every.choices, default=Every.WEEK)
    watch = models.CharField(max_length=8, choices=Watch.choices, default=Watch.DROP)
    recipients = models.JSONField(default=list, blank=True, help_text="User ids of workspace members")
    enabled = models.BooleanField(default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=dj_timezone.now)
    last_checked_at = models.DateTimeField(null=True, blank=True)
    last_result = models.JSONField(default=dict, blank=True, help_text="What the last check found")
    last_fired_at = models.DateTimeField(null=True, blank=True)
    last_fired_period = models.DateField(
        null=True, blank=True, help_text="First day of the period the alert last fired for (never twice)"
    )
    next_run_at = models.DateTimeField(null=True, blank=True, db_index=True)

    class Meta:
        ordering = ["name", "id"]
        constraints = [models.UniqueConstraint(fields=["workspace", "name"], name="metric_alert_unique_name")]

    def __str__(self) -> str:
        return self.name


class ScheduledReport(models.Model):
    """The CX overview of the last complete week or month, emailed as a PDF to a list of addresses on
    Monday or on the 1st at 08:00 workspace time (cxloop/metrics/reports.py)."""

    class Frequency(models.TextChoices):
        WEEKLY = "weekly", "Weekly, on Monday"
        MONTHLY = "monthly", "Monthly, on the 1st"

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    name = models.CharField(max_length=120)
    frequency = models.CharField(max_length=8, choices=Frequency.choices, default=Frequency.WEEKLY)
    recipients = models.JSONField(default=list, blank=True, help_text="Email addresses (at most 20)")
    filters = models.JSONField(default=dict, blank=True, help_text="channel, segment, region, touchpoint")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=dj_timezone.now)
    last_sent_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    next_run_at = models.DateTimeField(null=True, blank=True, db_index=True)

    class Meta:
        ordering = ["name", "id"]
        constraints = [
            models.UniqueConstraint(fields=["workspace", "name"], name="scheduled_report_unique_name")
        ]

    def __str__(self) -> str:
        return self.name
