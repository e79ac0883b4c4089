"""The NOC API: Alertmanager webhook, generic alarm batches, incidents and
the network status customer service reads."""

import pytest
from django.test import Client

from netdesk.accounts.models import Role, TierKind
from netdesk.network.selectors import topology_changed
from netdesk.noc.models import Alarm, AlarmState, NetworkIncident, RejectedInput
from tests import factories as f

pytestmark = pytest.mark.django_db


@pytest.fixture
def noc_client():
    noc = f.user(Role.NOC_ENGINEER, groups=[f.group(TierKind.SECOND_LINE)])
    return Client(HTTP_AUTHORIZATION=f"Bearer {f.token_for(noc)}")


@pytest.fixture
def net():
    core = f.element("CORE-1")
    olt = f.element("OLT-7", upstream=core)
    customer = f.customer()
    service = f.service(customer, access_element=olt)
    topology_changed()
    return {"core": core, "olt": olt, "customer": customer, "service": service}


def alertmanager(status, *alerts):
    return {
        "version": "4",
        "groupKey": '{}:{alertname="OltDown"}',
        "status": status,
        "receiver": "netdesk",
        "groupLabels": {"alertname": "OltDown"},
        "commonLabels": {},
        "commonAnnotations": {},
        "externalURL": "http://alertmanager.example:9093",
        "truncatedAlerts": 0,
        "alerts": list(alerts),
    }


def am_alert(status, element="OLT-7", fingerprint="8f1c2d", **labels):
    return {
        "status": status,
        "labels": {"alertname": "OltDown", "instance": f"{element}:9100", "severity": "critical"}
        | labels,
        "annotations": {"summary": "OLT not answering"},
        "startsAt": "2026-11-20T09:00:00Z",
        "endsAt": "2026-11-20T09:30:00Z" if status == "resolved" else "0001-01-01T00:00:00Z",
        "generatorURL": "http://prometheus.example/graph",
        "fingerprint": fingerprint,
    }


def test_alertmanager_fire_then_resolve_opens_and_clears_one_alarm(net, noc_client):
    fired = noc_client.post(
        "/api/v1/noc/alarms/alertmanager",
        alertmanager("firing", am_alert("firing")),
        content_type="application/json",
    )
    assert fired.status_code == 202, fired.content
    assert fired.json()["new"] == 1
    [incident] = NetworkIncident.objects.all()
    assert fired.json()["incidents"] == [incident.reference]
    assert incident.root_element == net["olt"]

    resolved = noc_client.post(
        "/api/v1/noc/alarms/alertmanager",
        alertmanager("resolved", am_alert("resolved")),
        content_type="application/json",
    )
    assert resolved.json()["cleared"] == 1
    assert Alarm.objects.get().state == AlarmState.CLEARED


def test_a_bad_alert_is_refused_alone_and_recorded(net, noc_client):
    bad = am_alert("firing", fingerprint="x2", severity="apocalyptic")
    answer = noc_client.post(
        "/api/v1/noc/alarms/alertmanager",
        alertmanager("firing", am_alert("firing"), bad, "not an object"),
        content_type="application/json",
    )
    body = answer.json()
    assert (answer.status_code, body["accepted"]) == (202, 1)
    refused = {r["field"]: r for r in body["refused"]}
    assert refused["alerts[1].labels.severity"]["value"] == "apocalyptic"
    assert "critical" in refused["alerts[1].labels.severity"]["accepted"]
    assert "alerts[2].alerts" in refused
    assert RejectedInput.objects.count() == 2


def test_wrong_webhook_version_is_a_problem_naming_the_field(noc_client):
    answer = noc_client.post(
        "/api/v1/noc/alarms/alertmanager",
        {"version": "3", "alerts": []},
        content_type="application/json",
    )
    assert answer.status_code == 422
    assert answer.json()["errors"][0]["field"] == "version"


def test_generic_batch_with_configurable_fingerprint(net, noc_client, settings):
    settings.NETDESK_ALARM_FINGERPRINT = ["element", "name", "port"]
    alarms = [
        {"name": "LinkDown", "element": "OLT-7", "severity": "major", "labels": {"port": "1/1"}},
        {"name": "LinkDown", "element": "OLT-7", "severity": "major", "labels": {"port": "1/2"}},
        {"name": "LinkDown", "element": "OLT-7", "severity": 2, "labels": {"port": "1/1"}},
        {"name": "LinkDown", "element": "OLT-7", "severity": "major", "colour": "red"},
    ]
    answer = noc_client.post(
        "/api/v1/noc/alarms", {"alarms": alarms}, content_type="application/json"
    ).json()
    assert (answer["new"], answer["repeated"]) == (2, 1)
    assert answer["refused"][0]["field"] == "alarms[3].colour"
    assert sorted(Alarm.objects.values_list("fingerprint", flat=True)) == [
        "generic:OLT-7:LinkDown:1/1",
        "generic:OLT-7:LinkDown:1/2",
    ]


def test_only_alarm_sources_may_send_alarms():
    operator = f.user()
    client = Client(HTTP_AUTHORIZATION=f"Bearer {f.token_for(operator)}")
    answer = client.post("/api/v1/noc/alarms", {"alarms": []}, content_type="application/json")
    assert answer.status_code == 403


def test_incident_by_hand_and_the_network_status_agents_see(net, noc_client):
    opened = noc_client.post(
        "/api/v1/noc/incidents",
        {
            "title": "Fibre cut at the core",
            "root_element": "CORE-1",
            "customer_description": "Outage in Berlin; repair crew on site.",
            "eta": "2098-12-01T14:30:00+01:00",
        },
        content_type="application/json",
    )
    assert opened.status_code == 201, opened.content
    ref = opened.json()["ref"]
    assert opened.json()["affected_customers"] == 1
    assert opened.json()["eta"].startswith("2098-12-01T13:30:00")

    operator = f.user()
    agent = Client(HTTP_AUTHORIZATION=f"Bearer {f.token_for(operator)}")
    status = agent.get(f"/api/v1/noc/customers/{net['customer'].pk}/network-status").json()
    assert status == [
        {
            "incident": ref,
            "state": "investigating",
            "service_id": net["service"].service_id,
            "failed_element": "CORE-1",
            "customer_description": "Outage in Berlin; repair crew on site.",
            "eta": "2098-12-01T13:30:00Z",
        }
    ]
    customers = agent.get(f"/api/v1/noc/incidents/{ref}/customers").json()
    assert [c["id"] for c in customers["items"]] == [net["customer"].pk]

    # Agents may not change incidents.
    denied = agent.post(
        f"/api/v1/noc/incidents/{ref}/updates",
        {"state": "identified"},
        content_type="application/json",
    )
    assert denied.status_code == 403
    unknown = noc_client.post(
        "/api/v1/noc/incidents",
        {"title": "x", "root_element": "NOPE"},
        content_type="application/json",
    )
    assert unknown.json()["errors"][0]["field"] == "root_element"


def test_suspected_outage_confirmed_over_the_api_becomes_an_incident(net, noc_client):
    from django.utils import timezone

    from netdesk.noc.models import IncidentTicket, SuspectedOutage

    operator = f.user()
    tickets = [f.ticket(operator, net["customer"], service=net["service"]) for _ in range(2)]
    now = timezone.now()
    outage = SuspectedOutage.objects.create(
        element=net["olt"], raised_at=now, window_start=now, complaints=2, expected=0.1, score=9
    )
    outage.tickets.set(tickets)
    other = SuspectedOutage.objects.create(
        element=net["core"], raised_at=now, window_start=now, complaints=3, expected=1, score=4
    )
    listed = noc_client.get("/api/v1/noc/outages").json()
    assert {o["id"] for o in listed} == {outage.pk, other.pk}

    no_reason = noc_client.post(
        f"/api/v1/noc/outages/{other.pk}/decision",
        {"decision": "dismiss"},
        content_type="application/json",
    )
    assert (no_reason.status_code, no_reason.json()["errors"][0]["field"]) == (422, "reason")

    confirmed = noc_client.post(
        f"/api/v1/noc/outages/{outage.pk}/decision",
        {"decision": "confirm", "title": "PON port dead on OLT-7"},
        content_type="application/json",
    ).json()
    assert confirmed["state"] == "confirmed"
    incident = NetworkIncident.objects.get(title="PON port dead on OLT-7")
    assert confirmed["incident"] == incident.reference
    assert incident.detected_by == "complaints"
    assert set(
        IncidentTicket.objects.filter(incident=incident).values_list("ticket", flat=True)
    ) == {t.pk for t in tickets}
    agent = Client(HTTP_AUTHORIZATION=f"Bearer {f.token_for(operator)}")
    denied = agent.post(
        f"/api/v1/noc/outages/{other.pk}/decision",
        {"decision": "dismiss", "reason": "x"},
        content_type="application/json",
    )
    assert denied.status_code == 403
