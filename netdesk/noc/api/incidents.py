"""NOC endpoints for network incidents: the board, opening, updating and
resolving them, the customers they affect and their linked tickets."""

from __future__ import annotations

from typing import Any, Literal

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema, Status

from netdesk.accounts.models import User
from netdesk.accounts.permissions import Action, require, user_of
from netdesk.core.errors import NotFound, ValidationFailed
from netdesk.core.schemas import (
    MAX_ID,
    InputSchema,
    IsoDateTime,
    ObjectOutputSchema,
    OutputSchema,
    answers,
)
from netdesk.network.models import NetworkElement
from netdesk.noc.models import IncidentUpdate, NetworkIncident
from netdesk.noc.selectors import (
    affected_customers,
    incident_board,
    incident_detail,
)
from netdesk.noc.services.incidents import (
    incident_create,
    incident_link_ticket,
    incident_resolve,
    incident_unlink_ticket,
    incident_update,
)
from netdesk.tickets.selectors import ticket_get

router = Router()


class IncidentOut(ObjectOutputSchema):
    ref: str = Field(validation_alias="reference")
    title: str
    state: str
    detected_by: str
    root_element: str | None
    technical_description: str
    customer_description: str
    started_at: Any
    detected_at: Any
    resolved_at: Any
    eta: Any
    next_update_due: Any
    root_cause: str
    affected_services: int
    affected_customers: int

    @staticmethod
    def resolve_root_element(incident: NetworkIncident) -> str | None:
        return incident.root_element.name if incident.root_element else None


class IncidentUpdateOut(ObjectOutputSchema):
    at: Any
    author: str | None
    state: str
    technical_note: str
    customer_message: str

    @staticmethod
    def resolve_author(update: IncidentUpdate) -> str | None:
        return update.author.username if update.author else None


# Read off incident_detail's prefetches: a fixed number of queries.
class IncidentDetailOut(IncidentOut):
    key_accounts: list[str]
    tickets: list[str]
    updates: list[IncidentUpdateOut]
    probable_root_alarm: str | None = Field(
        description="the likeliest first cause among its alarms; null until named"
    )
    root_cause_evidence: str
    split_from: str | None
    splits: list[str]
    closed_automatically: bool

    @staticmethod
    def resolve_probable_root_alarm(incident: NetworkIncident) -> str | None:
        alarm = incident.probable_root_alarm
        return str(alarm) if alarm else None

    @staticmethod
    def resolve_split_from(incident: NetworkIncident) -> str | None:
        return incident.split_from.reference if incident.split_from else None

    @staticmethod
    def resolve_splits(incident: NetworkIncident) -> list[str]:
        return [part.reference for part in incident.splits.all()]

    @staticmethod
    def resolve_key_accounts(incident: NetworkIncident) -> list[str]:
        return [c.name for c in incident.affected_key_accounts.all()]

    @staticmethod
    def resolve_tickets(incident: NetworkIncident) -> list[str]:
        return [link.ticket.reference for link in getattr(incident, "live_links", [])]

    @staticmethod
    def resolve_updates(incident: NetworkIncident) -> list[IncidentUpdate]:
        return list(incident.updates.all())


def _detail(ref: str, user: User) -> NetworkIncident:
    found = incident_detail(ref, user=user)
    if found is None:
        raise NotFound(f"No incident {ref}.", field="ref", value=ref, accepted="NI-<number>")
    return found


def _element(name: str | None, field: str) -> NetworkElement | None:
    if not name:
        return None
    found = NetworkElement.objects.filter(name=name).first()
    if found is None:
        raise ValidationFailed(
            f"No network element {name!r}.", field=field, value=name, accepted="an element's name"
        )
    return found


class IncidentCreateIn(InputSchema):
    title: str = Field(min_length=1, max_length=200)
    root_element: str | None = None
    elements: list[str] = Field(default_factory=list, max_length=500)
    technical_description: str = Field(default="", max_length=10_000)
    customer_description: str = Field(default="", max_length=2_000)
    started_at: IsoDateTime | None = None
    eta: IsoDateTime | None = None
    update_every_minutes: int = 60


class IncidentUpdateIn(InputSchema):
    state: Literal["investigating", "identified", "monitoring"] | None = None
    technical_note: str = Field(default="", max_length=10_000)
    customer_message: str = Field(default="", max_length=2_000)
    eta: IsoDateTime | None = None
    root_element: str | None = None
    update_every_minutes: int | None = None


class IncidentResolveIn(InputSchema):
    root_cause: str
    technical_note: str = Field(default="", max_length=10_000)
    customer_message: str = Field(default="", max_length=2_000)
    resolve_children: bool = False
    resolved_at: IsoDateTime | None = None
    confirm: bool = Field(
        default=False,
        description="Resolve although alarms of the incident still fire; without it "
        "such a resolution is answered 409, naming the alarms.",
    )


class ResolveOut(OutputSchema):
    incident: IncidentDetailOut
    problems: list[str]


@router.get("/incidents", response=answers(list[IncidentOut]), summary="Active incidents")
def incidents(request: HttpRequest) -> list[NetworkIncident]:
    require(user_of(request), Action.INCIDENT_VIEW)
    return list(incident_board())


@router.post("/incidents", response=answers(IncidentDetailOut, 201), summary="Open an incident")
def incident_open(request: HttpRequest, payload: IncidentCreateIn) -> Status[NetworkIncident]:
    user = user_of(request)
    incident = incident_create(
        actor=user,
        title=payload.title,
        detected_by="manual",
        started_at=payload.started_at,
        root_element=_element(payload.root_element, "root_element"),
        elements=[e for n in payload.elements if (e := _element(n, "elements")) is not None],
        technical_description=payload.technical_description,
        customer_description=payload.customer_description,
        eta=payload.eta,
        update_every_minutes=payload.update_every_minutes,
    )
    return Status(201, _detail(incident.reference, user))


@router.get("/incidents/{ref}", response=answers(IncidentDetailOut), summary="One incident")
def incident_get(request: HttpRequest, ref: str) -> NetworkIncident:
    user = user_of(request)
    require(user, Action.INCIDENT_VIEW)
    return _detail(ref, user)


@router.post(
    "/incidents/{ref}/updates", response=answers(IncidentDetailOut), summary="Post an update"
)
def incident_post_update(
    request: HttpRequest, ref: str, payload: IncidentUpdateIn
) -> NetworkIncident:
    user = user_of(request)
    incident = _detail(ref, user)
    incident_update(
        actor=user,
        incident=incident,
        state=payload.state,
        technical_note=payload.technical_note,
        customer_message=payload.customer_message,
        eta=payload.eta,
        root_element=_element(payload.root_element, "root_element"),
        update_every_minutes=payload.update_every_minutes,
    )
    return _detail(ref, user)


@router.post("/incidents/{ref}/resolve", response=answers(ResolveOut), summary="Resolve")
def incident_post_resolve(
    request: HttpRequest, ref: str, payload: IncidentResolveIn
) -> dict[str, Any]:
    user = user_of(request)
    problems = incident_resolve(
        actor=user,
        incident=_detail(ref, user),
        root_cause=payload.root_cause,
        technical_note=payload.technical_note,
        customer_message=payload.customer_message,
        resolve_children=payload.resolve_children,
        resolved_at=payload.resolved_at,
        confirm=payload.confirm,
    )
    return {"incident": _detail(ref, user), "problems": problems}


class CustomerOut(OutputSchema):
    id: int
    account_number: str
    name: str
    segment: str


class AffectedPage(OutputSchema):
    items: list[CustomerOut]
    next_after: int | None


class AffectedQuery(Schema):
    after: int = Field(0, ge=0, le=MAX_ID)
    limit: int = Field(100, ge=1, le=1000)


@router.get(
    "/incidents/{ref}/customers",
    response=answers(AffectedPage),
    summary="Customers the incident affects (pages by customer id)",
)
def incident_customers(
    request: HttpRequest, ref: str, query: Query[AffectedQuery]
) -> dict[str, Any]:
    user = user_of(request)
    require(user, Action.INCIDENT_VIEW)
    page = affected_customers(
        _detail(ref, user), user=user, after_id=query.after, limit=query.limit
    )
    return {
        "items": [
            {"id": c.pk, "account_number": c.account_number, "name": c.name, "segment": c.segment}
            for c in page
        ],
        "next_after": page[-1].pk if len(page) == query.limit else None,
    }


class LinkIn(InputSchema):
    ticket: str
    reason: str = Field(default="", max_length=300)


@router.post(
    "/incidents/{ref}/tickets", response=answers(IncidentDetailOut), summary="Link a ticket"
)
def incident_link(request: HttpRequest, ref: str, payload: LinkIn) -> NetworkIncident:
    user = user_of(request)
    incident_link_ticket(
        actor=user, incident=_detail(ref, user), ticket=ticket_get(user=user, ref=payload.ticket)
    )
    return _detail(ref, user)


@router.post(
    "/incidents/{ref}/tickets/unlink",
    response=answers(IncidentDetailOut),
    summary="Unlink a ticket (with the reason)",
)
def incident_unlink(request: HttpRequest, ref: str, payload: LinkIn) -> NetworkIncident:
    user = user_of(request)
    incident_unlink_ticket(
        actor=user,
        incident=_detail(ref, user),
        ticket=ticket_get(user=user, ref=payload.ticket),
        reason=payload.reason,
    )
    return _detail(ref, user)
