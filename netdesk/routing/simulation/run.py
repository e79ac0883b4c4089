"""One working day under one routing policy, played event by event, and the
comparison of every policy on the same days."""

from __future__ import annotations

import heapq
import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass

from netdesk.routing import engine
from netdesk.routing.engine import Policy, Requirement
from netdesk.routing.simulation.model import (
    ESCALATED_HANDLING,
    ESCALATED_RATE,
    FIRST_CONTACT_RATE,
    HANDLING_MINUTES,
    MAX_CONTACTS,
    PER_LEVEL_ABOVE,
    PER_LEVEL_MISSING,
    POLICIES,
    RATE_PER_LEVEL_ABOVE,
    RATE_PER_LEVEL_MISSING,
    SECOND_LINE_MINUTES,
    SLA_MINUTES,
    Day,
    Settings,
    Ticket,
    World,
    make_day,
)


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


def _targets(ticket: Ticket) -> tuple[int, int]:
    return SLA_MINUTES.get(ticket.priority, SLA_MINUTES[3])


def _used(ticket: Ticket, now: float) -> float:
    first, resolution = _targets(ticket)
    target = first if ticket.contact == 0 else resolution
    return (now - ticket.arrival) / target


class _Run:
    """The state of one day under one policy while its events are played."""

    def __init__(self, world: World, settings: Settings, policy: Policy, day: Day) -> None:
        self.settings = settings
        self.policy = policy
        self.tickets = [
            Ticket(
                t.number, t.arrival, t.facts, t.requirements, t.handling_draws, t.resolution_draws
            )
            for t in day.tickets
        ]
        self.levels = list(day.agents)
        self.agent_ids = list(range(1, len(self.levels) + 1))
        self.working: dict[int, Ticket] = {}  # agent → the ticket in hand
        self.queues: dict[int, list[tuple[int, float, int]]] = {a: [] for a in self.agent_ids}
        self.scale_max = dict.fromkeys(world.skill_codes, 5)
        self.best = {
            skill: max((lv.get(skill, 0) for lv in self.levels), default=0)
            for skill in self.scale_max
        }
        # (time, order, kind, ticket, agent)
        self.events: list[tuple[float, int, int, int, int]] = []
        self.order = 0
        self.waiting: dict[int, Ticket] = {}
        self.forwarded: list[int] = []
        self.cursor: int | None = None
        self.escalations = 0
        for ticket in self.tickets:
            ticket.needs = list(ticket.requirements)
            self.push(ticket.arrival, ARRIVAL, ticket.number)
        self.by_number = {t.number: t for t in self.tickets}

    def push(self, at: float, kind: int, ticket: int, agent: int = 0) -> None:
        self.order += 1
        heapq.heappush(self.events, (at, self.order, kind, ticket, agent))

    def load(self, agent: int) -> int:
        return len(self.queues[agent]) + (agent in self.working)

    def play(self) -> None:
        while self.events:
            now, _, kind, number, agent = heapq.heappop(self.events)
            ticket = self.by_number[number]
            if kind == ARRIVAL:
                self.enqueue(ticket, now)
            elif kind == DONE:
                self.finish(ticket, agent, now)
            elif number not in self.waiting:
                continue  # a relaxation of a ticket already taken
            self.dispatch(now)

    def enqueue(self, ticket: Ticket, now: float) -> None:
        floors = [r for r in ticket.needs if r.floor > 0]
        if not all(self.best.get(r.skill_id, 0) >= r.floor for r in floors):
            # Nobody on the desk has what it needs, however long it waits:
            # the desk hands it to the second line at once.
            self.forwarded.append(ticket.number)
            if ticket.contact == 0:
                ticket.first_contact_at = now
            ticket.resolved_at = now + SECOND_LINE_MINUTES
            return
        ticket.queued_at = now
        self.waiting[ticket.number] = ticket
        first, resolution = _targets(ticket)
        target = first if ticket.contact == 0 else resolution
        for threshold in self.settings.thresholds:
            at = ticket.arrival + target * threshold / 100
            if at > now:
                self.push(at, RETRY, ticket.number)

    def start_next(self, agent: int, now: float) -> None:
        if agent in self.working or not self.queues[agent]:
            return
        _, _, number = heapq.heappop(self.queues[agent])
        ticket = self.by_number[number]
        self.working[agent] = ticket
        if ticket.contact == 0:
            ticket.first_contact_at = now
        above, missing = _margins(self.levels[agent - 1], ticket.needs)
        base = HANDLING_MINUTES.get(ticket.facts.ticket_type, 10.0)
        if ticket.contact:
            base *= ESCALATED_HANDLING
        factor = (1 + PER_LEVEL_MISSING * missing) * (1 - PER_LEVEL_ABOVE * min(above, 3))
        minutes = base * math.exp(ticket.handling_draws[ticket.contact]) * factor
        self.push(now + minutes, DONE, ticket.number, agent)

    def dispatch(self, now: float) -> None:
        if not self.waiting:
            return
        cap = self.settings.workload_cap
        room = {
            a: engine.Agent(a, self.levels[a - 1], self.load(a))
            for a in self.agent_ids
            if self.load(a) < cap
        }
        # Assignments only fill agents up, so needs nobody could meet stay
        # unmet for the rest of this round: tickets alike are not tried again.
        unmet: set[tuple[tuple[Requirement, ...], int, tuple[int, ...]]] = set()
        waiting = sorted(self.waiting.values(), key=lambda t: (t.priority, t.queued_at, t.number))
        for ticket in waiting:
            if not room:
                return
            share = _used(ticket, now)
            alike = (
                tuple(ticket.needs),
                engine.relax_step(share, self.settings.thresholds),
                ticket.excluded,
            )
            if alike in unmet:
                continue
            decision = engine.route(
                agents=list(room.values()),
                requirements=ticket.needs,
                policy=self.policy,
                workload_cap=cap,
                sla_used=share,
                thresholds=self.settings.thresholds,
                cursor=self.cursor,
                exclude=ticket.excluded,
                keep=1,
            )
            if decision.chosen is None:
                unmet.add(alike)
                continue
            agent = self.cursor = decision.chosen
            if ticket.contact == 0:
                ticket.within_level = decision.within_level
            del self.waiting[ticket.number]
            heapq.heappush(self.queues[agent], (ticket.priority, ticket.queued_at, ticket.number))
            self.start_next(agent, now)
            if self.load(agent) >= cap:
                del room[agent]
            else:
                room[agent] = engine.Agent(agent, self.levels[agent - 1], self.load(agent))

    def finish(self, ticket: Ticket, agent: int, now: float) -> None:
        del self.working[agent]
        levels = self.levels[agent - 1]
        above, missing = _margins(levels, ticket.needs)
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
            self.escalations += 1
            raised = engine.escalation_requirements(ticket.requirements, levels, self.scale_max)
            if ticket.contact + 1 >= MAX_CONTACTS:
                ticket.resolved_at = now + SECOND_LINE_MINUTES
            else:
                ticket.contact += 1
                ticket.needs = raised
                ticket.excluded = (*ticket.excluded, agent)
                self.enqueue(ticket, now)
        self.start_next(agent, now)


def simulate(
    world: World, settings: Settings, policy: Policy, seed: int, day: Day | None = None
) -> Result:
    """One working day under one policy. Routing pushes each ticket into an
    agent's own queue, up to the workload cap; each agent works their queue
    most urgent first, one ticket at a time. Tickets nobody eligible has room
    for wait unassigned and are offered again whenever an agent's load
    drops, a ticket arrives or a waiting ticket passes a relaxation
    threshold."""
    run = _Run(world, settings, policy, day or make_day(world, settings, seed))
    run.play()
    return _result(policy, seed, run.tickets, len(run.levels), run.escalations, len(run.forwarded))


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
