"""A new ticket on the network (NETDESK_HOOKS["ticket_created"]): a fault
or complaint joins the incident on its customer's path, and any ticket is
shown to the complaint-spike detector, which counts network faults only."""

from __future__ import annotations

from netdesk.accounts.models import User
from netdesk.noc.selectors import network_status_for
from netdesk.noc.services.incidents import incident_link_ticket
from netdesk.noc.services.outages import complaint_observe
from netdesk.tickets.choices import TicketType
from netdesk.tickets.models import Ticket

# Tickets that describe a loss of service; requests and billing questions
# from a customer on a failed path are not caused by the failure.
SERVICE_AFFECTING = (TicketType.FAULT, TicketType.COMPLAINT)


def ticket_created(*, ticket: Ticket, actor: User | None) -> None:
    """Called by ticket creation (NETDESK_HOOKS["ticket_created"]), after
    triage: attach a fault or complaint to the active incident on the
    customer's path, and show the ticket to the spike detector, which counts
    it only when its type or its words say network fault."""
    if ticket.ticket_type in SERVICE_AFFECTING:
        statuses = network_status_for(ticket.customer_id, ticket.service_id)
        if statuses:
            incident_link_ticket(
                actor=actor, incident=statuses[0].incident, ticket=ticket, automatic=True
            )
    complaint_observe(ticket=ticket)
