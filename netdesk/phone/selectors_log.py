"""Reads of the call log page: calls newest first a page at a time, with
the filters the page offers (the API's and the agent's own: answered by me,
a day), the callback list and one call with its events. The object scope
and the callback list are the API's (netdesk.phone.selectors), so the page
and GET /api/v1/calls agree. Every list costs the same queries however many
calls it shows."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from django.db.models import Q, QuerySet
from django.utils import timezone

from netdesk.accounts.models import User
from netdesk.core.errors import NotFound, ValidationFailed
from netdesk.phone.models import Call, CtiEvent
from netdesk.phone.selectors import callback_calls, calls_visible_to

PAGE_SIZE = 50
# "<started_at in microseconds since the epoch>_<call id>": where the next page starts.
CURSOR = re.compile(r"^(-?\d{1,20})_(\d{1,19})$")
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class CallFilter:
    """The log page's filters; empty means all."""

    outcome: str = ""
    direction: str = ""
    answered_by: int | None = None
    day: date | None = None
    callbacks: bool = False


def _micros(moment: datetime) -> int:
    return (moment - EPOCH) // timedelta(microseconds=1)


def _moment(micros: int) -> datetime:
    return EPOCH + timedelta(microseconds=micros)


def _after_cursor(cursor: str) -> Q:
    match = CURSOR.match(cursor)
    if match is None:
        raise ValidationFailed(
            f"cursor {cursor!r} is not one this page gave out.",
            field="cursor",
            value=cursor,
            accepted="the cursor of the page's Older calls link, unchanged",
        )
    try:
        started_at = _moment(int(match.group(1)))
    except (OverflowError, OSError, ValueError):
        raise ValidationFailed(
            f"cursor {cursor!r} names no time the desk keeps.",
            field="cursor",
            value=cursor,
            accepted="the cursor of the page's Older calls link, unchanged",
        ) from None
    pk = int(match.group(2))
    return Q(started_at__lt=started_at) | Q(started_at=started_at, pk__lt=pk)


def _filtered(calls: QuerySet[Call], filters: CallFilter) -> QuerySet[Call]:
    if filters.callbacks:
        calls = calls.filter(callback_calls())
    if filters.outcome:
        calls = calls.filter(outcome=filters.outcome)
    if filters.direction:
        calls = calls.filter(direction=filters.direction)
    if filters.answered_by is not None:
        calls = calls.filter(answered_by_id=filters.answered_by)
    if filters.day is not None:
        start = timezone.make_aware(datetime.combine(filters.day, time.min))
        calls = calls.filter(started_at__gte=start, started_at__lt=start + timedelta(days=1))
    return calls


def call_log_page(
    *, user: User, filters: CallFilter, cursor: str = "", limit: int = PAGE_SIZE
) -> tuple[list[Call], str]:
    """One page of calls, newest first, and the cursor of the next page ("" at
    the end). One query, whatever the page holds."""
    calls = _filtered(calls_visible_to(user), filters)
    if cursor:
        calls = calls.filter(_after_cursor(cursor))
    rows = list(
        calls.select_related("customer", "answered_by", "called_back_by").order_by(
            "-started_at", "-pk"
        )[: limit + 1]
    )
    if len(rows) <= limit:
        return rows, ""
    last = rows[limit - 1]
    return rows[:limit], f"{_micros(last.started_at)}_{last.pk}"


def callbacks_waiting(*, user: User) -> int:
    """How many missed or abandoned calls wait for a callback (the tab's count)."""
    return _filtered(calls_visible_to(user), CallFilter(callbacks=True)).count()


def call_detail(*, user: User, pk: int) -> tuple[Call, list[CtiEvent]]:
    """A call the user may see, and its events as the PBX sent them."""
    call = (
        calls_visible_to(user)
        .select_related(
            "customer", "contact", "answered_by", "called_back_by", "endpoint", "interaction"
        )
        .filter(pk=pk)
        .first()
    )
    if call is None:
        raise NotFound(
            f"Call {pk} does not exist or is not visible to you.",
            field="call",
            value=pk,
            accepted="the id of a call in the call log",
        )
    events = list(CtiEvent.objects.filter(call=call).order_by("received_at", "pk"))
    return call, events
