"""Alarms into incidents through the topology: alarms on elements that share
a failed upstream element, or that a link joins, become one incident on the
highest failed element, with the other alarms attached as symptoms.

The rule, for each new serious alarm on element E (highest elements first);
"on E's path" means at most MAX_HOPS upstream of E:
1. The *top* is the highest element on E's path that has a serious, stable
   alarm outside maintenance firing, or arriving in this batch (E itself if
   none above).
2. An active incident whose root lies on E's path already explains E: the
   alarm joins it. If the top is above that root, the incident is re-rooted
   to the top (the failure is bigger than first thought).
3. Otherwise an active incident with an alarm firing or cleared within HOLD
   on E itself or on a direct neighbour of E (a link) takes it: E is added
   to its elements when it lies outside the root's tree.
4. Otherwise, active incidents whose roots lie *below* the top on its path
   are explained by it: the oldest is re-rooted to the top, the others
   merged into it.
5. Otherwise a new incident opens on the top.
An incident whose span has passed MAX_SPAN takes no new alarms (and is
neither re-rooted nor merged): where it would have, a new incident opens
with `split_from` naming it. Impact is recounted whenever an incident's
root or elements change; the probable root alarm after every change
(`netdesk.noc.services.root_cause`)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

from django.db.models import Q

from netdesk.core.bulk import rows_update
from netdesk.network.models import NetworkElement
from netdesk.network.selectors import Topology, neighbours, topology
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
from netdesk.noc.services.impact_refresh import incidents_impact_refresh
from netdesk.noc.services.incident_open import incident_open_deferred, incidents_open_finish
from netdesk.noc.services.lifecycle import HOLD, MAX_HOPS, MAX_SPAN, live_elements
from netdesk.noc.services.root_cause import incidents_root_cause_refresh

# Up to this many elements below the touched roots, the unattached alarms
# are read on those elements only; beyond, all of them (one scan).
ORPHAN_FILTER_LIMIT = 5000
# Up to this many elements on and below the batch's paths, only the active
# incidents there are read; beyond (an alarm on a core router), all of them.
CANDIDATE_LIMIT = 20_000
NAMES_CHUNK = 5000


def _failed_elements(on_paths: set[int]) -> set[int]:
    """Of these elements (the batch's paths: only there is a top looked
    for), those with a serious, stable alarm firing outside maintenance."""
    return set(
        Alarm.objects.filter(
            state=AlarmState.FIRING,
            suppressed_by__isnull=True,
            is_flapping=False,
            element_id__in=sorted(on_paths),
            severity__lte=AlarmSeverity.MAJOR,
        ).values_list("element_id", flat=True)
    )


def _candidates(
    forest: Topology,
    links: Mapping[int, frozenset[int]],
    on_paths: set[int],
    failed: set[int],
    now: datetime,
) -> list[NetworkIncident]:
    """The active incidents the batch can touch, locked, in id order: those
    whose root lies on an alarm's path (rule 2) or up to MAX_HOPS below a
    failed element of it (rule 4: only a failed element is a top), those
    with a live alarm on a path or beside an alarm's element (rule 3, and
    the elements other incidents hold), and those up to MAX_HOPS below any
    of their roots (merged into one of them). The other
    active incidents cannot be touched, and a network with a thousand
    incidents open would otherwise read them all for every batch."""
    active = (
        NetworkIncident.objects.select_for_update()
        .filter(state__in=ACTIVE, root_element__isnull=False)
        .order_by("id")
    )
    reach = on_paths | forest.below_within(failed & on_paths, MAX_HOPS)
    near = set(on_paths).union(*(links.get(e, frozenset()) for e in on_paths))
    if len(reach) + len(near) > CANDIDATE_LIMIT:
        return list(active)
    live_near = (
        Alarm.objects.filter(element_id__in=sorted(near), incident__state__in=ACTIVE)
        .exclude(state=AlarmState.CLEARED, cleared_at__lt=now - HOLD)
        .values("incident_id")
    )
    found = list(active.filter(Q(root_element_id__in=sorted(reach)) | Q(pk__in=live_near)))
    more = forest.below_within({i.root_element_id or 0 for i in found}, MAX_HOPS) - reach
    if not more:
        return found
    if len(reach) + len(more) + len(near) > CANDIDATE_LIMIT:
        return list(active)
    roots = sorted(reach | more)
    return list(active.filter(Q(root_element_id__in=roots) | Q(pk__in=live_near)))


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


def _reroot(incident: NetworkIncident, top: int, now: datetime, seen: datetime) -> None:
    """Move the root up to `top`, whose alarm was first seen at `seen`."""
    old = incident.root_element
    incident.root_element_id = top
    incident.started_at = min(
        incident.started_at,
        seen,
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


@dataclass
class _Batch:
    """One batch's correlation: the topology, the incidents it may touch
    (locked), where each one's alarms are live, and what changed."""

    forest: Topology
    links: Mapping[int, frozenset[int]]
    failed: set[int]
    first_seen: dict[int, datetime]  # element -> its earliest alarm in the batch
    incidents: list[NetworkIncident]
    live: dict[int, set[int]]  # incident pk -> elements with live alarms
    now: datetime
    names: dict[int, tuple[str, str]] = field(default_factory=dict)  # element -> name, area
    touched: dict[int, NetworkIncident] = field(default_factory=dict)
    opened: list[NetworkIncident] = field(default_factory=list)
    notes: list[IncidentUpdate] = field(default_factory=list)  # written once, at the end
    up: dict[int, frozenset[int]] = field(default_factory=dict)  # element -> within MAX_HOPS up
    rerooted: set[int] = field(default_factory=set)
    outside: dict[int, set[int]] = field(default_factory=dict)  # elements beyond the root's tree

    def within(self, below: int, above: int) -> bool:
        """`above` is `below` or one of its upstreams at most MAX_HOPS away
        (`lifecycle.within_hops`, each element's walk kept for the batch:
        every alarm is compared with every candidate incident)."""
        up = self.up.get(below)
        if up is None:
            up = self.up[below] = frozenset(self.forest.path_to_root(below)[: MAX_HOPS + 1])
        return above in up

    def active(self) -> list[NetworkIncident]:
        return [i for i in self.incidents if i.state in ACTIVE]

    def open_to(self, incident: NetworkIncident, at: datetime) -> bool:
        """Still takes new alarms: its span would stay within MAX_SPAN."""
        return at - incident.started_at <= MAX_SPAN


def _match(
    batch: _Batch, alarm: Alarm, path: list[int], top: int
) -> tuple[NetworkIncident | None, str, NetworkIncident | None]:
    """The incident the alarm belongs to and how ("path", "link" or
    "below"), and the newest full incident it would have joined."""
    element = alarm.element_id
    assert element is not None
    on_path = set(path)
    near = {element, *batch.links.get(element, ())}
    full: NetworkIncident | None = None

    def holds(how: str, incident: NetworkIncident) -> bool:
        if how == "path":
            return incident.root_element_id in on_path
        if how == "link":
            return bool(near & batch.live.get(incident.pk, set()))
        return batch.within(incident.root_element_id or 0, top)

    live = batch.active()
    for how in ("path", "link", "below"):
        for incident in live:
            if not holds(how, incident):
                continue
            if batch.open_to(incident, alarm.first_seen):
                return incident, how, full
            if full is None or incident.pk > full.pk:
                full = incident
    return None, "", full


def _open(batch: _Batch, alarm: Alarm, top: int, full: NetworkIncident | None) -> NetworkIncident:
    name, area = batch.names[top]
    where = f" in {area}" if area else ""
    incident = incident_open_deferred(
        actor=None,
        title=f"{alarm.name} on {name}",
        detected_by=DetectedBy.ALARM,
        started_at=min(alarm.first_seen, batch.first_seen.get(top, alarm.first_seen)),
        root_element_id=top,
        technical_description=f"Opened from alarm {alarm.name} on {name}"
        f" ({alarm.summary or 'no summary'}).",
        customer_description=f"We are investigating a network fault{where}.",
        split_from=full,
    )
    if full is not None:
        hours = MAX_SPAN.total_seconds() / 3600
        batch.notes.append(
            IncidentUpdate(
                incident=incident,
                at=batch.now,
                state=incident.state,
                technical_note=f"Opened beside {full.reference}, which started over {hours:g}"
                " hours before this alarm and takes no new alarms.",
            )
        )
    batch.incidents.append(incident)
    batch.opened.append(incident)
    return incident


def _place(batch: _Batch, alarm: Alarm) -> NetworkIncident:
    element = alarm.element_id
    assert element is not None
    forest = batch.forest
    path = forest.path_to_root(element)[: MAX_HOPS + 1]
    top = next((e for e in reversed(path) if e in batch.failed), element)
    incident, how, full = _match(batch, alarm, path, top)
    seen = batch.first_seen.get(top, alarm.first_seen)
    if incident is None:
        # Failed elements another incident holds stay with it: this one
        # opens on the highest free one.
        held = set().union(*(batch.live.get(i.pk, set()) for i in batch.active()))
        free = next((e for e in reversed(path) if e in batch.failed and e not in held), element)
        return _open(batch, alarm, free, full)
    root_id = incident.root_element_id
    assert root_id is not None
    # "below": the top is above the root by the match itself.
    if top != root_id and (how == "below" or (how == "path" and top in forest.ancestors(root_id))):
        _reroot(incident, top, batch.now, seen)
        batch.rerooted.add(incident.pk)
    elif how == "link" and incident.root_element_id not in forest.path_to_root(element):
        batch.outside.setdefault(incident.pk, set()).add(element)
    return incident


def _merge_below(batch: _Batch, incident: NetworkIncident, at: datetime) -> None:
    """Other incidents now under this one's root are the same failure."""
    root = incident.root_element_id or 0
    for other in batch.active():
        if other.pk == incident.pk or not batch.open_to(other, at):
            continue
        if batch.within(other.root_element_id or 0, root):
            _merge(incident, other, batch.now)
            batch.live.setdefault(incident.pk, set()).update(batch.live.pop(other.pk, set()))


def _symptoms(batch: _Batch) -> dict[int, int]:
    """Firing alarms no incident holds yet, up to MAX_HOPS below a touched
    root: alarm id -> the incident that takes it (the last one touched,
    where two roots lie above it). Read only on the elements that can be
    below those roots."""
    roots: dict[int, int] = {}
    for incident_pk, incident in batch.touched.items():
        roots[incident.root_element_id or 0] = incident_pk
    order = {pk: n for n, pk in enumerate(batch.touched)}
    below = batch.forest.below_within(roots, MAX_HOPS)
    orphans = Alarm.objects.filter(
        state=AlarmState.FIRING, incident__isnull=True, element__isnull=False
    )
    if len(below) <= ORPHAN_FILTER_LIMIT:
        orphans = orphans.filter(element_id__in=sorted(below))
    taken: dict[int, int] = {}
    for alarm_id, element_id in orphans.values_list("id", "element_id"):
        over = [
            roots[e] for e in batch.forest.path_to_root(element_id)[: MAX_HOPS + 1] if e in roots
        ]
        if over:
            taken[alarm_id] = max(over, key=order.__getitem__)
    return taken


def _attach(batch: _Batch, alarms: list[Alarm]) -> None:
    """Write where each alarm went and the symptoms each touched incident
    takes, then finish the opened incidents and recount the impact of those
    whose root or elements changed: a fixed number of queries, however many
    incidents the batch opened."""
    taken = _symptoms(batch)
    for alarm in alarms:
        if alarm.incident is not None:
            # Placed in an incident this batch then merged: the one it went into.
            taken[alarm.pk] = (alarm.incident.merged_into or alarm.incident).pk
    rows_update(
        Alarm,
        [Alarm(pk=alarm_id, incident_id=incident_pk) for alarm_id, incident_pk in taken.items()],
        ["incident"],
    )
    for incident_pk, outside in batch.outside.items():
        batch.touched[incident_pk].elements.add(*outside)
    incidents_open_finish(incidents=batch.opened, actor=None)
    IncidentUpdate.objects.bulk_create(batch.notes)
    opened = {i.pk for i in batch.opened}
    changed = [
        incident
        for pk, incident in batch.touched.items()
        if pk not in opened and (pk in batch.rerooted or pk in batch.outside)
    ]
    incidents_impact_refresh(incidents=changed, now=batch.now)
    incidents_root_cause_refresh(incidents=list(batch.touched.values()), now=batch.now)


def _names(element_ids: set[int]) -> dict[int, tuple[str, str]]:
    """Name and area of each element an incident may open on: the failed
    ones (an incident opens on the highest failed element, or the alarm's
    own, which is failed too)."""
    found: dict[int, tuple[str, str]] = {}
    ids = sorted(element_ids)
    for start in range(0, len(ids), NAMES_CHUNK):
        rows = NetworkElement.objects.filter(pk__in=ids[start : start + NAMES_CHUNK])
        for pk, name, area in rows.values_list("id", "name", "area__name"):
            found[pk] = (name, area or "")
    return found


def alarms_correlate(*, alarms: list[Alarm], now: datetime) -> list[str]:
    """Attach the alarms (firing, or come and gone within the batch) to
    incidents, opening, re-rooting or merging as the topology says. Returns
    the references of the incidents touched."""
    forest = topology()
    first_seen: dict[int, datetime] = {}
    for alarm in alarms:
        if alarm.element_id is not None:
            seen = first_seen.get(alarm.element_id)
            first_seen[alarm.element_id] = min(seen or alarm.first_seen, alarm.first_seen)
    on_paths = {e for element in first_seen for e in forest.path_to_root(element)[: MAX_HOPS + 1]}
    links = neighbours()
    failed = _failed_elements(on_paths) | set(first_seen)
    # Locked: the NOC may resolve one of them while these alarms are placed.
    incidents = _candidates(forest, links, on_paths, failed, now)
    batch = _Batch(
        forest=forest,
        links=links,
        failed=failed,
        names=_names(failed),
        first_seen=first_seen,
        incidents=incidents,
        live=live_elements([i.pk for i in incidents], now),
        now=now,
    )
    for alarm in sorted(alarms, key=lambda a: (forest.depth(a.element_id or 0), a.first_seen)):
        assert alarm.element_id is not None
        incident = _place(batch, alarm)
        _merge_below(batch, incident, alarm.first_seen)
        alarm.incident = incident
        batch.touched[incident.pk] = incident
        batch.live.setdefault(incident.pk, set()).add(alarm.element_id)
    _attach(batch, alarms)
    return sorted(i.reference for i in batch.touched.values())
