"""The visitor's side of a chat: starting it (who they are, which skills it
needs, an outage they should know of first), joining the queue, writing,
typing and leaving. The agent's side is in services/agent.py."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone

from netdesk.accounts.models import hash_token
from netdesk.chat.models import Chat, ChatMessage, ChatState, EndedBy, Sender
from netdesk.chat.services.events import chat_event_publish, chat_queue_changed
from netdesk.chat.services.limits import chat_message_text
from netdesk.core.errors import ServiceError, ValidationFailed
from netdesk.core.live import live_cursor
from netdesk.core.text import ACCEPTED as STORABLE_TEXT
from netdesk.core.text import printable_excerpt, unstorable_problem
from netdesk.customers.models import Contact, Customer, ServiceStatus, email_key
from netdesk.noc.selectors import network_status_for
from netdesk.routing import engine
from netdesk.routing.selectors import active_rules
from netdesk.tickets.choices import Channel

TOKEN_BYTES = 32
# The longest value of each field a visitor may give at the start.
START_FIELDS_MAX = {"name": 200, "email": 254, "account": 30, "language": 10}
PAGE_MAX = 500
# More verified contacts than this with one address: not worth telling apart.
CONTACTS_READ_MAX = 10
OUTAGE_MESSAGE_DEFAULT = (
    "We know of a fault in our network that affects your service. Our engineers are working on it."
)


class ChatClosed(ServiceError):
    status = 409
    kind = "chat-closed"
    title = "The chat has ended"


@dataclass(frozen=True)
class OutageNotice:
    """What the widget shows before the queue: an active incident on the
    path of one of the identified visitor's services."""

    incident: str
    message: str
    eta: datetime | None

    def as_dict(self) -> dict[str, Any]:
        return {
            "incident": self.incident,
            "message": self.message,
            "eta": self.eta.isoformat() if self.eta else None,
        }


@dataclass(frozen=True)
class ChatStarted:
    chat: Chat
    # The visitor's secret: shown once, only its SHA-256 is kept.
    token: str
    # Where the visitor's listening starts: every event of the chat is after it.
    cursor: int
    outage: OutageNotice | None

    @property
    def state(self) -> str:
        return "outage_notice" if self.outage else "queued"


def _start_field(field: str, value: object) -> str:
    """A start field, checked: a string of at most its length, storable."""
    longest = START_FIELDS_MAX[field]
    accepted = f"text of at most {longest} characters (optional)"
    if value is None:
        return ""
    if not isinstance(value, str):
        raise ValidationFailed(
            f"{field} must be text; got {type(value).__name__}.",
            field=field,
            value=None,
            accepted=accepted,
        )
    cleaned = value.strip()
    if len(cleaned) > longest:
        raise ValidationFailed(
            f"{field} has {len(cleaned)} characters; at most {longest} are accepted.",
            field=field,
            value=printable_excerpt(cleaned, limit=40) + "…",
            accepted=accepted,
        )
    problem = unstorable_problem(cleaned)
    if problem is not None:
        raise ValidationFailed(
            f"{field} {problem}.",
            field=field,
            value=printable_excerpt(cleaned),
            accepted=STORABLE_TEXT,
        )
    return cleaned


def _email(value: str) -> str:
    if not value:
        return ""
    try:
        validate_email(value)
    except ValidationError:
        raise ValidationFailed(
            f"email {value!r} is not a mail address.",
            field="email",
            value=value,
            accepted="a mail address such as ann@example.net (optional)",
        ) from None
    return value


def _page(value: object) -> str:
    """The page the visitor chats from, as the widget reports it: kept for
    the agent, cut to its column, never refused."""
    if not isinstance(value, str):
        return ""
    return printable_excerpt(value.strip(), limit=PAGE_MAX)


def visitor_identified(*, account: str, email: str) -> tuple[Customer | None, Contact | None]:
    """Who the visitor says they are, as far as the desk believes it: an
    exact account number names the customer; a verified contact's address
    names the contact (and their customer, if the address belongs to one
    customer only). Anything else leaves the visitor anonymous."""
    customer = None
    if account:
        customer = (
            Customer.objects.select_related("parent_account")
            .filter(account_number=account, is_placeholder=False)
            .first()
        )
    if not email:
        return customer, None
    contacts = Contact.objects.filter(
        email_key=email_key(email), verified=True, customer__is_placeholder=False
    ).select_related("customer", "customer__parent_account")
    if customer is not None:
        contacts = contacts.filter(customer=customer)
    found = list(contacts.order_by("id")[:CONTACTS_READ_MAX])
    if not found or len({contact.customer_id for contact in found}) > 1:
        return customer, None
    return found[0].customer, found[0]


def chat_requirements(*, customer: Customer | None, language: str) -> list[dict[str, int]]:
    """The skills an agent needs to take the chat: the routing rules that
    match a chat of this customer in this language, at their wanted level
    (a chat has no service level to relax them by)."""
    facts = engine.TicketFacts(channel=Channel.CHAT, language=language)
    if customer is not None:
        services = list(customer.services.exclude(status=ServiceStatus.CEASED)[:2])
        only = services[0] if len(services) == 1 else None
        facts = engine.TicketFacts(
            channel=Channel.CHAT,
            language=language,
            segment=customer.segment,
            key_account=customer.is_key_account,
            product=only.product if only else "",
            access_technology=only.access_technology if only else "",
        )
    return [
        {"skill": requirement.skill_id, "min_level": requirement.level}
        for requirement in engine.requirements_for(facts, active_rules())
    ]


def outage_notice_for(customer: Customer) -> OutageNotice | None:
    """The newest active incident on the path of one of the customer's services."""
    found = network_status_for(customer.pk)
    if not found:
        return None
    incident = found[0].incident
    return OutageNotice(
        incident=incident.reference,
        message=incident.customer_description.strip() or OUTAGE_MESSAGE_DEFAULT,
        eta=incident.eta,
    )


def chat_start(
    *,
    name: object = "",
    email: object = "",
    account: object = "",
    language: object = "",
    page: object = "",
    address: str = "",
) -> ChatStarted:
    """Start a chat. An identified visitor with an active incident on one of
    their services is shown the notice first and joins the queue only when
    they go on (chat_queue_join); everyone else joins it at once."""
    visitor_name = _start_field("name", name)
    visitor_email = _email(_start_field("email", email))
    visitor_account = _start_field("account", account)
    visitor_language = _start_field("language", language)
    cursor = live_cursor()
    customer, contact = visitor_identified(account=visitor_account, email=visitor_email)
    language_used = visitor_language or (customer.language if customer else "")
    outage = outage_notice_for(customer) if customer is not None else None
    token = secrets.token_urlsafe(TOKEN_BYTES)
    now = timezone.now()
    with transaction.atomic():
        chat = Chat.objects.create(
            visitor_token_hash=hash_token(token),
            visitor_name=visitor_name,
            visitor_email=visitor_email,
            visitor_account=visitor_account,
            customer=customer,
            contact=contact,
            language=language_used,
            page_url=_page(page),
            visitor_address=address[:45],
            state=ChatState.QUEUED,
            requirements=chat_requirements(customer=customer, language=language_used),
            outage_reference=outage.incident if outage else "",
            started_at=now,
            queued_at=None if outage else now,
            last_visitor_at=now,
        )
        if outage is None:
            chat_queue_changed()
    return ChatStarted(chat=chat, token=token, cursor=cursor, outage=outage)


def chat_for_token(token: str) -> Chat | None:
    """The chat whose visitor holds `token`, with its agent."""
    if not token:
        return None
    return Chat.objects.select_related("agent").filter(visitor_token_hash=hash_token(token)).first()


def _locked(chat: Chat) -> Chat:
    return Chat.objects.select_for_update(of=("self",)).select_related("agent").get(pk=chat.pk)


def _require_open(chat: Chat, *, to: str) -> None:
    if chat.state not in (ChatState.QUEUED, ChatState.ACTIVE):
        raise ChatClosed(
            f"Chat {chat.public_id} is {chat.get_state_display().lower()}; it is too late "
            f"to {to}. Start a new chat.",
            field="chat",
            value=chat.public_id,
            accepted="a chat that is waiting for an agent or with one",
        )


def agent_name(chat: Chat) -> str:
    """How the visitor knows the agent: their first name."""
    if chat.agent is None:
        return ""
    return chat.agent.first_name or chat.agent.get_username()


def _state_publish(chat: Chat) -> None:
    chat_event_publish(
        chat=chat, kind="state", payload={"state": chat.state, "agent_name": agent_name(chat)}
    )


@transaction.atomic
def visitor_message_add(*, chat: Chat, text: object) -> ChatMessage:
    """A message from the visitor, heard by the agent who holds the chat
    (and kept for whoever takes it from the queue)."""
    body = chat_message_text(text)
    chat = _locked(chat)
    _require_open(chat, to="send a message")
    now = timezone.now()
    message = ChatMessage.objects.create(
        chat=chat, sender=Sender.VISITOR, body=body, created_at=now
    )
    chat.last_visitor_at = now
    chat.save(update_fields=["last_visitor_at"])
    chat_event_publish(
        chat=chat,
        kind="message",
        payload={
            "id": message.pk,
            "sender": Sender.VISITOR,
            "body": body,
            "at": now.isoformat(),
            "agent_name": "",
        },
    )
    return message


def visitor_typing(*, chat: Chat) -> None:
    """Tell the agent the visitor is typing. Not locked: a "typing" lost
    to a race is harmless, and the next key press sends another."""
    if chat.state == ChatState.ACTIVE:
        chat_event_publish(chat=chat, kind="typing", payload={"sender": Sender.VISITOR})


def visitor_seen(*, chat: Chat, now: datetime | None = None) -> None:
    """The visitor's widget is still listening: their chat is not abandoned.
    Written at most once a minute per chat."""
    now = now or timezone.now()
    if (now - chat.last_visitor_at).total_seconds() < 60:
        return
    Chat.objects.filter(pk=chat.pk, last_visitor_at__lt=now).update(last_visitor_at=now)
    chat.last_visitor_at = now


@transaction.atomic
def chat_queue_join(*, chat: Chat) -> Chat:
    """The visitor read the outage notice and still wants an agent: the
    chat joins the queue. Asking again changes nothing."""
    chat = _locked(chat)
    _require_open(chat, to="wait for an agent")
    if chat.state == ChatState.QUEUED and chat.queued_at is None:
        now = timezone.now()
        chat.queued_at = now
        chat.last_visitor_at = now
        chat.save(update_fields=["queued_at", "last_visitor_at"])
        _state_publish(chat)
        chat_queue_changed()
    return chat


def _visitor_gone(chat: Chat, *, ended_by: str) -> None:
    """End a locked open chat whose visitor went: with an agent it ends, and
    the agent hears it; still waiting, it is abandoned."""
    was_queued = chat.state == ChatState.QUEUED and chat.queued_at is not None
    chat.state = ChatState.ABANDONED if chat.state == ChatState.QUEUED else ChatState.ENDED
    chat.ended_at = timezone.now()
    chat.ended_by = ended_by
    chat.save(update_fields=["state", "ended_at", "ended_by"])
    _state_publish(chat)
    if was_queued or chat.agent_id is not None:
        # The queue, or the agent's own chats, changed.
        chat_queue_changed()


@transaction.atomic
def chat_leave(*, chat: Chat) -> Chat:
    """The visitor left. Leaving an ended chat changes nothing."""
    chat = _locked(chat)
    if chat.state in (ChatState.QUEUED, ChatState.ACTIVE):
        _visitor_gone(chat, ended_by=EndedBy.VISITOR)
    return chat


@transaction.atomic
def chat_time_out(*, chat: Chat, silent_since: datetime) -> bool:
    """End the chat if its visitor has been silent (neither written nor
    listened) since `silent_since`: they closed the page or walked away.
    Checked under the chat's lock, so a visitor who wrote meanwhile keeps
    their chat. True when it ended."""
    chat = _locked(chat)
    if chat.state not in (ChatState.QUEUED, ChatState.ACTIVE):
        return False
    if chat.last_visitor_at >= silent_since:
        return False
    _visitor_gone(chat, ended_by=EndedBy.TIMEOUT)
    return True
