"""Suspected outages from customer complaints: every new fault ticket is
shown to the spike detector (`complaint_observe`), a spike becomes a
suspected outage for the NOC, which confirms it into a network incident or
dismisses it; dismissals raise that element's threshold. Baselines are
learned from ticket history (`netdesk.noc.services.baselines`).

The detector's window lives in each process's memory; every process reads
the complaints the others took in from the database every few seconds, so
a desk with several web processes still counts every complaint, and a
restarted process starts from the last window instead of from nothing.
Its baselines, the NOC's decisions and the topology are a memo
(`netdesk.core.memo`): a change to any of them, in any process, reaches the
detector at its next complaint."""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from time import monotonic

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from netdesk.accounts.models import User
from netdesk.accounts.permissions import Action, require
from netdesk.core.errors import TransitionNotAllowed, ValidationFailed
from netdesk.core.memo import Memo, data_changed
from netdesk.customers.models import Service
from netdesk.network.models import Area, NetworkElement
from netdesk.network.selectors import Topology, topology
from netdesk.noc.models import (
    ComplaintBaseline,
    DetectedBy,
    NetworkIncident,
    OutageState,
    SuspectedOutage,
)
from netdesk.noc.services.incidents import incident_create, incident_link_ticket
from netdesk.noc.services.outage_records import NETWORK_FAULTS, outcome_persist
from netdesk.noc.spikes.baselines import Baseline
from netdesk.noc.spikes.detector import NOTHING, Complaint, Outcome, SpikeDetector
from netdesk.noc.spikes.places import Node, PathIndex, area_node, element_node
from netdesk.noc.spikes.scoring import (
    HOURS_OF_WEEK,
    SpikeSettings,
    dismissal_offset,
)
from netdesk.tickets.models import Ticket
from netdesk.triage.selectors import is_network_fault

logger = logging.getLogger("netdesk.noc")

# How often a process reads the complaints other processes took in, and how
# far back it reads again (a ticket commits a moment after its created_at).
SYNC_SECONDS = 10.0
SYNC_OVERLAP = timedelta(seconds=60)
SYNC_LIMIT = 5000
# Dismissals older than this, or before the node's last confirmed outage,
# no longer raise its threshold.
FEEDBACK_DAYS = 90


def spike_settings() -> SpikeSettings:
    """The detector's settings: defaults, overridden by NETDESK_SPIKES."""
    given = dict(getattr(settings, "NETDESK_SPIKES", {}))
    if "level_thresholds" in given:
        given["level_thresholds"] = tuple(float(t) for t in given["level_thresholds"])
    return SpikeSettings(**given)


# the detector of this process ---------------------------------------------------


@dataclass
class _Detector:
    spikes: SpikeDetector
    forest: Topology
    synced_until: datetime
    # Off until baselines were learned: on a busy desk the floor alone
    # would make every busy element look like an outage.
    learned: bool = False
    synced_at: float = 0.0


_lock = threading.Lock()


def complaint_detector_reset() -> None:
    """Forget this process's detector, as a restart would; the next
    complaint builds it again from the database (baselines, NOC decisions,
    the last window)."""
    with _lock:
        _detector_memo.forget()


def _baseline_load(spike: SpikeSettings) -> Baseline:
    means: dict[Node, float] = {}
    shapes: dict[Node, tuple[float, ...]] = {}
    profile: tuple[float, ...] = (1.0,) * HOURS_OF_WEEK
    rows = ComplaintBaseline.objects.filter(bucket_minutes=spike.bucket_minutes).values_list(
        "element_id", "area_id", "mean_rate", "hourly_rates"
    )
    for element_id, area_id, mean_rate, hourly_rates in rows.iterator(chunk_size=5000):
        if element_id is None and area_id is None:
            if len(hourly_rates) == HOURS_OF_WEEK:
                profile = tuple(float(rate) for rate in hourly_rates)
            continue
        node = element_node(element_id) if element_id is not None else area_node(area_id)
        means[node] = mean_rate
        if len(hourly_rates) == HOURS_OF_WEEK:
            shapes[node] = tuple(float(rate) for rate in hourly_rates)
    empty = Baseline.empty(spike)
    return Baseline(
        bucket_minutes=spike.bucket_minutes,
        profile=profile,
        means=means,
        shapes=shapes,
        floor=empty.floor,
    )


def _outage_node(element_id: int | None, area_id: int | None) -> Node | None:
    if element_id is not None:
        return element_node(element_id)
    if area_id is not None:
        return area_node(area_id)
    return None


def _threshold_offsets(spike: SpikeSettings, now: datetime) -> dict[Node, float]:
    """Dismissals by the NOC since each node's last confirmed outage, within
    FEEDBACK_DAYS, each worth one step of threshold."""
    dismissals: dict[Node, int] = {}
    decisions = (
        SuspectedOutage.objects.filter(
            decided_at__gte=now - timedelta(days=FEEDBACK_DAYS),
            decided_by__isnull=False,
            state__in=[OutageState.CONFIRMED, OutageState.DISMISSED],
        )
        .order_by("decided_at", "id")
        .values_list("element_id", "area_id", "state")
    )
    for element_id, area_id, state in decisions:
        node = _outage_node(element_id, area_id)
        if node is None:
            continue
        dismissals[node] = dismissals.get(node, 0) + 1 if state == OutageState.DISMISSED else 0
    return {node: dismissal_offset(count, spike) for node, count in dismissals.items() if count}


def _detector_build() -> _Detector:
    now = timezone.now()
    spike = spike_settings()
    forest = topology()
    return _Detector(
        spikes=SpikeDetector(
            baseline=_baseline_load(spike),
            paths=PathIndex(forest.ancestors),
            tz=timezone.get_default_timezone(),
            settings=spike,
            threshold_offsets=_threshold_offsets(spike, now),
        ),
        forest=forest,
        synced_until=now - timedelta(seconds=spike.window_seconds),
        learned=ComplaintBaseline.objects.exists(),
    )


def _detector_refresh(current: _Detector) -> _Detector:
    """New baselines, NOC decisions or topology, keeping the window."""
    spikes = current.spikes
    spikes.baseline = _baseline_load(spikes.settings)
    current.learned = ComplaintBaseline.objects.exists()
    offsets = _threshold_offsets(spikes.settings, timezone.now())
    for node in set(offsets) | set(spikes.threshold_offsets):
        spikes.set_threshold_offset(node, offsets.get(node, 0.0))
    forest = topology()
    if forest is not current.forest:
        current.forest = forest
        spikes.use_paths(PathIndex(forest.ancestors))
    return current


# Baselines are replaced by `baselines_learn`, the NOC's decisions are
# suspected outages confirmed or dismissed (raising one changes neither).
_detector_memo: Memo[_Detector] = Memo(
    _detector_build,
    depends_on=[ComplaintBaseline, SuspectedOutage, NetworkElement],
    refresh=_detector_refresh,
)


def _detector() -> _Detector:
    """This process's detector; called with _lock held."""
    return _detector_memo.get()


def _complaints_since(since: datetime) -> Iterator[Complaint]:
    rows = (
        Ticket.objects.filter(NETWORK_FAULTS, created_at__gte=since, service__isnull=False)
        .order_by("created_at", "id")
        .values_list(
            "id", "created_at", "customer_id", "service__access_element_id", "service__area_id"
        )[:SYNC_LIMIT]
    )
    for ticket_id, created_at, customer_id, element_id, area_id in rows:
        yield Complaint(ticket_id, created_at, customer_id, element_id, area_id)


def _sync(current: _Detector) -> list[Outcome]:
    """Observe the complaints other processes took in since the last read."""
    tick = monotonic()
    if tick - current.synced_at < SYNC_SECONDS:
        return []
    current.synced_at = tick
    outcomes = []
    for complaint in _complaints_since(current.synced_until - SYNC_OVERLAP):
        current.synced_until = max(current.synced_until, complaint.at)
        outcome = current.spikes.observe(complaint)
        if outcome.raised or outcome.hint is not None:
            outcomes.append(outcome)
    return outcomes


# observing a ticket -------------------------------------------------------------


def _placement(ticket: Ticket) -> tuple[int | None, int | None]:
    """The ticket's access element and area, from the service already in
    hand when the ticket was just created (else one small query)."""
    if Ticket.service.is_cached(ticket):
        service = ticket.service
        if service is None:
            return None, None
        return service.access_element_id, service.area_id
    if ticket.service_id is None:
        return None, None
    found = (
        Service.objects.filter(pk=ticket.service_id)
        .values_list("access_element_id", "area_id")
        .first()
    )
    return found if found is not None else (None, None)


def complaint_observe(*, ticket: Ticket) -> SuspectedOutage | None:
    """Show a new ticket to the spike detector. Returns the suspected outage
    this raised or attached the ticket to (or the hint it raised), else None.
    Network faults on a known service count (their type is fault, or triage
    says their words describe a loss of service); anything else, a ticket
    already seen, or one older than the detector's window, is ignored;
    nothing is detected before baselines were learned (`netdesk outages
    learn`). A fault costs no query unless something is raised, joined or
    hinted (and one read every SYNC_SECONDS); a ticket of another type one,
    for its triage suggestion. Called from ticket creation: a failure here
    is logged, never passed on."""
    if ticket.service_id is None:
        return None
    try:
        if not is_network_fault(ticket):
            return None
        outcome, others = _detect(ticket)
        if not (outcome.raised or outcome.joined or outcome.hint or others):
            return None
        with transaction.atomic():
            return outcome_persist(ticket, outcome, others)
    except Exception:
        logger.exception("complaint-spike detection failed on ticket %s", ticket.pk)
        return None


def _detect(ticket: Ticket) -> tuple[Outcome, list[Outcome]]:
    element_id, area_id = _placement(ticket)
    if element_id is None and area_id is None:
        return NOTHING, []
    with _lock:
        current = _detector()
        if not current.learned:
            return NOTHING, []
        others = _sync(current)
        outcome = current.spikes.observe(
            Complaint(ticket.pk, ticket.created_at, ticket.customer_id, element_id, area_id)
        )
    return outcome, others


# the NOC's decisions -----------------------------------------------------------


def _lock_open(outage: SuspectedOutage) -> SuspectedOutage:
    locked = SuspectedOutage.objects.select_for_update().get(pk=outage.pk)
    if locked.state != OutageState.OPEN:
        raise TransitionNotAllowed(
            f"This suspected outage was already {locked.get_state_display().lower()}.",
            field="state",
            value=locked.state,
            accepted=[OutageState.OPEN],
        )
    return locked


@transaction.atomic
def outage_confirm(
    *, actor: User, outage: SuspectedOutage, title: str, customer_description: str = ""
) -> NetworkIncident:
    """The NOC agrees: open a network incident detected by complaints, on the
    outage's element, with the outage's tickets as its children."""
    require(actor, Action.OUTAGE_DECIDE)
    outage = _lock_open(outage)
    tickets = list(Ticket.objects.filter(pk__in=outage.tickets.values("pk")).order_by("created_at"))
    started_at = min([outage.window_start, *(t.created_at for t in tickets)])
    incident = incident_create(
        actor=actor,
        title=title,
        detected_by=DetectedBy.COMPLAINTS,
        started_at=started_at,
        root_element=outage.element,
        technical_description=f"Confirmed suspected outage: {outage.explanation}",
        customer_description=customer_description,
    )
    for ticket in tickets:
        incident_link_ticket(actor=actor, incident=incident, ticket=ticket)
    outage.state = OutageState.CONFIRMED
    outage.incident = incident
    outage.decided_by = actor
    outage.decided_at = timezone.now()
    outage.save(update_fields=["state", "incident", "decided_by", "decided_at"])
    data_changed(SuspectedOutage)  # the node's dismissals no longer count
    return incident


@transaction.atomic
def outage_dismiss(*, actor: User, outage: SuspectedOutage, reason: str) -> SuspectedOutage:
    """The NOC disagrees. The reason is kept, and the dismissal raises the
    threshold of that element or area (see `_threshold_offsets`)."""
    require(actor, Action.OUTAGE_DECIDE)
    reason = reason.strip()
    if not reason or len(reason) > 300:
        raise ValidationFailed(
            "Say why this is not an outage (1 to 300 characters).",
            field="reason",
            value=reason[:100],
            accepted="1 to 300 characters",
        )
    outage = _lock_open(outage)
    outage.state = OutageState.DISMISSED
    outage.dismissal_reason = reason
    outage.decided_by = actor
    outage.decided_at = timezone.now()
    outage.save(update_fields=["state", "dismissal_reason", "decided_by", "decided_at"])
    data_changed(SuspectedOutage)  # the node's threshold rises
    return outage


def complaint_threshold(
    *, element: NetworkElement | None = None, area: Area | None = None
) -> float:
    """The score an element's or area's complaints must reach, with the
    feedback from the NOC's recent dismissals."""
    node = _outage_node(element.pk if element else None, area.pk if area else None)
    spike = spike_settings()
    offsets = _threshold_offsets(spike, timezone.now())
    return spike.threshold + (offsets.get(node, 0.0) if node is not None else 0.0)
