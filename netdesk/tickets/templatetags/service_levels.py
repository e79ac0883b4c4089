"""`{% due_cell ticket %}`: the Due column of a ticket list that holds
Ticket objects (a customer's tickets), the same cell the queue shows."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils import timezone

from netdesk.tickets.due import due_cell as due_cell_of

register = template.Library()


@register.inclusion_tag("tickets/_due_cell.html")
def due_cell(ticket: Any) -> dict[str, Any]:
    return {
        "due": due_cell_of(
            next_due_at=ticket.sla_next_due_at,
            warn_at=ticket.sla_warn_at,
            paused=ticket.sla_paused,
            breached=ticket.sla_breached,
            now=timezone.now(),
        )
    }
