"""NOC endpoints for suspected outages: the list waiting for the NOC and
its decision on each."""

from __future__ import annotations

from typing import Any, Literal

from django.http import HttpRequest
from ninja import Field, Router

from netdesk.accounts.permissions import Action, require, user_of
from netdesk.core.errors import NotFound
from netdesk.core.schemas import MAX_ID, InputSchema, ObjectOutputSchema, answers
from netdesk.noc.models import SuspectedOutage
from netdesk.noc.selectors import suspected_outages
from netdesk.noc.services.outages import outage_confirm, outage_dismiss

router = Router()


class OutageOut(ObjectOutputSchema):
    id: int
    state: str
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


@router.get("/outages", response=answers(list[OutageOut]), summary="Suspected outages waiting")
def outages(request: HttpRequest) -> list[SuspectedOutage]:
    user = user_of(request)
    require(user, Action.INCIDENT_VIEW)
    return list(suspected_outages(user=user).filter(state="open")[:200])


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
