"""Alarm intake: every source (Alertmanager, generic JSON, SNMP traps,
syslog) hands parsed alarms to `alarms_ingest`, in batches.

Per batch, whatever its size: one lookup of the firing alarms by
fingerprint, one of the recently cleared ones (flapping), the maintenance
windows running now, then bulk writes. Alarms that are new, serious, stable
and outside maintenance are correlated into network incidents through the
topology (`netdesk.noc.services.correlation`), those that fired and cleared
within the batch too: a fault that came and went is still a fault. A fire
after its incident was resolved is a new alarm, so it opens a new incident;
a fire within the flap window while its incident is still active (e.g.
monitoring) is a flap and rejoins that incident."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.db import connection, transaction
from django.utils import timezone

from netdesk.core.bulk import insert_rows, rows_update
from netdesk.core.memo import Memo
from netdesk.network.models import NetworkElement
from netdesk.network.selectors import topology
from netdesk.noc.models import (
    Alarm,
    AlarmSeverity,
    AlarmState,
    IncidentState,
    MaintenanceWindow,
    RejectedInput,
)
from netdesk.noc.services.correlation import alarms_correlate

logger = logging.getLogger("netdesk.noc")
# A fire within this long of the same alarm clearing is a flap, not a new alarm.
FLAP_WINDOW = timedelta(minutes=15)
# This many flaps and the alarm is marked flapping: kept, but it no longer
# opens or grows incidents until it settles.
FLAP_THRESHOLD = 3
MAX_TEXT = 500
NEW_ROW_FIELDS = (
    "fingerprint", "source", "element", "element_ref", "name", "severity", "summary", "labels",
    "state", "first_seen", "last_seen", "cleared_at", "occurrences", "suppressed_by",
)  # fmt: skip
NEW_ROW_ATTRIBUTES = tuple(
    f"{name}_id" if name in ("element", "suppressed_by") else name for name in NEW_ROW_FIELDS
)


@dataclass(frozen=True)
class AlarmIn:
    """One alarm as a source reported it, already parsed."""

    source: str  # AlarmSource value
    name: str  # alarm type, e.g. "LinkDown"
    element_ref: str  # element name, management IP or external id
    severity: int  # AlarmSeverity value (1 critical … 5 info)
    firing: bool  # False: the source says it cleared
    at: datetime  # aware
    summary: str = ""
    labels: dict[str, str] = field(default_factory=dict)
    fingerprint: str = ""  # empty: derived from source, element_ref and name

    def key(self) -> str:
        return (self.fingerprint or f"{self.source}:{self.element_ref}:{self.name}")[:200]


@dataclass
class IngestResult:
    received: int = 0
    new: int = 0
    repeated: int = 0
    cleared: int = 0
    unmatched_clears: int = 0
    suppressed: int = 0
    flapping: int = 0
    unknown_elements: int = 0
    incidents: list[str] = field(default_factory=list)  # references opened or grown


def _element_refs() -> dict[str, int]:
    index: dict[str, int] = {}
    has_external = any(f.name == "external_id" for f in NetworkElement._meta.fields)
    columns = ["id", "name", "management_ip"] + (["external_id"] if has_external else [])
    for element_id, *refs in NetworkElement.objects.order_by().values_list(*columns):
        for ref in refs:
            if ref:
                index.setdefault(str(ref), element_id)
    return index


# A flood of alarms must not read 100,000 elements per batch.
_element_refs_memo: Memo[dict[str, int]] = Memo(_element_refs, depends_on=[NetworkElement])


def element_index() -> dict[str, int]:
    """Element id by name, management IP and external id."""
    return _element_refs_memo.get()


def _resolve(ref: str, index: dict[str, int]) -> int | None:
    if ref in index:
        return index[ref]
    found = NetworkElement.objects.filter(name=ref).values_list("id", flat=True).first()
    if found is not None:
        index[ref] = found  # created since the cache was built
    return found


def _maintenance_now(at: datetime) -> dict[int, int]:
    """Element id → the maintenance window covering it now (the window's
    elements, everything below them, and every element in its areas)."""
    windows = list(
        MaintenanceWindow.objects.filter(starts_at__lte=at, ends_at__gt=at).prefetch_related(
            "elements", "areas"
        )
    )
    if not windows:
        return {}
    forest = topology()
    covered: dict[int, int] = {}
    for window in windows:
        roots = [e.pk for e in window.elements.all()]
        for element_id in forest.subtree(roots):
            covered.setdefault(element_id, window.pk)
        areas = [a.pk for a in window.areas.all()]
        if areas:
            in_areas = NetworkElement.objects.filter(area_id__in=areas).values_list("id", flat=True)
            for element_id in in_areas:
                covered.setdefault(element_id, window.pk)
    return covered


def _merge_batch(alarms: Sequence[AlarmIn]) -> dict[str, tuple[AlarmIn, int, AlarmIn]]:
    """Fingerprint → (first report, how many, last report) within the batch."""
    merged: dict[str, tuple[AlarmIn, int, AlarmIn]] = {}
    for alarm in sorted(alarms, key=lambda a: a.at):
        key = alarm.key()
        if key in merged:
            first, count, _ = merged[key]
            merged[key] = (first, count + 1, alarm)
        else:
            merged[key] = (alarm, 1, alarm)
    return merged


@dataclass
class _Intake:
    """One batch on its way in: the alarms stored under its fingerprints, and
    what it will write."""

    result: IngestResult
    firing: dict[str, Alarm]
    recently_cleared: dict[str, Alarm]
    index: dict[str, int]  # element id by name, management IP, external id
    maintenance: dict[int, int]  # element id -> maintenance window
    correlated: list[Alarm] = field(default_factory=list)  # new rows to correlate
    plain: list[tuple[Any, ...]] = field(default_factory=list)  # other new rows, as NEW_ROW_FIELDS
    changed: list[Alarm] = field(default_factory=list)
    refired: list[Alarm] = field(default_factory=list)


def _stored(fingerprints: list[str], now: datetime) -> tuple[dict[str, Alarm], dict[str, Alarm]]:
    """The firing alarms of these fingerprints, and those that cleared
    within FLAP_WINDOW (a fire now is a flap)."""
    # Their labels are not needed here, and decoding a thousand costs.
    stored = Alarm.objects.defer("labels")
    firing = {
        a.fingerprint: a
        for a in stored.filter(fingerprint__in=fingerprints, state=AlarmState.FIRING)
    }
    recently_cleared: dict[str, Alarm] = {}
    for alarm in (
        stored.filter(
            fingerprint__in=[k for k in fingerprints if k not in firing],
            state=AlarmState.CLEARED,
            cleared_at__gte=now - FLAP_WINDOW,
        )
        # Its incident resolved, the fault is over: a fire now is a new alarm.
        .exclude(incident__state=IncidentState.RESOLVED)
        .order_by("cleared_at")
    ):
        recently_cleared[alarm.fingerprint] = alarm
    return firing, recently_cleared


def _new_row(
    intake: _Intake, key: str, first: AlarmIn, count: int, last: AlarmIn, *, cleared: bool
) -> None:
    """A fingerprint seen for the first time (or again after its incident
    was resolved): one row, firing, or cleared when it came and went within
    the batch."""
    result = intake.result
    element_id = _resolve(first.element_ref, intake.index) if first.element_ref else None
    result.unknown_elements += int(element_id is None)
    window = intake.maintenance.get(element_id) if element_id is not None else None
    result.suppressed += int(window is not None)
    shown = first if cleared else last
    values = (
        key,
        first.source,
        element_id,
        first.element_ref[:200],
        first.name[:200],
        first.severity if cleared else min(first.severity, last.severity),
        shown.summary[:MAX_TEXT],
        shown.labels,
        AlarmState.CLEARED if cleared else AlarmState.FIRING,
        first.at,
        last.at,
        last.at if cleared else None,
        count - 1 if cleared else count,
        window,
    )
    # Only the rows to correlate become model instances (they need their
    # ids back); in a storm most new rows are minor and go in as values.
    if element_id is not None and window is None and values[5] <= AlarmSeverity.MAJOR:
        intake.correlated.append(Alarm(**dict(zip(NEW_ROW_ATTRIBUTES, values, strict=True))))
    else:
        intake.plain.append(values)
    result.new += 1


def _take_clear(intake: _Intake, key: str, first: AlarmIn, count: int, last: AlarmIn) -> None:
    result = intake.result
    existing = intake.firing.get(key)
    if existing is None and first.firing:
        # Raised and cleared within one batch (a short flap): kept, cleared,
        # and correlated like any new alarm.
        _new_row(intake, key, first, count, last, cleared=True)
        result.cleared += 1
        return
    if existing is None:
        result.unmatched_clears += 1
        return
    existing.state, existing.cleared_at, existing.last_seen = (
        AlarmState.CLEARED,
        last.at,
        last.at,
    )
    intake.changed.append(existing)
    result.cleared += 1


def _take_fire(intake: _Intake, key: str, first: AlarmIn, count: int, last: AlarmIn) -> None:
    result = intake.result
    existing = intake.firing.get(key)
    if existing is not None:
        existing.occurrences += count
        existing.last_seen = max(existing.last_seen, last.at)
        existing.severity = min(existing.severity, last.severity)
        intake.changed.append(existing)
        result.repeated += count
        return
    previous = intake.recently_cleared.get(key)
    if previous is not None:
        previous.state, previous.cleared_at = AlarmState.FIRING, None
        previous.flaps += 1
        previous.occurrences += count
        previous.last_seen = last.at
        previous.is_flapping = previous.flaps >= FLAP_THRESHOLD
        result.repeated += count - 1
        intake.changed.append(previous)
        result.flapping += int(previous.is_flapping)
        if not previous.is_flapping:
            intake.refired.append(previous)
        return
    _new_row(intake, key, first, count, last, cleared=False)
    result.repeated += count - 1


CHANGED_FIELDS = [
    "state",
    "cleared_at",
    "last_seen",
    "occurrences",
    "severity",
    "flaps",
    "is_flapping",
]


def _changed_values(alarm: Alarm, names: list[str]) -> list[Any]:
    """CHANGED_FIELDS' column values: in a storm most of a batch is repeats,
    and Django's per-field preparation cost more than the UPDATEs."""
    del names  # always CHANGED_FIELDS
    at = connection.ops.adapt_datetimefield_value
    cleared = at(alarm.cleared_at) if alarm.cleared_at is not None else None
    return [
        alarm.state,
        cleared,
        at(alarm.last_seen),
        alarm.occurrences,
        alarm.severity,
        alarm.flaps,
        alarm.is_flapping,
    ]


def _correlates(alarm: Alarm) -> bool:
    """Serious, on a known element, outside maintenance, in no incident yet."""
    return (
        alarm.element_id is not None
        and alarm.suppressed_by_id is None
        and alarm.severity <= AlarmSeverity.MAJOR
        and alarm.incident_id is None
    )


def _insert(intake: _Intake) -> None:
    """Store the new rows. Only those to correlate need their ids back;
    the rest go in with one prepared INSERT, which costs a fraction of what
    the ORM spends compiling SQL per row."""
    Alarm.objects.bulk_create(intake.correlated, batch_size=1000)
    insert_rows(Alarm, NEW_ROW_FIELDS, intake.plain)


@transaction.atomic
def alarms_ingest(*, alarms: Sequence[AlarmIn], now: datetime | None = None) -> IngestResult:
    """Take a batch of alarms in: deduplicate by fingerprint, apply clears,
    detect flapping, honour maintenance windows, then correlate."""
    now = now or timezone.now()
    result = IngestResult(received=len(alarms))
    if not alarms:
        return result
    merged = _merge_batch(alarms)
    firing, recently_cleared = _stored(list(merged), now)
    intake = _Intake(result, firing, recently_cleared, element_index(), _maintenance_now(now))
    for key, (first, count, last) in merged.items():
        take = _take_fire if last.firing else _take_clear
        take(intake, key, first, count, last)
    _insert(intake)
    rows_update(Alarm, intake.changed, CHANGED_FIELDS, values=_changed_values)
    # New rows, momentary ones included; re-fires that are not flapping.
    candidates = [*intake.correlated, *(a for a in intake.refired if _correlates(a))]
    if candidates:
        result.incidents = alarms_correlate(alarms=candidates, now=now)
    return result


def input_reject(*, source: str, reason: str, excerpt: str = "", peer: str = "") -> None:
    """Keep input that could not be used, with the reason, for the NOC to see."""
    RejectedInput.objects.create(
        source=source,
        reason=reason[:300],
        excerpt=excerpt[:1000],
        peer=peer[:100],
        at=timezone.now(),
    )
    logger.info("rejected %s input from %s: %s", source, peer or "?", reason)
