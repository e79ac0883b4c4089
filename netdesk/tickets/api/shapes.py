"""The tickets as the API answers with them: one ticket, a list row, the
detail with its conversation and timeline."""

from __future__ import annotations

from typing import Any

from netdesk.tickets.models import Interaction, Ticket
from netdesk.tickets.models.ticket import reference_for


def ticket_out(ticket: Ticket) -> dict[str, Any]:
    return {
        "ref": ticket.reference,
        "public_id": ticket.public_id,
        "ticket_type": ticket.ticket_type,
        "channel": ticket.channel,
        "status": ticket.status,
        "title": ticket.title,
        "priority": ticket.priority,
        "impact": ticket.impact,
        "urgency": ticket.urgency,
        "customer_id": ticket.customer_id,
        "customer_name": ticket.customer.name,
        "service_id": ticket.service.service_id if ticket.service else None,
        "category": ticket.category.name if ticket.category else None,
        "group": {"id": ticket.group.pk, "name": ticket.group.name},
        "assignee": ticket.assignee.username if ticket.assignee else None,
        "hierarchical_level": ticket.hierarchical_level,
        "functional_escalations": ticket.functional_escalations,
        "first_contact_resolved": ticket.first_contact_resolved,
        "created_at": ticket.created_at,
        "updated_at": ticket.updated_at,
        "first_response_at": ticket.first_response_at,
        "resolved_at": ticket.resolved_at,
    }


def row_out(row: dict[str, Any]) -> dict[str, Any]:
    """ticket_out for a ROW_COLUMNS dictionary (the list endpoint)."""
    return {
        "ref": reference_for(row["pk"]),
        "public_id": row["public_id"],
        "ticket_type": row["ticket_type"],
        "channel": row["channel"],
        "status": row["status"],
        "title": row["title"],
        "priority": row["priority"],
        "impact": row["impact"],
        "urgency": row["urgency"],
        "customer_id": row["customer_id"],
        "customer_name": row["customer__name"],
        "service_id": row["service__service_id"],
        "category": row["category__name"],
        "group": {"id": row["group_id"], "name": row["group__name"]},
        "assignee": row["assignee__username"],
        "hierarchical_level": row["hierarchical_level"],
        "functional_escalations": row["functional_escalations"],
        "first_contact_resolved": row["first_contact_resolved"],
        "created_at": row["created_at"],
        "updated_at": row["updated_at"],
        "first_response_at": row["first_response_at"],
        "resolved_at": row["resolved_at"],
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
