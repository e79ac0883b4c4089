"""The demo's network operations, through the real services: a fibre cut
under way (alarms → one incident on the aggregation switch, customer
wording and ETA, new faults that link themselves), one restored last week
with its tickets, flapping alarms, and planned maintenance."""

from __future__ import annotations

import random
from datetime import timedelta
from typing import Any

from django.utils import timezone

from netdesk.accounts.models import User
from netdesk.customers.models import Service
from netdesk.network.models import ElementKind, NetworkElement
from netdesk.network.selectors import topology_changed
from netdesk.noc.models import MaintenanceWindow, NetworkIncident
from netdesk.noc.services.alarms import AlarmIn, alarms_ingest
from netdesk.noc.services.baselines import baselines_learn
from netdesk.noc.services.incidents import incident_create, incident_resolve, incident_update
from netdesk.noc.services.liaison import troubleshooting_request
from netdesk.tickets.models import Ticket
from netdesk.tickets.services import ticket_create

CALLERS = [
    "No internet since this morning",
    "Connection drops every few minutes",
    "Router shows no signal light",
    "Whole street is offline",
    "Office VPN down, all sites",
]


def _alarm(element: NetworkElement, name: str, severity: int, minutes_ago: float) -> AlarmIn:
    return AlarmIn(
        source="generic",
        name=name,
        element_ref=element.name,
        severity=severity,
        firing=True,
        at=timezone.now() - timedelta(minutes=minutes_ago),
        summary=f"{name} on {element.name}",
    )


def _call(rng: random.Random, title: str) -> dict[str, Any]:
    return {
        "direction": "inbound",
        "duration_seconds": rng.randint(60, 420),
        "summary": f"{title}. Told the caller about the known network problem.",
        "outcome": "ticket_created",
    }


def _affected_services(root: NetworkElement, limit: int) -> list[Service]:
    below = NetworkElement.objects.filter(upstream=root).values("pk")
    return list(
        Service.objects.filter(access_element__in=below)
        .select_related("customer")
        .order_by("pk")[:limit]
    )


def build_operations(rng: random.Random, created: dict[str, Any]) -> None:
    topology_changed()
    # The complaint-spike detector learns what normal looks like from the history.
    baselines_learn(since=timezone.now() - timedelta(days=56), until=timezone.now())
    noc = User.objects.get(username="noc")
    hotline = User.objects.get(username="hotline")
    switches = list(
        NetworkElement.objects.filter(kind=ElementKind.AGGREGATION_SWITCH).order_by("pk")
    )
    cut, earlier = switches[0], switches[len(switches) // 2]
    _power_failure_last_week(rng, noc=noc, hotline=hotline, element=earlier)
    _fibre_cut_now(rng, noc=noc, hotline=hotline, switch=cut)
    # Background noise: minor and flapping alarms elsewhere.
    others = list(NetworkElement.objects.exclude(upstream=cut).order_by("pk")[10:20])
    alarms_ingest(alarms=[_alarm(e, "HighTemperature", 3, 15) for e in others])
    created["noc.MaintenanceWindow"] = [_maintenance_next_night(noc=noc, element=earlier).pk]


def _fault_calls(rng: random.Random, *, hotline: User, services: list[Service]) -> list[Ticket]:
    return [
        ticket_create(
            actor=hotline,
            customer=service.customer,
            service=service,
            ticket_type="fault",
            channel="phone",
            title=(title := rng.choice(CALLERS)),
            call=_call(rng, title),
        )
        for service in services
    ]


def _power_failure_last_week(
    rng: random.Random, *, noc: User, hotline: User, element: NetworkElement
) -> None:
    """A power failure, restored after three hours, its tickets resolved with it."""
    restored = incident_create(
        actor=noc,
        title=f"Power failure at {element.name}",
        detected_by="manual",
        root_element=element,
        started_at=timezone.now() - timedelta(days=6, hours=3),
        customer_description="A power failure interrupts service in the area.",
    )
    _fault_calls(rng, hotline=hotline, services=_affected_services(element, 3))
    incident_resolve(
        actor=noc,
        incident=restored,
        root_cause="power",
        customer_message="Power is back and service restored. We apologise for the outage.",
        resolve_children=True,
    )


def _fibre_cut_now(rng: random.Random, *, noc: User, hotline: User, switch: NetworkElement) -> None:
    """The access elements under one switch lose light, then the switch itself."""
    access = list(NetworkElement.objects.filter(upstream=switch).order_by("pk")[:3])
    alarms_ingest(alarms=[_alarm(e, "PonLos", 2, 40) for e in access])
    alarms_ingest(alarms=[_alarm(switch, "LinkDown", 1, 38)])
    incident = NetworkIncident.objects.filter(root_element=switch).order_by("-pk").first()
    assert incident is not None
    incident_update(
        actor=noc,
        incident=incident,
        state="identified",
        technical_note=f"Uplink fibre of {switch.name} cut by roadworks; splicing crew dispatched.",
        customer_message="A fibre cable was damaged by roadworks. Engineers are repairing it; "
        "service should be back by the time given.",
        eta=timezone.now() + timedelta(hours=3),
    )
    tickets = _fault_calls(rng, hotline=hotline, services=_affected_services(switch, 5))
    troubleshooting_request(
        actor=hotline, ticket=tickets[-1], body="Customer says the ONT light is red; please check."
    )


def _maintenance_next_night(*, noc: User, element: NetworkElement) -> MaintenanceWindow:
    """Planned work next night, on the status page."""
    window = MaintenanceWindow.objects.create(
        title=f"Software upgrade of {element.name}",
        starts_at=timezone.now().replace(hour=2, minute=0, second=0, microsecond=0)
        + timedelta(days=1),
        ends_at=timezone.now().replace(hour=4, minute=0, second=0, microsecond=0)
        + timedelta(days=1),
        customer_description="Short interruptions of up to 15 minutes while we upgrade "
        "network equipment.",
        created_by=noc,
    )
    window.elements.add(element)
    return window
