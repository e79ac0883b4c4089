"""NOC endpoints for the liaison with customer service: the network status
on a customer's paths and remote troubleshooting on a ticket."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Field, Router, Status

from netdesk.accounts.permissions import Action, require, user_of
from netdesk.core.errors import NotFound
from netdesk.core.schemas import MAX_ID, InputSchema, ObjectOutputSchema, OutputSchema, answers
from netdesk.customers.selectors import customers_visible_to
from netdesk.noc.models import LiaisonRecord
from netdesk.noc.selectors import network_status_for
from netdesk.noc.services.liaison import troubleshooting_request, troubleshooting_result
from netdesk.tickets.selectors import ticket_get

router = Router()


class PathStatusOut(OutputSchema):
    incident: str
    state: str
    service_id: str
    failed_element: str
    customer_description: str
    eta: Any


@router.get(
    "/customers/{customer_id}/network-status",
    response=answers(list[PathStatusOut]),
    summary="Active incidents on the paths of a customer's services",
)
def customer_network_status(request: HttpRequest, customer_id: int) -> list[dict[str, Any]]:
    user = user_of(request)
    require(user, Action.INCIDENT_VIEW)
    if (
        not (0 < customer_id <= MAX_ID)
        or not customers_visible_to(user).filter(pk=customer_id).exists()
    ):
        raise NotFound(
            f"No customer {customer_id}.",
            field="customer_id",
            value=customer_id,
            accepted="a customer id",
        )
    return [
        {
            "incident": s.incident.reference,
            "state": s.incident.state,
            "service_id": s.service.service_id,
            "failed_element": s.element.name,
            "customer_description": s.incident.customer_description,
            "eta": s.incident.eta,
        }
        for s in network_status_for(customer_id)
    ]


class LiaisonIn(InputSchema):
    body: str = Field(min_length=1, max_length=5000)


class LiaisonOut(ObjectOutputSchema):
    id: int
    kind: str
    from_group: str = Field(validation_alias="from_group.name")
    to_group: str = Field(validation_alias="to_group.name")
    body: str
    at: Any


@router.post(
    "/tickets/{ref}/troubleshooting",
    response=answers(LiaisonOut, 201),
    summary="Ask the NOC for remote troubleshooting",
)
def ask_troubleshooting(
    request: HttpRequest, ref: str, payload: LiaisonIn
) -> Status[LiaisonRecord]:
    user = user_of(request)
    record = troubleshooting_request(
        actor=user, ticket=ticket_get(user=user, ref=ref), body=payload.body
    )
    return Status(201, record)


@router.post(
    "/tickets/{ref}/troubleshooting/result",
    response=answers(LiaisonOut, 201),
    summary="Record the NOC's remote troubleshooting result",
)
def record_troubleshooting(
    request: HttpRequest, ref: str, payload: LiaisonIn
) -> Status[LiaisonRecord]:
    user = user_of(request)
    record = troubleshooting_result(
        actor=user, ticket=ticket_get(user=user, ref=ref), body=payload.body
    )
    return Status(201, record)
