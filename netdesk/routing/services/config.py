"""Configuring skills-based routing: rules, each group's policy, and the
agents' availability. Enabling a group starts the background re-routing."""

from __future__ import annotations

from datetime import datetime
from itertools import pairwise
from typing import Any

from django.db import transaction
from django.utils import timezone

from netdesk.accounts.models import SupportGroup, User
from netdesk.accounts.permissions import Action, require
from netdesk.competency.models import Skill
from netdesk.core.errors import ValidationFailed
from netdesk.core.locking import locked
from netdesk.core.memo import data_changed
from netdesk.customers.models import AccessTechnology, Segment
from netdesk.routing import engine
from netdesk.routing.models import AgentAvailability, GroupRouting, RoutingPolicy, RoutingRule
from netdesk.routing.tasks import ensure_routing_tick
from netdesk.tickets.choices import Channel, Priority, TicketType

MAX_WORKLOAD_CAP = 200
MAX_THRESHOLDS = 5


RULE_FIELDS = (
    "name",
    "is_active",
    "match_ticket_type",
    "match_category",
    "match_channel",
    "match_language",
    "match_access_technology",
    "match_product",
    "match_segment",
    "match_key_account",
    "match_priority",
    "skill",
    "min_level",
    "hard",
)
CHOICES: dict[str, list[str]] = {
    "match_ticket_type": list(TicketType.values),
    "match_channel": list(Channel.values),
    "match_access_technology": list(AccessTechnology.values),
    "match_segment": list(Segment.values),
}
TEXT_LIMITS = {
    "name": 120,
    "match_category": 120,
    "match_language": 10,
    "match_product": 120,
}


def _check_rule(values: dict[str, Any]) -> None:
    name = str(values.get("name", "")).strip()
    if not name:
        raise ValidationFailed(
            "A routing rule needs a name.", field="name", value=name, accepted="1 to 120 characters"
        )
    for field, limit in TEXT_LIMITS.items():
        text = values.get(field, "")
        if len(text) > limit:
            raise ValidationFailed(
                f"{field} is too long.",
                field=field,
                value=text[:200],
                accepted=f"at most {limit} characters",
            )
    for field, accepted in CHOICES.items():
        value = values.get(field, "")
        if value and value not in accepted:
            raise ValidationFailed(
                f"{field} {value!r} is not one of the accepted values.",
                field=field,
                value=value,
                accepted=["", *accepted],
            )
    priority = values.get("match_priority")
    if priority is not None and priority not in Priority.values:
        raise ValidationFailed(
            f"Priority {priority!r} does not exist.",
            field="match_priority",
            value=priority,
            accepted=[None, *Priority.values],
        )
    skill: Skill = values["skill"]
    level = values.get("min_level")
    if not isinstance(level, int) or not skill.scale_min <= level <= skill.scale_max:
        raise ValidationFailed(
            f"{skill.code} has levels {skill.scale_min} to {skill.scale_max}.",
            field="min_level",
            value=level,
            accepted=f"{skill.scale_min} to {skill.scale_max}",
        )


@transaction.atomic
def routing_rule_create(*, actor: User, **values: Any) -> RoutingRule:
    """A new rule. Values: the model's fields (RULE_FIELDS); `skill` a Skill."""
    require(actor, Action.COMPETENCY_CONFIGURE)
    unknown = set(values) - set(RULE_FIELDS)
    if unknown:
        raise ValidationFailed(
            f"Unknown fields: {sorted(unknown)}.",
            field=sorted(unknown)[0],
            value=values[sorted(unknown)[0]],
            accepted=list(RULE_FIELDS),
        )
    if "skill" not in values:
        raise ValidationFailed(
            "A routing rule needs a skill.", field="skill", value=None, accepted="a skill id"
        )
    values["name"] = str(values.get("name", "")).strip()
    _check_rule(values)
    return RoutingRule.objects.create(**values)


@transaction.atomic
def routing_rule_update(*, actor: User, rule: RoutingRule, changes: dict[str, Any]) -> RoutingRule:
    require(actor, Action.COMPETENCY_CONFIGURE)
    unknown = set(changes) - set(RULE_FIELDS)
    if unknown:
        raise ValidationFailed(
            f"These fields cannot be changed: {sorted(unknown)}.",
            field=sorted(unknown)[0],
            value=changes[sorted(unknown)[0]],
            accepted=list(RULE_FIELDS),
        )
    rule = locked(rule, what="routing rule")
    if "name" in changes:
        changes["name"] = str(changes["name"]).strip()
    values = {field: getattr(rule, field) for field in RULE_FIELDS} | changes
    _check_rule(values)
    for field, value in changes.items():
        setattr(rule, field, value)
    rule.save(update_fields=list(changes))
    return rule


@transaction.atomic
def routing_rule_delete(*, actor: User, rule: RoutingRule) -> None:
    """Delete a rule. Past decisions keep the rule's name in their requirements."""
    require(actor, Action.COMPETENCY_CONFIGURE)
    locked(rule, what="routing rule").delete()


def _check_group_settings(workload_cap: int, thresholds: list[int]) -> None:
    if not 1 <= workload_cap <= MAX_WORKLOAD_CAP:
        raise ValidationFailed(
            f"A workload cap of {workload_cap} is out of range.",
            field="workload_cap",
            value=workload_cap,
            accepted=f"1 to {MAX_WORKLOAD_CAP} open tickets",
        )
    ascending = all(a < b for a, b in pairwise(thresholds))
    if (
        len(thresholds) > MAX_THRESHOLDS
        or not ascending
        or any(
            not isinstance(t, int) or isinstance(t, bool) or not 1 <= t <= 100 for t in thresholds
        )
    ):
        raise ValidationFailed(
            "Relaxation thresholds are percentages of the SLA target, rising.",
            field="relax_thresholds",
            value=thresholds,
            accepted=f"up to {MAX_THRESHOLDS} rising whole numbers from 1 to 100, e.g. [50, 75, 90]",
        )


@transaction.atomic
def group_routing_set(
    *,
    actor: User,
    group: SupportGroup,
    policy: str,
    workload_cap: int,
    enabled: bool,
    relax_thresholds: list[int] | None = None,
) -> GroupRouting:
    """Set how a group routes: its policy, cap, whether new tickets are
    routed at all, and when soft requirements relax."""
    require(actor, Action.COMPETENCY_CONFIGURE)
    if policy not in RoutingPolicy.values:
        raise ValidationFailed(
            f"Policy {policy!r} does not exist.",
            field="policy",
            value=policy,
            accepted=list(RoutingPolicy.values),
        )
    thresholds = (
        list(engine.DEFAULT_RELAX_THRESHOLDS) if relax_thresholds is None else relax_thresholds
    )
    _check_group_settings(workload_cap, thresholds)
    row, _ = GroupRouting.objects.select_for_update().get_or_create(group=group)
    row.policy = policy
    row.workload_cap = workload_cap
    row.enabled = enabled
    row.relax_thresholds = thresholds
    row.save()
    data_changed(GroupRouting)  # new tickets ask every process's memo whether to route
    if enabled:
        # Waiting tickets of this group are re-routed as their SLA time runs out.
        transaction.on_commit(ensure_routing_tick)
    return row


@transaction.atomic
def availability_set(
    *, actor: User, agent: User, available: bool, now: datetime | None = None
) -> AgentAvailability:
    """Mark an agent available or away. Agents set their own; team leads and
    managers may set anyone's (an agent who left for the day)."""
    if agent.pk != actor.pk:
        require(actor, Action.COMPETENCY_VIEW_TEAM)
    row, _ = AgentAvailability.objects.update_or_create(
        agent=agent, defaults={"available": available, "updated_at": now or timezone.now()}
    )
    return row
