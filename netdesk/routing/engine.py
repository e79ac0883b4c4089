"""Skills-based routing, decided without the database: which skills a ticket
needs, how far its soft requirements have relaxed, which agents may take it
and whom the group's policy picks. The service (services/routing.py) loads
the facts and records the decision; the simulation reuses this module as is.

Requirements. Every active rule whose conditions all match the ticket asks
for a skill at a minimum level, hard or soft. Several rules on one skill
merge: the wanted level is the highest asked, the floor the highest asked by
a hard rule. Hard requirements never relax.

Relaxation. A soft requirement drops one level per step, never below its
floor; at level 0 it no longer asks for anything. Steps are passed as the
ticket uses up its service level, not as wall-clock seconds go by: with the
default thresholds (50, 75, 90) a ticket that has used half of its target
is at step 1, three quarters at step 2, 90 % at step 3. A P1 with a
15-minute first response relaxes within minutes; a P4 with eight business
hours keeps its requirements for hours, and not at all while its clock is
paused.

Policies. Among the eligible agents (available, under the workload cap,
meeting every requirement as relaxed):
- least-sufficient: the smallest total surplus over the requirements, which
  keeps experts free for what only they can do;
- most-proficient: the highest total level in the required skills;
- round-robin: the next eligible agent after the group's cursor (by id).
Ties go to the lower open-ticket load, then to the lower agent id, so the
same facts always give the same choice.

Escalation targets the same skills one level up: one above the wanted level
or above the current handler's own level, whichever is higher, as a hard
requirement (an escalation must reach someone who knows more)."""

from __future__ import annotations

import heapq
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

DEFAULT_RELAX_THRESHOLDS: tuple[int, ...] = (50, 75, 90)
MAX_RELAX_STEPS = 10


class Policy(StrEnum):
    """The same values as RoutingPolicy (models/routing.py)."""

    LEAST_SUFFICIENT = "least_sufficient"
    MOST_PROFICIENT = "most_proficient"
    ROUND_ROBIN = "round_robin"


@dataclass(frozen=True, slots=True)
class TicketFacts:
    """What rules can match on. Text is compared case-insensitively;
    `categories` holds the ticket's category and the categories above it."""

    ticket_type: str = ""
    categories: tuple[str, ...] = ()
    channel: str = ""
    language: str = ""
    access_technology: str = ""
    product: str = ""
    segment: str = ""
    key_account: bool = False
    priority: int | None = None


@dataclass(frozen=True, slots=True)
class Rule:
    """A routing rule: empty conditions match anything. `product` matches a
    product name that begins with it ("Fibre" matches "Fibre 500")."""

    name: str
    skill_id: int
    min_level: int
    hard: bool = False
    ticket_type: str = ""
    category: str = ""
    channel: str = ""
    language: str = ""
    access_technology: str = ""
    product: str = ""
    segment: str = ""
    key_account: bool | None = None
    priority: int | None = None

    def matches(self, facts: TicketFacts) -> bool:
        if self.ticket_type and self.ticket_type != facts.ticket_type:
            return False
        if self.channel and self.channel != facts.channel:
            return False
        if self.segment and self.segment != facts.segment:
            return False
        if self.priority is not None and self.priority != facts.priority:
            return False
        if self.key_account is not None and self.key_account != facts.key_account:
            return False
        if self.access_technology and self.access_technology != facts.access_technology:
            return False
        if self.language and self.language.casefold() != facts.language.casefold():
            return False
        if self.category and self.category.casefold() not in (
            name.casefold() for name in facts.categories
        ):
            return False
        return not self.product or facts.product.casefold().startswith(self.product.casefold())


@dataclass(frozen=True, slots=True)
class Requirement:
    """A skill the ticket needs at `level`; hard up to `floor` (0: all soft)."""

    skill_id: int
    level: int
    floor: int = 0
    rules: tuple[str, ...] = ()

    @property
    def hard(self) -> bool:
        return self.level <= self.floor


@dataclass(frozen=True, slots=True)
class Relaxation:
    skill_id: int
    from_level: int
    to_level: int
    step: int


def requirements_for(facts: TicketFacts, rules: Iterable[Rule]) -> list[Requirement]:
    """The merged requirements of every matching rule, by skill id."""
    wanted: dict[int, int] = {}
    floors: dict[int, int] = {}
    names: dict[int, list[str]] = {}
    for rule in rules:
        if not rule.matches(facts):
            continue
        skill = rule.skill_id
        wanted[skill] = max(wanted.get(skill, 0), rule.min_level)
        if rule.hard:
            floors[skill] = max(floors.get(skill, 0), rule.min_level)
        names.setdefault(skill, []).append(rule.name)
    return [
        Requirement(skill, wanted[skill], floors.get(skill, 0), tuple(names[skill]))
        for skill in sorted(wanted)
    ]


def relax_step(sla_used: float | None, thresholds: Sequence[int] = DEFAULT_RELAX_THRESHOLDS) -> int:
    """How many thresholds (percent of the SLA target used) the ticket has
    passed. No SLA timer (None): nothing is running out, nothing relaxes."""
    if sla_used is None:
        return 0
    percent = sla_used * 100
    return sum(1 for threshold in thresholds if percent >= threshold)


def relax(
    requirements: Sequence[Requirement], step: int
) -> tuple[list[Requirement], list[Relaxation]]:
    """The requirements in force at `step`, and what relaxed. A requirement
    relaxed to level 0 is left out: any agent meets it."""
    if step <= 0:
        return list(requirements), []
    in_force: list[Requirement] = []
    relaxed: list[Relaxation] = []
    for requirement in requirements:
        level = max(requirement.floor, requirement.level - step)
        if level < requirement.level:
            relaxed.append(Relaxation(requirement.skill_id, requirement.level, level, step))
        if level > 0:
            in_force.append(
                Requirement(requirement.skill_id, level, requirement.floor, requirement.rules)
            )
    return in_force, relaxed


def escalation_requirements(
    requirements: Sequence[Requirement],
    handler_levels: Mapping[int, int] | None = None,
    scale_max: Mapping[int, int] | None = None,
) -> list[Requirement]:
    """The same skills one level up, hard: above the wanted level and above
    the handler's own level, capped at each skill's top level (default 5)."""
    handler_levels = handler_levels or {}
    scale_max = scale_max or {}
    raised: list[Requirement] = []
    for requirement in requirements:
        base = max(requirement.level, handler_levels.get(requirement.skill_id, 0))
        level = min(base + 1, scale_max.get(requirement.skill_id, 5))
        raised.append(
            Requirement(requirement.skill_id, level, level, (*requirement.rules, "escalation"))
        )
    return raised


@dataclass(frozen=True, slots=True)
class Agent:
    agent_id: int
    levels: Mapping[int, int]
    load: int = 0
    available: bool = True


@dataclass(frozen=True, slots=True)
class Candidate:
    """One agent as routing saw them. `short` lists (skill id, has, needs)
    for each requirement they miss."""

    agent_id: int
    eligible: bool
    load: int
    score: int | None = None
    away: bool = False
    at_cap: bool = False
    short: tuple[tuple[int, int, int], ...] = ()


@dataclass(frozen=True, slots=True)
class Decision:
    policy: Policy
    chosen: int | None
    requirements: tuple[Requirement, ...]
    in_force: tuple[Requirement, ...]
    relaxed: tuple[Relaxation, ...]
    step: int
    sla_used: float | None
    # The eligible in the policy's order, then the refused by id (the first
    # `keep` of them when route() was asked to keep only so many).
    candidates: tuple[Candidate, ...] = field(repr=False)
    eligible_count: int
    away_count: int
    at_cap_count: int
    short_count: int
    # The chosen agent meets every requirement before relaxation: the ticket
    # is within their level (KPI evidence can leave the others out).
    within_level: bool

    @property
    def chosen_candidate(self) -> Candidate | None:
        return self.candidates[0] if self.chosen is not None else None

    @property
    def considered(self) -> int:
        return self.eligible_count + self.away_count + self.at_cap_count + self.short_count


# An eligible agent as (order key, id, load, score, levels): tuples sort by
# the policy's key (unique, as it ends with the id) without a key function.
_Eligible = tuple[tuple[Any, ...], int, int, int | None, Mapping[int, int]]
# A refused agent as (id, load, away, at the cap, (skill, has, needs) short).
_Refused = tuple[int, int, bool, bool, tuple[tuple[int, int, int], ...]]


def _ranked(
    eligible: list[_Eligible], refused: list[_Refused], keep: int | None
) -> tuple[list[_Eligible], list[_Refused]]:
    """The eligible in the policy's order, then the refused; `keep` of them
    at most, found without sorting everyone."""
    if keep is None:
        eligible.sort()
        refused.sort()
        return eligible, refused
    ranked = heapq.nsmallest(keep, eligible)
    return ranked, heapq.nsmallest(max(0, keep - len(ranked)), refused)


def _candidates(ranked: list[_Eligible], shown: list[_Refused]) -> tuple[Candidate, ...]:
    return (
        *(Candidate(a, True, load, score) for _, a, load, score, _ in ranked),
        *(Candidate(a, False, load, None, off, cap, short) for a, load, off, cap, short in shown),
    )


def route(
    *,
    agents: Sequence[Agent],
    requirements: Sequence[Requirement],
    policy: Policy | str = Policy.LEAST_SUFFICIENT,
    workload_cap: int | None = None,
    sla_used: float | None = None,
    thresholds: Sequence[int] = DEFAULT_RELAX_THRESHOLDS,
    cursor: int | None = None,
    exclude: Iterable[int] = (),
    keep: int | None = None,
) -> Decision:
    """Pick an agent for a ticket. `cursor` is the agent the group's round
    robin gave the last ticket to; `exclude` are agents that must not get it
    (the handler a ticket is escalated from); `keep` limits the candidates
    returned (the counts always cover everyone)."""
    policy = Policy(policy)
    step = relax_step(sla_used, thresholds)
    in_force, relaxed = relax(requirements, step)
    needs = [(r.skill_id, r.level) for r in in_force]
    excluded = set(exclude)
    least = policy == Policy.LEAST_SUFFICIENT
    most = policy == Policy.MOST_PROFICIENT
    after = -1 if cursor is None else cursor
    eligible: list[_Eligible] = []
    refused: list[_Refused] = []
    away_count = at_cap_count = short_count = 0
    for agent in agents:
        agent_id = agent.agent_id
        if agent_id in excluded:
            continue
        levels = agent.levels
        load = agent.load
        away = not agent.available
        at_cap = workload_cap is not None and load >= workload_cap
        short: tuple[tuple[int, int, int], ...] = ()
        score = 0
        for skill, level in needs:
            has = levels.get(skill, 0)
            if has < level:
                short += ((skill, has, level),)
            score += has - level if least else has
        if away or at_cap or short:
            refused.append((agent_id, load, away, at_cap, short))
            if away:
                away_count += 1
            elif at_cap:
                at_cap_count += 1
            else:
                short_count += 1
        elif least:
            eligible.append(((score, load, agent_id), agent_id, load, score, levels))
        elif most:
            eligible.append(((-score, load, agent_id), agent_id, load, score, levels))
        else:
            eligible.append(((agent_id <= after, agent_id), agent_id, load, None, levels))
    ranked, shown = _ranked(eligible, refused, keep)
    # Chosen only because a requirement was relaxed: outside the agent's level.
    within = not (ranked and relaxed) or all(
        ranked[0][4].get(r.skill_id, 0) >= r.level for r in requirements
    )
    return Decision(
        policy=policy,
        chosen=ranked[0][1] if ranked else None,
        requirements=tuple(requirements),
        in_force=tuple(in_force),
        relaxed=tuple(relaxed),
        step=step,
        sla_used=sla_used,
        candidates=_candidates(ranked, shown),
        eligible_count=len(eligible),
        away_count=away_count,
        at_cap_count=at_cap_count,
        short_count=short_count,
        within_level=within,
    )
