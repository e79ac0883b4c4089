"""An order to notify an incident's affected customers, taken by a request
and carried out page by page by a task; the incident page and the API read
its progress here."""

from __future__ import annotations

from django.db import models


class NotifyState(models.TextChoices):
    PENDING = "pending", "Waiting for a worker"
    RUNNING = "running", "Queuing notices"
    DONE = "done", "Done"
    FAILED = "failed", "Stopped"


OPEN_NOTIFY_STATES = (NotifyState.PENDING, NotifyState.RUNNING)


class NotifyOrder(models.Model):
    """Notify the customers `incident_update`'s incident affects. The task
    queues one page of customers per transaction and commits the counts and
    the last customer done (`after_customer_id`) with the page's rows, so a
    run killed half-way goes on where the last page ended, and two runs of
    one order take its pages in turn (each page locks the order)."""

    incident = models.ForeignKey("noc.NetworkIncident", on_delete=models.CASCADE, related_name="+")
    incident_update = models.ForeignKey(
        "noc.IncidentUpdate", on_delete=models.CASCADE, related_name="+"
    )
    created_by = models.ForeignKey(
        "accounts.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    state = models.CharField(
        max_length=10, choices=NotifyState.choices, default=NotifyState.PENDING
    )
    affected = models.PositiveIntegerField(
        default=0, help_text="Customers affected: the impact count, exact once done."
    )
    to_notify = models.PositiveIntegerField(
        default=0, help_text="Affected customers without this update's notice when ordered."
    )
    customers_done = models.PositiveIntegerField(default=0)
    after_customer_id = models.BigIntegerField(default=0)
    queued = models.PositiveIntegerField(default=0)
    already_notified = models.PositiveIntegerField(default=0)
    not_reachable = models.PositiveIntegerField(default=0)
    not_reachable_accounts = models.JSONField(default=list, blank=True)
    problem = models.TextField(blank=True, default="", help_text="Why it stopped.")

    class Meta:
        ordering = ["created_at", "pk"]
        constraints = [
            # One order of an update under way at a time: a second request
            # while it runs is answered with it.
            models.UniqueConstraint(
                fields=["incident_update"],
                condition=models.Q(state__in=["pending", "running"]),
                name="channels_notify_order_one_open",
            ),
        ]

    def __str__(self) -> str:
        return f"notify order {self.pk} ({self.state})"

    @property
    def is_open(self) -> bool:
        return self.state in OPEN_NOTIFY_STATES
