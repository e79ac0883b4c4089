"""The simulated desk: where tickets come from (the built-in profile or the
desk's history), who is on shift, the rules, and one seed's day of arrivals
and agents, shared by every policy. The model is described in the package's
docstring (netdesk/routing/simulation/__init__.py)."""

from __future__ import annotations

import math
import random
import statistics
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo

from netdesk.routing import engine
from netdesk.routing.engine import Policy, Requirement, Rule, TicketFacts

POLICIES = (Policy.LEAST_SUFFICIENT, Policy.MOST_PROFICIENT, Policy.ROUND_ROBIN)

# The desk's default SLA targets per priority (minutes): first response, resolution.
SLA_MINUTES: dict[int, tuple[int, int]] = {
    1: (15, 240),
    2: (30, 480),
    3: (120, 1800),
    4: (480, 3000),
    5: (1200, 6000),
}
# Mean handling minutes and the first-contact resolution rate of an agent
# exactly at the required level, per ticket type.
HANDLING_MINUTES = {
    "fault": 14.0,
    "complaint": 18.0,
    "billing_inquiry": 9.0,
    "service_request": 11.0,
    "information_request": 6.0,
}
FIRST_CONTACT_RATE = {
    "fault": 0.70,
    "complaint": 0.60,
    "billing_inquiry": 0.85,
    "service_request": 0.80,
    "information_request": 0.95,
}
HANDLING_SPREAD = 0.5  # sigma of the log-normal
PER_LEVEL_MISSING = 0.35  # handling time grows by this share per level missing
PER_LEVEL_ABOVE = 0.06  # and shrinks by this share per level above (at most 3)
RATE_PER_LEVEL_ABOVE = 0.05
RATE_PER_LEVEL_MISSING = 0.20
ESCALATED_HANDLING = 1.4  # an escalated contact takes longer
ESCALATED_RATE = 0.85
MAX_CONTACTS = 3
SECOND_LINE_MINUTES = 240.0

# ---- the built-in desk ------------------------------------------------------------

BUILTIN_SKILLS = {
    1: "NET-DIAG",
    2: "PRD-BROADBAND",
    3: "CS-COMPLAINT",
    4: "CS-SUPPORT",
    5: "CS-INTERACT",
    6: "CS-KEYACCT",
}
BUILTIN_RULES = (
    Rule("Faults", 1, 2, ticket_type="fault"),
    Rule("Urgent faults (P1)", 1, 3, hard=True, ticket_type="fault", priority=1),
    Rule("Urgent faults (P2)", 1, 3, hard=True, ticket_type="fault", priority=2),
    Rule("Service requests", 2, 2, ticket_type="service_request"),
    Rule("Complaints", 3, 3, ticket_type="complaint"),
    Rule("Billing", 4, 2, ticket_type="billing_inquiry"),
    Rule("Information", 5, 1, ticket_type="information_request"),
    Rule("Key accounts", 6, 3, key_account=True),
    Rule("Key accounts (floor)", 6, 2, hard=True, key_account=True),
)
# Hour-of-day arrivals of a network operator's desk (local time).
BUILTIN_HOURS = (
    0.15, 0.1, 0.07, 0.05, 0.05, 0.1, 0.3, 0.8, 1.6, 2.1, 2.2, 2.0,
    1.7, 1.8, 1.9, 1.8, 1.7, 1.8, 2.0, 1.9, 1.5, 1.0, 0.6, 0.3,
)  # fmt: skip
BUILTIN_TYPES = (
    ("fault", 44),
    ("information_request", 20),
    ("billing_inquiry", 16),
    ("service_request", 15),
    ("complaint", 5),
)
BUILTIN_PRIORITIES = {
    "fault": ((1, 4), (2, 16), (3, 50), (4, 30)),
    "complaint": ((2, 10), (3, 60), (4, 30)),
}
OTHER_PRIORITIES = ((3, 55), (4, 40), (5, 5))
BUILTIN_CHANNELS = (("phone", 64), ("email", 16), ("chat", 12), ("web", 8))
BUILTIN_SEGMENTS = (("residential", 84), ("business", 10), ("key_account", 6))
BUILTIN_VOLUME = 240  # tickets in the working day


@dataclass(frozen=True)
class Profile:
    """Where arrivals come from: 24 hourly weights, a weighted mix of ticket
    facts, and how many tickets a working day brings."""

    hour_weights: tuple[float, ...]
    mix: tuple[tuple[TicketFacts, float], ...]
    daily_volume: int
    source: str


def builtin_profile() -> Profile:
    mix: list[tuple[TicketFacts, float]] = []
    for ticket_type, type_weight in BUILTIN_TYPES:
        for priority, p_weight in BUILTIN_PRIORITIES.get(ticket_type, OTHER_PRIORITIES):
            for channel, c_weight in BUILTIN_CHANNELS:
                for segment, s_weight in BUILTIN_SEGMENTS:
                    facts = TicketFacts(
                        ticket_type=ticket_type,
                        channel=channel,
                        segment=segment,
                        key_account=segment == "key_account",
                        priority=priority,
                    )
                    mix.append((facts, type_weight * p_weight * c_weight * s_weight))
    return Profile(BUILTIN_HOURS, tuple(mix), BUILTIN_VOLUME, "built-in profile")


@dataclass(frozen=True)
class HistoryRow:
    """One past ticket, as the desk's history gives it."""

    created_at: datetime
    ticket_type: str
    category: str
    priority: int
    channel: str
    segment: str
    key_account: bool
    language: str = ""
    access_technology: str = ""
    product: str = ""


def profile_from_history(
    rows: Iterable[HistoryRow], *, time_zone: str, start_hour: int, end_hour: int
) -> Profile | None:
    """The hour-of-day profile, the mix and a busy working day's volume
    (the mean of the busiest quarter of weekdays, arrivals within the
    working hours) from past tickets. None when there are too few."""
    zone = ZoneInfo(time_zone)
    hours = [0.0] * 24
    mix: dict[TicketFacts, int] = {}
    per_day: dict[object, int] = {}
    count = 0
    first: datetime | None = None
    last: datetime | None = None
    for row in rows:
        local = row.created_at.astimezone(zone)
        hours[local.hour] += 1
        facts = TicketFacts(
            ticket_type=row.ticket_type,
            categories=(row.category,) if row.category else (),
            channel=row.channel,
            language=row.language,
            access_technology=row.access_technology,
            product=row.product,
            segment=row.segment,
            key_account=row.key_account,
            priority=row.priority,
        )
        mix[facts] = mix.get(facts, 0) + 1
        if local.weekday() < 5 and start_hour <= local.hour < end_hour:
            per_day[local.date()] = per_day.get(local.date(), 0) + 1
        first = row.created_at if first is None else min(first, row.created_at)
        last = row.created_at if last is None else max(last, row.created_at)
        count += 1
    if count < 100 or not per_day or first is None or last is None:
        return None
    busiest = sorted(per_day.values(), reverse=True)[: max(1, len(per_day) // 4)]
    volume = round(statistics.fmean(busiest))
    source = (
        f"the desk's history: {count} tickets from {first:%Y-%m-%d} to {last:%Y-%m-%d}, "
        f"hours in {time_zone}; a busy weekday brought {volume} tickets between "
        f"{start_hour:02d}:00 and {end_hour:02d}:00"
    )
    return Profile(
        tuple(hours), tuple(sorted(mix.items(), key=lambda item: -item[1])), volume, source
    )


def generated_agents(
    rng: random.Random, count: int, skill_ids: Sequence[int]
) -> list[dict[int, int]]:
    """A desk's spread of experience: half juniors (levels around 1–2),
    a third intermediate (2–3), the rest seniors (3–5), each with a
    stronger and a weaker side."""
    agents: list[dict[int, int]] = []
    for _ in range(count):
        draw = rng.random()
        base = 1.5 if draw < 0.5 else 2.6 if draw < 0.85 else 3.8
        agents.append(
            {skill: max(1, min(5, round(base + rng.gauss(0, 0.8)))) for skill in skill_ids}
        )
    return agents


@dataclass(frozen=True)
class World:
    """Everything a run needs besides the policy and the seed."""

    profile: Profile
    rules: tuple[Rule, ...]
    skill_codes: dict[int, str]
    # Level vectors to draw the agents on shift from (None: generate them).
    agent_pool: tuple[dict[int, int], ...] | None = None
    agents_source: str = "generated"
    rules_source: str = "built-in rules"
    shift: int = 20  # agents on shift when neither agents nor volume are given


def builtin_world(profile: Profile | None = None) -> World:
    return World(profile or builtin_profile(), BUILTIN_RULES, dict(BUILTIN_SKILLS))


@dataclass(frozen=True)
class Settings:
    start_hour: int = 8
    end_hour: int = 18
    utilisation: float = 0.85  # offered work / agents' working time
    volume: int | None = None  # tickets in the day; default: the profile's
    agents: int | None = None  # agents on shift; default: from the utilisation
    thresholds: tuple[int, ...] = engine.DEFAULT_RELAX_THRESHOLDS
    workload_cap: int = 3  # tickets an agent holds: the one in hand and their queue


# ---- one day ------------------------------------------------------------------


@dataclass
class Ticket:
    number: int
    arrival: float
    facts: TicketFacts
    requirements: list[Requirement]
    handling_draws: tuple[float, ...]
    resolution_draws: tuple[float, ...]
    contact: int = 0
    needs: list[Requirement] = field(default_factory=list)
    excluded: tuple[int, ...] = ()
    queued_at: float = 0.0
    first_contact_at: float | None = None
    resolved_at: float | None = None
    first_contact_resolved: bool = False
    within_level: bool = True

    @property
    def priority(self) -> int:
        return self.facts.priority or 3


@dataclass(frozen=True)
class Day:
    """The arrivals and the agents of one seed, shared by every policy."""

    tickets: tuple[Ticket, ...]
    agents: tuple[dict[int, int], ...]


def mean_handling(profile: Profile) -> float:
    total = sum(weight for _, weight in profile.mix)
    return (
        sum(HANDLING_MINUTES.get(facts.ticket_type, 10.0) * weight for facts, weight in profile.mix)
        / total
        * math.exp(HANDLING_SPREAD**2 / 2)
    )


def make_day(world: World, settings: Settings, seed: int) -> Day:
    rng = random.Random(seed)
    profile = world.profile
    window = (settings.end_hour - settings.start_hour) * 60
    volume = settings.volume
    count = settings.agents
    if volume is None:
        # The history gives the day's shape and mix; the volume is what
        # keeps the shift busy at the utilisation asked for.
        count = count or world.shift
        volume = round(settings.utilisation * count * window / mean_handling(profile))
    elif count is None:
        count = max(2, math.ceil(volume * mean_handling(profile) / (settings.utilisation * window)))
    hours = list(range(settings.start_hour, settings.end_hour))
    weights = [profile.hour_weights[h] or 0.01 for h in hours]
    kinds = [facts for facts, _ in profile.mix]
    kind_weights = [weight for _, weight in profile.mix]
    arrivals = sorted(
        (rng.choices(hours, weights)[0] - settings.start_hour) * 60 + rng.random() * 60
        for _ in range(volume)
    )
    tickets = []
    for number, at in enumerate(arrivals, start=1):
        facts = rng.choices(kinds, kind_weights)[0]
        tickets.append(
            Ticket(
                number=number,
                arrival=at,
                facts=facts,
                requirements=engine.requirements_for(facts, world.rules),
                handling_draws=tuple(rng.gauss(0, HANDLING_SPREAD) for _ in range(MAX_CONTACTS)),
                resolution_draws=tuple(rng.random() for _ in range(MAX_CONTACTS)),
            )
        )
    skill_ids = sorted(world.skill_codes)
    if world.agent_pool:
        agents = [dict(rng.choice(world.agent_pool)) for _ in range(count)]
    else:
        agents = generated_agents(rng, count, skill_ids)
    return Day(tuple(tickets), tuple(agents))
