"""NOC endpoints: alarm intake (Alertmanager webhook, generic JSON batches),
network incidents, their impact and the liaison with customer service."""

from __future__ import annotations

from typing import Any, Literal

from django.http import HttpRequest
from django.utils import timezone
from ninja import Field, Query, Router, Schema, Status

from netdesk.accounts.models import User
from netdesk.accounts.permissions import Action, require
from netdesk.core.errors import NotFound, ValidationFailed
from netdesk.core.schemas import MAX_ID, InputSchema, IsoDateTime, OutputSchema, answers
from netdesk.customers.selectors import customers_visible_to
from netdesk.network.models import NetworkElement
from netdesk.noc import intake
from netdesk.noc.models import NetworkIncident, SuspectedOutage
from netdesk.noc.selectors import (
    affected_customers,
    incident_board,
    incident_detail,
    network_status_for,
    suspected_outages,
)
from netdesk.noc.services.alarms import AlarmIn, alarms_ingest, input_reject
from netdesk.noc.services.incidents import (
    incident_create,
    incident_link_ticket,
    incident_resolve,
    incident_unlink_ticket,
    incident_update,
)
from netdesk.noc.services.liaison import troubleshooting_request, troubleshooting_result
from netdesk.noc.services.outages import outage_confirm, outage_dismiss
from netdesk.tickets.selectors import ticket_get

router = Router(tags=["noc"])


def _user(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)
    return user


# ---- alarm intake -------------------------------------------------------


class RefusalOut(OutputSchema):
    index: int
    field: str
    value: Any
    accepted: str
    message: str


class RepairOut(OutputSchema):
    index: int
    field: str
    message: str


class IntakeOut(OutputSchema):
    received: int
    accepted: int
    refused: list[RefusalOut]
    repaired: list[RepairOut]
    new: int
    repeated: int
    cleared: int
    unmatched_clears: int
    suppressed: int
    flapping: int
    unknown_elements: int
    incidents: list[str]


class AlertmanagerIn(InputSchema):
    """Alertmanager webhook payload, version 4. Alerts are checked one by
    one: a malformed alert is refused on its own."""

    version: str
    status: str = ""
    receiver: str = ""
    groupKey: str = ""
    alerts: list[Any]

    checked_per_item = ("alerts",)


class GenericIn(InputSchema):
    """A batch of alarms. Each alarm: name, element (name, management IP or
    external id), severity (1–5 or critical/major/minor/warning/info),
    state (firing/cleared, default firing), at (ISO 8601, default now),
    summary, labels (object), fingerprint (default: from the fields in
    NETDESK_ALARM_FINGERPRINT, element and name)."""

    alarms: list[Any]

    checked_per_item = ("alarms",)


def _take_in(
    request: HttpRequest,
    good: list[AlarmIn],
    refused: list[intake.Refusal],
    source: str,
    repairs: list[intake.Repair],
) -> dict[str, Any]:
    for refusal in refused[:20]:  # a flood of garbage must not flood the table
        input_reject(
            source=source,
            reason=f"{refusal.field}: {refusal.message}",
            excerpt=repr(refusal.value)[:1000],
            peer=request.META.get("REMOTE_ADDR", ""),
        )
    result = alarms_ingest(alarms=good)
    return {
        "received": len(good) + len(refused),
        "accepted": len(good),
        "refused": [r.as_dict() for r in refused],
        "repaired": [r.as_dict() for r in repairs],
        "new": result.new,
        "repeated": result.repeated,
        "cleared": result.cleared,
        "unmatched_clears": result.unmatched_clears,
        "suppressed": result.suppressed,
        "flapping": result.flapping,
        "unknown_elements": result.unknown_elements,
        "incidents": result.incidents,
    }


def _check_batch(items: list[Any], field: str) -> None:
    if len(items) > intake.MAX_ALARMS:
        raise ValidationFailed(
            f"{len(items)} alarms in one request is too many.",
            field=field,
            value=len(items),
            accepted=f"at most {intake.MAX_ALARMS} per request",
        )


@router.post(
    "/alarms/alertmanager",
    response=answers(IntakeOut, 202),
    summary="Prometheus Alertmanager webhook (version 4)",
)
def alertmanager_webhook(request: HttpRequest, payload: AlertmanagerIn) -> Status[dict[str, Any]]:
    require(_user(request), Action.ALARM_INGEST)
    if payload.version != "4":
        raise ValidationFailed(
            f"Webhook version {payload.version!r} is not supported.",
            field="version",
            value=payload.version,
            accepted=["4"],
        )
    _check_batch(payload.alerts, "alerts")
    now = timezone.now()
    repairs: list[intake.Repair] = []
    good, refused = intake.parse_items(
        payload.alerts, lambda item: intake.alertmanager_alarm(item, now), "alerts", repairs
    )
    return Status(202, _take_in(request, good, refused, "alertmanager", repairs))


@router.post("/alarms", response=answers(IntakeOut, 202), summary="A batch of generic alarms")
def generic_alarms(request: HttpRequest, payload: GenericIn) -> Status[dict[str, Any]]:
    require(_user(request), Action.ALARM_INGEST)
    _check_batch(payload.alarms, "alarms")
    now = timezone.now()
    repairs: list[intake.Repair] = []
    good, refused = intake.parse_items(
        payload.alarms, lambda item: intake.generic_alarm(item, now), "alarms", repairs
    )
    return Status(202, _take_in(request, good, refused, "generic", repairs))


# ---- incidents -----------------------------------------------------------


class IncidentOut(OutputSchema):
    ref: str
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


class IncidentUpdateOut(OutputSchema):
    at: Any
    author: str | None
    state: str
    technical_note: str
    customer_message: str


class IncidentDetailOut(IncidentOut):
    key_accounts: list[str]
    tickets: list[str]
    updates: list[IncidentUpdateOut]


def incident_out(incident: NetworkIncident) -> dict[str, Any]:
    return {
        "ref": incident.reference,
        "title": incident.title,
        "state": incident.state,
        "detected_by": incident.detected_by,
        "root_element": incident.root_element.name if incident.root_element else None,
        "technical_description": incident.technical_description,
        "customer_description": incident.customer_description,
        "started_at": incident.started_at,
        "detected_at": incident.detected_at,
        "resolved_at": incident.resolved_at,
        "eta": incident.eta,
        "next_update_due": incident.next_update_due,
        "root_cause": incident.root_cause,
        "affected_services": incident.affected_services,
        "affected_customers": incident.affected_customers,
    }


def _detail(ref: str, user: User) -> NetworkIncident:
    found = incident_detail(ref, user=user)
    if found is None:
        raise NotFound(f"No incident {ref}.", field="ref", value=ref, accepted="NI-<number>")
    return found


def detail_out(incident: NetworkIncident) -> dict[str, Any]:
    return {
        **incident_out(incident),
        "key_accounts": [c.name for c in incident.affected_key_accounts.all()],
        "tickets": [link.ticket.reference for link in getattr(incident, "live_links", [])],
        "updates": [
            {
                "at": u.at,
                "author": u.author.username if u.author else None,
                "state": u.state,
                "technical_note": u.technical_note,
                "customer_message": u.customer_message,
            }
            for u in incident.updates.all()
        ],
    }


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
def incidents(request: HttpRequest) -> list[dict[str, Any]]:
    require(_user(request), Action.INCIDENT_VIEW)
    return [incident_out(i) for i in incident_board()]


@router.post("/incidents", response=answers(IncidentDetailOut, 201), summary="Open an incident")
def incident_open(request: HttpRequest, payload: IncidentCreateIn) -> Status[dict[str, Any]]:
    user = _user(request)
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
    return Status(201, detail_out(_detail(incident.reference, user)))


@router.get("/incidents/{ref}", response=answers(IncidentDetailOut), summary="One incident")
def incident_get(request: HttpRequest, ref: str) -> dict[str, Any]:
    user = _user(request)
    require(user, Action.INCIDENT_VIEW)
    return detail_out(_detail(ref, user))


@router.post(
    "/incidents/{ref}/updates", response=answers(IncidentDetailOut), summary="Post an update"
)
def incident_post_update(
    request: HttpRequest, ref: str, payload: IncidentUpdateIn
) -> dict[str, Any]:
    user = _user(request)
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
    return detail_out(_detail(ref, user))


@router.post("/incidents/{ref}/resolve", response=answers(ResolveOut), summary="Resolve")
def incident_post_resolve(
    request: HttpRequest, ref: str, payload: IncidentResolveIn
) -> dict[str, Any]:
    user = _user(request)
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
    return {"incident": detail_out(_detail(ref, user)), "problems": problems}


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
    user = _user(request)
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
def incident_link(request: HttpRequest, ref: str, payload: LinkIn) -> dict[str, Any]:
    user = _user(request)
    incident_link_ticket(
        actor=user, incident=_detail(ref, user), ticket=ticket_get(user=user, ref=payload.ticket)
    )
    return detail_out(_detail(ref, user))


@router.post(
    "/incidents/{ref}/tickets/unlink",
    response=answers(IncidentDetailOut),
    summary="Unlink a ticket (with the reason)",
)
def incident_unlink(request: HttpRequest, ref: str, payload: LinkIn) -> dict[str, Any]:
    user = _user(request)
    incident_unlink_ticket(
        actor=user,
        incident=_detail(ref, user),
        ticket=ticket_get(user=user, ref=payload.ticket),
        reason=payload.reason,
    )
    return detail_out(_detail(ref, user))


# ---- liaison ---------------------------------------------------------------


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
    user = _user(request)
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


class LiaisonOut(OutputSchema):
    id: int
    kind: str
    from_group: str
    to_group: str
    body: str
    at: Any


@router.post(
    "/tickets/{ref}/troubleshooting",
    response=answers(LiaisonOut, 201),
    summary="Ask the NOC for remote troubleshooting",
)
def ask_troubleshooting(
    request: HttpRequest, ref: str, payload: LiaisonIn
) -> Status[dict[str, Any]]:
    user = _user(request)
    record = troubleshooting_request(
        actor=user, ticket=ticket_get(user=user, ref=ref), body=payload.body
    )
    return Status(201, _liaison_out(record))


@router.post(
    "/tickets/{ref}/troubleshooting/result",
    response=answers(LiaisonOut, 201),
    summary="Record the NOC's remote troubleshooting result",
)
def record_troubleshooting(
    request: HttpRequest, ref: str, payload: LiaisonIn
) -> Status[dict[str, Any]]:
    user = _user(request)
    record = troubleshooting_result(
        actor=user, ticket=ticket_get(user=user, ref=ref), body=payload.body
    )
    return Status(201, _liaison_out(record))


def _liaison_out(record: Any) -> dict[str, Any]:
    return {
        "id": record.pk,
        "kind": record.kind,
        "from_group": record.from_group.name,
        "to_group": record.to_group.name,
        "body": record.body,
        "at": record.at,
    }


# ---- suspected outages -------------------------------------------------------


class OutageOut(OutputSchema):
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


class OutageDecisionIn(InputSchema):
    decision: Literal["confirm", "dismiss"]
    title: str = Field(default="", max_length=200)
    customer_description: str = Field(default="", max_length=2000)
    reason: str = Field(default="", max_length=300)


def _outage_out(outage: SuspectedOutage) -> dict[str, Any]:
    return {
        "id": outage.pk,
        "state": outage.state,
        "element": outage.element.name if outage.element else None,
        "area": outage.area.name if outage.area else None,
        "raised_at": outage.raised_at,
        "complaints": outage.complaints,
        "expected": outage.expected,
        "score": outage.score,
        "explanation": outage.explanation,
        "tickets": [t.reference for t in outage.tickets.all()],
        "incident": outage.incident.reference if outage.incident else None,
    }


@router.get("/outages", response=answers(list[OutageOut]), summary="Suspected outages waiting")
def outages(request: HttpRequest) -> list[dict[str, Any]]:
    user = _user(request)
    require(user, Action.INCIDENT_VIEW)
    return [_outage_out(o) for o in suspected_outages(user=user).filter(state="open")[:200]]


@router.post(
    "/outages/{outage_id}/decision",
    response=answers(OutageOut),
    summary="Confirm (opens an incident) or dismiss a suspected outage",
)
def outage_decision(
    request: HttpRequest, outage_id: int, payload: OutageDecisionIn
) -> dict[str, Any]:
    user = _user(request)
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
    refreshed = outages.get(pk=outage.pk)
    return _outage_out(refreshed)
