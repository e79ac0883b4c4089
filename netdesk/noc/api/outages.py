"""NOC endpoints for suspected outages: the list waiting for the NOC and
its decision on each."""

from __future__ import annotations

from typing import Any, Literal

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema

from netdesk.accounts.permissions import Action, require, user_of
from netdesk.core.errors import NotFound
from netdesk.core.schemas import MAX_ID, InputSchema, ObjectOutputSchema, answers
from netdesk.noc.models import OutageConfidence, SuspectedOutage
from netdesk.noc.selectors import outage_level, suspected_outages
from netdesk.noc.services.outages import outage_confirm, outage_dismiss

router = Router()


class OutageOut(ObjectOutputSchema):
    id: int
    state: str
    confidence: str = Field(description="outage, or hint: a low-confidence single complaint")
    level: int | None = Field(description="depth in the network tree it was detected at; 0 core")
    level_name: str = Field(description='"core", "level 2", or the area when no level is known')
    element: str | None
    area: str | None
    raised_at: Any
    complaints: int
    expected: float
    score: float
    explanation: str
    tickets: list[str]
    incident: str | None

    @staticmethod
    def resolve_element(outage: SuspectedOutage) -> str | None:
        return outage.element.name if outage.element else None

    @staticmethod
    def resolve_level_name(outage: SuspectedOutage) -> str:
        return outage_level(outage)

    @staticmethod
    def resolve_area(outage: SuspectedOutage) -> str | None:
        return outage.area.name if outage.area else None

    @staticmethod
    def resolve_tickets(outage: SuspectedOutage) -> list[str]:
        return [t.reference for t in outage.tickets.all()]

    @staticmethod
    def resolve_incident(outage: SuspectedOutage) -> str | None:
        return outage.incident.reference if outage.incident else None


class OutageDecisionIn(InputSchema):
    decision: Literal["confirm", "dismiss"]
    title: str = Field(default="", max_length=200)
    customer_description: str = Field(default="", max_length=2000)
    reason: str = Field(default="", max_length=300)


class OutageListQuery(Schema):
    confidence: Literal[tuple(OutageConfidence.values)] | None = Field(  # type: ignore[valid-type]
        None, description="outage or hint; both when left out"
    )


@router.get(
    "/outages",
    response=answers(list[OutageOut]),
    summary="Suspected outages and low-confidence hints waiting",
)
def outages(request: HttpRequest, query: Query[OutageListQuery]) -> list[SuspectedOutage]:
    user = user_of(request)
    require(user, Action.INCIDENT_VIEW)
    waiting = suspected_outages(user=user).filter(state="open")
    if query.confidence is not None:
        waiting = waiting.filter(confidence=query.confidence)
    return list(waiting[:200])


@router.post(
    "/outages/{outage_id}/decision",
    response=answers(OutageOut),
    summary="Confirm (opens an incident) or dismiss a suspected outage",
)
def outage_decision(
    request: HttpRequest, outage_id: int, payload: OutageDecisionIn
) -> SuspectedOutage:
    user = user_of(request)
    require(user, Action.OUTAGE_DECIDE)
    outages = suspected_outages(user=user)
    outage = outages.filter(pk=outage_id).first() if 0 < outage_id <= MAX_ID else None
    if outage is None:
        raise NotFound(
            f"No suspected outage {outage_id}.",
            field="outage_id",
            value=outage_id,
            accepted="an id",
        )
    if payload.decision == "confirm":
        outage_confirm(
            actor=user,
            outage=outage,
            title=payload.title or f"Outage at {outage.element or outage.area}",
            customer_description=payload.customer_description,
        )
    else:
        outage_dismiss(actor=user, outage=outage, reason=payload.reason)
    return outages.get(pk=outage.pk)
