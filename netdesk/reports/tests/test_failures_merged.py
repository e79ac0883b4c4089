"""One failure seen first from below and then higher up is one failure in
the report: incidents merged into it count once, and so do their customers."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from netdesk.network.selectors import topology_changed
from netdesk.noc.models import NetworkIncident
from netdesk.noc.services.alarms import AlarmIn, alarms_ingest
from netdesk.reports.failures import failure_report, parse_month
from tests import factories as f

pytestmark = pytest.mark.django_db


def alarm(element: str, minutes_ago: float) -> AlarmIn:
    return AlarmIn(
        source="generic",
        name="LinkDown",
        element_ref=element,
        severity=1,
        firing=True,
        at=timezone.now() - timedelta(minutes=minutes_ago),
    )


@pytest.fixture
def merged_outage():
    """AGG-M above OLT-M1 (3 customers), OLT-M2 (2) and OLT-M3 (1). The three
    OLTs alarm first (three incidents), then AGG-M: one failure of 6."""
    agg = f.element("AGG-M")
    for name, customers in [("OLT-M1", 3), ("OLT-M2", 2), ("OLT-M3", 1)]:
        olt = f.element(name, upstream=agg)
        for _ in range(customers):
            f.service(f.customer(), access_element=olt)
    topology_changed()
    alarms_ingest(alarms=[alarm("OLT-M1", 30), alarm("OLT-M2", 29), alarm("OLT-M3", 28)])
    assert sorted(NetworkIncident.objects.values_list("affected_customers", flat=True)) == [
        1,
        2,
        3,
    ]
    alarms_ingest(alarms=[alarm("AGG-M", 20)])


def test_merged_incidents_count_once_with_their_customers_once(merged_outage):
    report = failure_report(parse_month(None))

    # Without merging: 3 incidents and 6 + 2 + 1 = 9 customers.
    (row,) = report["rows"]
    assert row["affected_customers"] == 6
    totals = report["totals"]
    assert (totals["incidents"], totals["customers_affected"]) == (1, 6)
    assert totals["services_affected"] == 6
    assert sum(totals["by_detection"].values()) == 1


def test_the_failure_starts_with_its_earliest_part(merged_outage):
    survivor = NetworkIncident.objects.get(merged_into__isnull=True)
    merged = NetworkIncident.objects.filter(merged_into=survivor)
    assert merged.count() == 2
    assert survivor.started_at == min(NetworkIncident.objects.values_list("started_at", flat=True))
    assert survivor.detected_at == min(
        NetworkIncident.objects.values_list("detected_at", flat=True)
    )
