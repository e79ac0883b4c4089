"""An alarm batch that opens many incidents costs the same queries as one
that opens one, plus the one INSERT each new incident needs for its id;
and the incidents it opens are complete: opening update, impact, key
accounts, probable root alarm, symptoms attached."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from netdesk.core.memo import data_versions_per_request
from netdesk.network.selectors import topology_changed
from netdesk.noc.models import Alarm, IncidentUpdate, NetworkIncident
from netdesk.noc.services.alarms import AlarmIn, alarms_ingest
from tests import factories as f

pytestmark = pytest.mark.django_db


def _network(olts: int):
    core = f.element("CORE")
    agg = f.element("AGG", upstream=core)
    made = [f.element(f"OLT-{n}", upstream=agg) for n in range(olts)]
    key = f.customer("key_account")
    for n, olt in enumerate(made):
        f.service(f.customer(), access_element=olt)
        if n % 2 == 0:
            f.service(f.customer("business", parent_account=key), access_element=olt)
    topology_changed()
    return made, key


def _batch(olts, name: str, severity: int = 2) -> list[AlarmIn]:
    now = timezone.now()
    return [
        AlarmIn("generic", name, olt.name, severity, True, now, summary=f"{name} on {olt.name}")
        for olt in olts
    ]


def _ingest_counted(alarms: list[AlarmIn]) -> tuple[int, list[str]]:
    with CaptureQueriesContext(connection) as queries, data_versions_per_request():
        result = alarms_ingest(alarms=alarms)
    return len(queries), result.incidents


def test_queries_do_not_grow_with_the_incidents_opened():
    olts, _ = _network(24)
    # Warm the memos (topology, links, impact index) with an incident elsewhere.
    alarms_ingest(alarms=_batch(olts[23:], "Warm"))
    one, opened_one = _ingest_counted(_batch(olts[:1], "PonLos"))
    many, opened_many = _ingest_counted(_batch(olts[1:21], "PonLos"))
    assert (len(opened_one), len(opened_many)) == (1, 20)
    assert many == one + 19  # each new incident: one INSERT, nothing else


def test_incidents_opened_in_one_batch_are_complete():
    olts, key = _network(4)
    minor = _batch(olts, "HighTemp", severity=4)
    alarms_ingest(alarms=minor)  # symptoms waiting for an incident
    references = alarms_ingest(alarms=_batch(olts, "PonLos")).incidents
    incidents = list(NetworkIncident.objects.order_by("root_element__name"))
    assert sorted(i.reference for i in incidents) == sorted(references)
    for n, (incident, olt) in enumerate(zip(incidents, olts, strict=True)):
        assert incident.root_element_id == olt.pk
        assert incident.title == f"PonLos on {olt.name}"
        assert (incident.affected_services, incident.affected_customers) == (
            (2, 2) if n % 2 == 0 else (1, 1)
        )
        accounts = [c.pk for c in incident.affected_key_accounts.all()]
        assert accounts == ([key.pk] if n % 2 == 0 else [])
        assert IncidentUpdate.objects.filter(incident=incident).count() == 1
        alarms = Alarm.objects.filter(incident=incident)
        assert sorted(alarms.values_list("name", flat=True)) == ["HighTemp", "PonLos"]
        assert incident.probable_root_alarm_id in set(alarms.values_list("id", flat=True))
        assert incident.created_at is not None
        assert incident.impact_computed_at is not None
