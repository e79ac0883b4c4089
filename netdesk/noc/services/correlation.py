"""Alarms into incidents through the topology: alarms on elements that share
a failed upstream element become one incident on the highest failed element,
with the alarms below it attached as symptoms.

The rule, for each new serious alarm on element E (highest elements first):
1. The *top* is the highest element on E's path to the core that has a
   firing, serious, stable alarm outside maintenance (E itself if none above).
2. An active incident whose root lies on E's path already explains E: the
   alarm joins it. If the top is above that root, the incident is re-rooted
   to the top (the failure is bigger than first thought).
3. Otherwise, active incidents whose roots lie *below* the top are explained
   by it: the oldest is re-rooted to the top, the others merged into it.
4. Otherwise a new incident opens on the top.
Impact is recounted whenever an incident's root changes."""

from __future__ import annotations

from datetime import datetime

from netdesk.network.models import NetworkElement
from netdesk.network.selectors import topology
from netdesk.noc.models import (
    Alarm,
    AlarmSeverity,
    AlarmState,
    DetectedBy,
    IncidentState,
    IncidentTicket,
    IncidentUpdate,
    NetworkIncident,
)
from netdesk.noc.selectors import ACTIVE
from netdesk.noc.services.incidents import incident_create, incident_impact_refresh


def _failed_elements() -> set[int]:
    return set(
        Alarm.objects.filter(
            state=AlarmState.FIRING,
            suppressed_by__isnull=True,
            is_flapping=False,
            element__isnull=False,
            severity__lte=AlarmSeverity.MAJOR,
        ).values_list("element_id", flat=True)
    )


def _merge(into: NetworkIncident, other: NetworkIncident, now: datetime) -> None:
    """Fold an incident explained by a higher failure into that one."""
    Alarm.objects.filter(incident=other).update(incident=into)
    live = IncidentTicket.objects.filter(incident=other, unlinked_at__isnull=True)
    already = set(
        IncidentTicket.objects.filter(incident=into, unlinked_at__isnull=True).values_list(
            "ticket_id", flat=True
        )
    )
    live.exclude(ticket_id__in=already).update(incident=into)
    live.filter(ticket_id__in=already).update(
        unlinked_at=now, unlink_reason=f"merged into {into.reference}"
    )
    other.state, other.resolved_at = IncidentState.RESOLVED, now
    other.root_cause = ""
    other.merged_into = into
    other.save(update_fields=["state", "resolved_at", "root_cause", "merged_into"])
    # One failure: it began, and the NOC knew of it, with its earliest part.
    if other.started_at < into.started_at or other.detected_at < into.detected_at:
        into.started_at = min(into.started_at, other.started_at)
        into.detected_at = min(into.detected_at, other.detected_at)
        into.save(update_fields=["started_at", "detected_at"])
    IncidentUpdate.objects.create(
        incident=other,
        at=now,
        state=other.state,
        technical_note=f"Merged into {into.reference}: the same failure seen higher up.",
    )


def _reroot(incident: NetworkIncident, top: int, now: datetime) -> None:
    old = incident.root_element
    incident.root_element_id = top
    incident.started_at = min(
        incident.started_at,
        Alarm.objects.filter(element_id=top, state=AlarmState.FIRING)
        .order_by("first_seen")
        .values_list("first_seen", flat=True)
        .first()
        or incident.started_at,
    )
    incident.save(update_fields=["root_element", "started_at"])
    new = NetworkElement.objects.get(pk=top)
    IncidentUpdate.objects.create(
        incident=incident,
        at=now,
        state=incident.state,
        technical_note=f"Root moved from {old} to {new}: it has failed too and is higher up.",
    )


def alarms_correlate(*, alarms: list[Alarm], now: datetime) -> list[str]:
    """Attach the alarms to incidents, opening, re-rooting or merging as the
    topology says. Returns the references of the incidents touched."""
    forest = topology()
    failed = _failed_elements()
    # Locked: the NOC may resolve one of them while these alarms are placed.
    incidents = list(
        NetworkIncident.objects.select_for_update()
        .filter(state__in=ACTIVE, root_element__isnull=False)
        .order_by("id")
    )
    touched: dict[int, NetworkIncident] = {}
    rerooted: set[int] = set()
    for alarm in sorted(alarms, key=lambda a: forest.depth(a.element_id or 0)):
        assert alarm.element_id is not None
        path = forest.path_to_root(alarm.element_id)
        on_path = set(path)
        top = next((e for e in reversed(path) if e in failed), alarm.element_id)
        live = [i for i in incidents if i.state in ACTIVE]
        explaining = next((i for i in live if i.root_element_id in on_path), None)
        if explaining is not None:
            root_id = explaining.root_element_id
            assert root_id is not None
            if top != root_id and top in forest.ancestors(root_id):
                _reroot(explaining, top, now)
                rerooted.add(explaining.pk)
            incident = explaining
        else:
            top_path_of = {i.pk: forest.path_to_root(i.root_element_id or 0) for i in live}
            below = [i for i in live if top in top_path_of[i.pk]]
            if below:
                incident = below[0]
                _reroot(incident, top, now)
                rerooted.add(incident.pk)
            else:
                element = NetworkElement.objects.select_related("area").get(pk=top)
                where = f" in {element.area}" if element.area else ""
                incident = incident_create(
                    actor=None,
                    title=f"{alarm.name} on {element.name}",
                    detected_by=DetectedBy.ALARM,
                    started_at=alarm.first_seen,
                    root_element=element,
                    technical_description=f"Opened from alarm {alarm.name} on {element.name}"
                    f" ({alarm.summary or 'no summary'}).",
                    customer_description=f"We are investigating a network fault{where}.",
                )
                incidents.append(incident)
        # Other incidents now under this one's root are the same failure.
        root = incident.root_element_id
        for other in [i for i in incidents if i.state in ACTIVE and i.pk != incident.pk]:
            if root in forest.path_to_root(other.root_element_id or 0):
                _merge(incident, other, now)
        alarm.incident = incident
        touched[incident.pk] = incident
    orphans = list(
        Alarm.objects.filter(
            state=AlarmState.FIRING, incident__isnull=True, element__isnull=False
        ).values_list("id", "element_id")
    )
    for incident_pk, incident in touched.items():
        ids = [a.pk for a in alarms if a.incident is incident]
        # Firing alarms below the root that no incident holds yet are symptoms.
        subtree = forest.subtree([incident.root_element_id or 0])
        ids += [pk for pk, element_id in orphans if element_id in subtree]
        Alarm.objects.filter(pk__in=ids).update(incident=incident)
        if incident_pk in rerooted:
            incident_impact_refresh(incident=incident, now=now)
    return sorted(i.reference for i in touched.values())
