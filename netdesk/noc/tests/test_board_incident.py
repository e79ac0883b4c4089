"""An incident's page and API answer: its likeliest root alarm with the
evidence, where it was split from and into, an automatic close, and its
alarms firing or cleared, at a fixed number of queries."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from netdesk.accounts.models import Role, TierKind
from netdesk.network.selectors import topology_changed
from netdesk.noc.models import Alarm, AlarmState, IncidentState, NetworkIncident
from netdesk.noc.selectors import INCIDENT_ALARMS_SHOWN
from netdesk.noc.services.incidents import incident_create
from tests import factories as f

pytestmark = pytest.mark.django_db


@pytest.fixture
def net() -> dict[str, Any]:
    core = f.element("CORE-1")
    olt = f.element("OLT-7", upstream=core)
    topology_changed()
    noc = f.user(Role.NOC_ENGINEER, groups=[f.group(TierKind.SECOND_LINE)])
    incident = incident_create(actor=noc, title="OLT down", detected_by="alarm", root_element=olt)
    return {"core": core, "olt": olt, "noc": noc, "incident": incident}


def alarm(incident: NetworkIncident, name: str, element: Any, minute: int, **fields: Any) -> Alarm:
    at = timezone.now() - timedelta(hours=2) + timedelta(minutes=minute)
    values: dict[str, Any] = {
        "fingerprint": f"{name}-{element}-{minute}",
        "source": "generic",
        "element": element,
        "element_ref": str(element),
        "name": name,
        "state": AlarmState.FIRING,
        "first_seen": at,
        "last_seen": at,
        "incident": incident,
    }
    return Alarm.objects.create(**(values | fields))


def client_of(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_the_page_names_the_likeliest_root_alarm_with_its_evidence(net):
    incident = net["incident"]
    root = alarm(incident, "PowerLoss", net["core"], 0)
    alarm(incident, "LinkDown", net["olt"], 1)
    incident.probable_root_alarm = root
    incident.root_cause_evidence = "Upstream of every other alarm; fired 60 s before them."
    incident.save(update_fields=["probable_root_alarm", "root_cause_evidence"])

    text = client_of(f.user()).get(f"/noc/incidents/{incident.reference}/").content.decode()
    section = text[text.index('id="root-cause"') :]
    section = section[: section.index("</section>")]

    assert "<strong>PowerLoss</strong> on CORE-1" in section
    assert "Upstream of every other alarm; fired 60 s before them." in section
    assert "Not named yet." not in section
    detail = Client(HTTP_AUTHORIZATION=f"Bearer {f.token_for(net['noc'])}").get(
        f"/api/v1/noc/incidents/{incident.reference}"
    )
    assert detail.json()["probable_root_alarm"] == "PowerLoss on CORE-1"
    assert detail.json()["root_cause_evidence"].startswith("Upstream of every other alarm")


def test_without_a_named_root_the_page_says_not_named_yet(net):
    text = client_of(f.user()).get(f"/noc/incidents/{net['incident'].reference}/").content
    page = text.decode()

    assert "Not named yet." in page
    assert "No alarms attached." in page
    assert 'id="incident-lineage"' not in page


def test_splits_link_both_ways_and_an_automatic_close_is_said(net):
    whole = net["incident"]
    parts = [
        incident_create(
            actor=net["noc"], title=f"Part {n}", detected_by="alarm", root_element=net["core"]
        )
        for n in range(2)
    ]
    NetworkIncident.objects.filter(pk__in=[p.pk for p in parts]).update(split_from=whole)
    NetworkIncident.objects.filter(pk=whole.pk).update(
        state=IncidentState.RESOLVED, resolved_at=timezone.now(), closed_automatically=True
    )
    agent = client_of(f.user())

    whole_page = agent.get(f"/noc/incidents/{whole.reference}/").content.decode()
    part_page = agent.get(f"/noc/incidents/{parts[0].reference}/").content.decode()

    a, b = (p.reference for p in parts)
    assert (
        f'Split into <a href="/noc/incidents/{a}/">{a}</a>, <a href="/noc/incidents/{b}/">{b}</a>'
        in whole_page
    )
    assert "Closed by the desk when every alarm had cleared" in whole_page
    assert (
        f'Split from <a href="/noc/incidents/{whole.reference}/">{whole.reference}</a>' in part_page
    )
    assert "Closed by the desk" not in part_page
    api = Client(HTTP_AUTHORIZATION=f"Bearer {f.token_for(net['noc'])}")
    detail = api.get(f"/api/v1/noc/incidents/{whole.reference}").json()
    assert (detail["splits"], detail["split_from"], detail["closed_automatically"]) == (
        [a, b],
        None,
        True,
    )
    assert api.get(f"/api/v1/noc/incidents/{a}").json()["split_from"] == whole.reference


def test_the_page_lists_the_alarms_firing_and_cleared_in_the_order_they_fired(net):
    incident = net["incident"]
    alarm(incident, "LinkDown", net["olt"], 5)
    alarm(
        incident,
        "PowerLoss",
        net["core"],
        1,
        state=AlarmState.CLEARED,
        cleared_at=timezone.now() - timedelta(minutes=10),
    )
    other = incident_create(
        actor=net["noc"], title="Elsewhere", detected_by="alarm", root_element=net["core"]
    )
    alarm(other, "NotThisOne", net["core"], 3)

    text = client_of(f.user()).get(f"/noc/incidents/{incident.reference}/").content.decode()
    section = text[text.index('id="incident-alarms"') :]
    section = section[: section.index("</section>")]

    assert "<strong>1</strong> firing, <strong>1</strong> cleared" in section
    assert section.index("PowerLoss") < section.index("LinkDown")
    assert 'class="alarm-cleared"' in section
    assert 'class="alarm-firing"' in section
    assert ", cleared <time" in section
    assert "NotThisOne" not in section


def test_the_page_reads_the_same_queries_with_one_alarm_or_hundreds(net):
    incident = net["incident"]
    agent = client_of(net["noc"])
    first = alarm(incident, "LinkDown", net["olt"], 0)
    incident.probable_root_alarm = first
    incident.save(update_fields=["probable_root_alarm"])
    incident_create(actor=net["noc"], title="Part", detected_by="alarm", root_element=net["core"])
    NetworkIncident.objects.exclude(pk=incident.pk).update(split_from=incident)
    agent.get(f"/noc/incidents/{incident.reference}/")
    with CaptureQueriesContext(connection) as few:
        agent.get(f"/noc/incidents/{incident.reference}/")
    for minute in range(1, INCIDENT_ALARMS_SHOWN + 20):
        alarm(incident, f"Symptom{minute:03}", net["olt"], minute, state=AlarmState.CLEARED)
    for n in range(3):
        part = incident_create(
            actor=net["noc"], title=f"Part {n}", detected_by="alarm", root_element=net["core"]
        )
        NetworkIncident.objects.filter(pk=part.pk).update(split_from=incident)
    with CaptureQueriesContext(connection) as many:
        text = agent.get(f"/noc/incidents/{incident.reference}/").content.decode()

    assert len(many) == len(few), [q["sql"][:200] for q in many.captured_queries]
    total = INCIDENT_ALARMS_SHOWN + 20
    assert f"The first {INCIDENT_ALARMS_SHOWN} of {total}, in the order they fired." in text
    assert f"<strong>1</strong> firing, <strong>{total - 1}</strong> cleared" in text
    assert "Symptom099" in text
    assert "Symptom100" not in text
