"""A customer's own words on their ticket, written in the portal or a chat:
a public comment naming the contact, the contact logged as an inbound call
report, and the ticket taken back into work the way an answer by mail is."""

from __future__ import annotations

from django.db import transaction

from netdesk.core.checks import checked_choice
from netdesk.core.errors import TransitionNotAllowed, ValidationFailed
from netdesk.core.hooks import hooks_run
from netdesk.core.locking import locked
from netdesk.customers.models import Contact
from netdesk.tickets.choices import Channel, Direction, Outcome, Status, Visibility
from netdesk.tickets.models import Comment, Ticket
from netdesk.tickets.services.changes import ticket_changed
from netdesk.tickets.services.conversation import interaction_log
from netdesk.tickets.services.lifecycle import ticket_change_status, ticket_reopen

# The call report names the message; the comment holds it in full.
SUMMARY_EXCERPT = 300
CHANNEL_WORDS: dict[str, str] = {Channel.WEB: "in the web portal", Channel.CHAT: "in a chat"}


def _check(*, ticket: Ticket, contact: Contact, body: str, channel: str) -> None:
    checked_choice("channel", channel, Channel)
    if contact.customer_id != ticket.customer_id:
        raise ValidationFailed(
            f"Contact {contact.pk} belongs to another customer than {ticket.reference}.",
            field="contact",
            value=contact.pk,
            accepted=f"a contact of the ticket's customer {ticket.customer_id}",
        )
    if not body.strip():
        raise ValidationFailed(
            "The message is empty.", field="body", value=body, accepted="a non-empty text"
        )
    if ticket.status == Status.CLOSED:
        raise TransitionNotAllowed(
            f"{ticket.reference} is closed; a closed ticket takes no more messages. "
            "Open a new ticket instead.",
            field="status",
            value=ticket.status,
            accepted="a ticket that is not closed",
        )


@transaction.atomic
def customer_comment_add(*, ticket: Ticket, contact: Contact, body: str, channel: str) -> Comment:
    """The contact's message on their ticket, written by the desk on their
    behalf (actor None). A resolved ticket is reopened and one waiting on
    the customer goes back to in progress, as when they answer by mail; a
    closed ticket refuses (the customer opens a new one)."""
    ticket = locked(ticket)
    _check(ticket=ticket, contact=contact, body=body, channel=channel)
    where = CHANNEL_WORDS.get(channel, f"by {channel}")
    if ticket.status == Status.RESOLVED:
        ticket_reopen(
            actor=None, ticket=ticket, reason=f"The customer ({contact.name}) answered {where}."
        )
    elif ticket.status == Status.PENDING_CUSTOMER:
        ticket_change_status(
            actor=None,
            ticket=ticket,
            status=Status.IN_PROGRESS,
            note=f"The customer ({contact.name}) answered {where}.",
        )
    comment = Comment.objects.create(
        ticket=ticket, author=None, contact=contact, visibility=Visibility.PUBLIC, body=body
    )
    said = " ".join(body.split())
    if len(said) > SUMMARY_EXCERPT:
        said = said[: SUMMARY_EXCERPT - 1] + "…"
    # The call report is the timeline's event for the message.
    interaction_log(
        actor=None,
        customer=ticket.customer,
        contact=contact,
        ticket=ticket,
        channel=channel,
        direction=Direction.INBOUND,
        summary=f"{contact.name} wrote {where}: {said}",
        outcome=Outcome.TICKET_UPDATED,
        started_at=comment.created_at,
    )
    ticket_changed(ticket)
    hooks_run("ticket_customer_replied", ticket=ticket)
    return comment
