"""An alarm-detected incident's life after it opened: it goes to monitoring
when every alarm of it has cleared, and the desk resolves it after HOLD
without a new fire; a part of it that cleared while the rest still fires is
split off. The bounds the correlation keeps (MAX_SPAN, MAX_HOPS) live here
too, beside the relation that says which alarmed elements belong together.

`incidents_close_quiet` takes `now`, so the worker's minute tick and a
replay of an alarm log in simulated time drive it alike."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db import transaction

from netdesk.core.errors import ServiceError
from netdesk.network.models import NetworkElement
from netdesk.network.selectors import Topology, neighbours, topology
from netdesk.noc.models import (
    Alarm,
    AlarmState,
    DetectedBy,
    IncidentState,
    IncidentUpdate,
    NetworkIncident,
)
from netdesk.noc.selectors import ACTIVE
from netdesk.noc.services.incidents import (
    incident_create,
    incident_impact_refresh,
    incident_resolve,
    incident_update,
)
from netdesk.noc.services.root_cause import incident_root_cause_refresh
from netdesk.tickets.choices import RootCause

logger = logging.getLogger("netdesk.noc")

# Quiet this long after its last alarm cleared, an incident is over. The
# same 15 minutes as the intake's flap window: a fire sooner than that after
# a clear is the same fault coming back, later it is a new one. On the 24V
# microwave log the gaps between alarms of one device run to minutes, so a
# shorter hold would close and reopen the same fault (docs/noc.md).
HOLD = timedelta(minutes=15)
# An incident takes no new elements once this long after it started: a new
# alarm then opens a fresh incident (split_from the old one), so a busy
# region does not chain days of faults into one incident (docs/noc.md).
MAX_SPAN = timedelta(hours=4)
# Tree paths longer than this many hops do not group: a microwave chain is
# deep, and an alarm six hops below a failed hub is rarely its symptom.
MAX_HOPS = 3

MONITORING_NOTE = "Every alarm has cleared"
QUIET_NOTE = "Every alarm of this incident cleared at"


@dataclass(frozen=True)
class AlarmRow:
    """What the lifecycle reads of one alarm of an active incident."""

    pk: int
    incident_id: int
    element_id: int | None
    name: str
    state: str
    first_seen: datetime
    cleared_at: datetime | None


@dataclass
class QuietResult:
    """References of the incidents each step touched."""

    monitoring: list[str] = field(default_factory=list)
    resolved: list[str] = field(default_factory=list)
    reopened: list[str] = field(default_factory=list)
    split: list[str] = field(default_factory=list)  # the parts split off
    noted: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


def within_hops(forest: Topology, below: int, above: int) -> bool:
    """`above` is `below` or one of its upstreams at most MAX_HOPS away."""
    return above in forest.path_to_root(below)[: MAX_HOPS + 1]


def incident_parts(
    activity: Mapping[int, tuple[datetime, datetime]],
    forest: Topology,
    links: Mapping[int, frozenset[int]],
) -> list[set[int]]:
    """The parts of an incident: the connected components of its alarmed
    elements, two elements joined when one lies on the other's tree path
    within MAX_HOPS or a link joins them (the correlation's relation), and
    they were alarmed within HOLD of each other. `activity` holds, per element, its first
    alarm and its last clear (now while one fires). Time matters: an
    incident grown over hours under one root is several failures once the
    alarms that tied them together are long clear. Largest part first
    (then by smallest element id)."""
    members = set(activity)
    leader = {e: e for e in members}

    def find(e: int) -> int:
        while leader[e] != e:
            leader[e] = leader[leader[e]]
            e = leader[e]
        return e

    def together(a: int, b: int) -> bool:
        (a_start, a_end), (b_start, b_end) = activity[a], activity[b]
        return a_start <= b_end + HOLD and b_start <= a_end + HOLD

    for element_id in members:
        near = [u for u in forest.ancestors(element_id)[:MAX_HOPS] if u in members]
        near += [n for n in links.get(element_id, ()) if n in members]
        for other in near:
            if together(element_id, other):
                leader[find(other)] = find(element_id)
    groups: dict[int, set[int]] = {}
    for element_id in members:
        groups.setdefault(find(element_id), set()).add(element_id)
    return sorted(groups.values(), key=lambda g: (-len(g), min(g)))


def live_elements(incident_ids: Iterable[int], now: datetime) -> dict[int, set[int]]:
    """Per active incident, the elements with an alarm firing or cleared
    within HOLD: where a neighbour's alarm still joins it. One query."""
    found: dict[int, set[int]] = {}
    rows = (
        Alarm.objects.filter(incident_id__in=list(incident_ids), element__isnull=False)
        .exclude(state=AlarmState.CLEARED, cleared_at__lt=now - HOLD)
        .values_list("incident_id", "element_id")
        .distinct()
    )
    for incident_id, element_id in rows:
        found.setdefault(incident_id, set()).add(element_id)
    return found


def _when(at: datetime) -> str:
    return f"{at:%Y-%m-%d %H:%M:%S} UTC"


def _names(element_ids: Iterable[int], limit: int = 5) -> str:
    ids = sorted(element_ids)
    names = sorted(NetworkElement.objects.filter(pk__in=ids[:50]).values_list("name", flat=True))
    shown = ", ".join(names[:limit])
    return shown + (f" and {len(ids) - limit} more" if len(ids) > limit else "")


def _top(element_ids: Iterable[int], rows: list[AlarmRow], forest: Topology) -> int:
    """The highest element (closest to the core), the earliest alarm first
    among equals."""
    first: dict[int, datetime] = {}
    for row in sorted(rows, key=lambda r: r.first_seen):
        if row.element_id is not None:
            first.setdefault(row.element_id, row.first_seen)
    return min(element_ids, key=lambda e: (forest.depth(e), first[e], e))


def _to_monitoring(incident: NetworkIncident, last: datetime, count: int) -> None:
    incident_update(
        actor=None,
        incident=incident,
        state=IncidentState.MONITORING,
        technical_note=f"{MONITORING_NOTE} ({count} alarm(s), the last at {_when(last)}). "
        f"The desk resolves the incident at {_when(last + HOLD)} unless one fires again.",
    )


def _close(incident: NetworkIncident, last: datetime, count: int) -> None:
    incident.closed_automatically = True
    incident.save(update_fields=["closed_automatically"])
    incident_resolve(
        actor=None,
        incident=incident,
        root_cause=RootCause.UNKNOWN,
        resolved_at=max(last, incident.started_at),
        technical_note=f"Closed by the desk: all {count} alarm(s) cleared by {_when(last)} "
        f"and none fired again for {int(HOLD.total_seconds() // 60)} minutes.",
    )


def _note_quiet(incident: NetworkIncident, last: datetime, now: datetime) -> bool:
    """Incidents opened by hand or from complaints are the NOC's to close:
    they get one note per quiet spell, not a resolve."""
    note = (
        f"{QUIET_NOTE} {_when(last)} and none fired again for "
        f"{int(HOLD.total_seconds() // 60)} minutes; resolve it once the service is confirmed back."
    )
    if IncidentUpdate.objects.filter(incident=incident, technical_note=note).exists():
        return False
    IncidentUpdate.objects.create(
        incident=incident, at=now, state=incident.state, technical_note=note
    )
    return True


def _reopen_if_refired(incident: NetworkIncident, firing: list[AlarmRow]) -> bool:
    """An incident the desk put into monitoring goes back to investigating
    when one of its alarms fires again; one the NOC put there stays."""
    latest = incident.updates.order_by("-at", "-id").first()
    if latest is None or latest.author_id is not None:
        return False
    if latest.state != IncidentState.MONITORING or not latest.technical_note.startswith(
        MONITORING_NOTE
    ):
        return False
    row = max(firing, key=lambda r: r.first_seen)
    where = _names([row.element_id]) if row.element_id is not None else "an unknown element"
    incident_update(
        actor=None,
        incident=incident,
        state=IncidentState.INVESTIGATING,
        technical_note=f"{row.name} on {where} fires again: back to investigating.",
    )
    return True


def _split_off(
    incident: NetworkIncident,
    part: set[int],
    rows: list[AlarmRow],
    forest: Topology,
    now: datetime,
) -> NetworkIncident:
    """Cut a part that cleared for HOLD off its still-firing incident and
    resolve it at once. Tickets stay on the original incident."""
    part_rows = [r for r in rows if r.element_id in part]
    rest_rows = [r for r in rows if r.element_id not in part]
    last = max(r.cleared_at or r.first_seen for r in part_rows)
    top = NetworkElement.objects.get(pk=_top(part, part_rows, forest))
    first = min(part_rows, key=lambda r: r.first_seen)
    names = _names(part)
    minutes = int(HOLD.total_seconds() // 60)
    piece = incident_create(
        actor=None,
        title=f"{first.name} on {top.name}",
        detected_by=DetectedBy.ALARM,
        started_at=first.first_seen,
        root_element=top,
        technical_description=f"Split from {incident.reference}: the alarms on {names} "
        f"cleared by {_when(last)} and stayed clear for {minutes} minutes while the rest "
        "still fires.",
    )
    piece.split_from = incident
    piece.save(update_fields=["split_from"])
    Alarm.objects.filter(pk__in=[r.pk for r in part_rows]).update(incident=piece)
    _close(piece, last, len(part_rows))
    IncidentUpdate.objects.create(
        incident=incident,
        at=now,
        state=incident.state,
        technical_note=f"Split off {piece.reference}: the alarms on {names} cleared by "
        f"{_when(last)} and stayed clear for {minutes} minutes while the rest still fires.",
    )
    removed = [e for e in incident.elements.all() if e.pk in part]
    if removed:
        incident.elements.remove(*removed)
    firing = {
        r.element_id for r in rest_rows if r.state == AlarmState.FIRING and r.element_id is not None
    }
    if incident.root_element_id in part and firing:
        new_root = _top(firing, rest_rows, forest)
        old = incident.root_element
        incident.root_element_id = new_root
        incident.save(update_fields=["root_element"])
        IncidentUpdate.objects.create(
            incident=incident,
            at=now,
            state=incident.state,
            technical_note=f"Root moved from {old} to {_names([new_root])}: the part around "
            f"{old} cleared and went with {piece.reference}; this is the highest element "
            "still firing.",
        )
    incident_impact_refresh(incident=incident, now=now)
    incident_root_cause_refresh(incident=incident, now=now)
    incident_root_cause_refresh(incident=piece, now=now)
    return piece


def _split_quiet_parts(
    incident: NetworkIncident, rows: list[AlarmRow], now: datetime, result: QuietResult
) -> None:
    forest, links = topology(), neighbours()
    activity: dict[int, tuple[datetime, datetime]] = {}
    for row in rows:
        if row.element_id is None:
            continue
        end = now if row.state == AlarmState.FIRING else (row.cleared_at or row.first_seen)
        start, until = activity.get(row.element_id, (row.first_seen, end))
        activity[row.element_id] = (min(start, row.first_seen), max(until, end))
    parts = incident_parts(activity, forest, links)
    if len(parts) < 2:
        return
    for part in parts:
        part_rows = [r for r in rows if r.element_id in part]
        if any(r.state == AlarmState.FIRING for r in part_rows):
            continue
        last = max(r.cleared_at or r.first_seen for r in part_rows)
        if now - last < HOLD:
            continue
        rows = [r for r in rows if r.element_id not in part]
        piece = _split_off(incident, part, [*part_rows, *rows], forest, now)
        result.split.append(piece.reference)


ALARM_ROW_COLUMNS = ("pk", "incident_id", "element_id", "name", "state", "first_seen", "cleared_at")


def _alarm_rows(incident: NetworkIncident) -> list[AlarmRow]:
    return [AlarmRow(*values) for values in incident.alarms.values_list(*ALARM_ROW_COLUMNS)]


def _may_change(state: str, by_alarm: bool, rows: list[AlarmRow], now: datetime) -> bool:
    """Whether a pass could change an incident with these alarms: False only
    where `_incident_step` surely would not (an incident whose alarms all
    still fire, or that waits out its hold in monitoring). Judged from rows
    read without the incident's lock, so it only spares the locked pass,
    which decides again from rows read under the lock."""
    if not any(r.state == AlarmState.FIRING for r in rows):
        quiet = now - max(r.cleared_at or r.first_seen for r in rows) >= HOLD
        return quiet or (by_alarm and state != IncidentState.MONITORING)
    if not by_alarm:
        return False
    if state == IncidentState.MONITORING:
        return True  # one fires again: perhaps back to investigating
    # A part splits off only when every alarm on each of its elements has
    # been clear for HOLD: without one such element there is nothing to split.
    firing_on = {r.element_id for r in rows if r.state == AlarmState.FIRING}
    return any(
        r.element_id is not None
        and r.element_id not in firing_on
        and now - (r.cleared_at or r.first_seen) >= HOLD
        for r in rows
    )


def _incidents_to_step(now: datetime) -> list[int]:
    """The active incidents holding alarms that a pass could change, read
    with two queries. On a NOC with many open incidents most of them still
    fire: each spared incident is a transaction spared, and on SQLite a
    transaction holds the desk's one writer turn."""
    incidents = {
        pk: (state, detected_by == DetectedBy.ALARM)
        for pk, state, detected_by in NetworkIncident.objects.filter(state__in=ACTIVE).values_list(
            "pk", "state", "detected_by"
        )
    }
    rows: dict[int, list[AlarmRow]] = {}
    alarms = Alarm.objects.filter(incident__state__in=ACTIVE).values_list(*ALARM_ROW_COLUMNS)
    for values in alarms:
        row = AlarmRow(*values)
        rows.setdefault(row.incident_id, []).append(row)
    return sorted(
        pk
        for pk, (state, by_alarm) in incidents.items()
        if pk in rows and _may_change(state, by_alarm, rows[pk], now)
    )


def _incident_step(
    incident: NetworkIncident, rows: list[AlarmRow], now: datetime, result: QuietResult
) -> None:
    firing = [r for r in rows if r.state == AlarmState.FIRING]
    by_alarm = incident.detected_by == DetectedBy.ALARM
    if firing:
        monitoring = incident.state == IncidentState.MONITORING
        if by_alarm and monitoring and _reopen_if_refired(incident, firing):
            result.reopened.append(incident.reference)
        if by_alarm:
            _split_quiet_parts(incident, rows, now, result)
        return
    last = max(r.cleared_at or r.first_seen for r in rows)
    quiet = now - last >= HOLD
    if not by_alarm:
        if quiet and _note_quiet(incident, last, now):
            result.noted.append(incident.reference)
    elif quiet:
        _close(incident, last, len(rows))
        result.resolved.append(incident.reference)
    elif incident.state != IncidentState.MONITORING:
        _to_monitoring(incident, last, len(rows))
        result.monitoring.append(incident.reference)


def incidents_close_quiet(*, now: datetime) -> QuietResult:
    """One pass over the active incidents that hold alarms: to monitoring
    when all cleared, resolved by the desk after HOLD without a new fire
    (alarm-detected ones; the others get a note), back to investigating
    when one fires again, and parts that cleared for HOLD split off. Each
    incident in its own transaction, locked; one the NOC holds right now is
    left for the next pass (PostgreSQL)."""
    result = QuietResult()
    for incident_id in _incidents_to_step(now):
        try:
            with transaction.atomic():
                incident = (
                    NetworkIncident.objects.select_for_update(skip_locked=True)
                    .filter(pk=incident_id, state__in=ACTIVE)
                    .first()
                )
                if incident is None:
                    continue
                # Read under the lock: the intake attaches alarms holding it.
                _incident_step(incident, _alarm_rows(incident), now, result)
        except ServiceError as error:
            # Kept for the NOC to see in the log and the tick's result; the
            # incident is tried again on the next pass.
            result.problems.append(f"NI-{incident_id}: {error.message}")
            logger.warning("quiet incident NI-%s not closed: %s", incident_id, error.message)
    return result
