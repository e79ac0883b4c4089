"""The tickets as the API answers with them: one ticket, a list row, the
detail with its conversation and timeline."""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from netdesk.tickets.models import Interaction, Ticket
from netdesk.tickets.models.ticket import reference_for
from netdesk.tickets.selectors import LISTED_FIELDS, LISTED_RELATED, SLA_SUMMARY, row_sla


def ticket_out(ticket: Ticket) -> dict[str, Any]:
    return {
        "ref": ticket.reference,
        **{name: getattr(ticket, name) for name in LISTED_FIELDS},
        "customer_name": ticket.customer.name,
        "service_id": ticket.service.service_id if ticket.service else None,
        "category": ticket.category.name if ticket.category else None,
        "group": {"id": ticket.group.pk, "name": ticket.group.name},
        "assignee": ticket.assignee.username if ticket.assignee else None,
        **row_sla({name: getattr(ticket, name) for name in SLA_SUMMARY}, timezone.now()),
    }


def row_out(row: dict[str, Any]) -> dict[str, Any]:
    """ticket_out for a ROW_COLUMNS dictionary (the list endpoint)."""
    return {
        "ref": reference_for(row["pk"]),
        **{name: row[name] for name in LISTED_FIELDS},
        **{name: row[column] for name, column in LISTED_RELATED.items()},
        "group": {"id": row["group_id"], "name": row["group__name"]},
        **row_sla(row, timezone.now()),
    }


def interaction_out(item: Interaction) -> dict[str, Any]:
    return {
        "id": item.pk,
        "channel": item.channel,
        "direction": item.direction,
        "started_at": item.started_at,
        "duration_seconds": item.duration_seconds,
        "summary": item.summary,
        "outcome": item.outcome,
        "agent": item.agent.username if item.agent else None,
    }


def detail_out(ticket: Ticket) -> dict[str, Any]:
    return {
        **ticket_out(ticket),
        "description": ticket.description,
        "resolution_code": ticket.resolution_code,
        "root_cause": ticket.root_cause,
        "resolution_notes": ticket.resolution_notes,
        "reopen_count": ticket.reopen_count,
        "interactions": [interaction_out(i) for i in ticket.interactions.all()],
        "events": [
            {
                "at": e.at,
                "actor": e.actor.username if e.actor else None,
                "kind": e.kind,
                "field": e.field,
                "old_value": e.old_value,
                "new_value": e.new_value,
                "message": e.message,
            }
            for e in ticket.events.all()
        ],
    }
