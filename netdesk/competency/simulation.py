"""A working day at the desk, simulated event by event, to compare routing
policies (least-sufficient, most-proficient, round-robin) on first-contact
resolution, SLA compliance and waiting time.

Tickets arrive over the working day on an hour-of-day profile with a mix of
types, categories, priorities, channels and segments, taken from the desk's
own history when it has one (`profile_from_history`) or from a built-in
profile. Agents have known levels in the skills the rules ask for. Routing
is the real engine (netdesk/competency/routing.py): every time an agent
frees up, a ticket arrives or a waiting ticket passes a relaxation
threshold, the waiting tickets are offered, most urgent first.

The model, deliberately simple and stated in the docs:
- an agent works one ticket at a time (workload cap 1) and everyone stays
  until the queue is empty;
- handling time is log-normal around a mean per ticket type, longer for
  each level an agent lacks and a little shorter for each level above;
- the chance of resolving on the first contact rises with the agent's
  margin over the requirement and falls with each level missing;
- an unresolved ticket is escalated: it needs the same skills one level
  above the handler's (hard) and goes to someone else; after the third
  contact, or when nobody on the desk has that level, it leaves for the
  second line and is resolved there four hours later;
- SLA targets are the desk's defaults per priority, in calendar minutes;
  relaxation reads the share of the first-response target used while a
  ticket waits for its first contact, of the resolution target after.

Given the same seed, the same arrivals, agents and random draws are used
for every policy (common random numbers), so the differences come from the
policies alone, and every run repeats exactly."""

from __future__ import annotations

import heapq
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


# ---- one run ------------------------------------------------------------------


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


def _margins(levels: dict[int, int], requirements: Sequence[Requirement]) -> tuple[int, int]:
    above = missing = 0
    for requirement in requirements:
        gap = levels.get(requirement.skill_id, 0) - requirement.level
        if gap >= 0:
            above += gap
        else:
            missing -= gap
    return above, missing


@dataclass(frozen=True)
class Result:
    policy: str
    seed: int
    tickets: int
    agents: int
    first_contact_resolution: float
    sla_compliance: float
    first_response_met: float
    resolution_met: float
    mean_wait: float
    p90_wait: float
    urgent_mean_wait: float
    within_level: float
    escalations: int
    forwarded: int
    last_resolution: float


ARRIVAL, DONE, RETRY = 0, 1, 2


def simulate(
    world: World, settings: Settings, policy: Policy, seed: int, day: Day | None = None
) -> Result:
    """One working day under one policy. Routing pushes each ticket into an
    agent's own queue, up to the workload cap; each agent works their queue
    most urgent first, one ticket at a time. Tickets nobody eligible has room
    for wait unassigned and are offered again whenever an agent's load
    drops, a ticket arrives or a waiting ticket passes a relaxation
    threshold."""
    day = day or make_day(world, settings, seed)
    tickets = [
        Ticket(t.number, t.arrival, t.facts, t.requirements, t.handling_draws, t.resolution_draws)
        for t in day.tickets
    ]
    levels = list(day.agents)
    agent_ids = list(range(1, len(levels) + 1))
    working: dict[int, Ticket] = {}  # agent → the ticket in hand
    queues: dict[int, list[tuple[int, float, int]]] = {a: [] for a in agent_ids}
    scale_max = dict.fromkeys(world.skill_codes, 5)
    best = {skill: max((lv.get(skill, 0) for lv in levels), default=0) for skill in scale_max}
    events: list[tuple[float, int, int, int, int]] = []  # (time, order, kind, ticket, agent)
    order = 0

    def push(at: float, kind: int, ticket: int, agent: int = 0) -> None:
        nonlocal order
        order += 1
        heapq.heappush(events, (at, order, kind, ticket, agent))

    waiting: dict[int, Ticket] = {}
    forwarded: list[int] = []
    cursor: int | None = None
    escalations = 0

    def targets(ticket: Ticket) -> tuple[int, int]:
        return SLA_MINUTES.get(ticket.priority, SLA_MINUTES[3])

    def used(ticket: Ticket, now: float) -> float:
        first, resolution = targets(ticket)
        target = first if ticket.contact == 0 else resolution
        return (now - ticket.arrival) / target

    def load(agent: int) -> int:
        return len(queues[agent]) + (agent in working)

    def enqueue(ticket: Ticket, now: float) -> None:
        floors = [r for r in ticket.needs if r.floor > 0]
        if not all(best.get(r.skill_id, 0) >= r.floor for r in floors):
            # Nobody on the desk has what it needs, however long it waits:
            # the desk hands it to the second line at once.
            forwarded.append(ticket.number)
            if ticket.contact == 0:
                ticket.first_contact_at = now
            ticket.resolved_at = now + SECOND_LINE_MINUTES
            return
        ticket.queued_at = now
        waiting[ticket.number] = ticket
        first, resolution = targets(ticket)
        target = first if ticket.contact == 0 else resolution
        for threshold in settings.thresholds:
            at = ticket.arrival + target * threshold / 100
            if at > now:
                push(at, RETRY, ticket.number)

    def start_next(agent: int, now: float) -> None:
        if agent in working or not queues[agent]:
            return
        _, _, number = heapq.heappop(queues[agent])
        ticket = by_number[number]
        working[agent] = ticket
        if ticket.contact == 0:
            ticket.first_contact_at = now
        above, missing = _margins(levels[agent - 1], ticket.needs)
        base = HANDLING_MINUTES.get(ticket.facts.ticket_type, 10.0)
        if ticket.contact:
            base *= ESCALATED_HANDLING
        factor = (1 + PER_LEVEL_MISSING * missing) * (1 - PER_LEVEL_ABOVE * min(above, 3))
        minutes = base * math.exp(ticket.handling_draws[ticket.contact]) * factor
        push(now + minutes, DONE, ticket.number, agent)

    def dispatch(now: float) -> None:
        nonlocal cursor
        if not waiting:
            return
        room = {
            a: engine.Agent(a, levels[a - 1], load(a))
            for a in agent_ids
            if load(a) < settings.workload_cap
        }
        # Assignments only fill agents up, so needs nobody could meet stay
        # unmet for the rest of this round: tickets alike are not tried again.
        unmet: set[tuple[tuple[Requirement, ...], int, tuple[int, ...]]] = set()
        for ticket in sorted(waiting.values(), key=lambda t: (t.priority, t.queued_at, t.number)):
            if not room:
                return
            share = used(ticket, now)
            alike = (
                tuple(ticket.needs),
                engine.relax_step(share, settings.thresholds),
                ticket.excluded,
            )
            if alike in unmet:
                continue
            decision = engine.route(
                agents=list(room.values()),
                requirements=ticket.needs,
                policy=policy,
                workload_cap=settings.workload_cap,
                sla_used=share,
                thresholds=settings.thresholds,
                cursor=cursor,
                exclude=ticket.excluded,
                keep=1,
            )
            if decision.chosen is None:
                unmet.add(alike)
                continue
            agent = cursor = decision.chosen
            if ticket.contact == 0:
                ticket.within_level = decision.within_level
            del waiting[ticket.number]
            heapq.heappush(queues[agent], (ticket.priority, ticket.queued_at, ticket.number))
            start_next(agent, now)
            if load(agent) >= settings.workload_cap:
                del room[agent]
            else:
                room[agent] = engine.Agent(agent, levels[agent - 1], load(agent))

    def finish(ticket: Ticket, agent: int, now: float) -> None:
        nonlocal escalations
        del working[agent]
        above, missing = _margins(levels[agent - 1], ticket.needs)
        if ticket.contact == 0:
            rate = FIRST_CONTACT_RATE.get(ticket.facts.ticket_type, 0.8)
        else:
            rate = ESCALATED_RATE
        rate += RATE_PER_LEVEL_ABOVE * min(above, 3) - RATE_PER_LEVEL_MISSING * missing
        rate = max(0.05, min(0.98, rate))
        if ticket.resolution_draws[ticket.contact] < rate:
            ticket.resolved_at = now
            ticket.first_contact_resolved = ticket.contact == 0
        else:
            escalations += 1
            raised = engine.escalation_requirements(
                ticket.requirements, levels[agent - 1], scale_max
            )
            if ticket.contact + 1 >= MAX_CONTACTS:
                ticket.resolved_at = now + SECOND_LINE_MINUTES
            else:
                ticket.contact += 1
                ticket.needs = raised
                ticket.excluded = (*ticket.excluded, agent)
                enqueue(ticket, now)
        start_next(agent, now)

    for ticket in tickets:
        ticket.needs = list(ticket.requirements)
        push(ticket.arrival, ARRIVAL, ticket.number)
    by_number = {t.number: t for t in tickets}
    while events:
        now, _, kind, number, agent = heapq.heappop(events)
        ticket = by_number[number]
        if kind == ARRIVAL:
            enqueue(ticket, now)
        elif kind == DONE:
            finish(ticket, agent, now)
        elif number not in waiting:
            continue  # a relaxation of a ticket already taken
        dispatch(now)

    return _result(policy, seed, tickets, len(levels), escalations, len(forwarded))


def _percentile(values: Sequence[float], share: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return 0.0
    index = min(len(ordered) - 1, max(0, math.ceil(share * len(ordered)) - 1))
    return ordered[index]


def _result(
    policy: Policy,
    seed: int,
    tickets: Sequence[Ticket],
    agents: int,
    escalations: int,
    forwarded: int,
) -> Result:
    waits = [(t.first_contact_at or t.arrival) - t.arrival for t in tickets]
    urgent = [w for t, w in zip(tickets, waits, strict=True) if t.priority <= 2]
    first_met = [
        w <= SLA_MINUTES.get(t.priority, SLA_MINUTES[3])[0]
        for t, w in zip(tickets, waits, strict=True)
    ]
    resolution_met = [
        (t.resolved_at or math.inf) - t.arrival <= SLA_MINUTES.get(t.priority, SLA_MINUTES[3])[1]
        for t in tickets
    ]
    count = len(tickets) or 1
    return Result(
        policy=policy.value,
        seed=seed,
        tickets=len(tickets),
        agents=agents,
        first_contact_resolution=sum(t.first_contact_resolved for t in tickets) / count,
        sla_compliance=sum(a and b for a, b in zip(first_met, resolution_met, strict=True)) / count,
        first_response_met=sum(first_met) / count,
        resolution_met=sum(resolution_met) / count,
        mean_wait=statistics.fmean(waits) if waits else 0.0,
        p90_wait=_percentile(waits, 0.9),
        urgent_mean_wait=statistics.fmean(urgent) if urgent else 0.0,
        within_level=sum(t.within_level for t in tickets) / count,
        escalations=escalations,
        forwarded=forwarded,
        last_resolution=max((t.resolved_at or 0.0 for t in tickets), default=0.0),
    )


def compare(world: World, settings: Settings, seeds: Sequence[int]) -> list[Result]:
    """Every policy on every seed, each seed's day shared by the policies."""
    results: list[Result] = []
    for seed in seeds:
        day = make_day(world, settings, seed)
        for policy in POLICIES:
            results.append(simulate(world, settings, policy, seed, day))
    return results


# ---- the report -----------------------------------------------------------------

COLUMNS = (
    ("first_contact_resolution", "FCR", "%"),
    ("sla_compliance", "SLA met", "%"),
    ("first_response_met", "first response met", "%"),
    ("mean_wait", "mean wait (min)", "min"),
    ("p90_wait", "p90 wait (min)", "min"),
    ("urgent_mean_wait", "P1–P2 mean wait (min)", "min"),
    ("within_level", "within level", "%"),
)


def summary(results: Sequence[Result]) -> dict[str, dict[str, tuple[float, float]]]:
    """Per policy and figure: the mean over seeds and its standard deviation."""
    table: dict[str, dict[str, tuple[float, float]]] = {}
    for policy in POLICIES:
        runs = [r for r in results if r.policy == policy.value]
        if not runs:
            continue
        table[policy.value] = {}
        for name, _, _ in (*COLUMNS, ("escalations", "", "")):
            values = [float(getattr(r, name)) for r in runs]
            spread = statistics.stdev(values) if len(values) > 1 else 0.0
            table[policy.value][name] = (statistics.fmean(values), spread)
    return table


def markdown(results: Sequence[Result], world: World, settings: Settings) -> str:
    seeds = sorted({r.seed for r in results})
    table = summary(results)
    runs = [r for r in results if r.policy == POLICIES[0].value]
    lines = [
        f"Arrivals: {world.profile.source}. Rules: {world.rules_source}. "
        f"Agents: {world.agents_source}.",
        "",
        f"Working day {settings.start_hour:02d}:00–{settings.end_hour:02d}:00, "
        f"{statistics.fmean(r.tickets for r in runs):.0f} tickets and "
        f"{statistics.fmean(r.agents for r in runs):.0f} agents on shift "
        f"(target utilisation {settings.utilisation:.0%}), relaxation at "
        f"{', '.join(f'{t} %' for t in settings.thresholds)} of the SLA target, "
        f"seeds {', '.join(str(s) for s in seeds)}; mean ± standard deviation over the seeds.",
        "",
        "| policy | " + " | ".join(label for _, label, _ in COLUMNS) + " | escalations |",
        "|---|" + "---:|" * (len(COLUMNS) + 1),
    ]
    for policy, figures in table.items():
        cells = []
        for name, _, unit in COLUMNS:
            mean, spread = figures[name]
            if unit == "%":
                cells.append(f"{mean:.1%} ± {spread:.1%}")
            else:
                cells.append(f"{mean:.1f} ± {spread:.1f}")
        mean, spread = figures["escalations"]
        cells.append(f"{mean:.0f} ± {spread:.0f}")
        lines.append(f"| {policy.replace('_', '-')} | " + " | ".join(cells) + " |")
    lines += ["", *paired(results)]
    return "\n".join(lines) + "\n"


PAIRED = (
    ("first_contact_resolution", "FCR", 100.0, "pt"),
    ("sla_compliance", "SLA met", 100.0, "pt"),
    ("mean_wait", "mean wait", 1.0, "min"),
    ("p90_wait", "p90 wait", 1.0, "min"),
)


def paired(results: Sequence[Result]) -> list[str]:
    """Each policy against least-sufficient on the same days: the mean
    per-seed difference ± its standard deviation, and on how many seeds
    least-sufficient did better."""
    base = {r.seed: r for r in results if r.policy == Policy.LEAST_SUFFICIENT.value}
    lines = [
        "Paired with least-sufficient on the same days (other minus least-sufficient; "
        "in brackets, the seeds on which least-sufficient did better):",
        "",
        "| policy | " + " | ".join(f"Δ {label}" for _, label, _, _ in PAIRED) + " |",
        "|---|" + "---:|" * len(PAIRED),
    ]
    for policy in POLICIES[1:]:
        runs = [r for r in results if r.policy == policy.value and r.seed in base]
        if not runs:
            continue
        cells = []
        for name, _, scale, unit in PAIRED:
            deltas = [(getattr(r, name) - getattr(base[r.seed], name)) * scale for r in runs]
            higher_is_better = unit == "pt"
            wins = sum(1 for d in deltas if (d < 0 if higher_is_better else d > 0))
            spread = statistics.stdev(deltas) if len(deltas) > 1 else 0.0
            cells.append(
                f"{statistics.fmean(deltas):+.1f} ± {spread:.1f} {unit} ({wins}/{len(deltas)})"
            )
        lines.append(f"| {policy.value.replace('_', '-')} | " + " | ".join(cells) + " |")
    return lines
