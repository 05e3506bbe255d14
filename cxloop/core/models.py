from django.db import models


class RateCounter(models.Model):
    """A fixed-window counter shared by every process (web workers and the background worker).

    Rows are keyed by (key, window); `core.ratelimit` increments them with one atomic upsert.
    """

    key = models.CharField(max_length=200)
    window_start = models.BigIntegerField(help_text="Unix time of the window's start.")
    count = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["key", "window_start"], name="ratecounter_key_window")]
        indexes = [models.Index(fields=["window_start"], name="ratecounter_window")]

    def __str__(self) -> str:
        return f"{self.key}@{self.window_start}={self.count}"


class SeedStep(models.Model):
    """Which demo-seed steps have run on this database, so `cxloop demo` seeds once and later steps
    (added by later features) still run on an existing demo data folder."""

    name = models.CharField(max_length=100, unique=True)
    applied_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.name


class IdempotencyRecord(models.Model):
    """The stored answer to a write sent with an `Idempotency-Key` header: a replay gets it back unchanged."""

    workspace = models.ForeignKey("accounts.Workspace", on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=200)
    fingerprint = models.CharField(max_length=64, help_text="SHA-256 of method, path and body.")
    status_code = models.PositiveSmallIntegerField()
    body = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["workspace", "key"], name="idempotency_unique_key")]

    def __str__(self) -> str:
        return self.key
