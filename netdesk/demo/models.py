"""The record of a demo load: which rows `netdesk demo` created, so a second
run can refuse, and `--reset` can delete exactly those rows."""

from __future__ import annotations

from typing import Any

from django.db import models


def _empty() -> dict[str, Any]:
    return {}


class DemoRun(models.Model):
    """One `netdesk demo` load. `created` maps a model label to the
    [first id, last id] block the loader assigned, and "users" to the list of
    user ids, so the data can be removed without touching anything else."""

    started_at = models.DateTimeField(auto_now_add=True)
    seed = models.IntegerField()
    options = models.JSONField(default=_empty)
    created = models.JSONField(default=_empty)
    finished = models.BooleanField(default=False)

    def __str__(self) -> str:
        return f"demo run {self.pk} (seed {self.seed})"
