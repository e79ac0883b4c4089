"""The priority matrix: impact × urgency gives a ticket's priority."""

from __future__ import annotations

from netdesk.core.checks import checked_choice
from netdesk.tickets.choices import Level, Priority
from netdesk.tickets.models import PriorityRule

# Used when the matrix has no row for a cell (a fresh install before configuration).
DEFAULT_MATRIX = {
    (1, 1): Priority.CRITICAL,
    (1, 2): Priority.HIGH,
    (1, 3): Priority.MEDIUM,
    (2, 1): Priority.HIGH,
    (2, 2): Priority.MEDIUM,
    (2, 3): Priority.LOW,
    (3, 1): Priority.MEDIUM,
    (3, 2): Priority.LOW,
    (3, 3): Priority.PLANNING,
}


def priority_for(*, impact: int, urgency: int) -> int:
    """The configured priority for an impact × urgency cell."""
    checked_choice("impact", impact, Level)
    checked_choice("urgency", urgency, Level)
    rule = PriorityRule.objects.filter(impact=impact, urgency=urgency).first()
    return rule.priority if rule else int(DEFAULT_MATRIX[(impact, urgency)])
