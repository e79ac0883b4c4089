"""A customer's own message on their ticket: a public comment naming the
contact, an inbound call report, a resolved ticket reopened and one waiting
on the customer taken back into work; a closed ticket and strangers refused."""

from __future__ import annotations

import pytest

from netdesk.core.errors import TransitionNotAllowed, ValidationFailed
from netdesk.customers.models import Contact
from netdesk.tickets.choices import Channel, Direction, Status, Visibility
from netdesk.tickets.models import Interaction, Ticket
from netdesk.tickets.models.timeline import EventKind
from netdesk.tickets.services import (
    ticket_change_status,
    ticket_close,
    ticket_resolve,
)
from netdesk.tickets.services.customer_replies import customer_comment_add
from netdesk.tickets.timeline import timeline_entries
from tests import factories as f

pytestmark = pytest.mark.django_db


@pytest.fixture
def agent():
    return f.user()


def _ticket_of(agent) -> tuple[Ticket, Contact]:
    owner = f.customer()
    contact = Contact.objects.get(customer=owner)
    return f.ticket(agent, owner, contact=contact), contact


def test_message_is_a_public_comment_of_the_contact_with_an_inbound_call_report(agent):
    ticket, contact = _ticket_of(agent)

    comment = customer_comment_add(
        ticket=ticket, contact=contact, body="Still no light on the ONT.", channel=Channel.WEB
    )

    assert (comment.author, comment.contact, comment.visibility) == (
        None,
        contact,
        Visibility.PUBLIC,
    )
    call = Interaction.objects.filter(ticket=ticket, channel=Channel.WEB).get()
    assert (call.direction, call.contact, call.agent) == (Direction.INBOUND, contact, None)
    assert "Still no light on the ONT." in call.summary
    assert ticket.events.filter(kind=EventKind.INTERACTION_LOGGED, actor=None).exists()
    # The agent's ticket page names the contact as the writer.
    entry = next(e for e in timeline_entries(ticket) if e.kind == "comment-public")
    assert entry.label == "From the customer"
    assert entry.actor == f"{contact.name} (customer)"


def test_resolved_ticket_is_reopened(agent):
    ticket, contact = _ticket_of(agent)
    ticket_resolve(actor=agent, ticket=ticket, resolution_code="fixed", root_cause="hardware")

    customer_comment_add(ticket=ticket, contact=contact, body="It is back.", channel=Channel.WEB)

    ticket.refresh_from_db()
    assert (ticket.status, ticket.reopen_count) == (Status.IN_PROGRESS, 1)
    reopened = ticket.events.get(kind=EventKind.REOPENED, field="status")
    assert reopened.actor is None


def test_pending_on_customer_goes_back_to_work(agent):
    ticket, contact = _ticket_of(agent)
    ticket_change_status(actor=agent, ticket=ticket, status=Status.PENDING_CUSTOMER)

    customer_comment_add(ticket=ticket, contact=contact, body="Here it is.", channel=Channel.CHAT)

    ticket.refresh_from_db()
    assert ticket.status == Status.IN_PROGRESS


def test_closed_ticket_takes_no_message(agent):
    lead = f.user("team_lead")
    ticket, contact = _ticket_of(agent)
    ticket_resolve(actor=agent, ticket=ticket, resolution_code="fixed", root_cause="hardware")
    ticket_close(actor=lead, ticket=ticket)

    with pytest.raises(TransitionNotAllowed) as refused:
        customer_comment_add(ticket=ticket, contact=contact, body="Again", channel=Channel.WEB)

    assert refused.value.field == "status"
    assert not ticket.comments.exists()


def test_contact_of_another_customer_and_empty_text_are_refused(agent):
    ticket, _contact = _ticket_of(agent)
    stranger = Contact.objects.get(customer=f.customer())

    with pytest.raises(ValidationFailed) as refused:
        customer_comment_add(ticket=ticket, contact=stranger, body="Hi", channel=Channel.WEB)
    assert refused.value.field == "contact"

    with pytest.raises(ValidationFailed) as empty:
        customer_comment_add(ticket=ticket, contact=_contact, body="  \n", channel=Channel.WEB)
    assert empty.value.field == "body"
    with pytest.raises(ValidationFailed) as channel:
        customer_comment_add(ticket=ticket, contact=_contact, body="Hi", channel="pigeon")
    assert channel.value.field == "channel"
    assert not ticket.comments.exists()
