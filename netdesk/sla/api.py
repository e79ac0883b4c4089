"""Service-level state of a ticket in the API."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.http import HttpRequest
from django.utils import timezone
from ninja import Router

from netdesk.accounts.models import User
from netdesk.accounts.permissions import Action, require
from netdesk.core.schemas import OutputSchema, answers
from netdesk.sla.models import SlaTimer
from netdesk.sla.selectors import ticket_timers, timer_now
from netdesk.tickets.selectors import ticket_get

router = Router(tags=["service levels"])


class TimerOut(OutputSchema):
    kind: str
    metric: str
    policy: str
    group: str | None
    state: str
    business_time: bool
    target_seconds: int
    elapsed_seconds: float
    remaining_seconds: float
    started_at: datetime
    due_at: datetime | None
    warn_at: datetime | None
    breached_at: datetime | None
    stopped_at: datetime | None
    warning_fired_at: datetime | None
    breach_fired_at: datetime | None


def timer_out(timer: SlaTimer, now: datetime) -> dict[str, Any]:
    figures = timer_now(timer, now)
    return {
        "kind": timer.kind,
        "metric": timer.metric,
        "policy": timer.policy.name,
        "group": timer.group.name if timer.group else None,
        "state": figures.state,
        "business_time": timer.business_time,
        "target_seconds": timer.target_seconds,
        "elapsed_seconds": figures.elapsed_seconds,
        "remaining_seconds": figures.remaining_seconds,
        "started_at": timer.started_at,
        "due_at": timer.due_at,
        "warn_at": timer.warn_at,
        "breached_at": timer.breached_at,
        "stopped_at": timer.stopped_at,
        "warning_fired_at": timer.warning_fired_at,
        "breach_fired_at": timer.breach_fired_at,
    }


@router.get(
    "/tickets/{ref}/sla",
    response=answers(list[TimerOut]),
    summary="The ticket's SLA and OLA timers",
)
def ticket_sla(request: HttpRequest, ref: str) -> list[dict[str, Any]]:
    user = request.user
    assert isinstance(user, User)
    require(user, Action.TICKET_VIEW)
    ticket = ticket_get(user=user, ref=ref)
    now = timezone.now()
    return [timer_out(t, now) for t in ticket_timers(ticket)]
