"""What a chat visitor may send: how long a message, how many per minute,
how many chats one address starts per hour. Counted in the database
(netdesk.core.ratelimit), so every web process of a desk refuses alike."""

from __future__ import annotations

import time

from django.conf import settings

from netdesk.chat.models import Chat
from netdesk.core.errors import ServiceError, ValidationFailed
from netdesk.core.ratelimit import rate_count_bump
from netdesk.core.text import ACCEPTED as STORABLE_TEXT
from netdesk.core.text import printable_excerpt, unstorable_problem

MINUTE = 60
HOUR = 3600
# A visitor's "typing" is passed on at most this often; the rest are dropped.
TYPING_EVERY_SECONDS = 2
EXCERPT_CHARS = 40


class TooManyRequests(ServiceError):
    """Over a rate: the answer says which and when to try again."""

    status = 429
    kind = "too-many-requests"
    title = "Too many requests"

    def __init__(self, message: str, *, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class MessageTooLong(ServiceError):
    status = 413
    kind = "message-too-long"
    title = "The message is too long"


def _count(key: str, period: int) -> tuple[int, int]:
    """Count one more for `key` in the current window of `period` seconds:
    (the window's count, seconds until the next window)."""
    now = time.time()
    window = int(now // period)
    count = rate_count_bump(key=f"{key}:{period}", period_start=window)
    return count, max(1, int((window + 1) * period - now + 0.999))


def chat_start_throttle(*, address: str) -> None:
    """One more chat started from `address`; refused past
    NETDESK_CHAT_STARTS_PER_HOUR."""
    limit = settings.NETDESK_CHAT_STARTS_PER_HOUR
    count, retry_after = _count(f"chat-start:{address}", HOUR)
    if count > limit:
        raise TooManyRequests(
            f"At most {limit} chats may be started from one address per hour; "
            f"try again in {retry_after} seconds.",
            retry_after=retry_after,
        )


def chat_message_throttle(*, chat: Chat) -> None:
    """One more message from the chat's visitor; refused past
    NETDESK_CHAT_MESSAGES_PER_MINUTE."""
    limit = settings.NETDESK_CHAT_MESSAGES_PER_MINUTE
    count, retry_after = _count(f"chat-message:{chat.pk}", MINUTE)
    if count > limit:
        raise TooManyRequests(
            f"At most {limit} messages per minute may be sent in a chat; "
            f"try again in {retry_after} seconds.",
            retry_after=retry_after,
        )


def chat_typing_due(*, chat: Chat) -> bool:
    """Whether this "typing" from the visitor is passed on: the first in
    each TYPING_EVERY_SECONDS. A widget sends one per key press or so."""
    count, _ = _count(f"chat-typing:{chat.pk}", TYPING_EVERY_SECONDS)
    return count == 1


def chat_message_text(text: object) -> str:
    """The message text a visitor sent, checked: a string, not blank, at
    most NETDESK_CHAT_MESSAGE_MAX_CHARS, storable. Surrounding blank lines
    and spaces are dropped."""
    limit = settings.NETDESK_CHAT_MESSAGE_MAX_CHARS
    accepted = f"text of 1 to {limit} characters"
    if text is None:
        raise ValidationFailed(
            f"text is missing; send {accepted}.", field="text", value=None, accepted=accepted
        )
    if not isinstance(text, str):
        raise ValidationFailed(
            f"text must be a string ({accepted}); got {type(text).__name__}.",
            field="text",
            value=text if isinstance(text, int | float | bool) or text is None else None,
            accepted=accepted,
        )
    cleaned = text.strip()
    if not cleaned:
        raise ValidationFailed(
            f"text is empty; send {accepted}.", field="text", value=text, accepted=accepted
        )
    if len(cleaned) > limit:
        raise MessageTooLong(
            f"text has {len(cleaned)} characters; a message may have at most {limit}. "
            "Split it into several messages.",
            field="text",
            value=printable_excerpt(cleaned, limit=EXCERPT_CHARS) + "…",
            accepted=accepted,
        )
    problem = unstorable_problem(cleaned)
    if problem is not None:
        raise ValidationFailed(
            f"text {problem}.",
            field="text",
            value=printable_excerpt(cleaned, limit=EXCERPT_CHARS),
            accepted=STORABLE_TEXT,
        )
    return cleaned
