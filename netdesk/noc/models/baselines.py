"""What each element and area usually gets in complaints at each hour of the
week, learned from ticket history; the complaint-spike detector compares
the current window with it."""

from __future__ import annotations

from django.db import models

from netdesk.network.models import Area, NetworkElement


class ComplaintBaseline(models.Model):
    """One row per element or area that had complaints in the learning
    period, plus one desk-wide row (neither set) holding the shape of the
    week. Rates are complaints per bucket (`bucket_minutes`); `hourly_rates`
    is kept only for nodes with enough history to have their own shape,
    the others use `mean_rate` times the desk-wide shape."""

    element = models.ForeignKey(
        NetworkElement, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    area = models.ForeignKey(
        Area, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    bucket_minutes = models.PositiveSmallIntegerField(default=15)
    mean_rate = models.FloatField(help_text="complaints per bucket over the whole week")
    # 168 numbers, Monday 00:00–01:00 local time first; empty when too little history.
    hourly_rates = models.JSONField(default=list, blank=True)
    complaints = models.PositiveIntegerField(help_text="complaints it was learned from")
    learned_from = models.DateTimeField()
    learned_until = models.DateTimeField()
    learned_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["element"],
                condition=models.Q(element__isnull=False),
                name="complaint_baseline_one_per_element",
            ),
            models.UniqueConstraint(
                fields=["area"],
                condition=models.Q(area__isnull=False),
                name="complaint_baseline_one_per_area",
            ),
            models.CheckConstraint(
                condition=models.Q(element__isnull=True) | models.Q(area__isnull=True),
                name="complaint_baseline_element_or_area",
            ),
        ]

    def __str__(self) -> str:
        scope = self.element or self.area or "desk"
        return f"Complaint baseline of {scope}"
