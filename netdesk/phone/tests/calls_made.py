"""Calls as the phone system's events leave them, made directly for the
agent-side tests (the events themselves are tested with the CTI endpoint)."""

from __future__ import annotations

import itertools
from datetime import datetime, timedelta
from typing import Any

from django.utils import timezone

from netdesk.accounts.models import User
from netdesk.customers.models import Customer
from netdesk.phone.models import Call, CallDirection, CallOutcome, CtiEndpoint, CtiEvent

_seq = itertools.count(1)


def endpoint() -> CtiEndpoint:
    found = CtiEndpoint.objects.filter(name="test PBX").first()
    if found is not None:
        return found
    return CtiEndpoint.objects.create(
        name="test PBX", token_hash="0" * 64, prefix="cti_test", created_at=timezone.now()
    )


def call(
    *,
    customer: Customer | None = None,
    answered_by: User | None = None,
    outcome: str = CallOutcome.ANSWERED,
    direction: str = CallDirection.INBOUND,
    started_at: datetime | None = None,
    ring_seconds: int = 7,
    talk_seconds: int = 185,
    **extra: Any,
) -> Call:
    """A call that has ended: rang `ring_seconds`, then (answered) lasted
    `talk_seconds`; its three events kept as received."""
    n = next(_seq)
    started_at = started_at or timezone.now() - timedelta(minutes=30)
    answered = outcome == CallOutcome.ANSWERED
    answered_at = started_at + timedelta(seconds=ring_seconds) if answered else None
    ended_at = (answered_at or started_at) + timedelta(seconds=talk_seconds if answered else 20)
    number = customer.phone if customer is not None else "+49 30 9999999"
    contact = customer.contacts.first() if customer is not None else None
    made = Call.objects.create(
        endpoint=endpoint(),
        call_id=extra.pop("call_id", f"call-{n}"),
        from_number=number if direction == CallDirection.INBOUND else "201",
        to_number="+49 30 5550000" if direction == CallDirection.INBOUND else number,
        direction=direction,
        customer=customer,
        contact=contact,
        answered_by=answered_by if answered else None,
        answering_number="201" if answered else "",
        started_at=started_at,
        answered_at=answered_at,
        ended_at=ended_at,
        duration_seconds=talk_seconds if answered else 0,
        outcome=outcome,
        cause="normalClearing" if answered else "cancel",
        **extra,
    )
    for event, at in (("newCall", started_at), ("answer", answered_at), ("hangup", ended_at)):
        if at is not None:
            CtiEvent.objects.create(
                endpoint=made.endpoint,
                call=made,
                event=event,
                payload={"event": event, "callId": made.call_id},
                received_at=at,
            )
    return made
