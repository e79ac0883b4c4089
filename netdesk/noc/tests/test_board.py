"""What the NOC sees on the board: the firing alarms no active incident
holds, each with its reason, counted for the whole desk on the board, on
the alarm page and in the API; suspected outages apart from the
low-confidence hints, each with the level of the network tree it was
detected at."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from netdesk.accounts.models import Role, TierKind, User
from netdesk.network.models import Area, NetworkElement
from netdesk.network.selectors import topology_changed
from netdesk.noc.models import (
    Alarm,
    AlarmSeverity,
    AlarmState,
    IncidentState,
    MaintenanceWindow,
    NetworkIncident,
    OutageConfidence,
    SuspectedOutage,
)
from netdesk.noc.selectors import (
    UnassignedReason,
    unassigned_alarm_counts,
    unassigned_reason,
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
    return {"core": core, "olt": olt, "noc": noc}


_seen = [0]


def alarm(
    element: NetworkElement | None,
    name: str = "LinkDown",
    *,
    element_ref: str = "",
    **fields: Any,
) -> Alarm:
    """A stored alarm as the intake leaves it, one second after the last."""
    _seen[0] += 1
    at = timezone.now() - timedelta(hours=1) + timedelta(seconds=_seen[0])
    values: dict[str, Any] = {
        "fingerprint": f"fp-{_seen[0]}",
        "source": "generic",
        "element": element,
        "element_ref": element_ref or (element.name if element else ""),
        "name": name,
        "severity": AlarmSeverity.MAJOR,
        "state": AlarmState.FIRING,
        "first_seen": at,
        "last_seen": at,
    }
    return Alarm.objects.create(**(values | fields))


def open_incident(noc: User, element: NetworkElement, title: str = "OLT down") -> NetworkIncident:
    return incident_create(actor=noc, title=title, detected_by="manual", root_element=element)


def one_of_each(net: dict[str, Any]) -> dict[str, Alarm]:
    """A firing alarm for every reason, one in an active incident and one
    cleared; the keys name what each should read as."""
    now = timezone.now()
    window = MaintenanceWindow.objects.create(
        title="Card swap", starts_at=now - timedelta(hours=2), ends_at=now + timedelta(hours=1)
    )
    active = open_incident(net["noc"], net["olt"])
    resolved = open_incident(net["noc"], net["core"], title="Core flap")
    NetworkIncident.objects.filter(pk=resolved.pk).update(
        state=IncidentState.RESOLVED, resolved_at=now
    )
    return {
        "unknown_element": alarm(None, element_ref="10.9.9.9"),
        "maintenance": alarm(net["olt"], suppressed_by=window),
        "below_major": alarm(net["olt"], "HighTemp", severity=AlarmSeverity.MINOR),
        "flapping": alarm(net["olt"], "LinkFlap", is_flapping=True, flaps=4),
        "incident_resolved": alarm(net["core"], "BgpDown", incident=resolved),
        "waiting": alarm(net["core"], "PowerLoss"),
        "in_incident": alarm(net["olt"], "OltDown", incident=active),
        "cleared": alarm(None, "Old", element_ref="gone", state=AlarmState.CLEARED, cleared_at=now),
    }


def page(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


def api(user: User) -> Client:
    return Client(HTTP_AUTHORIZATION=f"Bearer {f.token_for(user)}")


def test_each_unassigned_alarm_has_its_reason_and_the_desk_counts_them_alike(net):
    alarms = one_of_each(net)
    read = {
        key: unassigned_reason(Alarm.objects.select_related("incident").get(pk=a.pk))
        for key, a in alarms.items()
    }

    assert read == {
        "unknown_element": UnassignedReason.UNKNOWN_ELEMENT,
        "maintenance": UnassignedReason.MAINTENANCE,
        "below_major": UnassignedReason.BELOW_MAJOR,
        "flapping": UnassignedReason.FLAPPING,
        "incident_resolved": UnassignedReason.INCIDENT_RESOLVED,
        "waiting": UnassignedReason.WAITING,
        "in_incident": None,
        "cleared": None,
    }
    # The database's count per reason is what the function says of each alarm.
    expected = Counter(reason for reason in read.values() if reason is not None)
    assert unassigned_alarm_counts() == {reason: expected[reason] for reason in UnassignedReason}


def test_the_first_reason_that_holds_is_the_one_given(net):
    # Unknown and minor and flapping: the intake never looked further.
    both = alarm(None, element_ref="x", severity=AlarmSeverity.MINOR, is_flapping=True)
    minor_flapping = alarm(net["olt"], severity=AlarmSeverity.WARNING, is_flapping=True)

    assert unassigned_reason(both) == UnassignedReason.UNKNOWN_ELEMENT
    assert unassigned_reason(minor_flapping) == UnassignedReason.BELOW_MAJOR
    counts = unassigned_alarm_counts()
    assert (counts[UnassignedReason.UNKNOWN_ELEMENT], counts[UnassignedReason.BELOW_MAJOR]) == (
        1,
        1,
    )
    assert counts[UnassignedReason.FLAPPING] == 0


def test_the_board_counts_and_lists_unassigned_alarms_with_their_reasons(net):
    one_of_each(net)
    board = page(f.user()).get("/noc/").content.decode()

    assert '<a href="/noc/alarms/?unassigned=1"><strong>6</strong> unassigned alarms</a>' in board
    assert '<a href="/noc/alarms/?reason=below_major">1 below major</a>' in board
    unassigned = board[board.index('id="unassigned-alarms"') :]
    unassigned = unassigned[: unassigned.index("</section>")]
    for text in (
        "on 10.9.9.9",
        "in a maintenance window",
        "below major",
        "flapping",
        "left on a resolved incident",
        "waiting for correlation",
    ):
        assert text in unassigned
    assert "OltDown" not in unassigned  # in an active incident
    assert "Old on gone" not in unassigned  # cleared


def test_a_board_with_every_alarm_in_an_incident_says_so(net):
    alarm(net["olt"], "OltDown", incident=open_incident(net["noc"], net["olt"]))

    board = page(f.user()).get("/noc/").content.decode()

    assert "No unassigned alarms: every firing alarm is in an active incident." in board
    assert unassigned_alarm_counts()[UnassignedReason.WAITING] == 0


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


def test_the_board_reads_the_same_number_of_queries_with_one_or_many_of_everything(net):
    noc = page(net["noc"])
    alarm(None, element_ref="10.0.0.1")
    active = open_incident(net["noc"], net["olt"])
    alarm(net["olt"], incident=active)
    resolved = open_incident(net["noc"], net["core"], title="Earlier")
    NetworkIncident.objects.filter(pk=resolved.pk).update(state=IncidentState.RESOLVED)
    alarm(net["core"], "Refired", incident=resolved)
    _outage(net["olt"], level=1)
    _outage(net["core"], confidence=OutageConfidence.HINT, level=0, complaints=1)
    noc.get("/noc/")
    with CaptureQueriesContext(connection) as few:
        assert noc.get("/noc/").status_code == 200
    for n in range(30):
        alarm(None, element_ref=f"10.0.1.{n}", severity=AlarmSeverity.MINOR if n % 2 else 2)
        alarm(net["olt"], f"Symptom{n}", incident=active)
        alarm(net["core"], f"Refired{n}", incident=resolved)
        _outage(net["olt"], level=n % 3)
        _outage(net["core"], confidence=OutageConfidence.HINT, complaints=1)
    with CaptureQueriesContext(connection) as many:
        board = noc.get("/noc/").content.decode()

    summary = board[board.index("board-summary") :][:300]
    assert "<strong>62</strong> unassigned alarms" in summary, summary
    assert len(many) == len(few)


def test_outages_and_hints_apart_with_their_level_on_the_board(net):
    outage = _outage(net["olt"], level=2)
    at_core = _outage(net["core"], level=0)
    hint = _outage(net["olt"], confidence=OutageConfidence.HINT, complaints=1, level=3)

    board = page(net["noc"]).get("/noc/").content.decode()

    outages = board[board.index('aria-label="Suspected outages"') :]
    outages = outages[: outages.index("</section>")]
    hints = board[board.index('aria-label="Worth a look"') :]
    hints = hints[: hints.index("</section>")]
    assert f'id="outage-{outage.pk}"' in outages
    assert f'id="outage-{at_core.pk}"' in outages
    assert f'id="outage-{hint.pk}"' not in outages
    assert f'id="outage-{hint.pk}"' in hints
    assert "low-confidence hint" in hints
    assert "1 complaint where" in hints
    assert '<span class="badge">level 2</span>' in outages
    assert '<span class="badge">core</span>' in outages
    assert '<span class="badge">level 3</span>' in hints
    # The NOC decides on hints as on outages.
    assert hints.count("Decide") == 1


def test_a_hint_without_a_level_names_its_area_and_agents_only_read_it(net):
    area = Area.objects.create(code="SPR", name="Springfield")
    hint = _outage(None, area=area, confidence=OutageConfidence.HINT, complaints=1)

    operator = page(f.user(Role.HOTLINE_OPERATOR))
    board = operator.get("/noc/").content.decode()

    assert f'id="outage-{hint.pk}"' in board
    assert '<span class="badge">Springfield</span>' in board
    assert "Decide" not in board
    denied = operator.post(
        f"/noc/outages/{hint.pk}/decide/", {"decision": "dismiss", "reason": "x"}
    )
    assert denied.status_code == 403
    assert SuspectedOutage.objects.get(pk=hint.pk).state == "open"


def test_the_noc_dismisses_a_hint_and_confirms_another_from_the_board(net):
    noc = page(net["noc"])
    dismissed = _outage(net["olt"], confidence=OutageConfidence.HINT, complaints=1, level=1)
    confirmed = _outage(net["core"], confidence=OutageConfidence.HINT, complaints=1, level=0)

    no_reason = noc.post(f"/noc/outages/{dismissed.pk}/decide/", {"decision": "dismiss"})
    assert no_reason.status_code == 422
    assert "Say why this is not an outage" in no_reason.content.decode()
    assert (
        noc.post(
            f"/noc/outages/{dismissed.pk}/decide/", {"decision": "dismiss", "reason": "Own router"}
        ).status_code
        == 302
    )
    answer = noc.post(
        f"/noc/outages/{confirmed.pk}/decide/", {"decision": "confirm", "title": "Core card"}
    )

    assert answer.status_code == 302
    dismissed.refresh_from_db()
    confirmed.refresh_from_db()
    assert (dismissed.state, dismissed.dismissal_reason) == ("dismissed", "Own router")
    assert confirmed.state == "confirmed"
    assert confirmed.incident is not None
    assert confirmed.incident.title == "Core card"


def test_the_alarm_page_lists_the_unassigned_ones_and_one_reason_at_a_time(net):
    alarms = one_of_each(net)
    agent = page(f.user())

    unassigned = agent.get("/noc/alarms/?unassigned=1").content.decode()
    flapping = agent.get("/noc/alarms/?reason=flapping").content.decode()
    everything = agent.get("/noc/alarms/").content.decode()

    assert "<strong>6</strong> alarms firing in no active incident" in unassigned
    assert "10.9.9.9" in unassigned
    assert "HighTemp" in unassigned
    assert "OltDown" not in unassigned
    assert "Unassigned alarms: flapping" in flapping
    assert "LinkFlap" in flapping
    assert "HighTemp" not in flapping
    assert "<strong>8</strong> alarms" in everything
    resolved = alarms["incident_resolved"].incident
    assert resolved is not None
    resolved_ref = resolved.reference
    assert f'<a href="/noc/incidents/{resolved_ref}/">{resolved_ref}</a>' in unassigned


def test_the_alarm_page_refuses_an_unknown_reason_or_cursor_naming_it(net):
    agent = page(f.user())

    reason = agent.get("/noc/alarms/?reason=bored")
    cursor = agent.get("/noc/alarms/?cursor=nonsense")

    assert reason.status_code == 422
    text = reason.content.decode()
    assert "reason &#x27;bored&#x27; is not a reason an alarm is unassigned" in text
    assert "unknown_element, maintenance, below_major" in text
    assert cursor.status_code == 422
    assert "cursor" in cursor.content.decode()


def test_the_alarm_page_pages_on_with_the_filter_kept(net):
    for n in range(103):
        alarm(None, f"Unknown{n:03}", element_ref=f"10.1.0.{n}")
    alarm(net["olt"], "OltDown", incident=open_incident(net["noc"], net["olt"]))
    agent = page(f.user())

    first = agent.get("/noc/alarms/?unassigned=1").content.decode()
    link = first[first.index('href="?') + 7 :]
    link = link[: link.index('"')].replace("&amp;", "&")
    second = agent.get(f"/noc/alarms/?{link}").content.decode()

    assert "unassigned=1" in link
    assert "Unknown102" in first  # newest first
    assert "Unknown002" not in first
    assert "Unknown002" in second
    assert "Unknown000" in second
    assert "Unknown102" not in second
    assert "OltDown" not in second
    assert "Older alarms" not in second
