"""POST /api/v1/noc/incidents/{ref}/notify and the incident page's notices
panel: counts, the confirmation above the cap, refusals by role."""

from __future__ import annotations

import pytest
from django.test import Client
from django_tasks_db.models import DBTaskResult

from netdesk.accounts.models import Role, TierKind
from netdesk.api import api
from netdesk.channels.models import OutboundKind, OutboundMessage
from netdesk.channels.tasks import incident_notify_send
from netdesk.channels.tests.notify_orders import tasks_run
from netdesk.customers.models import Contact, Customer
from netdesk.noc.models import NetworkIncident
from netdesk.noc.services.incidents import incident_create
from tests import factories as f

pytestmark = pytest.mark.django_db


@pytest.fixture
def incident() -> NetworkIncident:
    """Three customers below OLT: two with an address, one without."""
    olt = f.element("OLT")
    for n in range(2):
        customer = f.customer(name=f"Reachable {n}")
        Contact(customer=customer, name="Ops", email=f"ops{n}@example.net").save()
        f.service(customer, access_element=olt)
    f.service(f.customer(name="Silent"), access_element=olt)
    return incident_create(
        actor=None,
        title="Fibre cut",
        detected_by="manual",
        root_element=olt,
        customer_description="A fibre cable was cut.",
    )


def api_client(role: str) -> Client:
    agent = f.user(role, groups=[f.group(TierKind.SECOND_LINE)])
    return Client(HTTP_AUTHORIZATION=f"Bearer {f.token_for(agent)}")


def test_notify_answers_202_at_once_and_the_task_queues_the_notices(incident):
    client = api_client(Role.NOC_ENGINEER)
    url = f"/api/v1/noc/incidents/{incident.reference}/notify"

    first = client.post(url, {}, content_type="application/json")

    assert first.status_code == 202, first.content
    body = first.json()
    assert body["incident"] == incident.reference
    assert (body["state"], body["affected"], body["to_notify"]) == ("pending", 3, 3)
    assert (body["queued"], body["already_notified"], body["not_reachable"]) == (0, 0, 0)
    assert not OutboundMessage.objects.exists()  # nothing queued inside the request
    assert tasks_run(incident_notify_send) == 2
    progress = client.get(url).json()
    assert progress["order"] == body["order"]
    assert (progress["state"], progress["customers_done"], progress["queued"]) == ("done", 3, 2)
    assert (progress["already_notified"], progress["not_reachable"]) == (0, 1)
    assert progress["not_reachable_accounts"] == [
        Customer.objects.get(name="Silent").account_number
    ]


def test_notifying_the_same_update_again_queues_nothing_and_says_so(incident):
    client = api_client(Role.NOC_ENGINEER)
    url = f"/api/v1/noc/incidents/{incident.reference}/notify"
    client.post(url, {}, content_type="application/json")
    tasks_run(incident_notify_send)

    again = client.post(url, {"confirm": False}, content_type="application/json").json()
    tasks_run(incident_notify_send)

    assert again["to_notify"] == 1  # the one not reachable the first time
    done = client.get(url).json()
    assert (done["order"], done["state"]) == (again["order"], "done")
    assert (done["queued"], done["already_notified"], done["not_reachable"]) == (0, 2, 1)
    assert OutboundMessage.objects.filter(kind=OutboundKind.INCIDENT_NOTICE).count() == 2


def test_a_second_call_while_the_first_is_under_way_answers_the_same_order(incident):
    client = api_client(Role.NOC_ENGINEER)
    url = f"/api/v1/noc/incidents/{incident.reference}/notify"

    first = client.post(url, {}, content_type="application/json").json()
    second = client.post(url, {"confirm": True}, content_type="application/json")

    assert second.status_code == 202
    assert second.json()["order"] == first["order"]
    assert DBTaskResult.objects.filter(task_path=incident_notify_send.module_path).count() == 1
    assert tasks_run(incident_notify_send) == 2


def test_the_progress_of_an_incident_never_notified_is_404(incident):
    answer = api_client(Role.NOC_ENGINEER).get(f"/api/v1/noc/incidents/{incident.reference}/notify")

    assert answer.status_code == 404
    assert answer.json()["errors"][0]["field"] == "ref"


def test_above_the_cap_the_api_asks_to_confirm_naming_count_and_cap(incident, settings):
    settings.NETDESK_NOTICE_CAP = 2
    client = api_client(Role.TEAM_LEAD)
    url = f"/api/v1/noc/incidents/{incident.reference}/notify"

    refused = client.post(url, {}, content_type="application/json")
    confirmed = client.post(url, {"confirm": True}, content_type="application/json")

    assert refused.status_code == 409
    assert refused["Content-Type"] == "application/problem+json"
    problem = refused.json()
    assert problem["type"].endswith("confirmation-needed")
    assert "3 customers" in problem["detail"]
    assert "cap of 2" in problem["detail"]
    assert problem["errors"][0]["field"] == "confirm"
    assert confirmed.status_code == 202
    assert confirmed.json()["to_notify"] == 3
    assert tasks_run(incident_notify_send) == 2


@pytest.mark.parametrize("role", [Role.HOTLINE_OPERATOR, Role.FIELD_ENGINEER])
def test_roles_that_may_not_notify_customers_get_403(incident, role):
    answer = api_client(role).post(
        f"/api/v1/noc/incidents/{incident.reference}/notify", {}, content_type="application/json"
    )

    assert answer.status_code == 403
    assert not OutboundMessage.objects.exists()


def test_a_bad_confirm_value_is_refused_naming_the_field(incident):
    answer = api_client(Role.NOC_ENGINEER).post(
        f"/api/v1/noc/incidents/{incident.reference}/notify",
        {"confirm": "yes"},
        content_type="application/json",
    )

    assert answer.status_code == 422
    assert answer.json()["errors"][0]["field"] == "confirm"


def test_the_notify_operation_has_its_own_operation_id():
    ids = [
        operation["operationId"]
        for operations in api.get_openapi_schema()["paths"].values()
        for operation in operations.values()
    ]

    assert len(ids) == len(set(ids))
    assert "netdesk_channels_api_notices_incident_notify_customers" in ids


def test_the_incident_page_shows_the_panel_and_notifies_with_a_confirmation_step(
    incident, settings
):
    settings.NETDESK_NOTICE_CAP = 2
    lead = f.user(Role.TEAM_LEAD)
    browser = Client()
    browser.force_login(lead)
    page = browser.get(f"/noc/incidents/{incident.reference}/")
    update = incident.updates.get()

    assert page.status_code == 200
    text = page.content.decode()
    assert "Notify affected customers" in text
    assert "<strong>2</strong> reachable by e-mail" in text
    url = f"/channels/incidents/{incident.reference}/notify/"
    asked = browser.post(url, {"update": update.pk})
    assert asked.status_code == 409
    assert "3 customers" in asked.content.decode()
    assert not OutboundMessage.objects.exists()
    done = browser.post(url, {"update": update.pk, "confirm": "on"}, follow=True)
    assert "notifying 3 customer(s) without this update&#x27;s notice" in done.content.decode()
    assert "Last notice (under way)" in done.content.decode()
    assert not OutboundMessage.objects.exists()
    tasks_run(incident_notify_send)
    text = browser.get(f"/noc/incidents/{incident.reference}/").content.decode()
    assert "<strong>2</strong> notified of the latest update" in text
    assert "<strong>2</strong> notices queued" in text
    silent = Customer.objects.get(name="Silent").account_number
    assert f"<strong>1</strong> not reachable (no verified, not bouncing address): {silent}" in text


def test_the_panel_offers_no_notify_action_to_hotline_operators(incident):
    operator = Client()
    operator.force_login(f.user(Role.HOTLINE_OPERATOR))

    page = operator.get(f"/noc/incidents/{incident.reference}/")

    assert "affected customers" in page.content.decode()
    assert "Notify affected customers" not in page.content.decode()
    refused = operator.post(
        f"/channels/incidents/{incident.reference}/notify/", {"update": incident.updates.get().pk}
    )
    assert refused.status_code == 403
