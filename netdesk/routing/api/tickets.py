"""Routing a ticket now (whoever may assign it), its recorded decisions
(whoever sees it) and its escalation target."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db import transaction
from django.http import HttpRequest
from ninja import Field, Query, Router, Schema, Status

from netdesk.accounts.models import SupportGroup
from netdesk.accounts.permissions import Action, require, user_of
from netdesk.core.errors import ValidationFailed
from netdesk.core.schemas import MAX_ID, ObjectOutputSchema, OutputSchema, answers
from netdesk.routing import selectors as read
from netdesk.routing.models import RoutingDecision
from netdesk.routing.services import tickets as services
from netdesk.tickets.selectors import ticket_get

router = Router(tags=["competency"])


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


class DecisionOut(ObjectOutputSchema):
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

    @staticmethod
    def resolve_chosen(decision: RoutingDecision) -> str | None:
        return decision.chosen.username if decision.chosen else None


@router.post(
    "/routing/tickets/{ref}/route",
    response=answers(DecisionOut, 201),
    summary="Route the ticket within its group now",
)
def route_ticket(request: HttpRequest, ref: str) -> Status[RoutingDecision]:
    user = user_of(request)
    require(user, Action.TICKET_ASSIGN)
    with transaction.atomic():
        ticket = ticket_get(user=user, ref=ref, for_update=True)
        decision = services.ticket_route(ticket=ticket, actor=user)
    return Status(201, decision)


@router.get(
    "/routing/tickets/{ref}/decisions",
    response=answers(list[DecisionOut]),
    summary="The ticket's routing decisions, newest first",
)
def ticket_decisions(request: HttpRequest, ref: str) -> list[RoutingDecision]:
    user = user_of(request)
    require(user, Action.TICKET_VIEW)
    ticket = ticket_get(user=user, ref=ref)
    return read.ticket_decisions(ticket.pk)


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
    user = user_of(request)
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
