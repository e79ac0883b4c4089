"""The paths a demo ticket takes through the desk: solved on first contact,
called back, escalated to the NOC and on to field engineering, handed to
billing or account management, raised to a supervisor, reopened, closed."""

import random
from dataclasses import dataclass
from datetime import timedelta

from netdesk.accounts.models import TierKind
from netdesk.demo import vocabulary as words
from netdesk.demo.generate import Staff
from netdesk.demo.story import LIVE_CHANNELS, Story, call_seconds, minutes
from netdesk.tickets.choices import (
    Channel,
    Direction,
    Outcome,
    ResolutionCode,
    RootCause,
    Status,
    TicketType,
)
from netdesk.tickets.models.timeline import EventKind

# Tickets auto-close this many days after resolution unless the customer objects.
CLOSE_AFTER_DAYS = (3, 7)


@dataclass
class Desk:
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


def plan_for(rng: random.Random, ticket_type: str, skill: float, key_account: bool) -> str:
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


PICKUP_MINUTES = {1: 10, 2: 35, 3: 90, 4: 180, 5: 360}


def play(story: Story, desk: Desk, plan: str, first_agent: int) -> None:
    """Play a ticket from creation along its plan; raises Cutoff at now."""
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
        pickup = ticket.created_at + minutes(rng, PICKUP_MINUTES[ticket.priority] * 1.5, 0.8)
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
        seconds=call_seconds(rng, ticket.channel, 1.0 if plan == "fcr" else 1.35),
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
        resolver = _handover(
            story, desk, first_agent, TierKind.ACCOUNT_MANAGEMENT, "account", "request"
        )
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
    return ResolutionCode.INFORMATION_GIVEN, "", note


def _callback(story: Story, desk: Desk, agent: int) -> int:
    """First line keeps it: checks, calls the customer back, solves it."""
    rng = desk.rng
    if rng.random() < 0.3:
        story.status(agent, Status.PENDING_CUSTOMER, "Waiting for the customer to test.")
        story.later(minutes(rng, 8 * 60, 0.8))
        story.contact(
            agent=agent,
            channel=Channel.PHONE,
            direction=Direction.INBOUND,
            seconds=call_seconds(rng, Channel.PHONE, 0.7),
            summary="Customer called back with the test results.",
            outcome=Outcome.TICKET_UPDATED,
        )
        story.status(agent, Status.IN_PROGRESS)
    else:
        story.status(agent, Status.IN_PROGRESS)
    story.later(minutes(rng, 4 * 60, 0.9))
    resolution = rng.choice(words.RESOLUTIONS["hotline"])
    if story.ticket.ticket_type not in (TicketType.FAULT, TicketType.COMPLAINT):
        resolution = (ResolutionCode.INFORMATION_GIVEN, "", resolution[2])
    story.contact(
        agent=agent,
        channel=Channel.PHONE,
        direction=Direction.OUTBOUND,
        seconds=call_seconds(rng, Channel.PHONE, 0.7),
        summary=resolution[2],
        outcome=Outcome.RESOLVED,
    )
    story.resolve(agent, resolution)
    return agent


def _pick_up(story: Story, desk: Desk, line: str, median_factor: float = 1.0) -> int:
    rng = desk.rng
    story.later(minutes(rng, PICKUP_MINUTES[story.ticket.priority] * median_factor, 0.7))
    engineer = desk.agent(line)
    story.assign(engineer, engineer)
    story.later(minutes(rng, 8, 0.5))
    story.status(engineer, Status.IN_PROGRESS)
    return engineer


def _network_fault(story: Story, desk: Desk, agent: int, *, to_field: bool) -> int:
    """Hotline → NOC: remote diagnosis with the customer; the NOC fixes it or
    sends it on to field engineering for a visit."""
    rng = desk.rng
    story.escalate(
        agent,
        desk.group_ids[TierKind.SECOND_LINE],
        desk.group_names,
        rng.choice(words.ESCALATION_REASONS["noc"]),
    )
    engineer = _pick_up(story, desk, TierKind.SECOND_LINE)
    story.contact(
        agent=engineer,
        channel=Channel.PHONE,
        direction=Direction.OUTBOUND,
        seconds=call_seconds(rng, Channel.PHONE, 1.8),
        summary="Remote diagnosis with the customer: line test, port and CPE checks.",
        outcome=Outcome.TICKET_UPDATED,
    )
    if not to_field:
        if rng.random() < 0.12:
            # Faults on a wholesale or power provider's side wait for them.
            story.status(engineer, Status.PENDING_THIRD_PARTY, "Ticket raised with the provider.")
            story.later(timedelta(hours=rng.uniform(12, 120)))
            story.status(engineer, Status.IN_PROGRESS, "Provider reports the fault cleared.")
        story.later(minutes(rng, 3 * 60, 1.0))
        resolution = rng.choice(words.RESOLUTIONS["noc"])
        story.contact(
            agent=engineer,
            channel=Channel.PHONE,
            direction=Direction.OUTBOUND,
            seconds=call_seconds(rng, Channel.PHONE, 0.6),
            summary=resolution[2],
            outcome=Outcome.RESOLVED,
        )
        story.resolve(engineer, resolution)
        return engineer
    story.later(minutes(rng, 45, 0.8))
    story.escalate(
        engineer,
        desk.group_ids[TierKind.THIRD_LINE],
        desk.group_names,
        rng.choice(words.ESCALATION_REASONS["field"]),
    )
    return _visit(story, desk, rng.choice(words.RESOLUTIONS["field"]))


def _visit(story: Story, desk: Desk, resolution: tuple[str, str, str]) -> int:
    """Field engineering agrees an appointment, visits and fixes on site."""
    rng = desk.rng
    technician = _pick_up(story, desk, TierKind.THIRD_LINE, 4.0)
    story.contact(
        agent=technician,
        channel=Channel.PHONE,
        direction=Direction.OUTBOUND,
        seconds=call_seconds(rng, Channel.PHONE, 0.5),
        summary="Appointment agreed with the customer for a site visit.",
        outcome=Outcome.CALLBACK_PROMISED,
    )
    story.status(technician, Status.PENDING_CUSTOMER, "Waiting for the appointment.")
    story.later(timedelta(hours=rng.uniform(18, 96)))
    story.status(technician, Status.IN_PROGRESS, "Technician on site.")
    story.later(minutes(rng, 75, 0.5))
    story.contact(
        agent=technician,
        channel=Channel.INTERNAL,
        direction=Direction.INTERNAL,
        seconds=call_seconds(rng, Channel.PHONE, 0.5),
        summary=f"Site visit report: {resolution[2]}",
        outcome=Outcome.RESOLVED,
    )
    story.resolve(technician, resolution)
    return technician


def _install(story: Story, desk: Desk, agent: int) -> int:
    """A service request that needs work on site goes straight to the field."""
    story.escalate(
        agent,
        desk.group_ids[TierKind.THIRD_LINE],
        desk.group_names,
        "Installation work on site needed for the request.",
    )
    return _visit(story, desk, desk.rng.choice(words.RESOLUTIONS["request"][:1]))


def _handover(
    story: Story, desk: Desk, agent: int, line: str, reasons: str, resolutions: str
) -> int:
    """To billing or account management, who answer in writing."""
    rng = desk.rng
    story.escalate(
        agent, desk.group_ids[line], desk.group_names, rng.choice(words.ESCALATION_REASONS[reasons])
    )
    story.later(minutes(rng, 10 * 60, 0.9))
    owner = (
        desk.account_managers.get(story.ticket.customer_id)
        if line == TierKind.ACCOUNT_MANAGEMENT
        else None
    )
    owner = owner or desk.agent(line)
    story.assign(owner, owner)
    story.later(minutes(rng, 6 * 60, 1.0))
    resolution = rng.choice(words.RESOLUTIONS[resolutions])
    story.contact(
        agent=owner,
        channel=Channel.EMAIL,
        direction=Direction.OUTBOUND,
        seconds=call_seconds(rng, Channel.EMAIL),
        summary=resolution[2],
        outcome=Outcome.RESOLVED,
    )
    story.resolve(owner, resolution)
    return owner


def _complaint(story: Story, desk: Desk, agent: int) -> int:
    """Complaints go up to the hotline's team lead, who calls the customer."""
    rng = desk.rng
    story.status(agent, Status.IN_PROGRESS)
    story.change(
        EventKind.ESCALATED_HIERARCHICAL,
        agent,
        "Customer asks for a supervisor (supervisor: hotline team lead)",
        hierarchical_level=1,
    )
    story.later(minutes(rng, 16 * 60, 0.8))
    lead = desk.staff.supervisors[TierKind.FIRST_LINE]
    story.change(EventKind.ASSIGNED, lead, assignee_id=lead)
    resolution = rng.choice(words.RESOLUTIONS["complaint"])
    story.contact(
        agent=lead,
        channel=Channel.PHONE,
        direction=Direction.OUTBOUND,
        seconds=call_seconds(rng, Channel.PHONE, 2.0),
        summary=resolution[2],
        outcome=Outcome.RESOLVED,
    )
    story.resolve(lead, resolution)
    return lead


def _after_resolution(story: Story, desk: Desk, resolver: int, plan: str) -> None:
    """Some customers call back because the problem is back (reopen); the
    rest are closed automatically a few days after resolution."""
    rng = desk.rng
    reopen_chance = 0.025 if plan == "fcr" else 0.08
    if story.ticket.ticket_type == TicketType.FAULT and rng.random() < reopen_chance:
        story.later(minutes(rng, 20 * 60, 0.7))
        hotline = desk.hotline_agent()
        story.contact(
            agent=hotline,
            channel=Channel.PHONE,
            direction=Direction.INBOUND,
            seconds=call_seconds(rng, Channel.PHONE),
            summary="Customer reports the problem is back.",
            outcome=Outcome.TICKET_UPDATED,
        )
        story.reopen(hotline, "Customer reports the problem is back.")
        story.later(minutes(rng, 6 * 60, 0.8))
        resolution = rng.choice(words.RESOLUTIONS["noc" if plan in ("noc", "field") else "hotline"])
        story.contact(
            agent=resolver,
            channel=Channel.PHONE,
            direction=Direction.OUTBOUND,
            seconds=call_seconds(rng, Channel.PHONE, 0.7),
            summary=resolution[2],
            outcome=Outcome.RESOLVED,
        )
        story.resolve(resolver, resolution)
    days = rng.uniform(*CLOSE_AFTER_DAYS)
    story.later(timedelta(days=days))
    story.close(f"Closed automatically {days:.0f} days after resolution.")
