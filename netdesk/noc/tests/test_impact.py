"""The impact index counts exactly what a query over every service would."""

import pytest

from netdesk.core.memo import data_changed
from netdesk.customers.models import Service
from netdesk.noc.impact import impact_of
from netdesk.noc.selectors import affected_customers
from netdesk.noc.services.incidents import incident_create
from tests import factories as f

pytestmark = pytest.mark.django_db


def test_a_customer_on_two_elements_counts_once_and_ceased_services_not_at_all():
    core = f.element("CORE")
    agg = f.element("AGG", upstream=core)
    olt1, olt2 = f.element("OLT1", upstream=agg), f.element("OLT2", upstream=agg)
    both = f.customer()
    f.service(both, access_element=olt1)
    f.service(both, access_element=olt2)
    group_account = f.customer("key_account")
    site = f.customer("business", parent_account=group_account)
    f.service(site, access_element=olt2)
    ceased = f.service(f.customer(), access_element=olt1)
    Service.objects.filter(pk=ceased.pk).update(status="ceased")
    data_changed(Service)

    assert impact_of([agg.pk]) == impact_of([core.pk])
    whole = impact_of([agg.pk])
    assert (whole.services, whole.customers, whole.key_account_ids) == (3, 2, [group_account.pk])
    assert (impact_of([olt1.pk]).services, impact_of([olt1.pk]).customers) == (1, 1)
    # Overlapping roots are one area of damage, not two.
    assert impact_of([agg.pk, olt1.pk]).customers == 2


@pytest.mark.parametrize("share", [0.0, 1.0])
def test_affected_customers_pages_the_same_whichever_way_it_reads(share, monkeypatch):
    monkeypatch.setattr("netdesk.noc.selectors.ELEMENT_READ_SHARE", share)
    monkeypatch.setattr("netdesk.noc.selectors.SCAN_CHUNK", 3)
    root = f.element("ROOT")
    elsewhere = f.element("ELSEWHERE")
    mine = [f.customer() for _ in range(7)]
    for n, customer in enumerate(mine):
        f.service(customer, access_element=root)
        f.service(f.customer(), access_element=elsewhere)
        if n % 2:
            f.service(customer, access_element=root)
    incident = incident_create(actor=None, title="Down", detected_by="alarm", root_element=root)
    first = affected_customers(incident, user=None, limit=4)
    rest = affected_customers(incident, user=None, after_id=first[-1].pk, limit=4)
    assert [c.pk for c in first + rest] == [c.pk for c in mine]
