"""User-built dashboards: a Dashboard of Widgets, each widget one figure, chart or list of the metrics engine.

Figures are never stored: a widget keeps what to compute (kind, metric, groups, its own slice of the
feedback) and the page computes it on every visit (cxloop/boards/widgets.py). Writes go through
cxloop/boards/services.py, which validates every field."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone as dj_timezone

from cxloop.accounts.models import Workspace


class Dashboard(models.Model):
    """A named page of widgets. `shared`: every member of the workspace sees it; private: only its creator.
    `filters`: the dashboard-wide defaults of the filter form (period, since, until, channel, segment,
    region, touchpoint), applied to every widget."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    name = models.CharField(max_length=120)
    description = models.TextField(blank=True, default="")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    shared = models.BooleanField(default=False)
    filters = models.JSONField(default=dict, blank=True, help_text="Dashboard-wide defaults: period, …")
    created_at = models.DateTimeField(default=dj_timezone.now)
    updated_at = models.DateTimeField(default=dj_timezone.now)

    class Meta:
        ordering = ["name", "id"]
        constraints = [models.UniqueConstraint(fields=["workspace", "name"], name="board_unique_name")]

    def __str__(self) -> str:
        return self.name


class Widget(models.Model):
    """One tile of a dashboard. `filters` is the widget's own slice (e.g. touchpoint=delivery): the
    dashboard-wide filters apply on top, and where both set the same field the widget's value wins."""

    class Kind(models.TextChoices):
        METRIC_CARD = "metric_card", "Metric card"
        TREND = "trend", "Trend line"
        BAR = "bar", "Bars by group"
        HEATMAP = "heatmap", "Heatmap (two groups)"
        DRIVER_MATRIX = "driver_matrix", "Driver matrix"
        VERBATIMS = "verbatims", "Verbatim list"
        THEMES = "themes", "Theme list"

    class Size(models.TextChoices):
        HALF = "half", "Half width"
        FULL = "full", "Full width"

    dashboard = models.ForeignKey(Dashboard, on_delete=models.CASCADE, related_name="widgets")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    title = models.CharField(max_length=120)
    metric = models.CharField(max_length=16, blank=True, default="")
    group_by = models.CharField(max_length=16, blank=True, default="")
    then_by = models.CharField(max_length=16, blank=True, default="")
    filters = models.JSONField(default=dict, blank=True, help_text="The widget's own slice")
    size = models.CharField(max_length=8, choices=Size.choices, default=Size.HALF)
    position = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return self.title
