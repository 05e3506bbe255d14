from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils import timezone as dj_timezone

from cxloop.accounts.models import Workspace


class Customer(models.Model):
    """One profile per customer across channels: the single source of truth on who the customer is.

    Common attributes have columns (metrics group by them); anything else goes in `attributes`.
    A customer merged into another keeps its row with `merged_into` set, so old ids still resolve.
    """

    class Consent(models.TextChoices):
        UNKNOWN = "unknown", "Unknown"
        GRANTED = "granted", "Granted"
        WITHDRAWN = "withdrawn", "Withdrawn"

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="customers")
    name = models.CharField(max_length=200, blank=True)
    email = models.EmailField(blank=True, help_text="Primary email (also an identity).")
    plan = models.CharField(max_length=60, blank=True)
    segment = models.CharField(max_length=60, blank=True)
    country = models.CharField(max_length=2, blank=True, help_text="ISO 3166-1 alpha-2")
    region = models.CharField(max_length=60, blank=True)
    lifetime_value = models.DecimalField(max_digits=14, decimal_places=2, null=True, blank=True)
    signup_at = models.DateTimeField(null=True, blank=True)
    attributes = models.JSONField(default=dict, blank=True)
    consent = models.CharField(max_length=12, choices=Consent.choices, default=Consent.UNKNOWN)
    unsubscribed_at = models.DateTimeField(null=True, blank=True)
    merged_into = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=dj_timezone.now)
    updated_at = models.DateTimeField(default=dj_timezone.now)

    class Meta:
        indexes = [
            models.Index(fields=["workspace", "-created_at", "-id"], name="customer_ws_created"),
            models.Index(fields=["workspace", "segment"], name="customer_ws_segment"),
        ]

    def __str__(self) -> str:
        return self.name or self.email or f"customer {self.pk}"


class Identity(models.Model):
    """A way to recognise a customer: an email, a phone, a CRM id, a social handle. Unique per workspace."""

    class Kind(models.TextChoices):
        EXTERNAL_ID = "external_id", "External id"
        EMAIL = "email", "Email"
        PHONE = "phone", "Phone"
        SOCIAL = "social", "Social handle"
        OTHER = "other", "Other"

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="identities")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    value = models.CharField(max_length=254, help_text="Normalised: emails lower-case, phones digits with +.")
    is_alias = models.BooleanField(default=False, help_text="Came from a customer merged into this one.")
    created_at = models.DateTimeField(default=dj_timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["workspace", "kind", "value"], name="identity_unique_per_workspace"
            )
        ]
        indexes = [models.Index(fields=["customer"], name="identity_customer")]

    def __str__(self) -> str:
        return f"{self.kind}:{self.value}"


class Event(models.Model):
    """Something a customer did or had happen: order placed, delivered, ticket opened, cancelled."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="+")
    customer = models.ForeignKey(
        Customer, null=True, blank=True, on_delete=models.CASCADE, related_name="events"
    )
    name = models.CharField(max_length=100)
    source = models.CharField(max_length=100, blank=True)
    external_id = models.CharField(max_length=200, null=True, blank=True)
    occurred_at = models.DateTimeField()
    received_at = models.DateTimeField(default=dj_timezone.now)
    properties = models.JSONField(default=dict, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["workspace", "source", "external_id"],
                condition=Q(external_id__isnull=False),
                name="event_external_id_unique",
            )
        ]
        indexes = [
            models.Index(fields=["workspace", "-occurred_at", "-id"], name="event_ws_time"),
            models.Index(fields=["workspace", "name", "-occurred_at"], name="event_ws_name_time"),
            models.Index(fields=["customer", "-occurred_at"], name="event_customer_time"),
        ]

    def __str__(self) -> str:
        return f"{self.name} at {self.occurred_at:%Y-%m-%d %H:%M}"
