from __future__ import annotations

import zoneinfo

from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import PermissionsMixin
from django.db import models
from django.utils import timezone as dj_timezone

from .roles import Role


class UserManager(BaseUserManager):
    use_in_migrations = True

    def create_user(self, email: str, password: str | None = None, **extra) -> User:
        if not email:
            raise ValueError("A user needs an email address.")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save()
        return user

    def create_superuser(self, email: str, password: str | None = None, **extra) -> User:
        extra.setdefault("is_staff", True)
        extra.setdefault("is_superuser", True)
        return self.create_user(email, password, **extra)


class User(AbstractBaseUser, PermissionsMixin):
    """A person who logs in. Email is the login; what they may do depends on each workspace membership."""

    email = models.EmailField(unique=True)
    name = models.CharField(max_length=150, blank=True)
    is_active = models.BooleanField(default=True)
    is_staff = models.BooleanField(default=False, help_text="Can run instance-wide administration.")
    date_joined = models.DateTimeField(default=dj_timezone.now)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    def __str__(self) -> str:
        return self.email

    @property
    def display_name(self) -> str:
        return self.name or self.email


class Workspace(models.Model):
    """One company (or one brand of it). Every piece of customer data belongs to exactly one workspace."""

    name = models.CharField(max_length=120)
    slug = models.SlugField(max_length=60, unique=True)
    timezone = models.CharField(max_length=64, default="UTC")
    keep_original_text = models.BooleanField(
        default=True,
        help_text="Keep feedback texts as received. Off: once a text is read, the personal data found in it "
        "(emails, phone numbers, card numbers, IBANs, addresses) is replaced in the stored text itself.",
    )
    created_at = models.DateTimeField(default=dj_timezone.now)

    def __str__(self) -> str:
        return self.name

    @property
    def zone(self) -> zoneinfo.ZoneInfo:
        """The zone the workspace's days, weeks and months are counted in; UTC when unset or unknown."""
        try:
            return zoneinfo.ZoneInfo(self.timezone or "UTC")
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            return zoneinfo.ZoneInfo("UTC")


class Membership(models.Model):
    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=16, choices=Role.choices)
    created_at = models.DateTimeField(default=dj_timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["workspace", "user"], name="membership_unique")]

    def __str__(self) -> str:
        return f"{self.user} in {self.workspace} as {self.role}"


class Invitation(models.Model):
    """A single-use, expiring link that makes the person at `email` a member with `role`."""

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="invitations")
    email = models.EmailField()
    role = models.CharField(max_length=16, choices=Role.choices)
    nonce = models.CharField(
        max_length=32, unique=True, help_text="Bound into the signed link; the link is not stored."
    )
    invited_by = models.ForeignKey(User, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=dj_timezone.now)
    expires_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)
    accepted_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["workspace", "-created_at"], name="invitation_ws_created")]

    def __str__(self) -> str:
        return f"invitation of {self.email} to {self.workspace_id} as {self.role}"

    @property
    def state(self) -> str:
        if self.accepted_at:
            return "accepted"
        if self.revoked_at:
            return "revoked"
        if self.expires_at <= dj_timezone.now():
            return "expired"
        return "pending"


class ApiKey(models.Model):
    """A workspace's key for the JSON API. Shown once; only its SHA-256 is stored."""

    SCOPES = ("read", "write")

    workspace = models.ForeignKey(Workspace, on_delete=models.CASCADE, related_name="api_keys")
    name = models.CharField(max_length=100)
    prefix = models.CharField(max_length=16, help_text="The first characters, to recognise the key in lists.")
    key_hash = models.CharField(max_length=64, unique=True)
    scopes = models.JSONField(default=list)
    created_by = models.ForeignKey(User, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=dj_timezone.now)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["workspace", "-created_at"], name="apikey_ws_created")]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None

    def has_scope(self, scope: str) -> bool:
        # write implies read
        return scope in self.scopes or (scope == "read" and "write" in self.scopes)


class AuditEvent(models.Model):
    """A security-relevant action: who did what, to what, from where. Append-only."""

    class Action(models.TextChoices):
        LOGIN = "login", "Logged in"
        LOGIN_FAILED = "login.failed", "Failed login"
        LOGIN_THROTTLED = "login.throttled", "Login throttled"
        LOGOUT = "logout", "Logged out"
        INVITATION_SENT = "invitation.sent", "Invitation sent"
        INVITATION_REVOKED = "invitation.revoked", "Invitation revoked"
        INVITATION_ACCEPTED = "invitation.accepted", "Invitation accepted"
        ROLE_CHANGED = "member.role_changed", "Role changed"
        MEMBER_REMOVED = "member.removed", "Member removed"
        WORKSPACE_CREATED = "workspace.created", "Workspace created"
        WORKSPACE_UPDATED = "workspace.updated", "Workspace updated"
        KEY_CREATED = "api_key.created", "API key created"
        KEY_REVOKED = "api_key.revoked", "API key revoked"
        EXPORT = "export", "Data exported"
        CUSTOMER_MERGED = "customer.merged", "Customers merged"
        CUSTOMER_ERASED = "customer.erased", "Customer erased"
        FEEDBACK_ERASED = "feedback.erased", "Feedback erased"
        SURVEY_PUBLISHED = "survey.published", "Survey published"
        SURVEY_CLOSED = "survey.closed", "Survey closed"
        RESULTS_SHARED = "survey.results_shared", "Survey results link created"
        RESULTS_SHARE_REVOKED = "survey.results_share_revoked", "Survey results link revoked"

    workspace = models.ForeignKey(
        Workspace, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    actor = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    actor_key = models.ForeignKey(ApiKey, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    subject_user = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    action = models.CharField(max_length=40, choices=Action.choices)
    target = models.CharField(max_length=200, blank=True, help_text="What was acted on, in words.")
    ip = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=300, blank=True)
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=dj_timezone.now, db_index=True)

    class Meta:
        indexes = [
            models.Index(fields=["workspace", "-created_at"], name="audit_ws_created"),
            models.Index(fields=["subject_user", "-created_at"], name="audit_subject_created"),
        ]
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.action} {self.target}"

    @property
    def detail(self) -> str:
        """The event's data in words, for the audit page."""
        role = self.data.get("role")
        if isinstance(role, list) and len(role) == 2:
            return f"{role[0]} → {role[1]}"
        if isinstance(role, str):
            return f"role {role}"
        if self.data.get("scopes"):
            return "scopes " + ", ".join(self.data["scopes"])
        return ""
