"""Complaint baselines: what each element and area usually brings, learned
from ticket history (`netdesk outages learn`, and nightly) for the spike
detector of `netdesk.noc.services.outages`."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone

from netdesk.core.errors import ValidationFailed
from netdesk.core.memo import data_changed
from netdesk.network.models import Area
from netdesk.network.selectors import topology
from netdesk.noc.models import ComplaintBaseline, IncidentTicket
from netdesk.noc.services.outage_records import NETWORK_FAULTS
from netdesk.noc.services.outages import spike_settings
from netdesk.noc.spikes.baselines import baseline_learn
from netdesk.noc.spikes.places import AREA, ELEMENT, Node, PathIndex
from netdesk.noc.spikes.scoring import SpikeSettings
from netdesk.tickets.models import Ticket


@dataclass(frozen=True)
class LearnResult:
    complaints: int
    elements: int
    areas: int


def _history(
    since: datetime, until: datetime, paths: PathIndex
) -> Iterable[tuple[datetime, tuple[Node, ...]]]:
    """Past network faults (by type or by triage, as the detector counts
    them) and the places they count toward. Tickets that were
    children of a network incident are left out: they are the outages
    themselves, not what an ordinary day brings."""
    rows = (
        Ticket.objects.filter(
            NETWORK_FAULTS, created_at__gte=since, created_at__lt=until, service__isnull=False
        )
        .exclude(pk__in=IncidentTicket.objects.filter(unlinked_at__isnull=True).values("ticket_id"))
        .order_by()
        .values_list("created_at", "service__access_element_id", "service__area_id")
    )
    for created_at, element_id, area_id in rows.iterator(chunk_size=20_000):
        yield created_at, paths.nodes(element_id, area_id)


def baselines_learn(*, since: datetime, until: datetime) -> LearnResult:
    """Learn every element's and area's complaint baseline from the tickets
    between `since` and `until`, replacing the baselines learned before."""
    if until <= since:
        raise ValidationFailed(
            "The learning period must end after it starts.",
            field="until",
            value=until.isoformat(),
            accepted=f"a time after {since.isoformat()}",
        )
    spike = spike_settings()
    forest = topology()
    paths = PathIndex(forest.ancestors)
    counted = 0

    def history() -> Iterator[tuple[datetime, tuple[Node, ...]]]:
        nonlocal counted
        for complaint in _history(since, until, paths):
            counted += 1
            yield complaint

    learned = baseline_learn(
        history(), since=since, until=until, tz=timezone.get_default_timezone(), settings=spike
    )
    known_areas = set(Area.objects.values_list("pk", flat=True))
    now = timezone.now()

    def row(element_id: int | None, area_id: int | None, mean: float, hourly: Any) -> Any:
        return ComplaintBaseline(
            element_id=element_id,
            area_id=area_id,
            bucket_minutes=spike.bucket_minutes,
            mean_rate=mean,
            hourly_rates=[round(rate, 9) for rate in hourly] if hourly is not None else [],
            complaints=round(mean * _buckets(since, until, spike)),
            learned_from=since,
            learned_until=until,
            learned_at=now,
        )

    rows = [row(None, None, counted / max(_buckets(since, until, spike), 1), learned.profile)]
    elements = areas = 0
    for node, mean in learned.means.items():
        shape = learned.shapes.get(node)
        if node.kind == ELEMENT and node.id in forest:
            rows.append(row(node.id, None, mean, shape))
            elements += 1
        elif node.kind == AREA and node.id in known_areas:
            rows.append(row(None, node.id, mean, shape))
            areas += 1
    with transaction.atomic():
        data_changed(ComplaintBaseline)
        ComplaintBaseline.objects.all().delete()
        ComplaintBaseline.objects.bulk_create(rows, batch_size=2000)
    return LearnResult(complaints=counted, elements=elements, areas=areas)


def _buckets(since: datetime, until: datetime, spike: SpikeSettings) -> int:
    return int((until - since).total_seconds() // spike.bucket_seconds)
