"""The board over the API: GET /api/v1/noc/alarms (unassigned ones and
their reasons, keyset pages, fixed queries) and the suspected outages with
their confidence and level."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from netdesk.accounts.models import Role, TierKind
from netdesk.network.models import NetworkElement
from netdesk.network.selectors import topology_changed
from netdesk.noc.models import (
    Alarm,
    AlarmSeverity,
    AlarmState,
    NetworkIncident,
    OutageConfidence,
    SuspectedOutage,
)
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


def bearer(user: Any) -> Client:
    return Client(HTTP_AUTHORIZATION=f"Bearer {f.token_for(user)}")


_count = [0]


def alarm(
    element: NetworkElement | None, name: str = "LinkDown", *, ref: str = "", **fields: Any
) -> Alarm:
    _count[0] += 1
    at = timezone.now() - timedelta(hours=3) + timedelta(seconds=_count[0])
    values: dict[str, Any] = {
        "fingerprint": f"api-{_count[0]}",
        "source": "generic",
        "element": element,
        "element_ref": ref or (element.name if element else ""),
        "name": name,
        "severity": AlarmSeverity.MAJOR,
        "state": AlarmState.FIRING,
        "first_seen": at,
        "last_seen": at,
    }
    return Alarm.objects.create(**(values | fields))


def test_unassigned_alarms_with_their_reason_and_the_desk_wide_total(net):
    alarm(None, "Unknown", ref="10.9.9.9")
    alarm(net["olt"], "HighTemp", severity=AlarmSeverity.MINOR)
    alarm(net["core"], "PowerLoss")
    alarm(net["olt"], "OltDown", incident=net["incident"])
    alarm(net["olt"], "Gone", state=AlarmState.CLEARED, cleared_at=timezone.now())
    agent = bearer(f.user())  # any agent sees alarms: they name no customer

    unassigned = agent.get("/api/v1/noc/alarms?unassigned=true").json()
    minor = agent.get("/api/v1/noc/alarms?reason=below_major").json()
    everything = agent.get("/api/v1/noc/alarms").json()
    cleared = agent.get("/api/v1/noc/alarms?state=cleared").json()

    assert unassigned["total"] == 3
    assert {(a["name"], a["unassigned_reason"]) for a in unassigned["items"]} == {
        ("Unknown", "unknown_element"),
        ("HighTemp", "below_major"),
        ("PowerLoss", "waiting"),
    }
    assert [a["name"] for a in minor["items"]] == ["HighTemp"]
    assert minor["items"][0]["severity"] == "minor"
    assert everything["total"] == 5
    in_incident = next(a for a in everything["items"] if a["name"] == "OltDown")
    assert (in_incident["incident"], in_incident["unassigned_reason"]) == (
        net["incident"].reference,
        None,
    )
    unknown = next(a for a in everything["items"] if a["name"] == "Unknown")
    assert (unknown["element"], unknown["element_ref"]) == (None, "10.9.9.9")
    assert [a["name"] for a in cleared["items"]] == ["Gone"]


def test_alarm_pages_follow_the_cursor_newest_first_with_the_filter(net):
    for n in range(7):
        alarm(None, f"Unknown{n}", ref=f"10.0.0.{n}")
    alarm(net["olt"], "OltDown", incident=net["incident"])
    agent = bearer(net["noc"])

    names: list[str] = []
    url = "/api/v1/noc/alarms?unassigned=true&limit=3"
    pages = 0
    while url:
        answer = agent.get(url).json()
        assert answer["total"] == 7
        names += [a["name"] for a in answer["items"]]
        pages += 1
        url = (
            f"/api/v1/noc/alarms?unassigned=true&limit=3&cursor={answer['next']}"
            if answer["next"]
            else ""
        )

    assert pages == 3
    assert names == [f"Unknown{n}" for n in reversed(range(7))]


def test_the_alarm_list_reads_the_same_queries_with_one_alarm_or_many(net):
    agent = bearer(net["noc"])
    alarm(None, ref="10.0.0.1")
    agent.get("/api/v1/me")  # the token's first use is recorded once
    with CaptureQueriesContext(connection) as few:
        agent.get("/api/v1/noc/alarms?unassigned=true")
    resolved = incident_create(
        actor=net["noc"], title="Earlier", detected_by="alarm", root_element=net["core"]
    )
    NetworkIncident.objects.filter(pk=resolved.pk).update(state="resolved")
    for n in range(40):
        alarm(None, ref=f"10.0.1.{n}")
        alarm(net["core"], f"Refired{n}", incident=resolved)
        alarm(net["olt"], f"Symptom{n}", incident=net["incident"])
    with CaptureQueriesContext(connection) as many:
        answer = agent.get("/api/v1/noc/alarms?unassigned=true&limit=200").json()

    assert answer["total"] == 81
    assert {a["unassigned_reason"] for a in answer["items"]} == {
        "unknown_element",
        "incident_resolved",
    }
    assert len(many) == len(few)


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("reason=bored", "reason"),
        ("state=burning", "state"),
        ("limit=0", "limit"),
        ("limit=201", "limit"),
        ("unassigned=perhaps", "unassigned"),
        ("cursor=nonsense", "cursor"),
    ],
)
def test_a_bad_alarm_filter_is_refused_naming_the_field(net, query, field):
    answer = bearer(net["noc"]).get(f"/api/v1/noc/alarms?{query}")

    assert answer.status_code in (400, 422), answer.content
    assert field in answer.content.decode()


def _outage(element: NetworkElement | None, **fields: Any) -> SuspectedOutage:
    now = timezone.now()
    values: dict[str, Any] = {
        "element": element,
        "raised_at": now,
        "window_start": now - timedelta(minutes=30),
        "complaints": 4,
        "expected": 0.5,
        "score": 8.0,
    }
    return SuspectedOutage.objects.create(**(values | fields))


def test_outages_answer_their_confidence_and_level_and_filter_on_confidence(net):
    outage = _outage(net["core"], level=0)
    hint = _outage(net["olt"], confidence=OutageConfidence.HINT, complaints=1, level=2)
    agent = bearer(f.user())

    both = {o["id"]: o for o in agent.get("/api/v1/noc/outages").json()}
    hints = agent.get("/api/v1/noc/outages?confidence=hint").json()
    outages = agent.get("/api/v1/noc/outages?confidence=outage").json()
    wrong = agent.get("/api/v1/noc/outages?confidence=maybe")

    assert (both[outage.pk]["confidence"], both[outage.pk]["level"]) == ("outage", 0)
    assert both[outage.pk]["level_name"] == "core"
    assert (both[hint.pk]["confidence"], both[hint.pk]["level_name"]) == ("hint", "level 2")
    assert [o["id"] for o in hints] == [hint.pk]
    assert [o["id"] for o in outages] == [outage.pk]
    assert wrong.status_code in (400, 422)
    assert "confidence" in wrong.content.decode()


def test_the_noc_decides_on_hints_over_the_api_and_an_agent_may_not(net):
    dismissed = _outage(net["olt"], confidence=OutageConfidence.HINT, complaints=1)
    confirmed = _outage(net["core"], confidence=OutageConfidence.HINT, complaints=1)
    noc = bearer(net["noc"])

    refused = bearer(f.user()).post(
        f"/api/v1/noc/outages/{dismissed.pk}/decision",
        {"decision": "dismiss", "reason": "x"},
        content_type="application/json",
    )
    answer = noc.post(
        f"/api/v1/noc/outages/{dismissed.pk}/decision",
        {"decision": "dismiss", "reason": "The customer's own router"},
        content_type="application/json",
    ).json()
    opened = noc.post(
        f"/api/v1/noc/outages/{confirmed.pk}/decision",
        {"decision": "confirm", "title": "Core card"},
        content_type="application/json",
    ).json()

    assert refused.status_code == 403
    assert (answer["state"], answer["confidence"]) == ("dismissed", "hint")
    assert opened["state"] == "confirmed"
    assert NetworkIncident.objects.get(title="Core card").reference == opened["incident"]
