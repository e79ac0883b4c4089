"""Replaying a ServiceNow incident event log (the UCI "Incident management
process enriched event log" layout) as NetDesk tickets with their timelines,
then recomputing their SLA timers with NetDesk's own engine.

Reading is pure (zip + csv, streamed); writing is bulk and in one
transaction, so a failed or dry run leaves nothing behind."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from time import monotonic
from typing import TextIO

from django.db import transaction

from netdesk.accounts.models import SupportGroup, Tier, TierKind
from netdesk.core.csvrows import MAX_ROW_CHARACTERS, CsvUnreadable, csv_rows
from netdesk.core.errors import ImportFailed
from netdesk.core.text import UNSTORABLE_REASON, printable_excerpt, unstorable_in_row
from netdesk.customers.models import Customer, Segment
from netdesk.customers.services import NewCustomer, customer_ensure, customers_ensure
from netdesk.sla.importers import PriorityRow, SkipLog, resolution_verdict
from netdesk.sla.models import BusinessCalendar, Metric, PolicyKind, SlaPolicy, SlaTarget
from netdesk.sla.selectors import policies_changed
from netdesk.sla.services import sla_refresh
from netdesk.tickets.choices import Channel, Status, TicketType
from netdesk.tickets.events import PastEvent, events_replayed
from netdesk.tickets.models import Ticket
from netdesk.tickets.models.timeline import EventKind

MISSING = "?"
TIMESTAMP_FORMAT = "%d/%m/%Y %H:%M"
REQUIRED_COLUMNS = (
    "number",
    "incident_state",
    "sys_mod_count",
    "sys_updated_at",
    "opened_at",
    "priority",
)

# ServiceNow incident_state → NetDesk status. "Awaiting" states wait on
# someone outside the desk's control, which NetDesk's policies pause on.
STATE_TO_STATUS: dict[str, str] = {
    "New": Status.NEW,
    "Active": Status.IN_PROGRESS,
    "Awaiting User Info": Status.PENDING_CUSTOMER,
    "Awaiting Vendor": Status.PENDING_THIRD_PARTY,
    "Awaiting Problem": Status.PENDING_THIRD_PARTY,
    "Awaiting Evidence": Status.PENDING_THIRD_PARTY,
    "Resolved": Status.RESOLVED,
    "Closed": Status.CLOSED,
}
# contact_type → channel; anything else (Direct opening, IVR) came in
# through a system rather than a person, so it is counted as the API.
CONTACT_TO_CHANNEL: dict[str, str] = {
    "Phone": Channel.PHONE,
    "Email": Channel.EMAIL,
    "Self service": Channel.WEB,
}
DONE = frozenset({Status.RESOLVED, Status.CLOSED})

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


def parse_timestamp(raw: str) -> datetime | None:
    """A day-first "dd/mm/yyyy HH:MM" stamp, read as UTC (the log has no zone)."""
    raw = raw.strip()
    if not raw or raw == MISSING:
        return None
    try:
        return datetime.strptime(raw, TIMESTAMP_FORMAT).replace(tzinfo=UTC)
    except ValueError:
        return None


def leading_digit(raw: str) -> int | None:
    """1 from "1 - Critical"; None for "?" or anything without a digit first."""
    raw = raw.strip()
    return int(raw[0]) if raw[:1].isdigit() else None


def present(raw: str) -> str:
    """The value, or "" where the log says "?" (missing)."""
    raw = raw.strip()
    return "" if raw == MISSING else raw


@dataclass(frozen=True)
class SnEvent:
    """One row of the log that survived parsing."""

    at: datetime
    mod_count: int
    line: int
    status: str
    group: str
    reopen_count: int
    made_sla: bool
    resolved_at: datetime | None
    closed_at: datetime | None


@dataclass
class SnIncident:
    """One incident's rows, and the fields NetDesk needs from its last row."""

    number: str
    # The row that is last in time so far: the incident's fields come from it.
    last_row: dict[str, str] = field(default_factory=dict)
    newest: SnEvent | None = None
    events: list[SnEvent] = field(default_factory=list)
    opened_at: datetime | None = None
    caller: str = ""
    channel: str = Channel.API
    priority: int = 3
    impact: int = 2
    urgency: int = 2
    category: str = ""
    subcategory: str = ""

    @property
    def made_sla(self) -> bool:
        return self.events[-1].made_sla

    @property
    def last(self) -> SnEvent:
        return self.events[-1]


def _csv_member(archive: zipfile.ZipFile) -> str:
    names = [
        name
        for name in archive.namelist()
        if name.lower().endswith(".csv") and not name.startswith("__MACOSX/")
    ]
    if not names:
        raise ImportFailed(
            f"The archive holds no CSV file (found: {', '.join(archive.namelist()) or 'nothing'})."
        )
    return names[0]


def _rows(path: Path, max_row: int) -> Iterator[tuple[int, dict[str, str]]]:
    """Rows of the zipped (or plain) CSV with their row numbers, streamed
    straight out of the archive a bounded piece at a time."""
    if zipfile.is_zipfile(path):
        with zipfile.ZipFile(path) as archive, archive.open(_csv_member(archive)) as raw:
            # utf-8-sig drops the byte-order mark some exports start with.
            yield from _read(io.TextIOWrapper(raw, encoding="utf-8-sig", newline=""), max_row)
    else:
        with path.open(encoding="utf-8-sig", newline="") as text:
            yield from _read(text, max_row)


def _read(text: TextIO, max_row: int) -> Iterator[tuple[int, dict[str, str]]]:
    rows = csv_rows(text, max_row=max_row)
    header: list[str] = []
    try:
        _, header = next(rows, (1, []))
        missing = [column for column in REQUIRED_COLUMNS if column not in header]
        if missing:
            raise ImportFailed(
                f"Column(s) {', '.join(missing)} missing; the file needs "
                f"{', '.join(REQUIRED_COLUMNS)} (ServiceNow incident event log)."
            )
        for number, values in rows:
            if values:
                yield number, dict(zip(header, values, strict=False))
    except CsvUnreadable as exc:
        raise ImportFailed(
            f"{exc.where(header)}: {exc}; a row of the log may hold at most {max_row:,} "
            "characters. Nothing was imported."
        ) from exc


def read_incidents(
    path: Path,
    *,
    skips: SkipLog,
    limit: int | None = None,
    max_row: int = MAX_ROW_CHARACTERS,
) -> list[SnIncident]:
    """Group the log's rows per incident in file order, parse each row into an
    event (reporting those that cannot be), and order each incident's events
    by sys_updated_at then sys_mod_count. With `limit`, reading stops at the
    first row of incident limit + 1 (the log keeps an incident's rows together).
    A row longer than `max_row` characters stops the import (ImportFailed)."""
    incidents: dict[str, SnIncident] = {}
    for line, row in _rows(path, max_row):
        number = (row.get("number") or "").strip()
        problem = unstorable_in_row(row)
        if problem is not None:
            reference = printable_excerpt(number) or f"line {line}"
            skips.add("event", reference, UNSTORABLE_REASON, f"line {line}: {problem}")
            continue
        if not number or number == MISSING:
            skips.add("event", f"line {line}", "missing incident number")
            continue
        incident = incidents.get(number)
        if incident is None:
            if limit is not None and len(incidents) >= limit:
                break
            incident = incidents[number] = SnIncident(number)
        event = _event(number, line, row, skips)
        if event is not None:
            if incident.newest is None or _event_key(event) >= _event_key(incident.newest):
                incident.newest, incident.last_row = event, row
            incident.events.append(event)
    return [incident for incident in incidents.values() if _finish(incident, skips)]


def _event(number: str, line: int, row: dict[str, str], skips: SkipLog) -> SnEvent | None:
    state = (row.get("incident_state") or "").strip()
    if state not in STATE_TO_STATUS:
        skips.add("event", number, "unknown incident_state", f"line {line}: {state!r}")
        return None
    at = parse_timestamp(row.get("sys_updated_at") or "")
    if at is None:
        skips.add(
            "event",
            number,
            "unparseable sys_updated_at",
            f"line {line}: {row.get('sys_updated_at')!r}",
        )
        return None
    try:
        mod_count = int(row.get("sys_mod_count") or "")
    except ValueError:
        skips.add(
            "event",
            number,
            "unparseable sys_mod_count",
            f"line {line}: {row.get('sys_mod_count')!r}",
        )
        return None
    reopen = present(row.get("reopen_count") or "")
    return SnEvent(
        at=at,
        mod_count=mod_count,
        line=line,
        status=STATE_TO_STATUS[state],
        group=present(row.get("assignment_group") or ""),
        reopen_count=int(reopen) if reopen.isdigit() else 0,
        made_sla=present(row.get("made_sla") or "").lower() == "true",
        resolved_at=parse_timestamp(row.get("resolved_at") or ""),
        closed_at=parse_timestamp(row.get("closed_at") or ""),
    )


def _finish(incident: SnIncident, skips: SkipLog) -> bool:
    """Fill the incident's fields from its last event; False (and reported)
    when it cannot become a ticket."""
    if not incident.events:
        skips.add("incident", incident.number, "no usable events")
        return False
    order = sorted(range(len(incident.events)), key=lambda i: _event_key(incident.events[i]))
    if order != sorted(order):
        # Not a skip: the events are kept, in time order.
        skips.note("events out of order (reordered)", incident.number)
    incident.events = [incident.events[i] for i in order]
    last_row, incident.last_row = incident.last_row, {}
    opened_at = parse_timestamp(last_row.get("opened_at") or "")
    if opened_at is None:
        skips.add(
            "incident",
            incident.number,
            "missing or unparseable opened_at",
            repr(last_row.get("opened_at")),
        )
        return False
    priority = leading_digit(last_row.get("priority") or "")
    if priority is None or not 1 <= priority <= 4:
        skips.add("incident", incident.number, "unknown priority", repr(last_row.get("priority")))
        return False
    incident.opened_at = opened_at
    incident.priority = priority
    # NetDesk's impact and urgency scale stops at 3 (low); a ServiceNow 4 is low too.
    incident.impact = min(leading_digit(last_row.get("impact") or "") or 2, 3)
    incident.urgency = min(leading_digit(last_row.get("urgency") or "") or 2, 3)
    incident.caller = present(last_row.get("caller_id") or "")
    incident.channel = CONTACT_TO_CHANNEL.get(
        present(last_row.get("contact_type") or ""), Channel.API
    )
    incident.category = present(last_row.get("category") or "")
    incident.subcategory = present(last_row.get("subcategory") or "")
    return True


def _event_key(event: SnEvent) -> tuple[datetime, int, int]:
    return (event.at, event.mod_count, event.line)


# --- writing -------------------------------------------------------------


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
