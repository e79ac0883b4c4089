"""Reads for service levels: which policy applies, a calendar's working time,
a ticket's history as the engine needs it, and timers for display."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time
from time import monotonic
from zoneinfo import ZoneInfo

from django.db.models import Q, QuerySet

from netdesk.sla.businesstime import WorkingCalendar
from netdesk.sla.engine import Span, status_spans
from netdesk.sla.models import BusinessCalendar, EscalationRule, SlaPolicy, SlaTimer
from netdesk.tickets.models import Ticket, TicketEvent


def working_calendar(calendar: BusinessCalendar) -> WorkingCalendar:
    """The calendar's working time, built once per calendar object (policies
    are cached with their calendars, so this is once per process and minute)."""
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


# Policies change rarely and are read on every ticket write: each process
# keeps them for a short while. An edit in the admin clears this process's
# copy at once; other processes pick it up within POLICY_CACHE_SECONDS.
POLICY_CACHE_SECONDS = 30.0
_policy_cache: tuple[float, list[SlaPolicy], list[EscalationRule]] | None = None


def policies_changed() -> None:
    global _policy_cache
    _policy_cache = None


def _cached() -> tuple[float, list[SlaPolicy], list[EscalationRule]]:
    global _policy_cache
    now = monotonic()
    if _policy_cache is None or now - _policy_cache[0] >= POLICY_CACHE_SECONDS:
        rules = list(EscalationRule.objects.filter(is_active=True).select_related("target_group"))
        _policy_cache = (now, list(_load_policies()), rules)
    return _policy_cache


def active_policies() -> list[SlaPolicy]:
    """SLA and OLA policies with targets and calendars (cached briefly)."""
    return _cached()[1]


def active_escalation_rules() -> list[EscalationRule]:
    """The escalation matrix (cached with the policies)."""
    return _cached()[2]


def rules_for(timer: SlaTimer, ticket: Ticket, rules: list[EscalationRule]) -> list[EscalationRule]:
    """The rules of the matrix that apply to this timer of this ticket."""
    return [
        rule
        for rule in rules
        if (not rule.kind or rule.kind == timer.kind)
        and (not rule.metric or rule.metric == timer.metric)
        and (rule.policy_id is None or rule.policy_id == timer.policy_id)
        and (rule.match_priority is None or rule.match_priority == ticket.priority)
        and (not rule.match_segment or rule.match_segment == ticket.customer.segment)
    ]


def _load_policies() -> QuerySet[SlaPolicy]:
    return (
        SlaPolicy.objects.filter(is_active=True)
        .select_related("calendar")
        .prefetch_related("targets", "calendar__hours", "calendar__holidays")
        .order_by("kind", "rank", "id")
    )


def policy_matches(policy: SlaPolicy, ticket: Ticket) -> bool:
    customer = ticket.customer
    if policy.match_segment and customer.segment != policy.match_segment:
        return False
    if policy.match_customer_id and policy.match_customer_id not in (
        customer.pk,
        customer.parent_account_id,
    ):
        return False
    if policy.match_ticket_type and ticket.ticket_type != policy.match_ticket_type:
        return False
    if policy.match_priority and ticket.priority != policy.match_priority:
        return False
    if policy.match_product:
        product = ticket.service.product if ticket.service else ""
        if policy.match_product.lower() not in product.lower():
            return False
    return True


def sla_policy_for(ticket: Ticket, policies: list[SlaPolicy]) -> SlaPolicy | None:
    """The first SLA policy, in rank order, whose conditions all hold."""
    return next((p for p in policies if policy_matches(p, ticket)), None)


def ola_policy_for(group_id: int, ticket: Ticket, policies: list[SlaPolicy]) -> SlaPolicy | None:
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


HISTORY_FIELDS = ("status", "group", "assignee")
EventRow = tuple[datetime, str, str, str]  # at, field, old value, new value


def ticket_history(ticket: Ticket) -> TicketHistory:
    """Status spans and group stays, read from the ticket's timeline events."""
    events = list(
        TicketEvent.objects.filter(ticket=ticket, field__in=HISTORY_FIELDS)
        .order_by("at", "id")
        .values_list("at", "field", "old_value", "new_value")
    )
    return history_from_events(ticket, events)


def histories(tickets: list[Ticket]) -> dict[int, TicketHistory]:
    """The histories of many tickets in one query (bulk recomputation)."""
    rows: dict[int, list[EventRow]] = {t.pk: [] for t in tickets}
    for ticket_id, *event in (
        TicketEvent.objects.filter(ticket_id__in=list(rows), field__in=HISTORY_FIELDS)
        .order_by("ticket_id", "at", "id")
        .values_list("ticket_id", "at", "field", "old_value", "new_value")
        .iterator(chunk_size=10_000)
    ):
        rows[ticket_id].append(tuple(event))  # type: ignore[arg-type]
    return {t.pk: history_from_events(t, rows[t.pk]) for t in tickets}


def history_from_events(ticket: Ticket, events: list[EventRow]) -> TicketHistory:
    """Status spans and group stays from the ticket's events, in time order."""
    status_changes = [(at, new) for at, field, _, new in events if field == "status"]
    first_status = next((old for _, field, old, _ in events if field == "status"), ticket.status)
    spans = status_spans(
        created_at=ticket.created_at, initial_status=first_status, changes=status_changes
    )
    group_changes = [(at, old, new) for at, field, old, new in events if field == "group"]
    first_group = int(group_changes[0][1]) if group_changes else ticket.group_id
    boundaries = [(ticket.created_at, first_group)] + [
        (at, int(new)) for at, _, new in group_changes if new
    ]
    assignments = [at for at, field, _, new in events if field == "assignee" and new]
    if ticket.assignee_id and not assignments:
        assignments = [ticket.created_at]  # created already assigned
    stays = []
    for index, (start, group_id) in enumerate(boundaries):
        end = boundaries[index + 1][0] if index + 1 < len(boundaries) else None
        picked = next((at for at in assignments if at >= start and (end is None or at < end)), None)
        stays.append(GroupStay(group_id, start, end, picked))
    return TicketHistory(spans, stays)


def ticket_timers(ticket: Ticket) -> list[SlaTimer]:
    return list(
        SlaTimer.objects.filter(ticket=ticket)
        .select_related("policy", "group")
        .order_by("kind", "started_at", "metric")
    )


def shown_state(timer: SlaTimer) -> str:
    """running / warning / paused / met / breached / cancelled, as agents read it."""
    if timer.state == "running" and timer.warning_fired_at is not None:
        return "warning"
    return timer.state


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
