"""What a chat leaves on the desk once it is over: its transcript as a
contact (an interaction, channel chat) on a ticket of the customer, and for
a chat nobody took, a ticket holding the visitor's messages and a word to
the visitor saying how the desk will answer."""

from __future__ import annotations

import logging
import secrets
from datetime import datetime

from django.db import transaction
from django.utils import timezone

from netdesk.accounts.models import User
from netdesk.chat.models import Chat, ChatMessage, ChatState, EndedBy, Sender
from netdesk.chat.services.events import chat_event_publish, chat_queue_changed
from netdesk.core.errors import ServiceError, ValidationFailed
from netdesk.core.locking import locked
from netdesk.core.text import printable_excerpt
from netdesk.customers.models import Contact, Customer, email_key
from netdesk.customers.services import contact_create, customer_create
from netdesk.tickets.choices import Channel, Direction, Outcome, TicketType
from netdesk.tickets.models import Ticket
from netdesk.tickets.services import ticket_create, ticket_interaction_log

logger = logging.getLogger(__name__)

# A placeholder customer for a visitor the desk could not name; an agent
# merges its contact into the right customer once they know who it was.
PLACEHOLDER_PREFIX = "CHAT-"
# A transcript longer than this is cut (a chat of a few hundred messages
# still fits); the cut says how many messages were left out.
TRANSCRIPT_MAX_CHARS = 20_000
MESSAGES_READ_MAX = 2_000
TITLE_EXCERPT_CHARS = 80
# The longest contact a call report takes (tickets' MAX_CALL_SECONDS).
DURATION_MAX_SECONDS = 24 * 3600
# What an agent may record as a chat's outcome. "Resolved on the call" needs
# a resolution code (resolve the ticket itself) and "no answer" is for
# chats nobody took, which the desk files itself.
CHAT_OUTCOMES = (
    Outcome.INFORMATION_GIVEN,
    Outcome.TICKET_CREATED,
    Outcome.TICKET_UPDATED,
    Outcome.ESCALATED,
    Outcome.CALLBACK_PROMISED,
    Outcome.TRANSFERRED,
)
FILED_STATES = (ChatState.ENDED, ChatState.UNANSWERED, ChatState.ABANDONED)


class ChatNotOver(ServiceError):
    status = 409
    kind = "chat-not-over"
    title = "The chat is still going on"


def _speaker(message: ChatMessage, visitor: str) -> str:
    if message.sender == Sender.VISITOR:
        return visitor
    if message.sender == Sender.DESK:
        return "Desk"
    agent = message.agent
    return f"Agent {agent.get_full_name() or agent.get_username()}" if agent else "Agent"


def visitor_label(chat: Chat) -> str:
    """How the transcript and the ticket name the visitor."""
    return chat.visitor_name or chat.visitor_email or "Visitor"


def transcript_text(chat: Chat) -> str:
    """The chat as one text, a line per message with its time (UTC),
    bounded by TRANSCRIPT_MAX_CHARS."""
    messages = list(
        ChatMessage.objects.filter(chat=chat)
        .select_related("agent")
        .order_by("id")[:MESSAGES_READ_MAX]
    )
    visitor = (
        f"Visitor {visitor_label(chat)}" if chat.visitor_name or chat.visitor_email else ("Visitor")
    )
    head = f"Web chat {chat.public_id}, started {chat.started_at:%Y-%m-%d %H:%M} UTC"
    if chat.page_url:
        head += f" on {chat.page_url}"
    lines = [head + "."]
    used = len(lines[0])
    for shown, message in enumerate(messages):
        line = f"[{message.created_at:%H:%M:%S}] {_speaker(message, visitor)}: {message.body}"
        if used + len(line) + 1 > TRANSCRIPT_MAX_CHARS - 80:
            lines.append(f"… {len(messages) - shown} more messages are not shown here.")
            break
        lines.append(line)
        used += len(line) + 1
    if len(lines) == 1:
        lines.append("(No messages were written.)")
    return "\n".join(lines)


def _placeholder_contact(chat: Chat) -> Contact:
    """The unnamed visitor's contact: the placeholder contact already kept
    for their address, else a new unverified one on a new placeholder
    customer (account number CHAT-<n>)."""
    if chat.visitor_email:
        found = (
            Contact.objects.filter(
                email_key=email_key(chat.visitor_email), customer__is_placeholder=True
            )
            .select_related("customer")
            .order_by("pk")
            .first()
        )
        if found is not None:
            return found
    name = visitor_label(chat) if (chat.visitor_name or chat.visitor_email) else chat.public_id
    # A random number first, the customer's own number once it has one: two
    # processes opening placeholders at once never reach for the same one.
    customer = customer_create(
        account_number=f"{PLACEHOLDER_PREFIX}{secrets.token_hex(6)}",
        name=f"Chat visitor {name}"[:200],
        email=chat.visitor_email,
        language=chat.language or "en",
        is_placeholder=True,
    )
    customer.account_number = f"{PLACEHOLDER_PREFIX}{customer.pk}"
    customer.save(update_fields=["account_number"])
    return contact_create(
        customer=customer,
        name=(chat.visitor_name or chat.visitor_email or "Chat visitor")[:200],
        email=chat.visitor_email,
        verified=False,
    )


def chat_customer(chat: Chat) -> tuple[Customer, Contact | None]:
    """Whom the chat's ticket belongs to: the customer the visitor was
    matched to (with their contact, if matched), else a placeholder."""
    if chat.customer is not None:
        contact = chat.contact
        if contact is not None and contact.customer_id != chat.customer.pk:
            contact = None
        return chat.customer, contact
    contact = _placeholder_contact(chat)
    return contact.customer, contact


def _title(chat: Chat) -> str:
    first = (
        ChatMessage.objects.filter(chat=chat, sender=Sender.VISITOR)
        .order_by("id")
        .values_list("body", flat=True)
        .first()
    )
    title = f"Web chat with {visitor_label(chat)}"
    if first:
        title += ": " + printable_excerpt(" ".join(first.split()), limit=TITLE_EXCERPT_CHARS)
    return title[:200]


def _outcome(outcome: str | None, *, new_ticket: bool) -> str:
    if not outcome:
        return Outcome.TICKET_CREATED if new_ticket else Outcome.TICKET_UPDATED
    if outcome not in CHAT_OUTCOMES:
        raise ValidationFailed(
            f"outcome {outcome!r} is not one a chat may end with.",
            field="outcome",
            value=outcome,
            accepted=[str(choice) for choice in CHAT_OUTCOMES],
        )
    return outcome


def _check_ticket(ticket: Ticket, customer: Customer) -> None:
    if ticket.customer_id != customer.pk:
        raise ValidationFailed(
            f"{ticket.reference} belongs to another customer than the chat's visitor.",
            field="ticket",
            value=ticket.reference,
            accepted=f"an open ticket of {customer.account_number}, or a new ticket",
        )
    if not ticket.in_open_status:
        raise ValidationFailed(
            f"{ticket.reference} is {ticket.get_status_display().lower()}; a chat is filed "
            "on an open ticket.",
            field="ticket",
            value=ticket.reference,
            accepted=f"an open ticket of {customer.account_number}, or a new ticket",
        )


def _call_report(chat: Chat, *, outcome: str, now: datetime) -> dict[str, object]:
    ended = chat.ended_at or now
    seconds = int((ended - chat.started_at).total_seconds())
    return {
        "channel": Channel.CHAT,
        "direction": Direction.INBOUND,
        "started_at": chat.started_at,
        "duration_seconds": max(0, min(seconds, DURATION_MAX_SECONDS)),
        "summary": transcript_text(chat),
        "outcome": outcome,
    }


@transaction.atomic
def chat_transcript_file(
    *,
    chat: Chat,
    actor: User,
    ticket: Ticket | None = None,
    outcome: str | None = None,
) -> Ticket:
    """File an ended chat's transcript as a contact (channel chat, inbound)
    on `ticket`, an open ticket of the chat's customer, or on a new ticket
    opened by `actor`. A chat is filed once: filing it again answers the
    ticket it is on."""
    chat = locked(chat, what="chat")
    if chat.ticket_id is not None:
        return Ticket.objects.get(pk=chat.ticket_id)
    if chat.state not in FILED_STATES:
        raise ChatNotOver(
            f"Chat {chat.public_id} is {chat.get_state_display().lower()}; end it first.",
            field="chat",
            value=chat.public_id,
            accepted="a chat that has ended",
        )
    customer, contact = chat_customer(chat)
    now = timezone.now()
    report = _call_report(chat, outcome=_outcome(outcome, new_ticket=ticket is None), now=now)
    if ticket is None:
        ticket = ticket_create(
            actor=actor,
            customer=customer,
            ticket_type=TicketType.INFORMATION_REQUEST,
            channel=Channel.CHAT,
            title=_title(chat),
            description=f"Opened from web chat {chat.public_id}; the transcript is its "
            "first contact.",
            contact=contact,
            # The new ticket's channel is the contact's.
            call={key: value for key, value in report.items() if key != "channel"},
        )
    else:
        _check_ticket(ticket, customer)
        ticket_interaction_log(actor=actor, ticket=ticket, call=report, contact=contact)
    chat.ticket = ticket
    chat.save(update_fields=["ticket"])
    return ticket


def how_the_desk_answers(chat: Chat, customer: Customer, contact: Contact | None) -> str | None:
    """How the desk will answer a visitor nobody chatted with, in words
    for them: the address they typed, or the address or number on their
    account (not shown: anyone may type an account number). None: no way."""
    if chat.visitor_email:
        return f"by email at {chat.visitor_email}"
    known = [contact] if contact is not None else []
    if any(c.email for c in known) or (customer.email and not customer.is_placeholder):
        return "by email, at the address on your account"
    if any(c.phone for c in known) or (customer.phone and not customer.is_placeholder):
        return "by phone, at the number on your account"
    return None


def _unanswered_text(ticket: Ticket, how: str | None) -> str:
    said = f"Nobody is available to chat right now. We have opened ticket {ticket.reference} "
    if how is None:
        return said + (
            "with your messages, but we have no way to reach you: please start a chat again "
            "later and give your email address, or call us."
        )
    return said + f"with your messages and will answer you {how}."


@transaction.atomic
def chat_unanswered(*, chat: Chat, waited_since: datetime | None = None) -> Chat:
    """Nobody took the chat (nobody available, or not in time): it ends as
    unanswered with a ticket holding the visitor's messages, and the visitor
    is told the ticket and how the desk will answer. A chat taken or ended
    meanwhile is left as it is, and so is one that joined the queue after
    `waited_since` (an agent left it to the queue a moment ago)."""
    chat = locked(chat, what="chat")
    if chat.state != ChatState.QUEUED:
        return chat
    if waited_since is not None and chat.queued_at is not None and chat.queued_at > waited_since:
        return chat
    customer, contact = chat_customer(chat)
    ticket = ticket_create(
        actor=None,
        customer=customer,
        ticket_type=TicketType.INFORMATION_REQUEST,
        channel=Channel.CHAT,
        title=_title(chat),
        description="Nobody was available to take this web chat; answer the visitor.\n\n"
        + transcript_text(chat),
        contact=contact,
    )
    now = timezone.now()
    body = _unanswered_text(ticket, how_the_desk_answers(chat, customer, contact))
    message = ChatMessage.objects.create(chat=chat, sender=Sender.DESK, body=body, created_at=now)
    was_queued = chat.queued_at is not None
    chat.state = ChatState.UNANSWERED
    chat.ended_at = now
    chat.ended_by = EndedBy.DESK
    chat.ticket = ticket
    chat.save(update_fields=["state", "ended_at", "ended_by", "ticket"])
    chat_event_publish(
        chat=chat,
        kind="message",
        payload={
            "id": message.pk,
            "sender": Sender.DESK,
            "body": body,
            "at": now.isoformat(),
            "agent_name": "",
        },
    )
    chat_event_publish(chat=chat, kind="state", payload={"state": chat.state, "agent_name": ""})
    if was_queued:
        chat_queue_changed()
    return chat


def chats_overdue_file(*, ended_before: datetime, limit: int = 100) -> int:
    """File the chats the visitor ended (or that timed out) before
    `ended_before` which the agent who held them never filed: on a new
    ticket, in that agent's name, so no conversation is lost when an agent
    has gone home. For the desk's periodic chat tick; how many were filed."""
    overdue = Chat.objects.filter(
        state=ChatState.ENDED,
        ticket__isnull=True,
        agent__isnull=False,
        ended_at__lt=ended_before,
    ).order_by("ended_at", "id")[:limit]
    filed = 0
    for chat in overdue.select_related("agent"):
        agent = chat.agent
        assert agent is not None
        try:
            chat_transcript_file(chat=chat, actor=agent)
        except ServiceError:
            # One chat that cannot be filed (its agent lost the right) must
            # not hold up the others; it stays on the agent's console.
            logger.exception("chat %s: its transcript could not be filed", chat.public_id)
            continue
        filed += 1
    return filed
