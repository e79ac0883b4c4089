"""The inventory in Django's admin: any kind as a slug, with suggestions;
an upstream that would loop is refused."""

from __future__ import annotations

import pytest
from django.urls import reverse

from netdesk.accounts.models import User
from netdesk.network.models import Link, NetworkElement
from netdesk.network.selectors import neighbours

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client):
    client.force_login(
        User.objects.create_superuser("inventory-admin", password="x-long-password-1")
    )
    return client


def element_form(**values: object) -> dict[str, object]:
    return {
        "name": "",
        "kind": "",
        "role": "",
        "vendor": "",
        "model": "",
        "source": "",
        "external_id": "",
        **values,
    }


def test_the_kind_box_suggests_the_usual_kinds(admin_client):
    page = admin_client.get(reverse("admin:network_networkelement_add")).content.decode()
    assert 'list="element-kinds"' in page
    assert '<option value="dslam">' in page


def test_an_operator_kind_is_accepted_as_a_slug_and_anything_else_is_explained(admin_client):
    url = reverse("admin:network_networkelement_add")
    admin_client.post(url, element_form(name="CAB-1", kind="street_cabinet"))
    assert NetworkElement.objects.get(name="CAB-1").kind == "street_cabinet"
    refused = admin_client.post(url, element_form(name="CAB-2", kind="Street Cabinet!"))
    assert "is not accepted; give a short slug" in refused.content.decode()
    assert not NetworkElement.objects.filter(name="CAB-2").exists()


def test_an_upstream_that_leads_back_is_refused(admin_client):
    core = NetworkElement.objects.create(name="CORE", kind="core_router")
    agg = NetworkElement.objects.create(name="AGG", kind="aggregation_switch", upstream=core)
    url = reverse("admin:network_networkelement_change", args=[core.pk])
    refused = admin_client.post(url, element_form(name="CORE", kind="core_router", upstream=agg.pk))
    assert "AGG leads back to CORE: upstreams must not loop." in refused.content.decode()
    core.refresh_from_db()
    assert core.upstream is None


def test_links_are_listed_with_their_ends(admin_client):
    a = NetworkElement.objects.create(name="A", kind="olt")
    b = NetworkElement.objects.create(name="B", kind="olt")
    Link.objects.create(a_element=a, b_element=b, kind="fibre", name="F-1")
    page = admin_client.get(reverse("admin:network_link_changelist")).content.decode()
    assert "fibre F-1: A – B" in page


def test_a_link_added_in_the_admin_reaches_the_neighbours_at_once(admin_client):
    a = NetworkElement.objects.create(name="mw-a", kind="microwave")
    b = NetworkElement.objects.create(name="mw-b", kind="microwave")
    assert b.pk not in neighbours().get(a.pk, frozenset())  # built, and kept
    response = admin_client.post(
        reverse("admin:network_link_add"),
        {
            "a_element": a.pk,
            "a_port": "",
            "b_element": b.pk,
            "b_port": "",
            "kind": "microwave",
            "name": "",
            "capacity_mbps": "",
            "source": "",
            "external_id": "",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert b.pk in neighbours()[a.pk]
    assert a.pk in neighbours()[b.pk]
