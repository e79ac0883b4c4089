"""The agents' side of web chat: the console page, the queue as JSON for
the menu's count and the console, and the JSON actions on one chat (take,
write, type, leave, end). Signed-in agents with chat.take only; POSTs keep
CSRF (the console sends X-CSRFToken). Errors are RFC 9457 problem documents."""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse, QueryDict
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from netdesk.accounts.models import User
from netdesk.accounts.permissions import Action, require, user_of
from netdesk.chat.models import Chat, ChatMessage, ChatState
from netdesk.chat.selectors import (
    ChatQueue,
    chat_by_public_id,
    chat_messages,
    chat_queue_for,
    tickets_to_file_on,
)
from netdesk.chat.services.agent import (
    CHAT_SUPERVISORS,
    agent_display_name,
    agent_left,
    agent_message_add,
    agent_typing,
    chat_end_by_agent,
    chat_take,
)
from netdesk.chat.services.transcript import CHAT_OUTCOMES
from netdesk.core.errors import NotFound, PermissionDenied, ServiceError, ValidationFailed
from netdesk.core.refusals import (
    UNREADABLE,
    problem_response,
    refusal_for,
    service_error_response,
)
from netdesk.core.text import printable_excerpt
from netdesk.customers.views import desk_view
from netdesk.tickets.choices import Outcome
from netdesk.tickets.models import Ticket
from netdesk.tickets.selectors import parse_reference, tickets_visible_to

BODY_MAX_BYTES = 64 * 1024
BODY_ACCEPTED = 'a JSON object or a form, e.g. {"text": "Hello"}'

AgentChatView = Callable[[HttpRequest, User, Chat], HttpResponse]


def _fields(request: HttpRequest) -> dict[str, Any] | QueryDict:
    """The request's fields: a JSON object, or a form."""
    length = request.META.get("CONTENT_LENGTH") or "0"
    if length.isdigit() and int(length) > BODY_MAX_BYTES:
        raise ValidationFailed(
            f"The body has {length} bytes; a chat request may have at most {BODY_MAX_BYTES}.",
            field="body",
            value=int(length),
            accepted=BODY_ACCEPTED,
        )
    if request.content_type != "application/json":
        return request.POST
    raw = request.body
    if not raw.strip():
        return {}
    try:
        data = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        data = None
    if not isinstance(data, dict):
        raise ValidationFailed(
            "The body is not a JSON object.",
            field="body",
            value=printable_excerpt(raw[:80].decode("utf-8", "replace")),
            accepted=BODY_ACCEPTED,
        )
    return data


def _agent_json(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """A JSON endpoint for signed-in agents who may take chats; refusals
    become problem documents (401 signed out, 403 without chat.take)."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            if not request.user.is_authenticated:
                raise _SignedOut("Sign in to the desk to work on chats.")
            require(user_of(request), Action.CHAT_TAKE)
            return view(request, *args, **kwargs)
        except ServiceError as error:
            return service_error_response(request, error)
        except UNREADABLE as error:
            refusal = refusal_for(error)
            assert refusal is not None
            return problem_response(request, refusal)

    return wrapper


class _SignedOut(ServiceError):
    status = 401
    kind = "signed-out"
    title = "Not signed in"


def _on_chat(view: AgentChatView) -> Callable[[HttpRequest, str], HttpResponse]:
    """A JSON action on the chat named in the path."""

    @_agent_json
    @wraps(view)
    def wrapper(request: HttpRequest, public_id: str) -> HttpResponse:
        chat = chat_by_public_id(public_id)
        if chat is None:
            raise NotFound(
                f"There is no chat {public_id}.",
                field="chat",
                value=public_id,
                accepted="the id of a chat, CH-…",
            )
        return view(request, user_of(request), chat)

    return wrapper


def _customer_json(chat: Chat) -> dict[str, Any] | None:
    customer = chat.customer
    if customer is None or customer.is_placeholder:
        return None
    return {
        "id": customer.pk,
        "account_number": customer.account_number,
        "name": customer.name,
        "url": reverse("customer_detail", args=[customer.pk]),
    }


def queue_json(queue: ChatQueue) -> dict[str, Any]:
    return {
        "waiting": [
            {
                "chat": item.chat.public_id,
                "visitor_name": item.chat.visitor_name,
                "customer": _customer_json(item.chat),
                "waiting_seconds": item.waiting_seconds,
                "language": item.chat.language,
                "page": item.chat.page_url,
                "outage": item.chat.outage_reference or None,
            }
            for item in queue.waiting
        ],
        "mine": [
            {
                "chat": chat.public_id,
                "visitor_name": chat.visitor_name,
                "customer": _customer_json(chat),
                "state": chat.state,
                "to_file": chat.state == ChatState.ENDED,
                "url": f"{reverse('chat_console')}?chat={chat.public_id}",
            }
            for chat in queue.mine
        ],
        "others_waiting": queue.others_waiting,
        "available": queue.available,
    }


@never_cache
@require_GET
@_agent_json
def chat_queue_json(request: HttpRequest) -> HttpResponse:
    """The chats the agent may take, oldest first, and the chats they hold."""
    return JsonResponse(queue_json(chat_queue_for(user_of(request))))


def _may_see(agent: User, chat: Chat) -> bool:
    return chat.agent_id == agent.pk or agent.role in CHAT_SUPERVISORS


def message_json(message: ChatMessage) -> dict[str, Any]:
    return {
        "id": message.pk,
        "sender": message.sender,
        "body": message.body,
        "at": message.created_at.isoformat(),
        "agent_name": agent_display_name(message.agent),
    }


@require_POST
@_on_chat
def chat_take_view(_request: HttpRequest, agent: User, chat: Chat) -> HttpResponse:
    """Take a waiting chat: 200, or 409 when another agent has it or the
    agent may not (away, skills)."""
    taken = chat_take(actor=agent, chat=chat)
    return JsonResponse({"chat": taken.public_id, "state": taken.state})


@never_cache
@require_http_methods(["GET", "POST"])
@_on_chat
def chat_messages_view(request: HttpRequest, agent: User, chat: Chat) -> HttpResponse:
    """POST {"text"}: write to the visitor (201 {"id", "at"}). GET
    ?after=<message id>: the chat's messages for its holder."""
    if request.method == "POST":
        message = agent_message_add(actor=agent, chat=chat, text=_fields(request).get("text"))
        return JsonResponse({"id": message.pk, "at": message.created_at.isoformat()}, status=201)
    if not _may_see(agent, chat):
        raise PermissionDenied(
            f"Chat {chat.public_id} is not yours; take it to read it.",
            field="chat",
            value=chat.public_id,
            accepted="a chat you have taken",
        )
    raw_after = request.GET.get("after", "0")
    # ASCII digits only ("³".isdigit() is true), and few enough for a bigint.
    if not (raw_after.isascii() and raw_after.isdigit() and len(raw_after) <= 18):
        raise ValidationFailed(
            f"after must be a message id (a whole number); got {raw_after!r}.",
            field="after",
            value=printable_excerpt(raw_after, limit=40),
            accepted="a whole number of 0 or more",
        )
    found = chat_messages(chat, after=int(raw_after))
    return JsonResponse(
        {"chat": chat.public_id, "state": chat.state, "messages": [message_json(m) for m in found]}
    )


@require_POST
@_on_chat
def chat_typing_view(_request: HttpRequest, agent: User, chat: Chat) -> HttpResponse:
    agent_typing(actor=agent, chat=chat)
    return HttpResponse(status=204)


@require_POST
@_on_chat
def chat_leave_view(_request: HttpRequest, agent: User, chat: Chat) -> HttpResponse:
    """Leave the chat to the queue without ending it."""
    left = agent_left(actor=agent, chat=chat)
    return JsonResponse({"chat": left.public_id, "state": left.state})


def _ticket_chosen(agent: User, value: object) -> Ticket | None:
    """The ticket named by the end form ("" or "new": a new ticket)."""
    if value is None or value in ("", "new"):
        return None
    accepted = "the reference of an open ticket of the chat's customer (TT-…), or new"
    if not isinstance(value, str):
        raise ValidationFailed(
            "ticket must be a ticket reference.", field="ticket", value=None, accepted=accepted
        )
    try:
        number = parse_reference(value)
    except NotFound:
        raise ValidationFailed(
            f"ticket {printable_excerpt(value, limit=40)!r} is not a ticket reference.",
            field="ticket",
            value=printable_excerpt(value, limit=40),
            accepted=accepted,
        ) from None
    ticket = tickets_visible_to(agent).filter(pk=number).first()
    if ticket is None:
        raise NotFound(
            f"Ticket {value!r} does not exist or is not visible to you.",
            field="ticket",
            value=value,
            accepted=accepted,
        )
    return ticket


@require_POST
@_on_chat
def chat_end_view(request: HttpRequest, agent: User, chat: Chat) -> HttpResponse:
    """End the chat and file its transcript: {"ticket": "TT-…" | "new",
    "outcome": …} (both optional: a new ticket)."""
    fields = _fields(request)
    outcome = fields.get("outcome") or None
    if outcome is not None and not isinstance(outcome, str):
        raise ValidationFailed(
            "outcome must be text.",
            field="outcome",
            value=None,
            accepted=[str(choice) for choice in CHAT_OUTCOMES],
        )
    ended, ticket = chat_end_by_agent(
        actor=agent, chat=chat, ticket=_ticket_chosen(agent, fields.get("ticket")), outcome=outcome
    )
    return JsonResponse(
        {
            "chat": ended.public_id,
            "state": ended.state,
            "ticket": ticket.reference,
            "ticket_url": reverse("ticket_detail", args=[ticket.reference]),
        }
    )


@desk_view
@require_GET
def chat_console(request: HttpRequest) -> HttpResponse:
    """The console: the queue to take from, the agent's chats, and the
    chat chosen with ?chat=CH-… (one of theirs; team leads any)."""
    agent = user_of(request)
    require(agent, Action.CHAT_TAKE)
    queue = chat_queue_for(agent)
    chosen = chat_by_public_id(request.GET.get("chat", "")[:40])
    if chosen is not None and not _may_see(agent, chosen):
        raise PermissionDenied(
            f"Chat {chosen.public_id} is not yours; take it from the queue to answer it.",
            field="chat",
            value=chosen.public_id,
            accepted="a chat you have taken",
        )
    if chosen is None and len(queue.mine) == 1:
        chosen = queue.mine[0]
    context: dict[str, Any] = {
        "queue": queue,
        "chosen": chosen,
        "chat_lines": chat_messages(chosen) if chosen else [],
        "tickets": tickets_to_file_on(chosen.customer, agent) if chosen else [],
        "outcomes": [(value, Outcome(value).label) for value in CHAT_OUTCOMES],
        "customer": _customer_json(chosen) if chosen else None,
    }
    return render(request, "chat/console.html", context)
