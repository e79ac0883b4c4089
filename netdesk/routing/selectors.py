"""Reads for skills-based routing: a ticket's facts, the rules, a group's
agents with their levels, load and availability, the share of the ticket's
service level used, and the decisions recorded."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from netdesk.accounts.models import SupportGroup, TierKind
from netdesk.competency.models import AgentSkill, Skill
from netdesk.competency.selectors import agent_levels as profile_levels
from netdesk.core.memo import Memo
from netdesk.customers.models import serves_as_key_account
from netdesk.routing import engine
from netdesk.routing.models import AgentAvailability, GroupRouting, RoutingDecision, RoutingRule
from netdesk.routing.simulation.model import HistoryRow
from netdesk.sla.models import Metric, PolicyKind, SlaTimer, TimerState
from netdesk.sla.selectors import timer_now
from netdesk.tickets.models import Ticket


def agent_levels(
    agent_ids: Sequence[int], skill_ids: Sequence[int] | None = None
) -> dict[int, dict[int, int]]:
    """Each agent's current level per skill (the competency profile's own
    read: the latest valid statement, across framework versions)."""
    return profile_levels(agent_ids, skill_ids)


def tickets_outside_level(*, ticket: str, agent: str) -> Exists:
    """For KPI evidence (hook `tickets_outside_level`): the ticket at path
    `ticket` was routed to the agent at path `agent` only because a
    requirement was relaxed."""
    return Exists(
        RoutingDecision.objects.filter(
            ticket=OuterRef(ticket), chosen=OuterRef(agent), within_level=False
        )
    )


def ticket_facts(ticket: Ticket) -> engine.TicketFacts:
    """What routing rules match on. The ticket's category counts with every
    category above it; a site of a key (group) account is a key account."""
    categories: list[str] = []
    category = ticket.category
    while category is not None and len(categories) < 10:
        categories.append(category.name)
        category = category.parent
    customer = ticket.customer
    service = ticket.service
    return engine.TicketFacts(
        ticket_type=ticket.ticket_type,
        categories=tuple(categories),
        channel=ticket.channel,
        language=customer.language,
        access_technology=service.access_technology if service else "",
        product=service.product if service else "",
        segment=customer.segment,
        key_account=customer.is_key_account,
        priority=ticket.priority,
    )


def rule_of(row: RoutingRule) -> engine.Rule:
    return engine.Rule(
        name=row.name,
        skill_id=row.skill_id,
        min_level=row.min_level,
        hard=row.hard,
        ticket_type=row.match_ticket_type,
        category=row.match_category,
        channel=row.match_channel,
        language=row.match_language,
        access_technology=row.match_access_technology,
        product=row.match_product,
        segment=row.match_segment,
        key_account=row.match_key_account,
        priority=row.match_priority,
    )


def active_rules() -> list[engine.Rule]:
    return [rule_of(row) for row in RoutingRule.objects.filter(is_active=True).order_by("id")]


def active_rules_and_skills() -> tuple[list[engine.Rule], dict[int, SkillInfo]]:
    """The active rules and the skills they name, in one query."""
    rows = list(RoutingRule.objects.filter(is_active=True).select_related("skill").order_by("id"))
    skills = {
        row.skill_id: SkillInfo(row.skill.code, row.skill.name, row.skill.scale_max) for row in rows
    }
    return [rule_of(row) for row in rows], skills


def routing_rules() -> QuerySet[RoutingRule]:
    """Every rule with its skill, for the rules page and the API."""
    return RoutingRule.objects.select_related("skill", "skill__framework").order_by(
        "-is_active", "name", "id"
    )


@dataclass(frozen=True)
class SkillInfo:
    code: str
    name: str
    scale_max: int


def skills_by_id(skill_ids: Iterable[int]) -> dict[int, SkillInfo]:
    return {
        pk: SkillInfo(code, name, scale_max)
        for pk, code, name, scale_max in Skill.objects.filter(pk__in=set(skill_ids)).values_list(
            "pk", "code", "name", "scale_max"
        )
    }


def _members(group_id: int) -> QuerySet[Any]:
    """The group's active members as a subquery: cheaper than binding
    hundreds of ids as parameters."""
    return SupportGroup.members.through.objects.filter(
        supportgroup_id=group_id, user__is_active=True
    ).values("user_id")


def group_member_names(group_id: int) -> dict[int, str]:
    """The group's active members' usernames by id, in id order."""
    return dict(_members(group_id).order_by("user_id").values_list("user_id", "user__username"))


def open_load(group_id: int, *, leave_out: int | None = None) -> dict[int, int]:
    """Open tickets each member of the group holds, in any group
    (`leave_out`: a ticket not to count, the one being routed again)."""
    tickets = Ticket.objects.filter(assignee_id__in=_members(group_id), is_open=1)
    if leave_out is not None:
        tickets = tickets.exclude(pk=leave_out)
    counts = tickets.values("assignee_id").annotate(n=Count("id")).order_by()
    return {row["assignee_id"]: row["n"] for row in counts}


def away_agents(group_id: int) -> set[int]:
    return set(
        AgentAvailability.objects.filter(
            agent_id__in=_members(group_id), available=False
        ).values_list("agent_id", flat=True)
    )


def is_available(agent_id: int) -> bool:
    found = AgentAvailability.objects.filter(agent_id=agent_id).values_list("available", flat=True)
    return next(iter(found), True)


def group_levels(
    group_id: int, skill_ids: Sequence[int], *, now: datetime | None = None
) -> dict[int, dict[int, int]]:
    """The members' current levels in these skills, two queries and plain
    tuples, as routing runs for every ticket. The same rule as the
    competency profile's agent_levels (tested to agree): the latest valid,
    unexpired statement by valid_from then id, a skill counting across the
    versions of its framework by (framework name, code)."""
    if not skill_ids:
        return {}
    now = now or timezone.now()
    wanted = dict(
        (pk, (name, code))
        for pk, name, code in Skill.objects.filter(pk__in=list(skill_ids)).values_list(
            "pk", "framework__name", "code"
        )
    )
    versions = Skill.objects.filter(
        framework__name__in={name for name, _ in wanted.values()},
        code__in={code for _, code in wanted.values()},
    ).values_list("pk", "framework__name", "code")
    lineage_of = {
        pk: (name, code) for pk, name, code in versions if (name, code) in wanted.values()
    }
    asked_as: dict[tuple[str, str], list[int]] = {}
    for pk, lineage in wanted.items():
        asked_as.setdefault(lineage, []).append(pk)
    records = (
        AgentSkill.objects.filter(
            agent_id__in=_members(group_id),
            skill_id__in=list(lineage_of),
            valid_from__lte=now,
        )
        .filter(Q(expires_at__isnull=True) | Q(expires_at__gt=now))
        .order_by("valid_from", "id")
        .values_list("agent_id", "skill_id", "level")
    )
    levels: dict[int, dict[int, int]] = {}
    for agent, skill, level in records:  # later rows overwrite earlier ones
        mine = levels.setdefault(agent, {})
        for asked in asked_as[lineage_of[skill]]:
            mine[asked] = level
    return levels


@dataclass(frozen=True)
class GroupAgents:
    agents: list[engine.Agent]
    names: dict[int, str]


def group_agents(
    group_id: int,
    skill_ids: Sequence[int],
    *,
    leave_out_ticket: int | None = None,
    now: datetime | None = None,
) -> GroupAgents:
    """The group's active members as routing sees them, and their names,
    in five queries whatever the group's size."""
    names = group_member_names(group_id)
    if not names:
        return GroupAgents([], {})
    levels = group_levels(group_id, skill_ids, now=now)
    load = open_load(group_id, leave_out=leave_out_ticket)
    away = away_agents(group_id)
    agents = [
        engine.Agent(agent, levels.get(agent, {}), load.get(agent, 0), agent not in away)
        for agent in names
    ]
    return GroupAgents(agents, names)


# The targets whose clock decides relaxation: the customer's first response
# and resolution (OLAs and next-update timers do not).
RELAXING_METRICS = (Metric.FIRST_RESPONSE, Metric.RESOLUTION)


def sla_used(ticket_id: int, now: datetime) -> float | None:
    """The largest share of a running (or paused) SLA target the ticket has
    used: first response until it is given, then resolution. None when no
    such target runs."""
    timers = SlaTimer.objects.filter(
        ticket_id=ticket_id,
        kind=PolicyKind.SLA,
        metric__in=RELAXING_METRICS,
        stopped_at__isnull=True,
        state__in=(TimerState.RUNNING, TimerState.PAUSED, TimerState.BREACHED),
    ).select_related("policy")
    used: float | None = None
    for timer in timers:
        if timer.target_seconds <= 0:
            continue
        share = timer_now(timer, now).elapsed_seconds / timer.target_seconds
        used = share if used is None else max(used, share)
    return used


def group_routing(group_id: int) -> GroupRouting | None:
    return GroupRouting.objects.filter(group_id=group_id).first()


def _routing_groups_read() -> frozenset[int]:
    return frozenset(GroupRouting.objects.filter(enabled=True).values_list("group_id", flat=True))


# The groups that route new tickets, asked by every new ticket; changed by
# `services.config.group_routing_set`, which marks the table changed.
_routing_groups: Memo[frozenset[int]] = Memo(_routing_groups_read, depends_on=[GroupRouting])


def may_route(group_id: int) -> bool:
    """Whether the group routed new tickets when the table last changed
    through the desk: False is final; True still needs its row
    (`group_routing`), which a write behind the services' back may have
    switched off or removed."""
    return group_id in _routing_groups.get()


def group_routings() -> list[tuple[SupportGroup, GroupRouting | None]]:
    """Every active group with its routing settings (None: not routed)."""
    settings = {r.group_id: r for r in GroupRouting.objects.all()}
    return [
        (group, settings.get(group.pk))
        for group in SupportGroup.objects.filter(is_active=True)
        .select_related("tier")
        .order_by("tier__level", "name")
    ]


def ticket_decisions(ticket_id: int, *, limit: int = 20) -> list[RoutingDecision]:
    """The ticket's routing decisions, newest first."""
    return list(
        RoutingDecision.objects.filter(ticket_id=ticket_id)
        .select_related("chosen")
        .order_by("-decided_at", "-id")[:limit]
    )


def last_decisions(ticket_ids: Sequence[int]) -> dict[int, RoutingDecision]:
    """The latest decision of each ticket (for the periodic re-routing)."""
    latest: dict[int, RoutingDecision] = {}
    for decision in RoutingDecision.objects.filter(ticket_id__in=ticket_ids).order_by(
        "ticket_id", "-decided_at", "-id"
    ):
        latest.setdefault(decision.ticket_id, decision)
    return latest


def unrouted_tickets(*, limit: int) -> list[int]:
    """Open, unassigned tickets in groups that route, most urgent first."""
    groups = GroupRouting.objects.filter(enabled=True).values_list("group_id", flat=True)
    return list(
        Ticket.objects.filter(group_id__in=groups, is_open=1, assignee__isnull=True)
        .order_by("priority", "id")
        .values_list("pk", flat=True)[:limit]
    )


# ---- what the routing simulation replays -------------------------------------------


def arrival_history(*, limit: int = 50_000) -> list[HistoryRow]:
    """The desk's latest tickets as the simulation's arrivals profile reads them."""
    rows = Ticket.objects.order_by("-id").values_list(
        "created_at",
        "ticket_type",
        "category__name",
        "priority",
        "channel",
        "customer__segment",
        "customer__parent_account__segment",
        "customer__language",
        "service__access_technology",
        "service__product",
    )[:limit]
    return [
        HistoryRow(
            created_at=created,
            ticket_type=ticket_type,
            category=category or "",
            priority=priority,
            channel=channel,
            segment=segment,
            key_account=serves_as_key_account(segment, parent_segment),
            language=language or "",
            access_technology=technology or "",
            product=product or "",
        )
        for (
            created,
            ticket_type,
            category,
            priority,
            channel,
            segment,
            parent_segment,
            language,
            technology,
            product,
        ) in rows
    ]


def first_line_agents(skill_ids: Sequence[int]) -> tuple[int, list[dict[int, int]]]:
    """The agents who take tickets first: members of the groups that route
    by skill, else of the first-line groups. Returns how many there are and
    the levels in these skills of those who have any recorded."""
    groups = list(GroupRouting.objects.filter(enabled=True).values_list("group_id", flat=True))
    if not groups:
        groups = list(
            SupportGroup.objects.filter(is_active=True, tier__kind=TierKind.FIRST_LINE).values_list(
                "pk", flat=True
            )
        )
    members = list(
        SupportGroup.members.through.objects.filter(
            supportgroup_id__in=groups, user__is_active=True
        )
        .order_by("user_id")
        .values_list("user_id", flat=True)
        .distinct()
    )
    if not members or not skill_ids:
        return len(members), []
    levels = agent_levels(members, list(skill_ids))
    return len(members), [levels[agent] for agent in members if levels.get(agent)]
