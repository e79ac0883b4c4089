"""A ticket being played through its history: the row, and the call reports
and timeline events each step adds, written as the ticket services write them
(one event per changed field; first response and first-contact resolution by
the services' rules)."""

import math
import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from netdesk.tickets.choices import (
    Channel,
    Direction,
    Status,
)
from netdesk.tickets.events import PastEvent
from netdesk.tickets.models import Interaction, Ticket
from netdesk.tickets.models.timeline import EventKind
from netdesk.tickets.services.lifecycle import first_contact_resolution

LIVE_CHANNELS = {Channel.PHONE, Channel.CHAT}


class Cutoff(Exception):
    """The ticket's next step would happen after now: stop playing it."""


def minutes(rng: random.Random, median: float, sigma: float = 0.6) -> timedelta:
    """A log-normal duration around a median, in minutes."""
    return timedelta(minutes=rng.lognormvariate(math.log(median), sigma))


def call_seconds(rng: random.Random, channel: str, factor: float = 1.0) -> int:
    """Handling time of a contact: log-normal with a median of 4.5 minutes
    for a call; chats run longer, written messages a little shorter."""
    scale: float = {"chat": 1.6, "email": 0.9, "web": 0.9}.get(channel, 1.0)
    seconds = rng.lognormvariate(math.log(270), 0.55) * scale * factor
    return int(min(max(seconds, 25), 3600))


@dataclass
class Story:
    """One ticket being played: its row, and the call reports and events
    each step adds, with the clock of the last step."""

    ticket: Ticket
    now: datetime
    levels: dict[int, int]
    interactions: list[Interaction]
    events: list[PastEvent]
    t: datetime = field(init=False)
    customer_contacts: int = 0

    def __post_init__(self) -> None:
        self.t = self.ticket.created_at

    def at(self, moment: datetime) -> None:
        if moment > self.now:
            raise Cutoff
        self.t = moment
        self.ticket.updated_at = moment

    def later(self, delay: timedelta) -> None:
        self.at(self.t + delay)

    def event(
        self,
        kind: str,
        actor: int | None,
        *,
        field: str = "",
        old: Any = "",
        new: Any = "",
        message: str = "",
    ) -> None:
        self.events.append(
            PastEvent(
                ticket_id=self.ticket.pk,
                actor_id=actor,
                at=self.t,
                kind=kind,
                field=field,
                old="" if old is None else str(old),
                new="" if new is None else str(new),
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
            self.event(
                kind, actor, field=name.removesuffix("_id"), old=old, new=new, message=message
            )

    def contact(
        self,
        *,
        agent: int | None,
        channel: str,
        direction: str,
        seconds: int,
        summary: str,
        outcome: str,
    ) -> None:
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
        self.event(
            EventKind.INTERACTION_LOGGED, agent, new=f"{channel} {direction}", message=summary
        )

    def status(self, actor: int | None, status: str, message: str = "") -> None:
        self.change(EventKind.STATUS_CHANGED, actor, message, status=status)

    def assign(self, actor: int, assignee: int) -> None:
        self.change(EventKind.ASSIGNED, actor, assignee_id=assignee)
        if self.ticket.status == Status.NEW:
            self.status(actor, Status.ASSIGNED)

    def escalate(self, actor: int, group_id: int, group_names: dict[int, str], reason: str) -> None:
        ticket = self.ticket
        message = f"{group_names[ticket.group_id]} → {group_names[group_id]}: {reason}"
        self.change(
            EventKind.ESCALATED_FUNCTIONAL, actor, message, group_id=group_id, assignee_id=None
        )
        self.status(actor, Status.NEW)
        ticket.functional_escalations += 1
        ticket.highest_tier_level = max(ticket.highest_tier_level, self.levels[group_id])

    def resolve(self, actor: int, resolution: tuple[str, str, str]) -> None:
        code, cause, note = resolution
        ticket = self.ticket
        fcr = first_contact_resolution(
            functional_escalations=ticket.functional_escalations,
            reopen_count=ticket.reopen_count,
            customer_contacts=self.customer_contacts,
            resolution_code=code,
        )
        self.change(
            EventKind.RESOLVED,
            actor,
            note,
            status=Status.RESOLVED,
            resolution_code=code,
            root_cause=cause,
            resolution_notes=note,
            first_contact_resolved=fcr,
        )
        ticket.resolved_at = self.t
        ticket.resolved_by_id = actor
        if ticket.first_response_at is None:
            ticket.first_response_at = self.t

    def reopen(self, actor: int, reason: str) -> None:
        self.change(
            EventKind.REOPENED,
            actor,
            reason,
            status=Status.IN_PROGRESS,
            first_contact_resolved=False,
            resolution_code="",
            root_cause="",
        )
        self.ticket.reopen_count += 1
        self.ticket.resolved_at = None

    def close(self, message: str) -> None:
        self.change(EventKind.CLOSED, None, message, status=Status.CLOSED)
        self.ticket.closed_at = self.t
