"""The root-cause ranking reads an incident's earliest RANKED_ALARMS alarms,
however many it has: the ranking and its evidence are those of the earliest
ones alone."""

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from netdesk.noc.models import Alarm, AlarmSource, DetectedBy, NetworkIncident
from netdesk.noc.rootcause.ranking import GroupAlarm, Ranking
from netdesk.noc.rootcause.ranking import rank as real_rank
from netdesk.noc.services import root_cause
from netdesk.noc.services.root_cause import incidents_root_cause_refresh

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def _incident_with(names: list[str]) -> NetworkIncident:
    incident = NetworkIncident.objects.create(
        title="Alarms", detected_by=DetectedBy.ALARM, started_at=T0, detected_at=T0
    )
    for n, name in enumerate(names):
        at = T0 + timedelta(seconds=n)
        Alarm.objects.create(
            fingerprint=f"{name}:{n}:{incident.pk}",
            source=AlarmSource.GENERIC,
            element_ref=f"host-{n}",
            name=name,
            first_seen=at,
            last_seen=at,
            incident=incident,
        )
    return incident


def test_only_the_earliest_alarms_are_ranked(monkeypatch):
    ranked: list[list[str]] = []

    def rank(group: list[GroupAlarm], **options: Any) -> Ranking:
        ranked.append([a.kind for a in group])
        return real_rank(group, **options)

    monkeypatch.setattr(root_cause, "rank", rank)
    monkeypatch.setattr(root_cause, "RANKED_ALARMS", 3)
    early = ["LinkDown", "PonLos", "PowerFail"]
    whole = _incident_with([*early, "FanFail", "HighTemp", "CpuHigh"])
    alone = _incident_with(["CpuHigh", "FanFail"])
    incidents_root_cause_refresh(incidents=[whole, alone], now=T0)
    assert ranked == [early, ["CpuHigh", "FanFail"]]
    whole.refresh_from_db()
    first = Alarm.objects.get(incident=whole, first_seen=T0)
    assert whole.probable_root_alarm_id == first.pk
    assert whole.root_cause_evidence.startswith("LinkDown")
