"""A ticket service handed the ticket as a page loaded it must check and
write the ticket as it is now: another agent may have resolved it meanwhile,
and a stale copy must not move it back into work or change it silently."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from netdesk.accounts.models import Role, TierKind
from netdesk.core.errors import TransitionNotAllowed
from netdesk.tickets.models import Ticket
from netdesk.tickets.services import (
    ticket_assign,
    ticket_change_status,
    ticket_escalate_functional,
    ticket_escalate_hierarchical,
    ticket_merge,
    ticket_raise_priority,
    ticket_resolve,
    ticket_update,
)
from tests import factories as f

pytestmark = pytest.mark.django_db

WRITES: dict[str, Callable[[Any, Ticket], Any]] = {
    "change_status": lambda agent, stale: ticket_change_status(
        actor=agent, ticket=stale, status="pending_customer"
    ),
    "update": lambda agent, stale: ticket_update(
        actor=agent, ticket=stale, changes={"title": "Still no internet"}
    ),
    "assign": lambda agent, stale: ticket_assign(actor=agent, ticket=stale, assignee=agent),
    "escalate_functional": lambda agent, stale: ticket_escalate_functional(
        actor=agent, ticket=stale, group=f.group(TierKind.SECOND_LINE), reason="Line test needed"
    ),
    "escalate_hierarchical": lambda agent, stale: ticket_escalate_hierarchical(
        actor=agent, ticket=stale, reason="Customer asks for a manager"
    ),
    "raise_priority": lambda agent, stale: ticket_raise_priority(
        actor=agent, ticket=stale, reason="SLA at risk"
    ),
    "resolve": lambda agent, stale: ticket_resolve(
        actor=agent, ticket=stale, resolution_code="fixed", root_cause="hardware"
    ),
    "merge": lambda agent, stale: ticket_merge(
        actor=agent, duplicate=stale, into=f.ticket(agent, stale.customer)
    ),
}


@pytest.mark.parametrize("write", sorted(WRITES))
def test_a_stale_copy_of_a_resolved_ticket_is_refused(write):
    # Given a ticket as the second agent's page loaded it, resolved since by the first
    first = f.user(Role.TEAM_LEAD)
    second = f.user(Role.TEAM_LEAD)
    ticket = f.ticket(first)
    stale = Ticket.objects.get(pk=ticket.pk)
    ticket_resolve(actor=first, ticket=ticket, resolution_code="fixed", root_cause="hardware")
    resolved = Ticket.objects.get(pk=ticket.pk)

    # When the second agent's change arrives, then it is refused on the ticket as it is
    with pytest.raises(TransitionNotAllowed):
        WRITES[write](second, stale)
    now = Ticket.objects.get(pk=ticket.pk)
    assert (now.status, now.title, now.resolved_by_id, now.priority) == (
        resolved.status,
        resolved.title,
        first.pk,
        resolved.priority,
    )
