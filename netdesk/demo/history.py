"""Six months of desk history for `netdesk demo`: tickets arriving on a
weekday / time-of-day curve, each played through a realistic path (solved on
the first contact, called back, escalated to the NOC and on to field
engineering, to billing, to a supervisor, reopened), with its call reports
and timeline events.

This is a bulk loader: it writes rows directly with bulk_create instead of
calling the ticket services, which would cost dozens of queries per ticket.
It reproduces what the services write, so the KPIs read consistent fields:
every change is an event as the ticket services write them, first responses
follow interaction_log's rule, and first_contact_resolved follows
ticket_resolve's (no functional escalation, no reopen, at most one
customer contact). Steps that would lie after "now" are not played, so
recent tickets are left open in whatever state they had reached."""

from __future__ import annotations

import base64
import contextlib
import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from tqdm import tqdm

from netdesk.accounts.models import TierKind
from netdesk.customers.models import Segment
from netdesk.demo import vocabulary as words
from netdesk.demo.bulk import BATCH_SIZE, IdBlock, insert
from netdesk.demo.generate import Staff, Subscriber
from netdesk.demo.paths import Desk, plan_for, play
from netdesk.demo.story import LIVE_CHANNELS, Cutoff, Story
from netdesk.tickets.choices import (
    Channel,
    Status,
    TicketType,
)
from netdesk.tickets.events import PastEvent, events_replayed
from netdesk.tickets.models import Category, Interaction, PriorityRule, Ticket
from netdesk.tickets.services.priority import DEFAULT_MATRIX

LOCAL_TIME = ZoneInfo("Europe/Berlin")
CHUNK = 2500
TYPES, TYPE_SHARES = zip(*words.TYPE_WEIGHTS, strict=True)
CHANNELS, CHANNEL_SHARES = zip(*words.CHANNEL_WEIGHTS, strict=True)


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
            local = datetime(
                day.year,
                day.month,
                day.day,
                hour,
                rng.randrange(60),
                rng.randrange(60),
                tzinfo=LOCAL_TIME,
            )
            moment = local.astimezone(UTC)
            if start <= moment <= end:
                times.append(moment)
    times.sort()
    return times


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


def _public_id(rng: random.Random) -> str:
    return base64.urlsafe_b64encode(rng.getrandbits(72).to_bytes(9, "big")).decode()


def _chunks(items: list[datetime], size: int) -> Iterator[list[datetime]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


@dataclass(frozen=True)
class _Intake:
    """What a new ticket of the history is drawn from, besides its caller."""

    matrix: dict[tuple[int, int], int]  # (impact, urgency) → priority
    categories: dict[str, list[int]]  # active categories by ticket type
    first_line: int  # the first-line group's id


def _intake(staff: Staff) -> _Intake:
    matrix = {(i, u): int(p) for (i, u), p in DEFAULT_MATRIX.items()}
    matrix.update({(r.impact, r.urgency): r.priority for r in PriorityRule.objects.all()})
    categories: dict[str, list[int]] = {}
    for category_id, ticket_type in Category.objects.filter(is_active=True).values_list(
        "id", "ticket_type"
    ):
        categories.setdefault(ticket_type, []).append(category_id)
    return _Intake(matrix, categories, staff.groups[TierKind.FIRST_LINE].pk)


def _desk(rng: random.Random, staff: Staff, account_managers: dict[int, int]) -> Desk:
    hotline = staff.by_line[TierKind.FIRST_LINE]
    return Desk(
        rng=rng,
        staff=staff,
        group_ids={kind: group.pk for kind, group in staff.groups.items()},
        group_names={group.pk: group.name for group in staff.groups.values()},
        # Some operators work part time; some are better at first-contact fixes.
        hotline_weights=[rng.choice([0.5, 1.0, 1.0, 1.0, 1.2]) for _ in hotline],
        hotline_skill={agent: rng.uniform(0.85, 1.12) for agent in hotline},
        account_managers=account_managers,
    )


def _callers(rng: random.Random, subscribers: list[Subscriber], count: int) -> list[Subscriber]:
    """Who calls, ticket by ticket: business customers call more often."""
    segment_weight: dict[str, float] = {
        Segment.RESIDENTIAL: 1.0,
        Segment.BUSINESS: 2.5,
        Segment.KEY_ACCOUNT: 3.0,
    }
    return rng.choices(subscribers, [segment_weight[s.segment] for s in subscribers], k=count)


def _new_ticket(
    rng: random.Random,
    desk: Desk,
    intake: _Intake,
    *,
    ticket_id: int,
    caller: Subscriber,
    created_at: datetime,
) -> tuple[Ticket, int]:
    """The ticket as the caller's first contact opens it, and the first-line
    agent who takes that contact."""
    ticket_type = rng.choices(TYPES, TYPE_SHARES)[0]
    channel = rng.choices(CHANNELS, CHANNEL_SHARES)[0]
    live = channel in LIVE_CHANNELS
    impact, urgency = _impact_urgency(rng, ticket_type, caller.segment)
    needs_service = ticket_type in (TicketType.FAULT, TicketType.SERVICE_REQUEST)
    service = (
        rng.choice(caller.services)
        if caller.services and (needs_service or rng.random() < 0.4)
        else None
    )
    agent = rng.choices(desk.staff.by_line[TierKind.FIRST_LINE], desk.hotline_weights)[0]
    title = rng.choice(words.TITLES[ticket_type])
    ticket = Ticket(
        id=ticket_id,
        public_id=_public_id(rng),
        ticket_type=ticket_type,
        channel=channel,
        category_id=rng.choice(intake.categories[ticket_type])
        if ticket_type in intake.categories
        else None,
        customer_id=caller.id,
        service_id=service,
        contact_id=rng.choice(caller.contacts) if caller.contacts else None,
        title=title,
        description=f"{title}. Reported by {Channel(channel).label.lower()}.",
        impact=impact,
        urgency=urgency,
        priority=intake.matrix[(impact, urgency)],
        status=Status.ASSIGNED if live else Status.NEW,
        group_id=intake.first_line,
        assignee_id=agent if live else None,
        created_by_id=agent if live else None,
        highest_tier_level=1,
        created_at=created_at,
        updated_at=created_at,
    )
    return ticket, agent


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
    intake = _intake(staff)
    levels = {group.pk: group.tier.level for group in staff.groups.values()}
    desk = _desk(rng, staff, account_managers)
    callers = iter(_callers(rng, subscribers, count))
    ticket_ids = IdBlock(Ticket)
    for chunk in _chunks(times, CHUNK):
        tickets: list[Ticket] = []
        interactions: list[Interaction] = []
        events: list[PastEvent] = []
        for created_at in chunk:
            caller = next(callers)
            desk.rng = random.Random(rng.getrandbits(64))
            ticket, agent = _new_ticket(
                rng, desk, intake, ticket_id=ticket_ids.take(), caller=caller, created_at=created_at
            )
            story = Story(
                ticket=ticket, now=now, levels=levels, interactions=interactions, events=events
            )
            key_account = caller.id in account_managers
            plan = plan_for(rng, ticket.ticket_type, desk.hotline_skill[agent], key_account)
            with contextlib.suppress(Cutoff):
                play(story, desk, plan, agent)
            tickets.append(ticket)
        insert(Ticket, tickets)
        insert(Interaction, interactions)
        events_replayed(history=events, batch_size=BATCH_SIZE)
        progress.update(len(chunk))
    created["tickets.Ticket"] = ticket_ids.span
