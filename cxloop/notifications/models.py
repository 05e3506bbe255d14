"""In-app notifications: a short message for one member of one workspace, with a link to what it is about.
Written by `services.notify` (metric alerts today; rules and cases later), read on /notifications/ and
counted in the top bar."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone as dj_timezone

from cxloop.accounts.models import Workspace


class Notification(models.Model):
    class Kind(models.TextChoices):
        METRIC_ALERT = "metric_alert", "Metric alert"
        REPORT = "report", "Scheduled report"

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=32, choices=Kind.choices)
    title = models.CharField(max_length=200)
    body = models.TextField(blank=True)
    url = models.CharField(max_length=500, blank=True, help_text="A path inside CX Loop, e.g. /dashboards/")
    created_at = models.DateTimeField(default=dj_timezone.now)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["user", "workspace", "read_at"], name="notification_unread")]

    def __str__(self) -> str:
        return self.title
