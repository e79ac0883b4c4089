"""What survey tests share: a desk with a hotline agent, a team lead supervising the
hotline group, and a customer with an e-mail address."""

from __future__ import annotations

from dataclasses import dataclass

from netdesk.accounts.models import Role, SupportGroup, User
from netdesk.customers.models import Customer
from netdesk.tickets.models import Ticket
from netdesk.tickets.services import ticket_resolve
from tests import factories as f


@dataclass
class Desk:
    group: SupportGroup
    agent: User
    lead: User
    manager: User
    customer: Customer


def make_desk() -> Desk:
    group = f.group()
    lead = f.user(Role.TEAM_LEAD)
    group.supervisor = lead
    group.save(update_fields=["supervisor"])
    return Desk(
        group=group,
        agent=f.user(Role.HOTLINE_OPERATOR),
        lead=lead,
        manager=f.user(Role.SERVICE_DESK_MANAGER),
        customer=f.customer(email="jane@example.net"),
    )


def resolved(desk: Desk, customer: Customer | None = None, **extra: object) -> Ticket:
    """A ticket of the customer resolved by the desk's agent."""
    ticket = f.ticket(desk.agent, customer or desk.customer, **extra)
    return ticket_resolve(
        actor=desk.agent, ticket=ticket, resolution_code="fixed", root_cause="hardware"
    )
