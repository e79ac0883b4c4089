"""A batch reads only the active incidents it can touch: on random networks
and alarm storms, the incidents come out exactly as when every active
incident is read (CANDIDATE_LIMIT 0 reads them all)."""

import random
from datetime import datetime, timedelta
from typing import Any

import pytest
from django.utils import timezone

from netdesk.network.models import Link, NetworkElement
from netdesk.network.selectors import topology_changed
from netdesk.noc.models import Alarm, IncidentUpdate, NetworkIncident
from netdesk.noc.services import correlation
from netdesk.noc.services.alarms import AlarmIn, alarms_ingest
from tests import factories as f

pytestmark = pytest.mark.django_db


def _network(rng: random.Random) -> list[NetworkElement]:
    core = f.element("CORE")
    elements = [core]
    for a in range(3):
        agg = f.element(f"AGG-{a}", upstream=core)
        elements.append(agg)
        for o in range(3):
            olt = f.element(f"OLT-{a}-{o}", upstream=agg)
            elements.append(olt)
            elements += [f.element(f"ONT-{a}-{o}-{n}", upstream=olt) for n in range(2)]
    for n in range(4):
        one, other = rng.sample(elements[1:], 2)
        Link.objects.create(name=f"L{n}", a_element=one, b_element=other)
    topology_changed()
    return elements


def _storm(
    rng: random.Random, elements: list[NetworkElement]
) -> list[tuple[datetime, list[AlarmIn]]]:
    start = timezone.now() - timedelta(hours=6)
    batches = []
    for b in range(8):
        at = start + timedelta(minutes=20 * b)
        batch = []
        for _ in range(rng.randint(3, 9)):
            element = rng.choice(elements)
            name = rng.choice(["LinkDown", "PonLos", "PowerFail"])
            batch.append(AlarmIn("generic", name, element.name, rng.choice([1, 2, 3]),
                                 rng.random() < 0.8, at + timedelta(seconds=rng.randint(0, 300))))  # fmt: skip
        batches.append((at + timedelta(minutes=6), batch))
    return batches


def _outcome() -> list[tuple[Any, ...]]:
    names = dict(NetworkIncident.objects.values_list("pk", "root_element__name"))
    return sorted(
        (
            incident.title,
            names[incident.pk],
            incident.state,
            names.get(incident.merged_into_id or 0),
            names.get(incident.split_from_id or 0),
            tuple(
                sorted(
                    Alarm.objects.filter(incident=incident).values_list("fingerprint", flat=True)
                )
            ),
            incident.affected_services,
        )
        for incident in NetworkIncident.objects.all()
    )


@pytest.mark.parametrize("seed", [1, 2, 3, 4, 5])
def test_reading_only_the_candidates_changes_nothing(seed, monkeypatch):
    rng = random.Random(seed)
    elements = _network(rng)
    for element in elements[::2]:
        f.service(f.customer(), access_element=element)
    storm = _storm(rng, elements)
    outcomes = []
    for limit in (correlation.CANDIDATE_LIMIT, 0):
        monkeypatch.setattr(correlation, "CANDIDATE_LIMIT", limit)
        for now, batch in storm:
            alarms_ingest(alarms=batch, now=now)
        outcomes.append(_outcome())
        IncidentUpdate.objects.all().delete()
        NetworkIncident.objects.update(probable_root_alarm=None, merged_into=None, split_from=None)
        Alarm.objects.all().delete()
        NetworkIncident.objects.all().delete()
    assert outcomes[0] == outcomes[1]
    assert outcomes[0]  # the storm opened incidents
