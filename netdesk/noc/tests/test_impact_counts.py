"""The impact counts the database keeps agree with a recount over the
services after every kind of write, and the first outage a process sees
reads them in a fixed number of queries, however many services there are."""

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from netdesk.core.memo import data_changed, data_versions_per_request
from netdesk.customers.models import Customer, Service
from netdesk.network.selectors import topology_changed
from netdesk.noc import impact
from netdesk.noc.impact import impact_of, impact_recount
from netdesk.noc.impact_triggers import (
    impact_counts_differences,
    impact_counts_rebuild,
    impact_triggers_drop,
    impact_triggers_present,
)
from tests import factories as f

pytestmark = pytest.mark.django_db


@pytest.fixture
def tree():
    core = f.element("CORE")
    aggs = [f.element(f"AGG-{a}", upstream=core) for a in range(2)]
    olts = [f.element(f"OLT-{a}-{o}", upstream=agg) for a, agg in enumerate(aggs) for o in range(2)]
    topology_changed()
    return {"core": core, "aggs": aggs, "olts": olts}


def _agrees(tree) -> None:
    """Counts, and every element's impact, equal the recount."""
    assert impact_counts_differences() == []
    data_changed(Service, Customer)
    for element in [tree["core"], *tree["aggs"], *tree["olts"]]:
        assert impact_of([element.pk]) == impact_recount([element.pk]), element.name
    pair = [tree["olts"][0].pk, tree["olts"][3].pk]
    assert impact_of(pair) == impact_recount(pair)


def test_counts_follow_every_kind_of_write(tree):
    olts = tree["olts"]
    spread = f.customer()
    f.service(spread, access_element=olts[0])
    f.service(spread, access_element=olts[0])
    moved = f.service(spread, access_element=olts[1])
    group = f.customer("key_account")
    site = f.customer("business", parent_account=group)
    f.service(site, access_element=olts[2])
    plain = f.customer()
    ceased = f.service(plain, access_element=olts[3])
    _agrees(tree)
    assert impact_of([tree["core"].pk]).customers == 3

    Service.objects.filter(pk=ceased.pk).update(status="ceased")  # terminated in bulk
    moved.access_element = olts[3]  # moved to another OLT, another aggregation
    moved.save()
    Service.objects.bulk_create(
        [
            Service(service_id=f"BULK{n}", customer=plain, product="Fibre", access_element=olts[2])
            for n in range(3)
        ]
    )
    _agrees(tree)
    assert impact_of([olts[2].pk]).key_account_ids == [group.pk]

    Customer.objects.filter(pk=group.pk).update(segment="business")  # no longer a key account
    _agrees(tree)
    assert impact_of([olts[2].pk]).key_account_ids == []
    plain.segment = "key_account"
    plain.save()
    site.parent_account = None
    site.save()
    Service.objects.filter(customer=spread, access_element=olts[0]).order_by("pk")[0].delete()
    _agrees(tree)
    assert impact_of([olts[2].pk]).key_account_ids == [plain.pk]

    Service.objects.filter(pk=moved.pk).update(customer=plain)
    spread.delete()  # its services go with it
    Service.objects.filter(customer=plain).update(access_element=None)
    _agrees(tree)
    assert impact_of([tree["core"].pk]).services == 1


def test_the_first_outage_of_a_process_reads_a_fixed_number_of_rows(tree):
    """Twice the services and a customer on several elements more: the
    same queries (the counts, not the services, are read)."""
    olts = tree["olts"]

    def first_outage_queries() -> int:
        impact._index.forget()  # a process that has not built it yet
        with CaptureQueriesContext(connection) as queries, data_versions_per_request():
            impact_of([tree["core"].pk])
        return len(queries)

    f.service(f.customer(), access_element=olts[0])
    impact_of([tree["core"].pk])  # the topology and the version tokens, once
    few = first_outage_queries()
    for olt in olts:
        several = f.customer("key_account")
        for _ in range(3):
            f.service(f.customer(), access_element=olt)
            f.service(several, access_element=olt)
    assert first_outage_queries() == few
    assert impact_of([tree["core"].pk]) == impact_recount([tree["core"].pk])


def test_without_its_triggers_the_index_stays_exact_and_a_rebuild_restores_them(tree):
    olts = tree["olts"]
    shared = f.customer()
    f.service(shared, access_element=olts[0])
    with connection.cursor() as cursor:
        impact_triggers_drop(cursor, connection.vendor)
    assert not impact_triggers_present()
    f.service(shared, access_element=olts[1])  # the counts miss this one
    data_changed(Service)
    assert impact_of([tree["core"].pk]) == impact_recount([tree["core"].pk])
    assert impact_counts_differences() != []
    impact_counts_rebuild()
    assert impact_triggers_present()
    _agrees(tree)


def test_the_check_command_says_whether_the_counts_agree(tree, capsys):
    f.service(f.customer(), access_element=tree["olts"][0])
    call_command("noc", "impact-check")
    assert "agree" in capsys.readouterr().out
    with connection.cursor() as cursor:
        cursor.execute("UPDATE noc_impactelement SET services = services + 5")
    with pytest.raises(CommandError, match="differ"):
        call_command("noc", "impact-check")
    assert f"element {tree['olts'][0].pk}" in capsys.readouterr().out
    call_command("noc", "impact-rebuild")
    call_command("noc", "impact-check")
