"""Replaying a ServiceNow incident event log (read by `servicenow_log`) as
NetDesk tickets with their timelines, then recomputing their SLA timers with
NetDesk's own engine. Writing is bulk and in one transaction, so a failed or
dry run leaves nothing behind."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from functools import partial
from time import monotonic

from django.db import transaction

from netdesk.accounts.models import SupportGroup, Tier, TierKind
from netdesk.customers.models import Customer, Segment
from netdesk.customers.services import NewCustomer, customer_ensure, customers_ensure
from netdesk.sla.importers import PriorityRow, SkipLog, resolution_verdict
from netdesk.sla.importers.servicenow_log import DONE, SnIncident
from netdesk.sla.models import BusinessCalendar, Metric, PolicyKind, SlaPolicy, SlaTarget
from netdesk.sla.selectors import policies_changed
from netdesk.sla.services import sla_refresh
from netdesk.tickets.choices import Status, TicketType
from netdesk.tickets.events import PastEvent, events_replayed
from netdesk.tickets.models import Ticket
from netdesk.tickets.models.timeline import EventKind

REPLAY_ACCOUNT_NUMBER = "SN-REPLAY"
REPLAY_ACCOUNT_NAME = "ServiceNow replay"
CUSTOMER_PREFIX = "SN-"
GROUP_PREFIX = "SN "
NO_GROUP = "SN (no group)"
POLICY_NAME = "ServiceNow replay P{priority}"
# Tried before the desk's standard policies (rank 101–105), and only for the
# replay's callers, so the replay never changes the desk's own tickets.
POLICY_RANK = 10
REPLAY_CALENDAR = "24×7"
# Resolution minutes per priority, in calendar time; see docs/servicenow-replay.md.
DEFAULT_TARGETS: dict[int, int] = {1: 4 * 60, 2: 8 * 60, 3: 72 * 60, 4: 120 * 60}
BATCH_SIZE = 2000


@dataclass
class ReplayResult:
    """What a run did: tickets and events written, timers computed, the report."""

    imported: int = 0
    events: int = 0
    timers: int = 0
    report: list[PriorityRow] = field(default_factory=list)
    seconds: dict[str, float] = field(default_factory=dict)


def replay_account() -> Customer:
    """The account every replayed caller belongs to; the replay policies match it."""
    return customer_ensure(
        account_number=REPLAY_ACCOUNT_NUMBER, name=REPLAY_ACCOUNT_NAME, segment=Segment.KEY_ACCOUNT
    )


def ensure_replay_policies(
    *, account: Customer, targets: dict[int, int] | None, pause_statuses: list[str] | None
) -> dict[int, SlaPolicy]:
    """Create the "ServiceNow replay P1..P4" policies if missing. Targets and
    pause statuses given explicitly replace those of existing policies."""
    calendar, _ = BusinessCalendar.objects.get_or_create(
        name=REPLAY_CALENDAR, defaults={"time_zone": "UTC", "always_open": True}
    )
    policies: dict[int, SlaPolicy] = {}
    for priority, default_minutes in DEFAULT_TARGETS.items():
        policy, _ = SlaPolicy.objects.get_or_create(
            name=POLICY_NAME.format(priority=priority),
            defaults={
                "kind": PolicyKind.SLA,
                "rank": POLICY_RANK + priority,
                "calendar": calendar,
                "match_customer": account,
                "match_priority": priority,
            },
        )
        if pause_statuses is not None and policy.pause_statuses != pause_statuses:
            policy.pause_statuses = pause_statuses
            policy.save(update_fields=["pause_statuses"])
        minutes = (targets or {}).get(priority, default_minutes)
        target, made = SlaTarget.objects.get_or_create(
            policy=policy,
            metric=Metric.RESOLUTION,
            defaults={"minutes": minutes, "business_time": False},
        )
        if not made and targets is not None and priority in targets:
            target.minutes = minutes
            target.business_time = False
            target.save(update_fields=["minutes", "business_time"])
        policies[priority] = policy
    policies_changed()
    return policies


def imported_numbers(account: Customer) -> set[str]:
    """Incident numbers already replayed: each ticket's title starts with its number."""
    titles = Ticket.objects.filter(customer__parent_account=account).values_list("title", flat=True)
    return {title.split(" ", 1)[0] for title in titles.iterator()}


def caller_account_number(caller: str) -> str:
    """ "SN-2403" for "Caller 2403"; "SN-unknown" where the log has none."""
    short = caller.removeprefix("Caller ").strip() or "unknown"
    return f"{CUSTOMER_PREFIX}{short}"[:30]


def _customers(account: Customer, incidents: list[SnIncident]) -> dict[str, int]:
    """The callers' customer ids by account number, creating those not stored."""
    wanted = sorted({caller_account_number(incident.caller) for incident in incidents})
    return customers_ensure(
        customers=[
            NewCustomer(
                account_number=number,
                name=f"ServiceNow caller {number.removeprefix(CUSTOMER_PREFIX)}",
                segment=Segment.RESIDENTIAL,
                parent_account_id=account.pk,
            )
            for number in wanted
        ]
    ).ids


def group_name(assignment_group: str) -> str:
    return f"{GROUP_PREFIX}{assignment_group}"[:100] if assignment_group else NO_GROUP


def _groups(incidents: list[SnIncident]) -> dict[str, SupportGroup]:
    """One first-line NetDesk group per ServiceNow assignment group (by name)."""
    wanted = {group_name(e.group) for incident in incidents for e in incident.events}
    wanted.add(NO_GROUP)
    found = {group.name: group for group in SupportGroup.objects.filter(name__in=wanted)}
    missing = wanted - found.keys()
    if missing:
        tier = Tier.objects.filter(kind=TierKind.FIRST_LINE).order_by("level", "id").first()
        if tier is None:
            tier = Tier.objects.create(name="First line", kind=TierKind.FIRST_LINE, level=1)
        new = [SupportGroup(name=name, tier=tier) for name in sorted(missing)]
        for group in SupportGroup.objects.bulk_create(new, batch_size=BATCH_SIZE):
            found[group.name] = group
    return found


@dataclass
class _Draft:
    """A ticket about to be written, with its timeline and when its clock stops."""

    incident: SnIncident
    ticket: Ticket
    # Each event waits for its ticket's id, known once the tickets are written.
    events: list[partial[PastEvent]]
    final_at: datetime


def _draft(incident: SnIncident, customer_id: int, groups: dict[str, SupportGroup]) -> _Draft:
    assert incident.opened_at is not None
    created_at = incident.opened_at
    # The group at opening is the first one the log names; later rows without
    # one leave the ticket where it was.
    first_named = next((e.group for e in incident.events if e.group), "")
    group = groups[group_name(first_named)]
    status: str = Status.NEW
    events = [partial(PastEvent, at=created_at, kind=EventKind.CREATED, message="Imported")]
    resolved_at: datetime | None = None
    closed_at: datetime | None = None
    for sn_event in incident.events:
        at = max(sn_event.at, created_at)
        target_group = groups[group_name(sn_event.group)] if sn_event.group else group
        if target_group.pk != group.pk:
            events.append(
                partial(
                    PastEvent,
                    at=at,
                    kind=EventKind.ESCALATED_FUNCTIONAL,
                    field="group",
                    old=str(group.pk),
                    new=str(target_group.pk),
                )
            )
            group = target_group
        if sn_event.status != status:
            events.append(
                partial(
                    PastEvent,
                    at=at,
                    kind=_status_kind(status, sn_event.status),
                    field="status",
                    old=status,
                    new=sn_event.status,
                )
            )
            if sn_event.status == Status.RESOLVED:
                resolved_at = at
            elif sn_event.status == Status.CLOSED:
                closed_at = at
            status = sn_event.status
    last = incident.last
    # ServiceNow's own resolution and closure stamps win over the row that
    # recorded them; an open ticket has neither.
    resolved_at = (last.resolved_at or resolved_at or closed_at) if status in DONE else None
    closed_at = (last.closed_at or closed_at) if status == Status.CLOSED else None
    final_at = max([last.at, created_at] + [t for t in (resolved_at, closed_at) if t is not None])
    title = f"{incident.number} ServiceNow incident"
    if incident.category:
        title += f" · {incident.category}"
    if incident.subcategory:
        title += f" / {incident.subcategory}"
    ticket = Ticket(
        ticket_type=TicketType.FAULT,
        channel=incident.channel,
        customer_id=customer_id,
        title=title[:200],
        description=(
            f"Replayed from ServiceNow incident {incident.number}; "
            f"made_sla in the log: {'true' if incident.made_sla else 'false'}."
        ),
        impact=incident.impact,
        urgency=incident.urgency,
        priority=incident.priority,
        status=status,
        group=group,
        reopen_count=last.reopen_count,
        created_at=created_at,
        updated_at=final_at,
        resolved_at=resolved_at,
        closed_at=closed_at,
    )
    return _Draft(incident, ticket, events, final_at)


def _status_kind(old: str, new: str) -> str:
    if new == Status.RESOLVED:
        return EventKind.RESOLVED
    if new == Status.CLOSED:
        return EventKind.CLOSED
    if old in DONE:
        return EventKind.REOPENED
    return EventKind.STATUS_CHANGED


def replay(
    incidents: list[SnIncident],
    *,
    skips: SkipLog,
    targets: dict[int, int] | None = None,
    pause_statuses: list[str] | None = None,
    dry_run: bool = False,
) -> ReplayResult:
    """Write the incidents not replayed before as tickets with their timelines,
    then recompute each one's SLA timers as they stood when its log ends.
    A dry run does all of it and rolls it back."""
    result = ReplayResult()
    started = monotonic()
    with transaction.atomic():
        account = replay_account()
        ensure_replay_policies(account=account, targets=targets, pause_statuses=pause_statuses)
        done_before = imported_numbers(account)
        fresh = []
        for incident in incidents:
            if incident.number in done_before:
                skips.add("incident", incident.number, "already imported")
            else:
                fresh.append(incident)
        customers = _customers(account, fresh)
        groups = _groups(fresh)
        drafts = [
            _draft(incident, customers[caller_account_number(incident.caller)], groups)
            for incident in fresh
        ]
        tickets = Ticket.objects.bulk_create(
            [draft.ticket for draft in drafts], batch_size=BATCH_SIZE
        )
        written = events_replayed(
            history=[
                event(ticket_id=ticket.pk)
                for draft, ticket in zip(drafts, tickets, strict=True)
                for event in draft.events
            ],
            batch_size=BATCH_SIZE,
        )
        result.imported, result.events = len(tickets), written
        result.seconds["write"] = monotonic() - started

        started = monotonic()
        verdicts: dict[int, list[tuple[bool, bool | None]]] = {p: [] for p in DEFAULT_TARGETS}
        for draft in drafts:
            timers = sla_refresh(ticket=draft.ticket, now=draft.final_at)
            result.timers += len(timers)
            verdicts[draft.ticket.priority].append(
                (draft.incident.made_sla, resolution_verdict(timers))
            )
        result.seconds["sla"] = monotonic() - started
        result.report = [
            PriorityRow(
                priority=priority,
                incidents=len(rows),
                made_sla=sum(made for made, _ in rows),
                decided=sum(met is not None for _, met in rows),
                met=sum(met is True for _, met in rows),
            )
            for priority, rows in verdicts.items()
        ]
        if dry_run:
            transaction.set_rollback(True)
    if dry_run:
        policies_changed()
    return result
