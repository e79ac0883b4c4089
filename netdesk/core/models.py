"""Cross-cutting records: idempotency keys for retried API creates, and
request counts for rate limits."""

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
