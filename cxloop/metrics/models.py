"""What the metrics app stores: targets for metrics. (Figures themselves are never stored: the engine
computes them from the answers on every request.)"""

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
