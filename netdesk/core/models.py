"""Cross-cutting records: idempotency keys for retried API creates,
request counts for rate limits, and the data versions that keep each
process's memos (`netdesk.core.memo`) exact."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class IdempotencyKey(models.Model):
    """The answer given to a create request, replayed when the client retries it."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)
    key = models.CharField(max_length=200)
    endpoint = models.CharField(max_length=200)
    request_fingerprint = models.CharField(max_length=64)
    response_status = models.PositiveSmallIntegerField()
    response_body = models.JSONField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["user", "key", "endpoint"], name="idempotency_key_unique_per_user"
            )
        ]

    def __str__(self) -> str:
        return f"{self.endpoint} {self.key}"


class RateCount(models.Model):
    """Requests counted in one fixed window for one key (e.g. a user's API
    calls in the current minute), shared by every web process. Rows of
    windows gone by are deleted when the key's next window opens."""

    key = models.CharField(max_length=100)
    period_start = models.BigIntegerField(help_text="Window number: Unix time // period.")
    count = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["key", "period_start"], name="rate_count_unique")
        ]

    def __str__(self) -> str:
        return f"{self.key} @{self.period_start}: {self.count}"


class DataVersion(models.Model):
    """The version of what memos read from one table (`label`, e.g.
    "network.NetworkElement"): a fresh random token on every change, written
    in the transaction of the change, so a token rolled back is never seen
    again. A process keeps a memo while the tokens it was built from stand."""

    label = models.CharField(max_length=100, primary_key=True)
    token = models.CharField(max_length=32)

    def __str__(self) -> str:
        return f"{self.label} {self.token}"


class LiveEvent(models.Model):
    """Something a waiting browser should hear about at once: a chat message,
    a visitor typing, a call ringing at an agent's extension. `stream` names
    who listens ("chat:12", "agent:7"). Rows are the truth; the wake-up that
    tells waiting requests to read them (`netdesk.core.live`) is only a hint,
    so any web process can serve any listener. Old rows are pruned."""

    stream = models.CharField(max_length=100)
    kind = models.CharField(max_length=40)
    payload = models.JSONField(default=dict)
    created_at = models.DateTimeField(db_index=True)

    class Meta:
        indexes = [models.Index(fields=["stream", "id"], name="live_event_stream_id")]

    def __str__(self) -> str:
        return f"{self.stream} #{self.pk} {self.kind}"
