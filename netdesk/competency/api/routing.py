"""Competency API: skills-based routing. Managers configure rules and each
group's policy; agents mark themselves away or available; anyone who may
assign a ticket may have it routed now; whoever sees a ticket sees its
routing decisions."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from django.db import transaction
from django.http import HttpRequest
from ninja import Field, Query, Router, Schema, Status

from netdesk.accounts.models import SupportGroup, User
from netdesk.accounts.permissions import Action, require
from netdesk.competency import routing_selectors as read
from netdesk.competency.models import Skill
from netdesk.competency.models.routing import GroupRouting, RoutingDecision, RoutingRule
from netdesk.competency.services import routing as services
from netdesk.competency.services import routing_config as config
from netdesk.core.errors import NotFound, ValidationFailed
from netdesk.core.schemas import MAX_ID, InputSchema, OutputSchema, answers
from netdesk.tickets.selectors import ticket_get

router = Router(tags=["competency"])


def _user(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)
    return user


# ---- rules -------------------------------------------------------------------


class RuleOut(OutputSchema):
    id: int
    name: str
    is_active: bool
    skill_id: int
    skill: str
    min_level: int
    hard: bool
    match_ticket_type: str
    match_category: str
    match_channel: str
    match_language: str
    match_access_technology: str
    match_product: str
    match_segment: str
    match_key_account: bool | None
    match_priority: int | None


class RuleIn(InputSchema):
    """A rule: when a ticket matches every non-empty condition it needs the
    skill at min_level. Hard requirements never relax."""

    name: str = Field(max_length=120)
    skill_id: Annotated[int, Field(ge=1, le=MAX_ID)]
    min_level: int = Field(ge=0, le=100)
    hard: bool = False
    is_active: bool = True
    match_ticket_type: str = Field("", max_length=30)
    match_category: str = Field("", max_length=120)
    match_channel: str = Field("", max_length=20)
    match_language: str = Field("", max_length=10)
    match_access_technology: str = Field("", max_length=20)
    match_product: str = Field("", max_length=120)
    match_segment: str = Field("", max_length=20)
    match_key_account: bool | None = None
    match_priority: int | None = Field(None, ge=0, le=100)


class RulePatchIn(InputSchema):
    name: str | None = Field(None, max_length=120)
    skill_id: int | None = Field(None, ge=1, le=MAX_ID)
    min_level: int | None = Field(None, ge=0, le=100)
    hard: bool | None = None
    is_active: bool | None = None
    match_ticket_type: str | None = Field(None, max_length=30)
    match_category: str | None = Field(None, max_length=120)
    match_channel: str | None = Field(None, max_length=20)
    match_language: str | None = Field(None, max_length=10)
    match_access_technology: str | None = Field(None, max_length=20)
    match_product: str | None = Field(None, max_length=120)
    match_segment: str | None = Field(None, max_length=20)
    match_key_account: bool | None = None
    match_priority: int | None = Field(None, ge=0, le=100)


# Fields that may be set back to "no condition" with null.
NULLABLE = {"match_key_account", "match_priority"}


def rule_out(rule: RoutingRule) -> dict[str, Any]:
    return {
        "id": rule.pk,
        "name": rule.name,
        "is_active": rule.is_active,
        "skill_id": rule.skill_id,
        "skill": rule.skill.code,
        "min_level": rule.min_level,
        "hard": rule.hard,
        "match_ticket_type": rule.match_ticket_type,
        "match_category": rule.match_category,
        "match_channel": rule.match_channel,
        "match_language": rule.match_language,
        "match_access_technology": rule.match_access_technology,
        "match_product": rule.match_product,
        "match_segment": rule.match_segment,
        "match_key_account": rule.match_key_account,
        "match_priority": rule.match_priority,
    }


def _skill(skill_id: int) -> Skill:
    found = Skill.objects.filter(pk=skill_id).first()
    if found is None:
        raise ValidationFailed(
            f"No skill has id {skill_id}.",
            field="skill_id",
            value=skill_id,
            accepted="the id of an existing skill",
        )
    return found


def _rule(rule_id: int) -> RoutingRule:
    found = RoutingRule.objects.select_related("skill").filter(pk=rule_id).first()
    if found is None:
        raise NotFound(
            f"No routing rule has id {rule_id}.",
            field="rule_id",
            value=rule_id,
            accepted="the id of a routing rule",
        )
    return found


@router.get("/routing/rules", response=answers(list[RuleOut]), summary="Routing rules")
def list_rules(request: HttpRequest) -> list[dict[str, Any]]:
    require(_user(request), Action.COMPETENCY_VIEW_OWN)
    return [rule_out(rule) for rule in read.routing_rules()]


@router.post("/routing/rules", response=answers(RuleOut, 201), summary="Add a routing rule")
def create_rule(request: HttpRequest, payload: RuleIn) -> Status[dict[str, Any]]:
    user = _user(request)
    require(user, Action.COMPETENCY_CONFIGURE)
    values = payload.dict()
    values["skill"] = _skill(values.pop("skill_id"))
    rule = config.routing_rule_create(actor=user, **values)
    return Status(201, rule_out(rule))


@router.get("/routing/rules/{rule_id}", response=answers(RuleOut), summary="A routing rule")
def get_rule(
    request: HttpRequest, rule_id: Annotated[int, Field(ge=1, le=MAX_ID)]
) -> dict[str, Any]:
    require(_user(request), Action.COMPETENCY_VIEW_OWN)
    return rule_out(_rule(rule_id))


@router.patch("/routing/rules/{rule_id}", response=answers(RuleOut), summary="Change a rule")
def patch_rule(
    request: HttpRequest, payload: RulePatchIn, rule_id: Annotated[int, Field(ge=1, le=MAX_ID)]
) -> dict[str, Any]:
    user = _user(request)
    require(user, Action.COMPETENCY_CONFIGURE)
    given = payload.dict(exclude_unset=True)
    changes = {k: v for k, v in given.items() if v is not None or k in NULLABLE}
    with transaction.atomic():
        rule = _rule(rule_id)
        if "skill_id" in changes:
            changes["skill"] = _skill(changes.pop("skill_id"))
        config.routing_rule_update(actor=user, rule=rule, changes=changes)
    return rule_out(_rule(rule_id))


@router.delete("/routing/rules/{rule_id}", response=answers(None, 204), summary="Delete a rule")
def delete_rule(
    request: HttpRequest, rule_id: Annotated[int, Field(ge=1, le=MAX_ID)]
) -> Status[None]:
    user = _user(request)
    require(user, Action.COMPETENCY_CONFIGURE)
    config.routing_rule_delete(actor=user, rule=_rule(rule_id))
    return Status(204, None)


# ---- group policies --------------------------------------------------------------


class GroupRoutingOut(OutputSchema):
    group_id: int
    group: str
    routed: bool
    enabled: bool
    policy: str
    workload_cap: int
    relax_thresholds: list[int]


class GroupRoutingIn(InputSchema):
    """enabled: route this group's new tickets by skill. relax_thresholds:
    percent of the SLA target used at which soft requirements drop a level."""

    policy: str = Field(max_length=30)
    workload_cap: int = Field(8, ge=0, le=10_000)
    enabled: bool = True
    relax_thresholds: list[int] | None = Field(None, max_length=20)


def group_routing_out(group: SupportGroup, row: GroupRouting | None) -> dict[str, Any]:
    defaults = services.Settings()
    return {
        "group_id": group.pk,
        "group": group.name,
        "routed": row is not None,
        "enabled": row.enabled if row else False,
        "policy": row.policy if row else defaults.policy,
        "workload_cap": row.workload_cap if row else defaults.workload_cap,
        "relax_thresholds": list(row.relax_thresholds if row else defaults.thresholds),
    }


@router.get(
    "/routing/groups", response=answers(list[GroupRoutingOut]), summary="Each group's routing"
)
def list_group_routing(request: HttpRequest) -> list[dict[str, Any]]:
    require(_user(request), Action.COMPETENCY_VIEW_OWN)
    return [group_routing_out(group, row) for group, row in read.group_routings()]


@router.put(
    "/routing/groups/{group_id}",
    response=answers(GroupRoutingOut),
    summary="Set a group's routing policy, workload cap and relaxation",
)
def set_group_routing(
    request: HttpRequest, payload: GroupRoutingIn, group_id: Annotated[int, Field(ge=1, le=MAX_ID)]
) -> dict[str, Any]:
    user = _user(request)
    require(user, Action.COMPETENCY_CONFIGURE)
    group = SupportGroup.objects.filter(pk=group_id, is_active=True).first()
    if group is None:
        raise NotFound(
            f"No active support group has id {group_id}.",
            field="group_id",
            value=group_id,
            accepted="the id of an active support group",
        )
    row = config.group_routing_set(
        actor=user,
        group=group,
        policy=payload.policy,
        workload_cap=payload.workload_cap,
        enabled=payload.enabled,
        relax_thresholds=payload.relax_thresholds,
    )
    return group_routing_out(group, row)


# ---- availability ----------------------------------------------------------------


class AvailabilityOut(OutputSchema):
    agent: str
    available: bool


class AvailabilityIn(InputSchema):
    """Mark yourself (or, for team leads and managers, `agent`) available or away."""

    available: bool
    agent: str | None = Field(None, max_length=150)


@router.get("/routing/availability", response=answers(AvailabilityOut), summary="Am I routed to?")
def get_availability(request: HttpRequest) -> dict[str, Any]:
    user = _user(request)
    require(user, Action.COMPETENCY_VIEW_OWN)
    return {"agent": user.username, "available": read.is_available(user.pk)}


@router.put(
    "/routing/availability", response=answers(AvailabilityOut), summary="Mark available or away"
)
def set_availability(request: HttpRequest, payload: AvailabilityIn) -> dict[str, Any]:
    user = _user(request)
    require(user, Action.COMPETENCY_VIEW_OWN)
    agent = user
    if payload.agent is not None and payload.agent != user.username:
        found = User.objects.filter(username=payload.agent, is_active=True).first()
        if found is None:
            raise ValidationFailed(
                f"No active agent is called {payload.agent!r}.",
                field="agent",
                value=payload.agent,
                accepted="the username of an active agent, or leave it out for yourself",
            )
        agent = found
    row = config.availability_set(actor=user, agent=agent, available=payload.available)
    return {"agent": agent.username, "available": row.available}


# ---- decisions on tickets ---------------------------------------------------------


class RequirementOut(OutputSchema):
    skill: str
    skill_id: int
    level: int
    floor: int
    hard: bool
    rules: list[str]


class RelaxedOut(OutputSchema):
    skill: str
    skill_id: int
    from_level: int
    to_level: int
    step: int
    threshold: int | None


class CandidateOut(OutputSchema):
    agent: str
    agent_id: int
    eligible: bool
    score: int | None
    load: int
    why_not: str


class DecisionOut(OutputSchema):
    id: int | None
    decided_at: datetime | None
    trigger: str
    policy: str
    chosen: str | None
    reason: str
    relax_step: int
    sla_used: float | None
    within_level: bool
    requirements: list[RequirementOut]
    relaxed: list[RelaxedOut]
    candidates: list[CandidateOut]


def decision_out(decision: RoutingDecision) -> dict[str, Any]:
    return {
        "id": decision.pk,
        "decided_at": decision.decided_at,
        "trigger": decision.trigger,
        "policy": decision.policy,
        "chosen": decision.chosen.username if decision.chosen else None,
        "reason": decision.reason,
        "relax_step": decision.relax_step,
        "sla_used": decision.sla_used,
        "within_level": decision.within_level,
        "requirements": decision.requirements,
        "relaxed": decision.relaxed,
        "candidates": decision.candidates,
    }


@router.post(
    "/routing/tickets/{ref}/route",
    response=answers(DecisionOut, 201),
    summary="Route the ticket within its group now",
)
def route_ticket(request: HttpRequest, ref: str) -> Status[dict[str, Any]]:
    user = _user(request)
    require(user, Action.TICKET_ASSIGN)
    with transaction.atomic():
        ticket = ticket_get(user=user, ref=ref, for_update=True)
        decision = services.ticket_route(ticket=ticket, actor=user)
    return Status(201, decision_out(decision))


@router.get(
    "/routing/tickets/{ref}/decisions",
    response=answers(list[DecisionOut]),
    summary="The ticket's routing decisions, newest first",
)
def ticket_decisions(request: HttpRequest, ref: str) -> list[dict[str, Any]]:
    user = _user(request)
    require(user, Action.TICKET_VIEW)
    ticket = ticket_get(user=user, ref=ref)
    return [decision_out(d) for d in read.ticket_decisions(ticket.pk)]


class EscalationQuery(Schema):
    group_id: int | None = Field(None, ge=1, le=MAX_ID)


class EscalationOut(OutputSchema):
    group_id: int
    group: str
    chosen: str | None
    reason: str
    requirements: list[RequirementOut]
    candidates: list[CandidateOut]


@router.get(
    "/routing/tickets/{ref}/escalation-target",
    response=answers(EscalationOut),
    summary="Whom an escalation should reach: the same skills one level up",
)
def escalation_target(
    request: HttpRequest, ref: str, query: Query[EscalationQuery]
) -> dict[str, Any]:
    user = _user(request)
    require(user, Action.TICKET_ESCALATE)
    ticket = ticket_get(user=user, ref=ref)
    group = None
    if query.group_id is not None:
        group = SupportGroup.objects.filter(pk=query.group_id, is_active=True).first()
        if group is None:
            raise ValidationFailed(
                f"No active support group has id {query.group_id}.",
                field="group_id",
                value=query.group_id,
                accepted="the id of an active support group",
            )
    target = services.escalation_target(ticket=ticket, group=group)
    fields = target.fields
    chosen = next((c["agent"] for c in fields["candidates"] if c["eligible"]), None)
    return {
        "group_id": target.group.pk,
        "group": target.group.name,
        "chosen": chosen if target.decision.chosen is not None else None,
        "reason": fields["reason"],
        "requirements": fields["requirements"],
        "candidates": fields["candidates"],
    }
