"""Demo routing: the first line routes by skill with the rules the routing
simulation plays (netdesk/competency/simulation.py), set up by the demo's
service desk manager through the services, and the tickets waiting in the
first line's queue are routed once, so their pages show a decision."""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from netdesk.accounts.models import Role, SupportGroup, TierKind, User
from netdesk.competency import builtin
from netdesk.competency.models import FrameworkState, Skill
from netdesk.routing.models import RoutingPolicy
from netdesk.routing.services.config import group_routing_set, routing_rule_create
from netdesk.routing.services.tickets import routing_sweep
from netdesk.routing.simulation.model import BUILTIN_RULES, BUILTIN_SKILLS

# The desk routes its waiting tickets in rounds of this many; the demo
# routes what is waiting now (a few hundred at most) in one go.
WAITING_AT_MOST = 2000


def build_routing(created: dict[str, Any]) -> dict[str, int]:
    """Rules, the first line's routing settings and one routing round; the
    ids of the rules and settings go into `created` for `demo --reset`.
    Returns how many rules it made and tickets it assigned."""
    manager = User.objects.filter(role=Role.SERVICE_DESK_MANAGER).order_by("pk").first()
    first_line = (
        SupportGroup.objects.filter(tier__kind=TierKind.FIRST_LINE, is_active=True)
        .order_by("pk")
        .first()
    )
    if manager is None or first_line is None:
        return {"rules": 0, "assigned": 0}
    skills = {
        s.code: s
        for s in Skill.objects.filter(
            framework__name=builtin.FRAMEWORK_NAME,
            framework__state=FrameworkState.PUBLISHED,
            code__in=BUILTIN_SKILLS.values(),
        )
    }
    rule_ids: list[int] = []
    for rule in BUILTIN_RULES:
        skill = skills.get(BUILTIN_SKILLS[rule.skill_id])
        if skill is None:
            continue
        made = routing_rule_create(
            actor=manager,
            name=rule.name,
            skill=skill,
            min_level=rule.min_level,
            hard=rule.hard,
            match_ticket_type=rule.ticket_type,
            match_key_account=rule.key_account,
            match_priority=rule.priority,
        )
        rule_ids.append(made.pk)
    settings = group_routing_set(
        actor=manager,
        group=first_line,
        policy=RoutingPolicy.LEAST_SUFFICIENT,
        workload_cap=8,
        enabled=True,
    )
    created["competency.RoutingRule"] = rule_ids
    created["competency.GroupRouting"] = [settings.pk]
    assigned = routing_sweep(now=timezone.now(), limit=WAITING_AT_MOST)
    return {"rules": len(rule_ids), "assigned": assigned}
