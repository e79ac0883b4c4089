"""Six months of desk history for `netdesk demo`: tickets arriving on a
weekday / time-of-day curve, each played through a realistic path (solved on
the first contact, called back, escalated to the NOC and on to field
engineering, to billing, to a supervisor, reopened), with its call reports
and timeline events.

This is a bulk loader: it writes rows directly with bulk_create instead of
calling the ticket services, which would cost dozens of queries per ticket.
It reproduces what the services write, so the KPIs read consistent fields:
every change is a TicketEvent like apply_changes writes, first responses
follow interaction_log's rule, and first_contact_resolved follows
ticket_resolve's (no functional escalation, no reopen, at most one
customer contact). Steps that would lie after "now" are not played, so
recent tickets are left open in whatever state they had reached."""

from __future__ import annotations

import base64
import contextlib
import math
import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from tqdm import tqdm

from netdesk.accounts.models import TierKind
from netdesk.customers.models import Segment
from netdesk.demo import vocabulary as words
from netdesk.demo.bulk import IdBlock, insert
from netdesk.demo.generate import Staff, Subscriber
from netdesk.tickets.choices import (
    Channel,
    Direction,
    Outcome,
    ResolutionCode,
    RootCause,
    Status,
    TicketType,
)
from netdesk.tickets.models import Category, Interaction, PriorityRule, Ticket, TicketEvent
from netdesk.tickets.models.timeline import EventKind
from netdesk.tickets.services.lifecycle import DEFAULT_MATRIX

LOCAL_TIME = ZoneInfo("Europe/Berlin")
LIVE_CHANNELS = {Channel.PHONE, Channel.CHAT}
CHUNK = 2500
# Tickets auto-close this many days after resolution unless the customer objects.
CLOSE_AFTER_DAYS = (3, 7)


class _Cutoff(Exception):
    """The ticket's next step would happen after now: stop playing it."""


def _minutes(rng: random.Random, median: float, sigma: float = 0.6) -> timedelta:
    """A log-normal duration around a median, in minutes."""
    return timedelta(minutes=rng.lognormvariate(math.log(median), sigma))


def _call_seconds(rng: random.Random, channel: str, factor: float = 1.0) -> int:
    """Handling time of a contact: log-normal with a median of 4.5 minutes
    for a call; chats run longer, written messages a little shorter."""
    scale: float = {"chat": 1.6, "email": 0.9, "web": 0.9}.get(channel, 1.0)
    seconds = rng.lognormvariate(math.log(270), 0.55) * scale * factor
    return int(min(max(seconds, 25), 3600))


@dataclass
class _Story:
    """One ticket being played: its row, and the call reports and events
    each step adds, with the clock of the last step."""

    ticket: Ticket
    now: datetime
    levels: dict[int, int]
    interactions: list[Interaction]
    events: list[TicketEvent]
    t: datetime = field(init=False)
    customer_contacts: int = 0

    def __post_init__(self) -> None:
        self.t = self.ticket.created_at

    def at(self, moment: datetime) -> None:
        if moment > self.now:
            raise _Cutoff
        self.t = moment
        self.ticket.updated_at = moment

    def later(self, delay: timedelta) -> None:
        self.at(self.t + delay)

    def event(self, kind: str, actor: int | None, *, field: str = "", old: Any = "",
              new: Any = "", message: str = "") -> None:  # fmt: skip
        self.events.append(
            TicketEvent(
                ticket_id=self.ticket.pk,
                actor_id=actor,
                at=self.t,
                kind=kind,
                field=field,
                old_value="" if old is None else str(old),
                new_value="" if new is None else str(new),
                message=message,
            )
        )

    def change(self, kind: str, actor: int | None, message: str = "", **changes: Any) -> None:
        """Set fields and write one event per field that really changed."""
        for name, new in changes.items():
            old = getattr(self.ticket, name)
            if old == new:
                continue
            setattr(self.ticket, name, new)
            self.event(kind, actor, field=name.removesuffix("_id"), old=old, new=new,
                       message=message)  # fmt: skip

    def contact(self, *, agent: int | None, channel: str, direction: str, seconds: int,
                summary: str, outcome: str) -> None:  # fmt: skip
        """A call report; the clock moves on by its duration."""
        started = self.t
        self.interactions.append(
            Interaction(
                ticket_id=self.ticket.pk,
                customer_id=self.ticket.customer_id,
                contact_id=self.ticket.contact_id,
                agent_id=agent,
                channel=channel,
                direction=direction,
                started_at=started,
                duration_seconds=seconds,
                summary=summary,
                outcome=outcome,
            )
        )
        if direction != Direction.INTERNAL:
            self.customer_contacts += 1
        answered = direction == Direction.OUTBOUND or (
            direction == Direction.INBOUND and channel in LIVE_CHANNELS
        )
        if answered and self.ticket.first_response_at is None:
            self.ticket.first_response_at = max(started, self.ticket.created_at)
        # The call report is written when the contact ends; a call still
        # running "now" is logged as of now.
        self.t = min(started + timedelta(seconds=seconds), self.now)
        self.ticket.updated_at = self.t
        self.event(EventKind.INTERACTION_LOGGED, agent, new=f"{channel} {direction}",
                   message=summary)  # fmt: skip

    def status(self, actor: int | None, status: str, message: str = "") -> None:
        self.change(EventKind.STATUS_CHANGED, actor, message, status=status)

    def assign(self, actor: int, assignee: int) -> None:
        self.change(EventKind.ASSIGNED, actor, assignee_id=assignee)
        if self.ticket.status == Status.NEW:
            self.status(actor, Status.ASSIGNED)

    def escalate(self, actor: int, group_id: int, group_names: dict[int, str], reason: str) -> None:
        ticket = self.ticket
        message = f"{group_names[ticket.group_id]} → {group_names[group_id]}: {reason}"
        self.change(EventKind.ESCALATED_FUNCTIONAL, actor, message, group_id=group_id,
                    assignee_id=None)  # fmt: skip
        self.status(actor, Status.NEW)
        ticket.functional_escalations += 1
        ticket.highest_tier_level = max(ticket.highest_tier_level, self.levels[group_id])

    def resolve(self, actor: int, resolution: tuple[str, str, str]) -> None:
        code, cause, note = resolution
        ticket = self.ticket
        fcr = (
            ticket.functional_escalations == 0
            and ticket.reopen_count == 0
            and self.customer_contacts <= 1
        )
        self.change(EventKind.RESOLVED, actor, note, status=Status.RESOLVED,
                    resolution_code=code, root_cause=cause, resolution_notes=note,
                    first_contact_resolved=fcr)  # fmt: skip
        ticket.resolved_at = self.t
        ticket.resolved_by_id = actor
        if ticket.first_response_at is None:
            ticket.first_response_at = self.t

    def reopen(self, actor: int, reason: str) -> None:
        self.change(EventKind.REOPENED, actor, reason, status=Status.IN_PROGRESS,
                    first_contact_resolved=False, resolution_code="", root_cause="")  # fmt: skip
        self.ticket.reopen_count += 1
        self.ticket.resolved_at = None

    def close(self, message: str) -> None:
        self.change(EventKind.CLOSED, None, message, status=Status.CLOSED)
        self.ticket.closed_at = self.t


@dataclass
class _Desk:
    """Everything a ticket's path needs to pick people and groups."""

    rng: random.Random
    staff: Staff
    group_ids: dict[str, int]
    group_names: dict[int, str]
    hotline_weights: list[float]
    hotline_skill: dict[int, float]
    account_managers: dict[int, int]

    def agent(self, line: str) -> int:
        return self.rng.choice(self.staff.by_line[line])

    def hotline_agent(self) -> int:
        return self.rng.choices(self.staff.by_line[TierKind.FIRST_LINE], self.hotline_weights)[0]


def _arrivals(rng: random.Random, count: int, start: datetime, end: datetime) -> list[datetime]:
    """Creation times on the weekday and hour-of-day curves (local time), with
    the customer base growing a little over the period; sorted, so ticket
    numbers follow time."""
    first_day = start.astimezone(LOCAL_TIME).date()
    days = [first_day + timedelta(days=n) for n in range((end - start).days + 2)]
    day_weights = [
        words.WEEKDAY_WEIGHTS[day.weekday()] * (1 + 0.15 * n / len(days))
        for n, day in enumerate(days)
    ]
    times: list[datetime] = []
    while len(times) < count:
        need = count - len(times)
        picked_days = rng.choices(days, day_weights, k=need)
        hours = rng.choices(range(24), words.HOUR_WEIGHTS, k=need)
        for day, hour in zip(picked_days, hours, strict=True):
            local = datetime(day.year, day.month, day.day, hour, rng.randrange(60),
                             rng.randrange(60), tzinfo=LOCAL_TIME)  # fmt: skip
            moment = local.astimezone(UTC)
            if start <= moment <= end:
                times.append(moment)
    times.sort()
    return times


def _plan(rng: random.Random, ticket_type: str, skill: float, key_account: bool) -> str:
    """Which path the ticket takes, by type; the agent's skill moves the
    share solved on the first contact."""
    fcr_share = {
        TicketType.FAULT: 0.6,
        TicketType.INFORMATION_REQUEST: 0.9,
        TicketType.BILLING_INQUIRY: 0.62,
        TicketType.SERVICE_REQUEST: 0.55,
        TicketType.COMPLAINT: 0.18,
    }[TicketType(ticket_type)]
    if rng.random() < min(fcr_share * skill, 0.97):
        return "fcr"
    roll = rng.random()
    if ticket_type == TicketType.FAULT:
        return "callback" if roll < 0.25 else ("field" if roll < 0.5 else "noc")
    if ticket_type == TicketType.BILLING_INQUIRY:
        if key_account and roll < 0.3:
            return "account"
        return "billing" if roll < 0.85 else "callback"
    if ticket_type == TicketType.SERVICE_REQUEST:
        if key_account and roll < 0.4:
            return "account"
        return "install" if roll < 0.55 else "callback"
    if ticket_type == TicketType.COMPLAINT:
        return "complaint"
    return "callback"


def _impact_urgency(rng: random.Random, ticket_type: str, segment: str) -> tuple[int, int]:
    if ticket_type == TicketType.FAULT:
        impact_weights = [5, 35, 60] if segment == Segment.RESIDENTIAL else [35, 45, 20]
        urgency_weights = [25, 50, 25]
    elif ticket_type == TicketType.COMPLAINT:
        impact_weights, urgency_weights = [5, 40, 55], [15, 55, 30]
    else:
        impact_weights, urgency_weights = [2, 18, 80], [5, 45, 50]
    impact = rng.choices([1, 2, 3], impact_weights)[0]
    urgency = rng.choices([1, 2, 3], urgency_weights)[0]
    return impact, urgency


# How long a queue takes to pick a ticket up, by priority (median minutes).
PICKUP_MINUTES = {1: 10, 2: 35, 3: 90, 4: 180, 5: 360}


def _play(story: _Story, desk: _Desk, plan: str, first_agent: int) -> None:
    """Play a ticket from creation along its plan; raises _Cutoff at now."""
    rng, ticket = desk.rng, story.ticket
    live = ticket.channel in LIVE_CHANNELS
    ticket_type = ticket.ticket_type
    story.event(
        EventKind.CREATED,
        ticket.created_by_id,
        new=Status(ticket.status).label,
        message=f"{TicketType(ticket_type).label} via {Channel(ticket.channel).label}, "
        f"P{ticket.priority}, queue {desk.group_names[ticket.group_id]}",
    )
    if not live:
        # Written contacts wait in the hotline queue until an agent takes
        # them; the newest ones are being picked up right now.
        pickup = ticket.created_at + _minutes(rng, PICKUP_MINUTES[ticket.priority] * 1.5, 0.8)
        if pickup > story.now:
            pickup = ticket.created_at + (story.now - ticket.created_at) * rng.random()
        story.at(pickup)
        story.assign(first_agent, first_agent)
    first_outcome = {
        "fcr": Outcome.RESOLVED
        if ticket_type in (TicketType.FAULT, TicketType.SERVICE_REQUEST)
        else Outcome.INFORMATION_GIVEN,
        "callback": Outcome.CALLBACK_PROMISED,
        "complaint": Outcome.TICKET_CREATED,
    }.get(plan, Outcome.ESCALATED)
    summary = (
        rng.choice(words.FIRST_CONTACT_NOTES[ticket_type])
        if plan == "fcr"
        else f"{ticket.title}. Checked account and service, logged the details."
    )
    story.contact(
        agent=first_agent,
        channel=ticket.channel,
        direction=Direction.INBOUND,
        seconds=_call_seconds(rng, ticket.channel, 1.0 if plan == "fcr" else 1.35),
        summary=summary,
        outcome=first_outcome,
    )
    resolver = first_agent
    if plan == "fcr":
        story.resolve(first_agent, _first_contact_resolution(rng, ticket_type, summary))
    elif plan == "callback":
        resolver = _callback(story, desk, first_agent)
    elif plan in ("noc", "field"):
        resolver = _network_fault(story, desk, first_agent, to_field=plan == "field")
    elif plan == "install":
        resolver = _install(story, desk, first_agent)
    elif plan == "billing":
        resolver = _handover(story, desk, first_agent, TierKind.BILLING, "billing", "billing")
    elif plan == "account":
        resolver = _handover(story, desk, first_agent, TierKind.ACCOUNT_MANAGEMENT, "account",
                             "request")  # fmt: skip
    elif plan == "complaint":
        resolver = _complaint(story, desk, first_agent)
    _after_resolution(story, desk, resolver, plan)


def _first_contact_resolution(
    rng: random.Random, ticket_type: str, note: str
) -> tuple[str, str, str]:
    if ticket_type == TicketType.FAULT:
        return (
            rng.choice([ResolutionCode.FIXED, ResolutionCode.WORKAROUND]),
            RootCause.CUSTOMER_SIDE,
            note,
        )
    if ticket_type == TicketType.COMPLAINT:
        return ResolutionCode.INFORMATION_GIVEN, RootCause.PROCESS, note
    if ticket_type == TicketType.SERVICE_REQUEST:
        return ResolutionCode.REQUEST_FULFILLED, "", note
    return ResolutionCode.INFORMATION_GIVEN, "", note  # fmt: skip


def _callback(story: _Story, desk: _Desk, agent: int) -> int:
    """First line keeps it: checks, calls the customer back, solves it."""
    rng = desk.rng
    if rng.random() < 0.3:
        story.status(agent, Status.PENDING_CUSTOMER, "Waiting for the customer to test.")
        story.later(_minutes(rng, 8 * 60, 0.8))
        story.contact(agent=agent, channel=Channel.PHONE, direction=Direction.INBOUND,
                      seconds=_call_seconds(rng, Channel.PHONE, 0.7),
                      summary="Customer called back with the test results.",
                      outcome=Outcome.TICKET_UPDATED)  # fmt: skip
        story.status(agent, Status.IN_PROGRESS)
    else:
        story.status(agent, Status.IN_PROGRESS)
    story.later(_minutes(rng, 4 * 60, 0.9))
    resolution = rng.choice(words.RESOLUTIONS["hotline"])
    if story.ticket.ticket_type not in (TicketType.FAULT, TicketType.COMPLAINT):
        resolution = (ResolutionCode.INFORMATION_GIVEN, "", resolution[2])
    story.contact(agent=agent, channel=Channel.PHONE, direction=Direction.OUTBOUND,
                  seconds=_call_seconds(rng, Channel.PHONE, 0.7), summary=resolution[2],
                  outcome=Outcome.RESOLVED)  # fmt: skip
    story.resolve(agent, resolution)
    return agent


def _pick_up(story: _Story, desk: _Desk, line: str, median_factor: float = 1.0) -> int:
    rng = desk.rng
    story.later(_minutes(rng, PICKUP_MINUTES[story.ticket.priority] * median_factor, 0.7))
    engineer = desk.agent(line)
    story.assign(engineer, engineer)
    story.later(_minutes(rng, 8, 0.5))
    story.status(engineer, Status.IN_PROGRESS)
    return engineer


def _network_fault(story: _Story, desk: _Desk, agent: int, *, to_field: bool) -> int:
    """Hotline → NOC: remote diagnosis with the customer; the NOC fixes it or
    sends it on to field engineering for a visit."""
    rng = desk.rng
    story.escalate(agent, desk.group_ids[TierKind.SECOND_LINE], desk.group_names,
                   rng.choice(words.ESCALATION_REASONS["noc"]))  # fmt: skip
    engineer = _pick_up(story, desk, TierKind.SECOND_LINE)
    story.contact(agent=engineer, channel=Channel.PHONE, direction=Direction.OUTBOUND,
                  seconds=_call_seconds(rng, Channel.PHONE, 1.8),
                  summary="Remote diagnosis with the customer: line test, port and CPE checks.",
                  outcome=Outcome.TICKET_UPDATED)  # fmt: skip
    if not to_field:
        if rng.random() < 0.12:
            # Faults on a wholesale or power provider's side wait for them.
            story.status(engineer, Status.PENDING_THIRD_PARTY, "Ticket raised with the provider.")
            story.later(timedelta(hours=rng.uniform(12, 120)))
            story.status(engineer, Status.IN_PROGRESS, "Provider reports the fault cleared.")
        story.later(_minutes(rng, 3 * 60, 1.0))
        resolution = rng.choice(words.RESOLUTIONS["noc"])
        story.contact(agent=engineer, channel=Channel.PHONE, direction=Direction.OUTBOUND,
                      seconds=_call_seconds(rng, Channel.PHONE, 0.6), summary=resolution[2],
                      outcome=Outcome.RESOLVED)  # fmt: skip
        story.resolve(engineer, resolution)
        return engineer
    story.later(_minutes(rng, 45, 0.8))
    story.escalate(engineer, desk.group_ids[TierKind.THIRD_LINE], desk.group_names,
                   rng.choice(words.ESCALATION_REASONS["field"]))  # fmt: skip
    return _visit(story, desk, rng.choice(words.RESOLUTIONS["field"]))


def _visit(story: _Story, desk: _Desk, resolution: tuple[str, str, str]) -> int:
    """Field engineering agrees an appointment, visits and fixes on site."""
    rng = desk.rng
    technician = _pick_up(story, desk, TierKind.THIRD_LINE, 4.0)
    story.contact(agent=technician, channel=Channel.PHONE, direction=Direction.OUTBOUND,
                  seconds=_call_seconds(rng, Channel.PHONE, 0.5),
                  summary="Appointment agreed with the customer for a site visit.",
                  outcome=Outcome.CALLBACK_PROMISED)  # fmt: skip
    story.status(technician, Status.PENDING_CUSTOMER, "Waiting for the appointment.")
    story.later(timedelta(hours=rng.uniform(18, 96)))
    story.status(technician, Status.IN_PROGRESS, "Technician on site.")
    story.later(_minutes(rng, 75, 0.5))
    story.contact(agent=technician, channel=Channel.INTERNAL, direction=Direction.INTERNAL,
                  seconds=_call_seconds(rng, Channel.PHONE, 0.5),
                  summary=f"Site visit report: {resolution[2]}",
                  outcome=Outcome.RESOLVED)  # fmt: skip
    story.resolve(technician, resolution)
    return technician


def _install(story: _Story, desk: _Desk, agent: int) -> int:
    """A service request that needs work on site goes straight to the field."""
    story.escalate(agent, desk.group_ids[TierKind.THIRD_LINE], desk.group_names,
                   "Installation work on site needed for the request.")  # fmt: skip
    return _visit(story, desk, desk.rng.choice(words.RESOLUTIONS["request"][:1]))


def _handover(story: _Story, desk: _Desk, agent: int, line: str, reasons: str,
              resolutions: str) -> int:  # fmt: skip
    """To billing or account management, who answer in writing."""
    rng = desk.rng
    story.escalate(agent, desk.group_ids[line], desk.group_names,
                   rng.choice(words.ESCALATION_REASONS[reasons]))  # fmt: skip
    story.later(_minutes(rng, 10 * 60, 0.9))
    owner = (
        desk.account_managers.get(story.ticket.customer_id)
        if line == TierKind.ACCOUNT_MANAGEMENT
        else None
    )
    owner = owner or desk.agent(line)
    story.assign(owner, owner)
    story.later(_minutes(rng, 6 * 60, 1.0))
    resolution = rng.choice(words.RESOLUTIONS[resolutions])
    story.contact(agent=owner, channel=Channel.EMAIL, direction=Direction.OUTBOUND,
                  seconds=_call_seconds(rng, Channel.EMAIL), summary=resolution[2],
                  outcome=Outcome.RESOLVED)  # fmt: skip
    story.resolve(owner, resolution)
    return owner


def _complaint(story: _Story, desk: _Desk, agent: int) -> int:
    """Complaints go up to the hotline's team lead, who calls the customer."""
    rng = desk.rng
    story.status(agent, Status.IN_PROGRESS)
    story.change(EventKind.ESCALATED_HIERARCHICAL, agent,
                 "Customer asks for a supervisor (supervisor: hotline team lead)",
                 hierarchical_level=1)  # fmt: skip
    story.later(_minutes(rng, 16 * 60, 0.8))
    lead = desk.staff.supervisors[TierKind.FIRST_LINE]
    story.change(EventKind.ASSIGNED, lead, assignee_id=lead)
    resolution = rng.choice(words.RESOLUTIONS["complaint"])
    story.contact(agent=lead, channel=Channel.PHONE, direction=Direction.OUTBOUND,
                  seconds=_call_seconds(rng, Channel.PHONE, 2.0), summary=resolution[2],
                  outcome=Outcome.RESOLVED)  # fmt: skip
    story.resolve(lead, resolution)
    return lead


def _after_resolution(story: _Story, desk: _Desk, resolver: int, plan: str) -> None:
    """Some customers call back because the problem is back (reopen); the
    rest are closed automatically a few days after resolution."""
    rng = desk.rng
    reopen_chance = 0.025 if plan == "fcr" else 0.08
    if story.ticket.ticket_type == TicketType.FAULT and rng.random() < reopen_chance:
        story.later(_minutes(rng, 20 * 60, 0.7))
        hotline = desk.hotline_agent()
        story.contact(agent=hotline, channel=Channel.PHONE, direction=Direction.INBOUND,
                      seconds=_call_seconds(rng, Channel.PHONE),
                      summary="Customer reports the problem is back.",
                      outcome=Outcome.TICKET_UPDATED)  # fmt: skip
        story.reopen(hotline, "Customer reports the problem is back.")
        story.later(_minutes(rng, 6 * 60, 0.8))
        resolution = rng.choice(words.RESOLUTIONS["noc" if plan in ("noc", "field") else "hotline"])
        story.contact(agent=resolver, channel=Channel.PHONE, direction=Direction.OUTBOUND,
                      seconds=_call_seconds(rng, Channel.PHONE, 0.7), summary=resolution[2],
                      outcome=Outcome.RESOLVED)  # fmt: skip
        story.resolve(resolver, resolution)
    days = rng.uniform(*CLOSE_AFTER_DAYS)
    story.later(timedelta(days=days))
    story.close(f"Closed automatically {days:.0f} days after resolution.")


def _public_id(rng: random.Random) -> str:
    return base64.urlsafe_b64encode(rng.getrandbits(72).to_bytes(9, "big")).decode()


def _chunks(items: list[datetime], size: int) -> Iterator[list[datetime]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def build_history(
    rng: random.Random,
    *,
    count: int,
    months: int,
    staff: Staff,
    subscribers: list[Subscriber],
    account_managers: dict[int, int],
    created: dict[str, Any],
    progress: tqdm,
) -> None:
    """Create `count` tickets over the last `months` months, in chunks so
    memory stays flat whatever the size."""
    now = datetime.now(UTC)
    start = now - timedelta(days=30 * months)
    # Leave the last minutes empty so every first contact has been logged.
    # Arrivals, and each ticket's path, draw from their own generators seeded
    # from the main one: how many draws they take depends on the clock (what
    # falls after now), and that must not shift what later tickets look like.
    times = _arrivals(random.Random(rng.getrandbits(64)), count, start, now - timedelta(minutes=20))
    matrix = {(i, u): int(p) for (i, u), p in DEFAULT_MATRIX.items()}
    matrix.update({(r.impact, r.urgency): r.priority for r in PriorityRule.objects.all()})
    categories: dict[str, list[int]] = {}
    for category_id, ticket_type in Category.objects.filter(is_active=True).values_list(
        "id", "ticket_type"
    ):
        categories.setdefault(ticket_type, []).append(category_id)
    group_ids = {kind: group.pk for kind, group in staff.groups.items()}
    levels = {group.pk: group.tier.level for group in staff.groups.values()}
    hotline = staff.by_line[TierKind.FIRST_LINE]
    desk = _Desk(
        rng=rng,
        staff=staff,
        group_ids=group_ids,
        group_names={group.pk: group.name for group in staff.groups.values()},
        # Some operators work part time; some are better at first-contact fixes.
        hotline_weights=[rng.choice([0.5, 1.0, 1.0, 1.0, 1.2]) for _ in hotline],
        hotline_skill={agent: rng.uniform(0.85, 1.12) for agent in hotline},
        account_managers=account_managers,
    )
    segment_weight: dict[str, float] = {
        Segment.RESIDENTIAL: 1.0,
        Segment.BUSINESS: 2.5,
        Segment.KEY_ACCOUNT: 3.0,
    }
    callers = rng.choices(subscribers, [segment_weight[s.segment] for s in subscribers], k=count)
    type_values, type_weights = zip(*words.TYPE_WEIGHTS, strict=True)
    channel_values, channel_weights = zip(*words.CHANNEL_WEIGHTS, strict=True)
    ticket_ids = IdBlock(Ticket)
    position = 0
    for chunk in _chunks(times, CHUNK):
        tickets: list[Ticket] = []
        interactions: list[Interaction] = []
        events: list[TicketEvent] = []
        for created_at in chunk:
            caller = callers[position]
            position += 1
            desk.rng = random.Random(rng.getrandbits(64))
            ticket_type = rng.choices(type_values, type_weights)[0]
            channel = rng.choices(channel_values, channel_weights)[0]
            live = channel in LIVE_CHANNELS
            impact, urgency = _impact_urgency(rng, ticket_type, caller.segment)
            needs_service = ticket_type in (TicketType.FAULT, TicketType.SERVICE_REQUEST)
            service = (
                rng.choice(caller.services)
                if caller.services and (needs_service or rng.random() < 0.4)
                else None
            )
            agent = rng.choices(hotline, desk.hotline_weights)[0]
            title = rng.choice(words.TITLES[ticket_type])
            ticket = Ticket(
                id=ticket_ids.take(),
                public_id=_public_id(rng),
                ticket_type=ticket_type,
                channel=channel,
                category_id=rng.choice(categories[ticket_type])
                if ticket_type in categories
                else None,
                customer_id=caller.id,
                service_id=service,
                contact_id=rng.choice(caller.contacts) if caller.contacts else None,
                title=title,
                description=f"{title}. Reported by {Channel(channel).label.lower()}.",
                impact=impact,
                urgency=urgency,
                priority=matrix[(impact, urgency)],
                status=Status.ASSIGNED if live else Status.NEW,
                group_id=group_ids[TierKind.FIRST_LINE],
                assignee_id=agent if live else None,
                created_by_id=agent if live else None,
                highest_tier_level=1,
                created_at=created_at,
                updated_at=created_at,
            )
            story = _Story(ticket=ticket, now=now, levels=levels, interactions=interactions,
                           events=events)  # fmt: skip
            key_account = caller.id in account_managers
            plan = _plan(rng, ticket_type, desk.hotline_skill[agent], key_account)
            with contextlib.suppress(_Cutoff):
                _play(story, desk, plan, agent)
            tickets.append(ticket)
        insert(Ticket, tickets)
        insert(Interaction, interactions)
        insert(TicketEvent, events)
        progress.update(len(chunk))
    created["tickets.Ticket"] = ticket_ids.span
