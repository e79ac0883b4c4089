"""The incident's probable root alarm and its evidence, learned from the
desk's own alarm history, and the nightly relearning."""

from datetime import UTC, datetime, timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from netdesk.core.errors import ValidationFailed
from netdesk.core.memo import data_changed
from netdesk.network.models import NetworkElement
from netdesk.network.selectors import topology_changed
from netdesk.noc.models import Alarm, AlarmSource, DetectedBy, NetworkIncident, RootCauseModel
from netdesk.noc.root_cause_tasks import _next_run, ensure_root_cause_relearn, root_cause_relearn
from netdesk.noc.services.alarms import AlarmIn, alarms_ingest
from netdesk.noc.services.root_cause import (
    incident_root_cause_refresh,
    learned_model,
    root_cause_learn,
)
from tests import factories as f

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def incident(started: datetime = T0) -> NetworkIncident:
    return NetworkIncident.objects.create(
        title="Alarms", detected_by=DetectedBy.ALARM, started_at=started, detected_at=started
    )


def fire(
    inc: NetworkIncident | None, name: str, element: NetworkElement | str, at: datetime
) -> Alarm:
    """An alarm on an element of the inventory, or on a name it does not know."""
    return Alarm.objects.create(
        fingerprint=f"{name}:{element}:{at.isoformat()}",
        source=AlarmSource.GENERIC,
        element=element if isinstance(element, NetworkElement) else None,
        element_ref=element if isinstance(element, str) else "",
        name=name,
        first_seen=at,
        last_seen=at,
        incident=inc,
    )


def test_without_a_model_the_earliest_alarm_is_named_with_its_position() -> None:
    agg = f.element("AGG-1")
    olt1, olt2 = f.element("OLT-1", upstream=agg), f.element("OLT-2", upstream=agg)
    topology_changed()
    inc = incident()
    fire(inc, "LOS", olt1, T0 + timedelta(seconds=20))
    down = fire(inc, "LinkDown", agg, T0)
    fire(inc, "LOS", olt2, T0 + timedelta(seconds=30))
    incident_root_cause_refresh(incident=inc, now=T0)
    inc.refresh_from_db()
    assert inc.probable_root_alarm == down
    assert inc.root_cause_evidence == (
        "LinkDown on AGG-1 came first (20 s before the rest) and is upstream of 2 of the "
        "2 other alarmed elements."
    )


def test_an_incident_without_alarms_names_none_and_unknown_elements_keep_their_ref() -> None:
    inc = incident()
    incident_root_cause_refresh(incident=inc, now=T0)
    inc.refresh_from_db()
    assert inc.probable_root_alarm is None
    assert inc.root_cause_evidence == ""
    fire(inc, "PowerFail", "site-7", T0)
    incident_root_cause_refresh(incident=inc, now=T0)
    inc.refresh_from_db()
    assert inc.root_cause_evidence == "PowerFail on site-7 is the incident's only alarm."


def past_incidents(count: int, leader: str, follower: str, start: datetime) -> None:
    """`count` past incidents in which `leader` fired 30 s before `follower`."""
    for n in range(count):
        at = start + timedelta(hours=n)
        inc = incident(at)
        fire(inc, leader, f"e{n}", at)
        fire(inc, follower, f"e{n}", at + timedelta(seconds=30))


def test_learning_from_past_incidents_changes_the_named_root() -> None:
    since = T0 - timedelta(days=10)
    past_incidents(8, "PowerFail", "LinkDown", since)
    model = root_cause_learn(since=since, until=T0, now=T0)
    assert model is not None
    assert model.alarms == 16
    assert model.figures["incidents_with_several_types"] == 8
    assert model.window_seconds == 30
    assert model.parameters["history"]["firsts"] == {"PowerFail": 8.0}
    # Now LinkDown comes first, yet history says PowerFail leads.
    inc = incident()
    fire(inc, "LinkDown", "mw-1", T0)
    power = fire(inc, "PowerFail", "mw-1", T0 + timedelta(seconds=45))
    incident_root_cause_refresh(incident=inc, now=T0)
    inc.refresh_from_db()
    assert inc.probable_root_alarm == power
    assert inc.root_cause_evidence == (
        "PowerFail on mw-1 started 45 s after the first alarm and this type came first "
        "in 100% of the 8 past incidents with other alarm types it was in."
    )


def test_learning_reads_only_the_period_and_needs_mixed_incidents() -> None:
    since = T0 - timedelta(days=10)
    past_incidents(3, "PowerFail", "LinkDown", since - timedelta(days=5))  # before the period
    fire(None, "LinkDown", "e9", since + timedelta(hours=1))  # in no incident
    assert root_cause_learn(since=since, until=T0, now=T0) is None
    assert not RootCauseModel.objects.exists()
    with pytest.raises(ValidationFailed) as refused:
        root_cause_learn(since=T0, until=since, now=T0)
    assert refused.value.field == "until"


def test_the_newest_model_is_used_and_an_unreadable_one_falls_back_to_the_start_order() -> None:
    since = T0 - timedelta(days=10)
    past_incidents(4, "PowerFail", "LinkDown", since)
    first = root_cause_learn(since=since, until=T0, now=T0)
    assert first is not None
    assert learned_model().model_id == first.pk
    broken = RootCauseModel.objects.create(
        learned_at=T0 + timedelta(days=1),
        learned_from=since,
        learned_until=T0,
        alarms=0,
        window_seconds=60,
        parameters={"history": {"firsts": {}}},
    )
    data_changed(RootCauseModel)
    assert broken.pk != first.pk
    assert learned_model().history is None


def test_refresh_reads_the_alarms_in_one_query_and_saves_only_a_change() -> None:
    def queries(size: int) -> tuple[int, int]:
        inc = incident()
        for n in range(size):
            fire(inc, f"T{n % 3}", f"e{n}", T0 + timedelta(seconds=n))
        incident_root_cause_refresh(incident=inc, now=T0)  # warms the memos
        inc.probable_root_alarm = None
        with CaptureQueriesContext(connection) as changed:
            incident_root_cause_refresh(incident=inc, now=T0)
        with CaptureQueriesContext(connection) as unchanged:
            incident_root_cause_refresh(incident=inc, now=T0)
        return len(changed), len(unchanged)

    one, many = queries(1), queries(12)
    assert one == many
    assert many[1] == many[0] - 1  # no save when nothing changed


def test_next_run_is_the_coming_half_past_three() -> None:
    assert _next_run(datetime(2026, 3, 1, 3, 0, tzinfo=UTC)) == datetime(
        2026, 3, 1, 3, 30, tzinfo=UTC
    )
    assert _next_run(datetime(2026, 3, 1, 4, 0, tzinfo=UTC)) == datetime(
        2026, 3, 2, 3, 30, tzinfo=UTC
    )


def test_worker_start_queues_one_relearn_and_running_it_queues_the_next() -> None:
    ensure_root_cause_relearn()
    ensure_root_cause_relearn()
    waiting = DBTaskResult.objects.filter(task_path=root_cause_relearn.module_path)
    assert waiting.count() == 1
    assert root_cause_relearn.call() == 0  # nothing to learn yet
    assert waiting.filter(status="READY").count() == 1


def test_command_learns_and_says_what_it_learned_from() -> None:
    now = datetime.now(UTC)
    past_incidents(3, "PowerFail", "LinkDown", now - timedelta(days=2))
    out = StringIO()
    call_command("noc", "root-cause-learn", "--days", "7", stdout=out)
    assert out.getvalue().startswith(
        "Learned from 6 alarms in 3 incidents (3 with several alarm types, 2 types); "
        "precedence window 30 s"
    )
    with pytest.raises(CommandError, match="--days 0 is not accepted"):
        call_command("noc", "root-cause-learn", "--days", "0")


def test_command_says_when_there_is_nothing_to_learn() -> None:
    out = StringIO()
    call_command("noc", "root-cause-learn", stdout=out)
    assert out.getvalue().startswith("Nothing learned: no incident of the last 90 days")


def test_the_intake_names_the_root_alarm_of_the_incident_it_opens() -> None:
    agg = f.element("AGG-9")
    f.element("OLT-91", upstream=agg)
    f.element("OLT-92", upstream=agg)
    topology_changed()
    now = timezone.now()

    def alarm_in(name: str, element: str, seconds: int) -> AlarmIn:
        return AlarmIn(
            source="generic",
            name=name,
            element_ref=element,
            severity=1,
            firing=True,
            at=now + timedelta(seconds=seconds),
        )

    alarms_ingest(alarms=[alarm_in("LOS", "OLT-91", 0), alarm_in("LOS", "OLT-92", 0)], now=now)
    alarms_ingest(alarms=[alarm_in("LinkDown", "AGG-9", 5)], now=now + timedelta(seconds=5))
    # However the correlation groups them, every incident it opened names
    # one of its own alarms, the earliest while nothing is learned.
    incidents = NetworkIncident.objects.filter(alarms__isnull=False).distinct()
    assert incidents.exists()
    for inc in incidents:
        named = inc.probable_root_alarm
        assert named is not None
        assert named.incident_id == inc.pk
        assert named.first_seen == min(a.first_seen for a in inc.alarms.all())
        assert inc.root_cause_evidence.startswith(f"{named.name} on ")
