"""The ticket list's filters: one definition (TicketFilter), one parser of
GET parameters for the queue page, the API list, exports and saved views,
and the service-level state a list line shows."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta
from typing import Any

from django.db.models import Q
from django.utils import timezone

from netdesk.accounts.models import User
from netdesk.core.dates import DATE_RANGE, out_of_range
from netdesk.core.errors import ValidationFailed
from netdesk.customers.models import Segment
from netdesk.tickets.choices import Channel, RootCause, Status, TicketType

ORDERINGS: dict[str, tuple[str, ...]] = {
    "-created": ("-id",),
    "created": ("id",),
    "priority": ("priority", "id"),
    # Earliest next due time first; tickets with no running target last.
    "due": ("sla_next_due_at", "id"),
}
SLA_STATES = ("ok", "warning", "breached", "paused", "none")
# The longest look-ahead of the at-risk view: a week.
MAX_AT_RISK_MINUTES = 7 * 24 * 60
LARGEST_ID = 2**62


@dataclass(frozen=True)
class TicketFilter:
    """One filter definition for the queue page, the API list and exports."""

    status: list[str] | None = None
    open_only: bool = False
    group: int | None = None
    assignee: int | None = None
    unassigned: bool = False
    priority: list[int] | None = None
    ticket_type: list[str] | None = None
    customer: int | None = None
    created_after: datetime | None = None
    created_before: datetime | None = None
    channel: list[str] | None = None
    category: int | None = None
    root_cause: list[str] | None = None
    segment: list[str] | None = None
    resolved_after: datetime | None = None
    resolved_before: datetime | None = None
    first_contact_resolved: bool | None = None
    sla_state: list[str] | None = None
    weekday: list[int] | None = None
    hour: list[int] | None = None
    at_risk: int | None = None
    order: str = "-created"
    # The moment service-level states are judged at (None: now).
    now: datetime | None = None


def sla_state_of(
    *,
    next_due_at: datetime | None,
    warn_at: datetime | None,
    paused: bool,
    breached: bool,
    now: datetime,
) -> str:
    """ok, warning, breached, paused or none, from the ticket's summary
    columns and the time: a running clock moves from ok to warning to
    breached with nothing written."""
    if breached or (next_due_at is not None and next_due_at <= now):
        return "breached"
    if next_due_at is not None:
        return "warning" if warn_at is not None and warn_at <= now else "ok"
    return "paused" if paused else "none"


def sla_state_q(state: str, now: datetime) -> Q:
    """The rows whose sla_state_of(...) is `state` at `now`, as a condition."""
    late = Q(sla_breached=True) | Q(sla_next_due_at__lte=now)
    if state == "breached":
        return late
    on_time = ~late
    if state == "warning":
        return on_time & Q(sla_next_due_at__gt=now, sla_warn_at__lte=now)
    if state == "ok":
        return on_time & Q(sla_next_due_at__gt=now) & ~Q(sla_warn_at__lte=now)
    no_clock = Q(sla_breached=False, sla_next_due_at__isnull=True)
    return no_clock & Q(sla_paused=state == "paused")


def at_risk_q(minutes: int, now: datetime) -> Q:
    """Open tickets due within `minutes`, or already breached."""
    soon = Q(sla_next_due_at__lte=now + timedelta(minutes=minutes))
    return Q(is_open=1) & (soon | Q(sla_breached=True))


# --- reading GET parameters -----------------------------------------------------------

TRUE = ("1", "true", "on", "yes")
FALSE = ("0", "false", "off", "no")


def _values(params: Mapping[str, Any], name: str) -> list[str]:
    """Every non-empty value of a parameter (repeatable), as text."""
    getlist = getattr(params, "getlist", None)
    if getlist is not None:
        raw: Any = getlist(name)
    else:
        raw = params.get(name)
        if raw is None:
            raw = []
        elif not isinstance(raw, list | tuple):
            raw = [raw]
    return [str(v).strip() for v in raw if str(v).strip() != ""]


def _one(params: Mapping[str, Any], name: str) -> str | None:
    values = _values(params, name)
    return values[-1] if values else None


def _bad(name: str, value: Any, accepted: Any, what: str = "") -> ValidationFailed:
    return ValidationFailed(
        f"{name}={value!r} is not accepted{what}.", field=name, value=value, accepted=accepted
    )


def _choices(params: Mapping[str, Any], name: str, allowed: Sequence[str]) -> list[str] | None:
    values = _values(params, name)
    for value in values:
        if value not in allowed:
            raise _bad(name, value, list(allowed))
    return values or None


def _number(value: str, name: str, low: int, high: int, accepted: str) -> int:
    if not (value.isascii() and value.lstrip("-").isdigit()) or not low <= int(value) <= high:
        raise _bad(name, value, accepted)
    return int(value)


def _numbers(params: Mapping[str, Any], name: str, low: int, high: int) -> list[int] | None:
    accepted = f"whole numbers from {low} to {high} (repeatable)"
    return [_number(v, name, low, high, accepted) for v in _values(params, name)] or None


def _id(params: Mapping[str, Any], name: str) -> int | None:
    value = _one(params, name)
    if value is None:
        return None
    return _number(value, name, 1, LARGEST_ID, "a numeric id")


def _flag(params: Mapping[str, Any], name: str) -> bool | None:
    value = _one(params, name)
    if value is None:
        return None
    if value.lower() in TRUE:
        return True
    if value.lower() in FALSE:
        return False
    raise _bad(name, value, "1 or 0 (true or false)")


def _moment(params: Mapping[str, Any], name: str) -> datetime | None:
    """An ISO date (midnight in the desk's time zone) or date and time (in
    the desk's time zone unless it names its offset)."""
    value = _one(params, name)
    if value is None:
        return None
    accepted = "an ISO 8601 date (2026-03-01) or date and time (2026-03-01T08:00:00+01:00)"
    try:
        if len(value) <= len("2026-03-01"):
            moment = datetime.combine(date.fromisoformat(value), time())
        else:
            moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise _bad(name, value, accepted) from None
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment, timezone.get_current_timezone())
    # The desk's one range of dates (a far date cannot be shifted by a zone).
    if out_of_range(moment) is not None:
        raise _bad(name, value, DATE_RANGE, f" (out of range; give {DATE_RANGE})")
    return moment


def _assignee(params: Mapping[str, Any], user: User) -> tuple[int | None, bool]:
    """(assignee id, unassigned) from `assignee`, `mine` and `unassigned`."""
    unassigned = bool(_flag(params, "unassigned"))
    if _flag(params, "mine"):
        return user.pk, unassigned
    name = _one(params, "assignee")
    if name is None:
        return None, unassigned
    if name.lower() == "none":
        return None, True
    found = User.objects.filter(username=name).only("pk").first()
    if found is None:
        raise ValidationFailed(
            f"No agent is called {name!r}.",
            field="assignee",
            value=name,
            accepted="an existing user name, or 'none' for unassigned tickets",
        )
    return found.pk, unassigned


def _group(params: Mapping[str, Any], default_group: int | None) -> int | None:
    value = _one(params, "group")
    if value is None:
        return default_group
    if value == "all":
        return None
    return _number(value, "group", 1, LARGEST_ID, "a group id, or 'all'")


def _order(params: Mapping[str, Any], default: str) -> str:
    order = _one(params, "order") or default
    if order not in ORDERINGS:
        raise _bad("order", order, sorted(ORDERINGS))
    return order


def _at_risk(params: Mapping[str, Any]) -> int | None:
    value = _one(params, "at_risk")
    if value is None:
        return None
    accepted = f"minutes ahead, from 0 to {MAX_AT_RISK_MINUTES}"
    return _number(value, "at_risk", 0, MAX_AT_RISK_MINUTES, accepted)


# Which parameter names the parser reads (the rest, e.g. cursor and limit,
# belong to the page and are left to its caller).
FILTER_PARAMETERS = (
    "group",
    "status",
    "open",
    "priority",
    "type",
    "assignee",
    "mine",
    "unassigned",
    "customer",
    "channel",
    "category",
    "root_cause",
    "segment",
    "created_after",
    "created_before",
    "resolved_after",
    "resolved_before",
    "fcr",
    "sla_state",
    "weekday",
    "hour",
    "at_risk",
    "order",
)


def filter_from_params(
    *,
    user: User,
    params: Mapping[str, Any],
    default_group: int | None = None,
    default_order: str = "-created",
) -> TicketFilter:
    """Every filter parameter read and checked; the first bad one raises
    ValidationFailed naming it, its value and what it accepts."""
    assignee, unassigned = _assignee(params, user)
    return TicketFilter(
        status=_choices(params, "status", Status.values),
        open_only=bool(_flag(params, "open")),
        group=_group(params, default_group),
        assignee=assignee,
        unassigned=unassigned,
        priority=_numbers(params, "priority", 1, 5),
        ticket_type=_choices(params, "type", TicketType.values),
        customer=_id(params, "customer"),
        created_after=_moment(params, "created_after"),
        created_before=_moment(params, "created_before"),
        channel=_choices(params, "channel", Channel.values),
        category=_id(params, "category"),
        root_cause=_choices(params, "root_cause", RootCause.values),
        segment=_choices(params, "segment", Segment.values),
        resolved_after=_moment(params, "resolved_after"),
        resolved_before=_moment(params, "resolved_before"),
        first_contact_resolved=_flag(params, "fcr"),
        sla_state=_choices(params, "sla_state", SLA_STATES),
        weekday=_numbers(params, "weekday", 1, 7),
        hour=_numbers(params, "hour", 0, 23),
        at_risk=_at_risk(params),
        order=_order(params, default_order),
    )


def merged_params(base: Mapping[str, Any], params: Mapping[str, Any]) -> dict[str, list[str]]:
    """A saved view's parameters with the request's own on top (a name given
    in the request replaces the view's values for it)."""
    merged = {name: _values(base, name) for name in FILTER_PARAMETERS}
    for name in FILTER_PARAMETERS:
        given = _values(params, name)
        if given:
            merged[name] = given
    return {name: values for name, values in merged.items() if values}


# --- applying a filter ------------------------------------------------------------------

Narrowing = Callable[[TicketFilter, datetime], Q | None]


def _list_in(field: str, attribute: str) -> Narrowing:
    def narrowing(filters: TicketFilter, now: datetime) -> Q | None:  # noqa: ARG001
        values = getattr(filters, attribute)
        return Q(**{f"{field}__in": values}) if values else None

    return narrowing


def _equal(field: str, attribute: str) -> Narrowing:
    def narrowing(filters: TicketFilter, now: datetime) -> Q | None:  # noqa: ARG001
        value = getattr(filters, attribute)
        return Q(**{field: value}) if value is not None else None

    return narrowing


def _sla_states(filters: TicketFilter, now: datetime) -> Q | None:
    if not filters.sla_state:
        return None
    condition = Q(pk__in=[])
    for state in filters.sla_state:
        condition |= sla_state_q(state, now)
    return condition


NARROWINGS: tuple[Narrowing, ...] = (
    _list_in("status", "status"),
    lambda f, now: Q(is_open=1) if f.open_only else None,  # noqa: ARG005
    _equal("group_id", "group"),
    _equal("assignee_id", "assignee"),
    lambda f, now: Q(assignee__isnull=True) if f.unassigned else None,  # noqa: ARG005
    _list_in("priority", "priority"),
    _list_in("ticket_type", "ticket_type"),
    _equal("customer_id", "customer"),
    _equal("created_at__gte", "created_after"),
    _equal("created_at__lt", "created_before"),
    _list_in("channel", "channel"),
    _equal("category_id", "category"),
    _list_in("root_cause", "root_cause"),
    _list_in("customer__segment", "segment"),
    _equal("resolved_at__gte", "resolved_after"),
    _equal("resolved_at__lt", "resolved_before"),
    _equal("first_contact_resolved", "first_contact_resolved"),
    # Weekday and hour of arrival in the desk's time zone (Django extracts
    # them in the current time zone).
    _list_in("created_at__iso_week_day", "weekday"),
    _list_in("created_at__hour", "hour"),
    _sla_states,
    lambda f, now: at_risk_q(f.at_risk, now) if f.at_risk is not None else None,
)


def filter_condition(filters: TicketFilter) -> Q:
    """Every narrowing the filter asks for, as one condition."""
    now = filters.now or timezone.now()
    condition = Q()
    for narrowing in NARROWINGS:
        part = narrowing(filters, now)
        if part is not None:
            condition &= part
    return condition


def with_now(filters: TicketFilter, now: datetime) -> TicketFilter:
    return replace(filters, now=now)
