"""Configuration the desk edits in the admin: categories and the priority matrix."""

from __future__ import annotations

from django.db import models

from netdesk.tickets.choices import Level, Priority, TicketType


class Category(models.Model):
    """A ticket category ("No internet", "Slow speed", "Invoice dispute")."""

    name = models.CharField(max_length=120)
    ticket_type = models.CharField(max_length=30, choices=TicketType.choices)
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["ticket_type", "name"]
        constraints = [
            models.UniqueConstraint(fields=["ticket_type", "name"], name="category_unique_name")
        ]
        verbose_name_plural = "categories"

    def __str__(self) -> str:
        return self.name


class PriorityRule(models.Model):
    """One cell of the impact × urgency matrix."""

    impact = models.PositiveSmallIntegerField(choices=Level.choices)
    urgency = models.PositiveSmallIntegerField(choices=Level.choices)
    priority = models.PositiveSmallIntegerField(choices=Priority.choices)

    class Meta:
        ordering = ["impact", "urgency"]
        constraints = [
            models.UniqueConstraint(fields=["impact", "urgency"], name="priority_rule_unique_cell")
        ]

    def __str__(self) -> str:
        return f"impact {self.impact} × urgency {self.urgency} → P{self.priority}"
