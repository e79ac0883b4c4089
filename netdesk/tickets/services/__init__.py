"""Every write to tickets. Each service checks the actor's permission, changes
the rows in one transaction and writes the timeline events for what changed."""

from netdesk.tickets.services.closure import ticket_close
from netdesk.tickets.services.conversation import (
    attachment_add,
    comment_add,
    interaction_log,
)
from netdesk.tickets.services.escalation import (
    ticket_deescalate_hierarchical,
    ticket_escalate_functional,
    ticket_escalate_hierarchical,
)
from netdesk.tickets.services.intake import ticket_create, ticket_interaction_log
from netdesk.tickets.services.lifecycle import (
    ticket_assign,
    ticket_change_status,
    ticket_raise_priority,
    ticket_reopen,
    ticket_resolve,
    ticket_update,
)
from netdesk.tickets.services.links import (
    ticket_link,
    ticket_merge,
    ticket_set_parent,
    ticket_unlink,
)
from netdesk.tickets.services.priority import priority_for

__all__ = [
    "attachment_add",
    "comment_add",
    "interaction_log",
    "priority_for",
    "ticket_assign",
    "ticket_change_status",
    "ticket_close",
    "ticket_create",
    "ticket_deescalate_hierarchical",
    "ticket_escalate_functional",
    "ticket_escalate_hierarchical",
    "ticket_interaction_log",
    "ticket_link",
    "ticket_merge",
    "ticket_raise_priority",
    "ticket_reopen",
    "ticket_resolve",
    "ticket_set_parent",
    "ticket_unlink",
    "ticket_update",
]
