"""Routing rules: which skills at which level a ticket needs. Managers
configure them."""

from __future__ import annotations

from typing import Annotated

from django.db import transaction
from django.http import HttpRequest
from ninja import Field, Router, Status

from netdesk.accounts.permissions import Action, require, user_of
from netdesk.competency.models import Skill
from netdesk.core.errors import NotFound, ValidationFailed
from netdesk.core.schemas import MAX_ID, InputSchema, ObjectOutputSchema, answers
from netdesk.routing import selectors as read
from netdesk.routing.models import RoutingRule
from netdesk.routing.services import config

router = Router(tags=["competency"])


# ---- rules -------------------------------------------------------------------


class RuleOut(ObjectOutputSchema):
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

    @staticmethod
    def resolve_skill(rule: RoutingRule) -> str:
        return rule.skill.code


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


def skill_for(skill_id: int) -> Skill:
    found = Skill.objects.filter(pk=skill_id).first()
    if found is None:
        raise ValidationFailed(
            f"No skill has id {skill_id}.",
            field="skill_id",
            value=skill_id,
            accepted="the id of an existing skill",
        )
    return found


def rule_for(rule_id: int) -> RoutingRule:
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
def list_rules(request: HttpRequest) -> list[RoutingRule]:
    require(user_of(request), Action.COMPETENCY_VIEW_OWN)
    return list(read.routing_rules())


@router.post("/routing/rules", response=answers(RuleOut, 201), summary="Add a routing rule")
def create_rule(request: HttpRequest, payload: RuleIn) -> Status[RoutingRule]:
    user = user_of(request)
    require(user, Action.COMPETENCY_CONFIGURE)
    values = payload.dict()
    values["skill"] = skill_for(values.pop("skill_id"))
    rule = config.routing_rule_create(actor=user, **values)
    return Status(201, rule)


@router.get("/routing/rules/{rule_id}", response=answers(RuleOut), summary="A routing rule")
def get_rule(request: HttpRequest, rule_id: Annotated[int, Field(ge=1, le=MAX_ID)]) -> RoutingRule:
    require(user_of(request), Action.COMPETENCY_VIEW_OWN)
    return rule_for(rule_id)


@router.patch("/routing/rules/{rule_id}", response=answers(RuleOut), summary="Change a rule")
def patch_rule(
    request: HttpRequest, payload: RulePatchIn, rule_id: Annotated[int, Field(ge=1, le=MAX_ID)]
) -> RoutingRule:
    user = user_of(request)
    require(user, Action.COMPETENCY_CONFIGURE)
    given = payload.dict(exclude_unset=True)
    changes = {k: v for k, v in given.items() if v is not None or k in NULLABLE}
    with transaction.atomic():
        rule = rule_for(rule_id)
        if "skill_id" in changes:
            changes["skill"] = skill_for(changes.pop("skill_id"))
        config.routing_rule_update(actor=user, rule=rule, changes=changes)
    return rule_for(rule_id)


@router.delete("/routing/rules/{rule_id}", response=answers(None, 204), summary="Delete a rule")
def delete_rule(
    request: HttpRequest, rule_id: Annotated[int, Field(ge=1, le=MAX_ID)]
) -> Status[None]:
    user = user_of(request)
    require(user, Action.COMPETENCY_CONFIGURE)
    config.routing_rule_delete(actor=user, rule=rule_for(rule_id))
    return Status(204, None)
