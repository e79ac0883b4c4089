"""Reads for service levels: which policy applies, a calendar's working time,
a ticket's history as the engine needs it, and timers for display."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, time
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from django.db import connection
from django.db.models import Q, QuerySet

from netdesk.core.memo import Memo, data_changed
from netdesk.customers.models import Segment, serves_as_key_account
from netdesk.sla.businesstime import WorkingCalendar
from netdesk.sla.engine import Span, status_spans
from netdesk.sla.models import BusinessCalendar, EscalationRule, SlaPolicy, SlaTimer
from netdesk.tickets.models import Ticket, TicketEvent
from netdesk.tickets.models.timeline import EventKind


@dataclass(slots=True)
class TicketFacts:
    """What service levels need to know of a ticket: read as plain rows for
    bulk work, or taken from a loaded ticket (`facts_of`)."""

    pk: int
    status: str
    created_at: datetime
    resolved_at: datetime | None
    first_response_at: datetime | None
    ticket_type: str
    priority: int
    group_id: int
    assignee_id: int | None
    customer_id: int
    segment: str  # as served: a site of a key account is a key account
    parent_account_id: int | None
    product: str


FACT_COLUMNS = (
    "pk",
    "status",
    "created_at",
    "resolved_at",
    "first_response_at",
    "ticket_type",
    "priority",
    "group_id",
    "assignee_id",
    "customer_id",
    "customer__segment",
    "customer__parent_account_id",
    "service__product",
    "customer__parent_account__segment",
)


def facts_of(ticket: Ticket) -> TicketFacts:
    customer = ticket.customer
    return TicketFacts(
        pk=ticket.pk,
        status=ticket.status,
        created_at=ticket.created_at,
        resolved_at=ticket.resolved_at,
        first_response_at=ticket.first_response_at,
        ticket_type=ticket.ticket_type,
        priority=ticket.priority,
        group_id=ticket.group_id,
        assignee_id=ticket.assignee_id,
        customer_id=customer.pk,
        segment=customer.served_segment,
        parent_account_id=customer.parent_account_id,
        product=ticket.service.product if ticket.service_id and ticket.service else "",
    )


# Where the datetimes are among FACT_COLUMNS (raw_rows gives them their zone).
FACT_DATETIMES = (2, 3, 4)


def facts_rows(ids: Sequence[int]) -> list[TicketFacts]:
    """The facts of many tickets, in id order, without building models."""
    query = Ticket.objects.filter(pk__in=list(ids)).order_by("pk").values_list(*FACT_COLUMNS)
    return [facts_of_row(row) for row in raw_rows(query, datetimes=FACT_DATETIMES)]


def facts_of_row(row: Sequence[Any]) -> TicketFacts:
    """TicketFacts from the values of FACT_COLUMNS, in that order."""
    values = list(row)
    values[12] = values[12] or ""  # no service: no product
    parent_segment = values.pop()
    if serves_as_key_account(values[10], parent_segment):
        values[10] = Segment.KEY_ACCOUNT
    return TicketFacts(*values)


def raw_rows(query: QuerySet[Any], *, datetimes: tuple[int, ...] = ()) -> Iterator[list[Any]]:
    """Rows of a values_list query straight from the cursor. Django's
    per-value converters cost more than the SLA arithmetic at a million
    rows. SQLite hands back naive UTC datetimes (or text, without the
    declared-type converter), which only need their zone."""
    sql, params = query.query.sql_with_params()
    parse = connection.vendor == "sqlite"
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        while batch := cursor.fetchmany(10_000):
            for values in batch:
                row = list(values)
                if parse:
                    for index in datetimes:
                        value = row[index]
                        if isinstance(value, str):
                            value = datetime.fromisoformat(value)
                        if value is not None:
                            row[index] = value.replace(tzinfo=UTC)
                yield row


def _utc(value: Any) -> datetime:
    """A datetime column's value with its zone: SQLite hands back naive UTC
    datetimes (or text), PostgreSQL aware ones."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


class TimerKey(Protocol):
    kind: str
    metric: str
    policy_id: int | None


def working_calendar(calendar: BusinessCalendar) -> WorkingCalendar:
    """The calendar's working time, built once per calendar object (policies
    are kept with their calendars, so this is once per process and change)."""
    built: WorkingCalendar | None = getattr(calendar, "_working_calendar", None)
    if built is None:
        built = _build_working_calendar(calendar)
        calendar._working_calendar = built  # type: ignore[attr-defined]
    return built


def _build_working_calendar(calendar: BusinessCalendar) -> WorkingCalendar:
    hours: dict[int, list[tuple[time, time]]] = {}
    for window in calendar.hours.all():
        hours.setdefault(window.weekday, []).append((window.opens, window.closes))
    holidays = list(calendar.holidays.all())
    return WorkingCalendar(
        zone=ZoneInfo(calendar.time_zone),
        always_open=calendar.always_open,
        hours={day: tuple(sorted(w)) for day, w in hours.items()},
        holidays=frozenset(h.date for h in holidays if not h.yearly),
        yearly_holidays=frozenset((h.date.month, h.date.day) for h in holidays if h.yearly),
    )


def _policies_and_rules() -> tuple[list[SlaPolicy], list[EscalationRule]]:
    rules = list(EscalationRule.objects.filter(is_active=True).select_related("target_group"))
    return list(_load_policies()), rules


# Policies change rarely and are read on every ticket write: each process
# keeps them, with their calendars, until policies_changed() is called.
_policies: Memo[tuple[list[SlaPolicy], list[EscalationRule]]] = Memo(
    _policies_and_rules, depends_on=[SlaPolicy]
)


def policies_changed() -> None:
    """Policies, targets, calendars (hours, holidays) or escalation rules
    changed: every process reads them again. Every write to them calls this,
    in its transaction."""
    data_changed(SlaPolicy)


def active_policies() -> list[SlaPolicy]:
    """SLA and OLA policies with targets and calendars."""
    return _policies.get()[0]


def active_escalation_rules() -> list[EscalationRule]:
    """The escalation matrix (kept with the policies)."""
    return _policies.get()[1]


def active_policies_and_rules() -> tuple[list[SlaPolicy], list[EscalationRule]]:
    """Both, with one look at whether the kept copy is still current."""
    return _policies.get()


def rules_for(
    timer: TimerKey, ticket: TicketFacts, rules: list[EscalationRule]
) -> list[EscalationRule]:
    """The rules of the matrix that apply to this timer of this ticket."""
    return [
        rule
        for rule in rules
        if (not rule.kind or rule.kind == timer.kind)
        and (not rule.metric or rule.metric == timer.metric)
        and (rule.policy_id is None or rule.policy_id == timer.policy_id)
        and (rule.match_priority is None or rule.match_priority == ticket.priority)
        and (not rule.match_segment or rule.match_segment == ticket.segment)
    ]


def _load_policies() -> QuerySet[SlaPolicy]:
    return (
        SlaPolicy.objects.filter(is_active=True)
        .select_related("calendar")
        .prefetch_related("targets", "calendar__hours", "calendar__holidays")
        .order_by("kind", "rank", "id")
    )


def policy_matches(policy: SlaPolicy, ticket: TicketFacts) -> bool:
    if policy.match_segment and ticket.segment != policy.match_segment:
        return False
    if policy.match_customer_id and policy.match_customer_id not in (
        ticket.customer_id,
        ticket.parent_account_id,
    ):
        return False
    if policy.match_ticket_type and ticket.ticket_type != policy.match_ticket_type:
        return False
    if policy.match_priority and ticket.priority != policy.match_priority:
        return False
    product = policy.match_product.lower()
    return not product or product in ticket.product.lower()


def sla_policy_for(ticket: TicketFacts, policies: list[SlaPolicy]) -> SlaPolicy | None:
    """The first SLA policy, in rank order, whose conditions all hold."""
    return next((p for p in policies if policy_matches(p, ticket)), None)


def ola_policy_for(
    group_id: int, ticket: TicketFacts, policies: list[SlaPolicy]
) -> SlaPolicy | None:
    return next(
        (p for p in policies if p.receiving_group_id == group_id and policy_matches(p, ticket)),
        None,
    )


@dataclass(frozen=True)
class GroupStay:
    group_id: int
    start: datetime
    end: datetime | None
    picked_up_at: datetime | None  # first assignment to an agent during the stay


@dataclass(frozen=True)
class TicketHistory:
    spans: list[Span]
    stays: list[GroupStay]
    # When the customer was told something: replies, outbound contacts and
    # live conversations (the "next update" target restarts at each).
    updates: list[datetime] = field(default_factory=list)


HISTORY_FIELDS = ("status", "group", "assignee")
UPDATE_KINDS = (EventKind.REPLY_ADDED, EventKind.INTERACTION_LOGGED)
LIVE_CHANNELS = ("phone", "chat", "walk_in")
EventRow = tuple[datetime, str, str, str, str]  # at, kind, field, old value, new value
_HISTORY = Q(field__in=HISTORY_FIELDS) | Q(kind__in=UPDATE_KINDS)


def ticket_history(ticket: TicketFacts) -> TicketHistory:
    """Status spans, group stays and customer updates, from the timeline."""
    events = list(
        TicketEvent.objects.filter(_HISTORY, ticket_id=ticket.pk)
        .order_by("at", "id")
        .values_list("at", "kind", "field", "old_value", "new_value")
    )
    return history_from_events(ticket, events)


def of_tickets(ids: Sequence[int]) -> Q:
    """A condition on `ticket_id` for these tickets (in id order): their id
    range when they fill most of it, which is cheaper to build and to run
    than a list of thousands (rows of other tickets are dropped by the
    reader), else the list."""
    if ids and len(ids) * 2 >= ids[-1] - ids[0] + 1:
        return Q(ticket_id__gte=ids[0], ticket_id__lte=ids[-1])
    return Q(ticket_id__in=list(ids))


def histories(tickets: list[TicketFacts]) -> dict[int, TicketHistory]:
    """The histories of many tickets (in id order) in one query (bulk
    recomputation)."""
    events: dict[int, list[EventRow]] = {t.pk: [] for t in tickets}
    query = (
        TicketEvent.objects.filter(_HISTORY, of_tickets(list(events)))
        .order_by("ticket_id", "at", "id")
        .values_list("ticket_id", "at", "kind", "field", "old_value", "new_value")
    )
    sql, params = query.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        while batch := cursor.fetchmany(10_000):
            for ticket_id, at, kind, field_name, old, new in batch:
                found = events.get(ticket_id)
                if found is not None:
                    found.append((_utc(at), kind, field_name, old, new))
    return {t.pk: history_from_events(t, events[t.pk]) for t in tickets}


def _is_customer_update(kind: str, new_value: str) -> bool:
    if kind == EventKind.REPLY_ADDED:
        return True
    channel, _, direction = new_value.partition(" ")
    return direction == "outbound" or (direction == "inbound" and channel in LIVE_CHANNELS)


def history_from_events(ticket: TicketFacts, events: list[EventRow]) -> TicketHistory:
    """Status spans and group stays from the ticket's events, in time order
    (one pass over the events: bulk recomputation reads millions)."""
    status_changes: list[tuple[datetime, str]] = []
    group_changes: list[tuple[datetime, str, str]] = []
    assignments: list[datetime] = []
    updates: list[datetime] = []
    first_status = ticket.status
    for at, kind, field_name, old, new in events:
        if field_name == "status":
            if not status_changes:
                first_status = old
            status_changes.append((at, new))
        elif field_name == "group":
            group_changes.append((at, old, new))
        elif field_name == "assignee":
            if new:
                assignments.append(at)
        elif not field_name and kind in UPDATE_KINDS and _is_customer_update(kind, new):
            updates.append(at)
    spans = status_spans(
        created_at=ticket.created_at, initial_status=first_status, changes=status_changes
    )
    first_group = int(group_changes[0][1]) if group_changes else ticket.group_id
    boundaries = [(ticket.created_at, first_group)] + [
        (at, int(new)) for at, _, new in group_changes if new
    ]
    if ticket.assignee_id and not assignments:
        assignments = [ticket.created_at]  # created already assigned
    stays = []
    for index, (start, group_id) in enumerate(boundaries):
        end = boundaries[index + 1][0] if index + 1 < len(boundaries) else None
        picked = next((at for at in assignments if at >= start and (end is None or at < end)), None)
        stays.append(GroupStay(group_id, start, end, picked))
    return TicketHistory(spans, stays, updates)


def ticket_timers(ticket: Ticket) -> list[SlaTimer]:
    return list(
        SlaTimer.objects.filter(ticket=ticket)
        .select_related("policy__calendar", "group")
        .order_by("kind", "started_at", "metric")
    )


@dataclass(frozen=True)
class TimerNow:
    """A timer as it stands at this moment, for agents and the API."""

    state: str  # running, warning, paused, met, breached, cancelled
    elapsed_seconds: float
    remaining_seconds: float


def _calendar_of(timer: SlaTimer) -> WorkingCalendar:
    cached = next((p for p in active_policies() if p.pk == timer.policy_id), None)
    return working_calendar(cached.calendar if cached else timer.policy.calendar)


def timer_now(timer: SlaTimer, now: datetime) -> TimerNow:
    """Stored figures hold as of `computed_at`; a running clock has gone on
    since (every change to the ticket recomputes, so nothing else moved)."""
    elapsed = timer.elapsed_seconds
    state = timer.state
    if state == "running":
        if timer.computed_at < now:
            since = (
                _calendar_of(timer).business_time_between(timer.computed_at, now)
                if timer.business_time
                else now - timer.computed_at
            )
            elapsed += since.total_seconds()
        if timer.due_at is not None and timer.due_at <= now:
            state = "breached"
        elif timer.warning_fired_at is not None or (
            timer.warn_at is not None and timer.warn_at <= now
        ):
            state = "warning"
    return TimerNow(state, elapsed, timer.target_seconds - elapsed)


def shown_state(timer: SlaTimer, now: datetime) -> str:
    """running / warning / paused / met / breached / cancelled, as agents read it."""
    return timer_now(timer, now).state


def due_timers(now: datetime) -> QuerySet[SlaTimer]:
    """Running (or paused) timers whose warning, breach or next escalation is
    due and has not fired. Stopped timers fire nothing: a target decided
    while no worker ran is in the reports, not worth waking anyone for."""
    return SlaTimer.objects.filter(
        Q(warning_fired_at__isnull=True, warn_at__lte=now)
        | Q(breach_fired_at__isnull=True, due_at__lte=now)
        | Q(next_escalation_at__lte=now),
        stopped_at__isnull=True,
    ).exclude(state="cancelled")
