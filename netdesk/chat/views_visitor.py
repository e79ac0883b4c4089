"""The chat widget's JSON endpoints (/chat/v/...). No cookie authenticates
them: after the start the widget sends the chat's secret token in the
X-Chat-Token header, which a page of another site cannot make a browser
send, so they need no CSRF token. Errors are RFC 9457 problem documents."""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST

from netdesk.accounts.throttling import client_address
from netdesk.chat.models import Chat
from netdesk.chat.services.events import visitor_stream
from netdesk.chat.services.limits import (
    TooManyRequests,
    chat_message_throttle,
    chat_start_throttle,
    chat_typing_due,
)
from netdesk.chat.services.visitor import (
    chat_for_token,
    chat_leave,
    chat_queue_join,
    chat_start,
    visitor_message_add,
    visitor_seen,
    visitor_typing,
)
from netdesk.core.errors import ServiceError, ValidationFailed
from netdesk.core.live import live_wait
from netdesk.core.refusals import PROBLEM, UNREADABLE, problem_body, problem_response, refusal_for
from netdesk.core.text import printable_excerpt

CHAT_TOKEN_HEADER = "X-Chat-Token"  # noqa: S105 (a header name)
WAIT_SECONDS_MAX = 25.0
CURSOR_DIGITS_MAX = 18
# A chat request's body is a few fields of text; anything longer is refused
# before it is read.
BODY_MAX_BYTES = 64 * 1024
BODY_ACCEPTED = 'a JSON object, e.g. {"text": "Hello"}'

ChatView = Callable[[HttpRequest, Chat], HttpResponse]


def _problem(
    request: HttpRequest,
    *,
    status: int,
    title: str,
    detail: str,
    kind: str,
    errors: list[dict[str, Any]] | None = None,
) -> JsonResponse:
    body = problem_body(
        request, status=status, title=title, detail=detail, kind=kind, errors=errors
    )
    return JsonResponse(body, status=status, content_type=PROBLEM)


def _refused(request: HttpRequest, error: ServiceError) -> JsonResponse:
    response = _problem(
        request,
        status=error.status,
        title=error.title,
        detail=error.message,
        kind=error.kind,
        errors=[error.as_error()],
    )
    if isinstance(error, TooManyRequests):
        response["Retry-After"] = str(error.retry_after)
    return response


def _body(request: HttpRequest) -> dict[str, Any]:
    """The request's JSON object ({} for an empty body)."""
    length = request.META.get("CONTENT_LENGTH") or "0"
    if length.isdigit() and int(length) > BODY_MAX_BYTES:
        raise ValidationFailed(
            f"The body has {length} bytes; a chat request may have at most {BODY_MAX_BYTES}.",
            field="body",
            value=int(length),
            accepted=BODY_ACCEPTED,
        )
    raw = request.body
    if not raw.strip():
        return {}
    try:
        data = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        raise ServiceError(
            "The body is not JSON.",
            field="body",
            value=printable_excerpt(raw[:80].decode("utf-8", "replace")),
            accepted=BODY_ACCEPTED,
        ) from None
    if not isinstance(data, dict):
        raise ServiceError(
            f"The body is a JSON {type(data).__name__}, not an object.",
            field="body",
            value=printable_excerpt(raw[:80].decode("utf-8", "replace")),
            accepted=BODY_ACCEPTED,
        )
    return data


def _answered(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Turn a refused request into its problem document."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            return view(request, *args, **kwargs)
        except ServiceError as error:
            return _refused(request, error)
        except UNREADABLE as error:
            refusal = refusal_for(error)
            assert refusal is not None
            return problem_response(request, refusal)

    return wrapper


def _visitor_of_chat(view: ChatView) -> Callable[[HttpRequest], HttpResponse]:
    """Views for the visitor of the chat whose token the request carries."""

    @wraps(view)
    def wrapper(request: HttpRequest) -> HttpResponse:
        token = request.headers.get(CHAT_TOKEN_HEADER, "").strip()
        chat = chat_for_token(token) if token else None
        if chat is None:
            detail = (
                f"The {CHAT_TOKEN_HEADER} header is missing; send the token the chat's start answered."
                if not token
                else f"The {CHAT_TOKEN_HEADER} header holds no chat's token; start a new chat."
            )
            response = _problem(
                request, status=401, title="No chat", detail=detail, kind="chat-token"
            )
            response["WWW-Authenticate"] = CHAT_TOKEN_HEADER
            return response
        return view(request, chat)

    return wrapper


@csrf_exempt
@never_cache
@require_POST
@_answered
def chat_visitor_start(request: HttpRequest) -> HttpResponse:
    """Start a chat: `{"name"?, "email"?, "account"?, "language"?, "page"?}`."""
    address = client_address(request)
    data = _body(request)
    chat_start_throttle(address=address)
    started = chat_start(
        name=data.get("name"),
        email=data.get("email"),
        account=data.get("account"),
        language=data.get("language"),
        page=data.get("page"),
        address=address,
    )
    return JsonResponse(
        {
            "chat": started.chat.public_id,
            "token": started.token,
            "state": started.state,
            "cursor": started.cursor,
            "outage": started.outage.as_dict() if started.outage else None,
        },
        status=201,
    )


@csrf_exempt
@never_cache
@require_POST
@_answered
@_visitor_of_chat
def chat_visitor_queue(request: HttpRequest, chat: Chat) -> HttpResponse:  # noqa: ARG001
    """After the outage notice: go on to an agent."""
    chat = chat_queue_join(chat=chat)
    return JsonResponse({"chat": chat.public_id, "state": chat.state})


@csrf_exempt
@never_cache
@require_POST
@_answered
@_visitor_of_chat
def chat_visitor_messages(request: HttpRequest, chat: Chat) -> HttpResponse:
    """A message from the visitor: `{"text": "..."}`."""
    data = _body(request)
    chat_message_throttle(chat=chat)
    message = visitor_message_add(chat=chat, text=data.get("text"))
    return JsonResponse({"id": message.pk, "at": message.created_at.isoformat()}, status=201)


@csrf_exempt
@never_cache
@require_POST
@_answered
@_visitor_of_chat
def chat_visitor_typing(request: HttpRequest, chat: Chat) -> HttpResponse:  # noqa: ARG001
    if chat_typing_due(chat=chat):
        visitor_typing(chat=chat)
    return HttpResponse(status=204)


@csrf_exempt
@never_cache
@require_POST
@_answered
@_visitor_of_chat
def chat_visitor_leave(request: HttpRequest, chat: Chat) -> HttpResponse:  # noqa: ARG001
    chat = chat_leave(chat=chat)
    return JsonResponse({"chat": chat.public_id, "state": chat.state})


def _after(request: HttpRequest) -> int:
    raw = request.GET.get("after") or "0"
    if not (raw.isascii() and raw.isdigit()) or len(raw) > CURSOR_DIGITS_MAX:
        raise ValidationFailed(
            f"after={raw!r} is not a cursor; give the cursor of the last answer.",
            field="after",
            value=raw,
            accepted=f"a whole number, 0 or more, of at most {CURSOR_DIGITS_MAX} digits",
        )
    return int(raw)


def _wait(request: HttpRequest) -> float:
    raw = request.GET.get("wait") or str(WAIT_SECONDS_MAX)
    try:
        wait = float(raw)
    except ValueError:
        wait = -1.0
    if not math.isfinite(wait) or wait < 0:
        raise ValidationFailed(
            f"wait={raw!r} is not a number of seconds.",
            field="wait",
            value=raw,
            accepted=f"seconds to wait, 0 to {WAIT_SECONDS_MAX:g} (more counts as {WAIT_SECONDS_MAX:g})",
        )
    return min(wait, WAIT_SECONDS_MAX)


@never_cache
@require_GET
@_answered
@_visitor_of_chat
def chat_visitor_events(request: HttpRequest, chat: Chat) -> HttpResponse:
    """`?after=<cursor>&wait=<seconds>`: the chat's events after the cursor,
    waiting up to `wait` seconds (at most 25) for the first. after=0 (or
    none) replays the chat's events of the last hour."""
    after = _after(request)
    wait = _wait(request)
    visitor_seen(chat=chat)
    events = live_wait(streams=[visitor_stream(chat)], after=after, timeout=wait)
    cursor = events[-1].id if events else after
    return JsonResponse({"cursor": cursor, "events": [event.as_dict() for event in events]})
