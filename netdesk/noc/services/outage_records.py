"""Suspected outages and hints written down: a spike raised by the detector
becomes a `SuspectedOutage` (or grows one), a complaint under it joins it,
and the first complaint from a place that never had one becomes a
low-confidence hint. Called by `netdesk.noc.services.outages`."""

from __future__ import annotations

import math
from typing import Any

from django.db import transaction
from django.db.models import Q

from netdesk.network.models import Area, NetworkElement
from netdesk.network.selectors import topology
from netdesk.noc.models import Alarm, AlarmState, OutageConfidence, OutageState, SuspectedOutage
from netdesk.noc.spikes.detector import Hint, Outcome, Spike
from netdesk.noc.spikes.places import ELEMENT, Node
from netdesk.noc.spikes.scoring import poisson_tail_score
from netdesk.tickets.choices import TicketType
from netdesk.tickets.models import Ticket
from netdesk.triage.selectors import NETWORK_FAULT_CONFIDENCE

# What counts toward an outage: tickets whose type or words say network
# fault (`netdesk.triage.selectors.is_network_fault`, as a query). A
# complaint about a bill or a price rise is no symptom, whatever its type.
NETWORK_FAULTS = Q(ticket_type=TicketType.FAULT) | Q(
    triage__network_fault=True, triage__network_fault_confidence__gte=NETWORK_FAULT_CONFIDENCE
)
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


def outcome_persist(
    ticket: Ticket, outcome: Outcome, others: list[Outcome]
) -> SuspectedOutage | None:
    """Write down what the detector made of `ticket` (and of the complaints
    read from other processes before it): the outage or hint the ticket is
    part of, else None."""
    found: SuspectedOutage | None = None
    for spike in (spike for seen in [*others, outcome] for spike in seen.raised):
        outage = _outage_raise(spike)
        if outage is not None and ticket.pk in spike.ticket_ids:
            found = outage
    if found is None and outcome.joined is not None:
        found = _outage_join(outcome.joined, ticket)
    for hint in (seen.hint for seen in [*others, outcome] if seen.hint is not None):
        raised = _hint_raise(hint)
        if raised is not None and hint.ticket_id == ticket.pk:
            found = found or raised
    return found


def _scope(node: Node) -> dict[str, Any]:
    if node.kind == ELEMENT:
        return {"element_id": node.id}
    return {"element__isnull": True, "area_id": node.id}


def _outage_join(node: Node, ticket: Ticket) -> SuspectedOutage | None:
    """A complaint under an outage already raised: attach it while the NOC
    has not decided (a confirmed outage's incident takes it in through the
    incident's own linking of new tickets on its path)."""
    outage = SuspectedOutage.objects.filter(state=OutageState.OPEN, **_scope(node)).first()
    if outage is not None:
        outage.tickets.add(ticket)
    return outage


def _place_locked(node: Node) -> tuple[NetworkElement | None, Area | None]:
    """The element (with its area) or the area, locked for the outage's write."""
    if node.kind == ELEMENT:
        # No join in a locking read: PostgreSQL refuses FOR UPDATE on the
        # nullable side of an outer join.
        element = NetworkElement.objects.select_for_update().filter(pk=node.id).first()
        if element is None or element.area_id is None:
            return element, None
        return element, Area.objects.filter(pk=element.area_id).first()
    return None, Area.objects.select_for_update().filter(pk=node.id).first()


def _place_name(node: Node) -> str:
    if node.kind == ELEMENT:
        name = NetworkElement.objects.filter(pk=node.id).values_list("name", flat=True).first()
        return name or f"element {node.id}"
    area = Area.objects.filter(pk=node.id).values_list("name", flat=True).first()
    return f"area {area or node.id}"


def level_name(level: int | None) -> str:
    """A level of the network tree in words."""
    if level is None:
        return "area"
    return "core" if level == 0 else f"level {level}"


def _explain(spike: Spike, place: str, top_place: str) -> str:
    how = spike.hour_of_week
    minutes = round((spike.at - spike.window_start).total_seconds() / 60)
    odds = "beyond any baseline" if math.isinf(spike.score) else f"p ≈ 1e-{spike.score:.1f}"
    text = (
        f"{spike.complaints} network-fault tickets from {spike.customers} customers in the "
        f"last {minutes} min under {place} ({level_name(spike.level)}), where "
        f"{spike.expected:.2f} were expected on a {WEEKDAYS[how // 24]} at {how % 24:02d}:00 "
        f"({odds}; threshold 1e-{spike.threshold:.1f})."
    )
    if spike.wave is not None:
        text += (
            f" Counted under the open suspected outage at {_place_name(spike.wave)}, which runs "
            f"at {spike.wave_ratio:.1f}× its usual rate: this place stands out even from that."
        )
    if spike.top != spike.node:
        text += f" It holds {spike.share:.0%} of the excess complaints at {top_place}."
    return text


@transaction.atomic
def _outage_raise(spike: Spike) -> SuspectedOutage | None:
    """Persist a spike. The element (or area) row is locked so two processes
    raising the same spike at once make one outage; an open outage on that
    place grows instead, and so does one on a place below it that the spike
    widens (the failure is bigger than first thought)."""
    element, area = _place_locked(spike.node)
    if element is None and area is None:
        return None  # deleted since the detector learned of it
    place = str(element) if element is not None else f"area {area}"
    top_place = place if spike.top == spike.node else _place_name(spike.top)
    explanation = _explain(spike, place, top_place)
    ticket_ids = list(Ticket.objects.filter(pk__in=spike.ticket_ids).values_list("pk", flat=True))
    open_outages = SuspectedOutage.objects.filter(state=OutageState.OPEN)
    outage = open_outages.filter(**_scope(spike.node)).first()
    narrower = list(
        open_outages.filter(element_id__in=[n.id for n in spike.widens if n.kind == ELEMENT])
        .select_related("element")
        .order_by("id")
    )
    if outage is None and narrower:
        # The first narrower outage becomes this one, keeping its history.
        outage, narrower = narrower[0], narrower[1:]
        explanation += f" Widened from {outage.element}."
    if outage is None:
        outage = SuspectedOutage(raised_at=spike.at, window_start=spike.window_start)
    outage.element, outage.area = element, area
    # A hint at the place grows into the outage.
    outage.confidence = OutageConfidence.OUTAGE
    outage.level = spike.level
    outage.complaints = max(outage.complaints or 0, spike.complaints)
    outage.expected = spike.expected
    outage.score = max(outage.score or 0.0, _finite(spike.score))
    outage.explanation = explanation
    outage.save()
    for other in narrower:
        # Never decided on, and wholly inside this one: fold it in.
        ticket_ids.extend(other.tickets.values_list("pk", flat=True))
        other.delete()
    outage.tickets.add(*ticket_ids)
    return outage


def _finite(score: float) -> float:
    return score if math.isfinite(score) else 1000.0


@transaction.atomic
def _hint_raise(hint: Hint) -> SuspectedOutage | None:
    """Persist a hint, unless something explains the complaint or says the
    place is no stranger to faults: a firing alarm on its path, an earlier
    network fault from under that element (the detector's memory starts at
    its baseline and its restart), or an open outage or hint there already
    (one open hint per element)."""
    element, area = _place_locked(hint.node)
    ticket = Ticket.objects.filter(pk=hint.ticket_id).first()
    if element is None or ticket is None:
        return None
    path = [element.pk, *topology().ancestors(element.pk)]
    if Alarm.objects.filter(element_id__in=path, state=AlarmState.FIRING).exists():
        return None
    earlier = Ticket.objects.filter(
        NETWORK_FAULTS, service__access_element_id=element.pk, created_at__lt=ticket.created_at
    )
    if earlier.exists():
        return None
    if SuspectedOutage.objects.filter(state=OutageState.OPEN, element=element).exists():
        return None
    outage = SuspectedOutage.objects.create(
        element=element,
        area=area,
        confidence=OutageConfidence.HINT,
        level=hint.level,
        raised_at=hint.at,
        window_start=hint.at,
        complaints=1,
        expected=hint.expected,
        score=_finite(poisson_tail_score(1, hint.expected)),
        explanation=(
            f"The first network-fault ticket ever from under {element} "
            f"({level_name(hint.level)}), where {hint.expected:.3f} were expected in the "
            f"detector's window, and no alarm on its path. A hint, not an outage: one report may be one customer's "
            "own equipment; a second from nearby would make it likelier."
        ),
    )
    outage.tickets.add(ticket)
    return outage
