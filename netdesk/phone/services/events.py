"""Call events from the PBX (Zammad's generic CTI events: newCall, answer,
hangup) turned into calls.

Every event is kept as received (`CtiEvent`), with the reason when it was
refused. A PBX may send an event twice, or out of order (an answer before
its newCall, a hangup repeated after a network error): each event is
applied to the call under the call's row lock, and applying it again
changes nothing. Times, direction and who answered come from the events.

Outcome of a call, decided when it has ended (docs/phone.md):

- answered: an answer event came, whatever the hangup's cause;
- busy: cause busy;
- rejected: cause congestion, notFound or rejected (the line could not be
  reached or refused the call);
- inbound, not answered: abandoned when the caller hung up (cancel, or
  normalClearing without an answer), missed otherwise (noAnswer, forwarded,
  no cause or another one): missed and abandoned calls form the callback list;
- outbound, not answered: missed (the customer was not reached).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlencode

from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from netdesk.accounts.models import User
from netdesk.core.errors import ValidationFailed
from netdesk.core.live import live_publish
from netdesk.core.views_live import agent_stream
from netdesk.customers.models import normalise_phone
from netdesk.phone.models import (
    Call,
    CallDirection,
    CallerLookup,
    CallOutcome,
    CtiEndpoint,
    CtiEvent,
)
from netdesk.phone.selectors import CallerMatch, callers_by_number

NEW_CALL = "newCall"
ANSWER = "answer"
HANGUP = "hangup"
EVENTS = (NEW_CALL, ANSWER, HANGUP)
# Zammad's causes; others are kept as sent and count as "no answer".
CAUSES = ("normalClearing", "busy", "cancel", "noAnswer", "congestion", "notFound", "forwarded")
CALLER_HUNG_UP = ("cancel", "normalClearing")
UNREACHABLE = ("congestion", "notFound", "rejected")
CALL_ID_MAX = 250
NUMBER_MAX = 64
NAME_MAX = 150
USERS_MAX = 50
# A caller who asked the IVR this long before their call reached the desk
# heard its outage notice and still waited.
OUTAGE_HEARD_WITHIN = timedelta(minutes=5)
# The endpoint's last event time is written at most this often.
ENDPOINT_TOUCH_SECONDS = 60

CALL_ANSWERED = "call_answered"
CALL_ENDED = "call_ended"


@dataclass(frozen=True)
class CtiEventIn:
    """One event as the PBX sent it, read and checked."""

    event: str
    call_id: str
    direction: str  # "" when the event did not say
    from_number: str
    to_number: str
    users: list[str]
    queue: str
    cause: str
    answering_number: str


@dataclass(frozen=True)
class CtiEventResult:
    call: Call
    # "ringing", "answered" (talking) or "ended".
    state: str


def _text(payload: dict[str, Any], name: str, limit: int) -> str:
    value = payload.get(name)
    if isinstance(value, list):
        value = value[-1] if value else None
    if value is None:
        return ""
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise ValidationFailed(
            f"{name} {value!r} is not a text value.",
            field=name,
            value=str(value)[:200],
            accepted="a string",
        )
    text = str(value).strip()
    if len(text) > limit:
        raise ValidationFailed(
            f"{name} is {len(text)} characters long; at most {limit} are accepted.",
            field=name,
            value=text[:200],
            accepted=f"at most {limit} characters",
        )
    return text


def _users(payload: dict[str, Any]) -> list[str]:
    """`user[]` (form posts repeat it; JSON may send a list) or `user`."""
    raw = payload.get("user[]", payload.get("user"))
    values = raw if isinstance(raw, list) else [] if raw is None else [raw]
    if len(values) > USERS_MAX:
        raise ValidationFailed(
            f"user[] names {len(values)} users; at most {USERS_MAX} are accepted.",
            field="user[]",
            value=len(values),
            accepted=f"at most {USERS_MAX} names",
        )
    names: list[str] = []
    for value in values:
        name = _text({"user[]": value}, "user[]", NAME_MAX)
        if name and name not in names:
            names.append(name)
    return names


def cti_event_parse(payload: dict[str, Any]) -> CtiEventIn:
    """The event in `payload` (a JSON object, or a form's fields with
    repeated ones as lists); ValidationFailed naming the field otherwise."""
    event = _text(payload, "event", 20)
    if event not in EVENTS:
        raise ValidationFailed(
            f"event {event!r} is not a call event the desk takes.",
            field="event",
            value=event,
            accepted=list(EVENTS),
        )
    call_id = _text(payload, "callId", CALL_ID_MAX)
    if not call_id:
        raise ValidationFailed(
            "callId is missing: every event must name its call.",
            field="callId",
            value=payload.get("callId"),
            accepted=f"the call's unique id, 1 to {CALL_ID_MAX} characters",
        )
    direction = _text(payload, "direction", 3)
    if direction not in ("", *CallDirection.values):
        raise ValidationFailed(
            f"direction {direction!r} is not a call direction.",
            field="direction",
            value=direction,
            accepted=list(CallDirection.values),
        )
    if event == NEW_CALL and not direction:
        raise ValidationFailed(
            "direction is missing: a newCall event must say whether the call comes in or goes out.",
            field="direction",
            value=None,
            accepted=list(CallDirection.values),
        )
    return CtiEventIn(
        event=event,
        call_id=call_id,
        direction=direction,
        from_number=_text(payload, "from", NUMBER_MAX),
        to_number=_text(payload, "to", NUMBER_MAX),
        users=_users(payload),
        queue=_text(payload, "queue", 100),
        cause=_text(payload, "cause", 40),
        answering_number=_text(payload, "answeringNumber", NUMBER_MAX),
    )


def call_outcome(*, direction: str, answered: bool, cause: str) -> str:
    """How an ended call went (the rules are in this module's docstring)."""
    if answered:
        return CallOutcome.ANSWERED
    if cause == "busy":
        return CallOutcome.BUSY
    if cause in UNREACHABLE:
        return CallOutcome.REJECTED
    if direction == CallDirection.INBOUND and cause in CALLER_HUNG_UP:
        return CallOutcome.ABANDONED
    return CallOutcome.MISSED


def cti_event_keep(
    *, endpoint: CtiEndpoint | None, payload: dict[str, Any], problem: str
) -> CtiEvent:
    """Keep a refused event as received, with why it was refused."""
    event = payload.get("event")
    return CtiEvent.objects.create(
        endpoint=endpoint,
        event=event[:20] if isinstance(event, str) else "",
        payload=payload,
        received_at=timezone.now(),
        problem=problem,
    )


def cti_event_receive(*, endpoint: CtiEndpoint, payload: dict[str, Any]) -> CtiEventResult:
    """Apply one event from the endpoint's PBX to its call, keep the event,
    and pop the call up on the answering agent's screen. ValidationFailed
    (the event kept with its problem) when the event cannot be read."""
    try:
        parsed = cti_event_parse(payload)
    except ValidationFailed as error:
        cti_event_keep(endpoint=endpoint, payload=payload, problem=error.message)
        raise
    now = timezone.now()
    with transaction.atomic():
        call, change = _call_changed(endpoint=endpoint, parsed=parsed, now=now)
        _publish(call=call, change=change)
        CtiEvent.objects.create(
            endpoint=endpoint, call=call, event=parsed.event, payload=payload, received_at=now
        )
    if (
        endpoint.last_event_at is None
        or (now - endpoint.last_event_at).total_seconds() > ENDPOINT_TOUCH_SECONDS
    ):
        CtiEndpoint.objects.filter(pk=endpoint.pk).update(last_event_at=now)
    return CtiEventResult(call=call, state=call_state(call))


@dataclass
class _Change:
    """What one event changed on its call, for saving and telling."""

    fields: set[str]
    answered_now: bool = False
    ended_now: bool = False
    matches: list[CallerMatch] | None = None


def _call_changed(
    *, endpoint: CtiEndpoint, parsed: CtiEventIn, now: datetime
) -> tuple[Call, _Change]:
    """The event's call, locked, with the event applied and saved. The first
    event of a call inserts it whole. Two first events at once: the unique
    (endpoint, call_id) lets one insert; the other waits for its commit,
    then locks and changes the row it made."""
    locked = Call.objects.select_for_update().filter(endpoint=endpoint, call_id=parsed.call_id)
    call = locked.first()
    if call is None:
        call = Call(
            endpoint=endpoint,
            call_id=parsed.call_id,
            direction=parsed.direction or CallDirection.INBOUND,
            started_at=now,
        )
        change = _apply(call=call, parsed=parsed, created=True, now=now)
        try:
            with transaction.atomic():
                call.save(force_insert=True)
        except IntegrityError:
            call = locked.get()
        else:
            return call, change
    change = _apply(call=call, parsed=parsed, created=False, now=now)
    if change.fields:
        call.save(update_fields=sorted(change.fields))
    return call, change


def _customer_number(call: Call) -> str:
    """The customer's end of the call: the caller, or whom the agent called."""
    return call.from_number if call.direction == CallDirection.INBOUND else call.to_number


def _apply(*, call: Call, parsed: CtiEventIn, created: bool, now: datetime) -> _Change:
    """Apply the event to the call in memory."""
    number_before = "" if created else _customer_number(call)
    change = _Change(fields=_merge_details(call, parsed))
    number = _customer_number(call)
    if number != number_before:
        change.matches = callers_by_number(number)
        one = change.matches[0] if len(change.matches) == 1 else None
        call.customer_id = one.customer_id if one else None
        call.contact_id = one.contact_id if one else None
        change.fields |= {"customer", "contact"}
    # Events of one call posted at once may take their locks in another
    # order than they took their times: the call's times keep their order.
    now = max(now, call.started_at)
    change.answered_now = parsed.event == ANSWER and call.answered_at is None
    if change.answered_now:
        call.answered_at = now if call.ended_at is None else min(now, call.ended_at)
        call.answered_by = answering_agent(parsed)
        call.answering_number = parsed.answering_number
        change.fields |= {"answered_at", "answered_by", "answering_number"}
    change.ended_now = parsed.event == HANGUP and call.ended_at is None
    if change.ended_now:
        call.ended_at = max(now, call.answered_at or now)
        call.cause = parsed.cause
        change.fields |= {"ended_at", "cause"}
    if call.ended_at is not None and (change.answered_now or change.ended_now):
        _conclude(call)
        change.fields |= {"outcome", "duration_seconds"}
    # A lookup before the call or while it rang: looked for when the call
    # comes and when it ends, not on every event.
    looks = parsed.event == NEW_CALL or change.ended_now or created
    if looks and call.direction == CallDirection.INBOUND and not call.heard_outage:
        heard = _outage_heard(call)
        if heard:
            call.heard_outage = heard
            change.fields.add("heard_outage")
    return change


def _publish(*, call: Call, change: _Change) -> None:
    """The answering agent's screen pop and its end; heard at commit."""
    if call.answered_by_id is None:
        return
    if change.answered_now and call.ended_at is None:
        matches = change.matches
        if matches is None:
            matches = callers_by_number(_customer_number(call))
        live_publish(
            stream=agent_stream(call.answered_by_id),
            kind=CALL_ANSWERED,
            payload=screen_pop(call=call, matches=matches),
        )
    if change.ended_now:
        live_publish(
            stream=agent_stream(call.answered_by_id),
            kind=CALL_ENDED,
            payload={
                "call": call.pk,
                "duration_seconds": call.duration_seconds,
                "outcome": call.outcome,
            },
        )


def _merge_details(call: Call, parsed: CtiEventIn) -> set[str]:
    """The newCall event says what the call is; the others fill in only
    what is still unknown (they may come first)."""
    changed: set[str] = set()
    authoritative = parsed.event == NEW_CALL
    for field, value in (
        ("direction", parsed.direction),
        ("from_number", parsed.from_number),
        ("to_number", parsed.to_number),
        ("queue", parsed.queue),
    ):
        if value and (authoritative or not getattr(call, field)) and getattr(call, field) != value:
            setattr(call, field, value)
            changed.add(field)
    rang = [name for name in parsed.users if name not in call.rang_users]
    if rang and parsed.event != HANGUP:
        call.rang_users = [*call.rang_users, *rang]
        changed.add("rang_users")
    return changed


def _outage_heard(call: Call) -> str:
    """The incident the IVR told this caller of just before the call, or ""."""
    digits = normalise_phone(call.from_number)
    if not digits:
        return ""
    heard = (
        CallerLookup.objects.filter(
            endpoint_id=call.endpoint_id,
            number_digits=digits,
            at__gte=call.started_at - OUTAGE_HEARD_WITHIN,
        )
        .exclude(incident_reference="")
        .order_by("-at")
        .values_list("incident_reference", flat=True)
        .first()
    )
    return heard or ""


def _conclude(call: Call) -> None:
    assert call.ended_at is not None
    answered = call.answered_at is not None
    call.outcome = call_outcome(direction=call.direction, answered=answered, cause=call.cause)
    # The talk time: what the call report records. An unanswered call's
    # ringing time is ended_at - started_at.
    talked = (call.ended_at - call.answered_at).total_seconds() if call.answered_at else 0
    call.duration_seconds = max(0, round(talked))


def answering_agent(parsed: CtiEventIn) -> User | None:
    """Who took the call: the answer event's one user[], matched to a user
    name; else (none, or several: a group call) the answeringNumber matched
    to an extension (User.phone_extension), then to a user name; else the
    first of several user[] that is a user name."""
    agents = User.objects.filter(is_active=True)
    if len(parsed.users) == 1:
        found = agents.filter(username__iexact=parsed.users[0]).first()
        if found is not None:
            return found
    if parsed.answering_number:
        found = (
            agents.filter(phone_extension=parsed.answering_number).order_by("pk").first()
            or agents.filter(username__iexact=parsed.answering_number).first()
        )
        if found is not None:
            return found
    for name in parsed.users if len(parsed.users) > 1 else []:
        found = agents.filter(username__iexact=name).first()
        if found is not None:
            return found
    return None


def call_state(call: Call) -> str:
    if call.ended_at is not None:
        return "ended"
    return "answered" if call.answered_at is not None else "ringing"


def screen_pop(*, call: Call, matches: list[CallerMatch]) -> dict[str, Any]:
    """What the answering agent's screen shows: the caller's customer (or
    the several a number matches, to choose from), a search for unknown
    numbers, and a new ticket prefilled from the call when one matched."""
    number = _customer_number(call)
    customers = [
        {
            "id": match.customer_id,
            "name": match.name,
            "account_number": match.account_number,
            "url": reverse("customer_detail", args=[match.customer_id]),
        }
        for match in matches
    ]
    new_ticket_url = None
    if len(matches) == 1:
        customer = urlencode({"customer": matches[0].customer_id})
        new_ticket_url = f"{reverse('calls_ticket_new', args=[call.pk])}?{customer}"
    return {
        "call": call.pk,
        "call_id": call.call_id,
        "number": number,
        "direction": call.direction,
        "customers": customers,
        "search_url": reverse("customer_search") + "?" + urlencode({"q": number}),
        "call_url": reverse("calls_detail", args=[call.pk]),
        "new_ticket_url": new_ticket_url,
    }
