"""The NOC's admin screens: an incident's alarm fields are ids, not lists of
every alarm; the learned root-cause model can be read, not written."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from django.urls import reverse

from netdesk.accounts.models import User
from netdesk.noc.models import (
    Alarm,
    AlarmSource,
    DetectedBy,
    NetworkIncident,
    RootCauseModel,
)

pytestmark = pytest.mark.django_db
AT = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@pytest.fixture
def admin_client(client):
    client.force_login(User.objects.create_superuser("noc-admin", password="x-long-password-1"))
    return client


def test_an_incidents_page_names_its_root_alarm_by_id_not_in_a_list_of_all(admin_client):
    alarms = [
        Alarm(
            fingerprint=f"generic:mw-{n}:LinkDown",
            source=AlarmSource.GENERIC,
            element_ref=f"mw-{n}",
            name="LinkDown",
            first_seen=AT,
            last_seen=AT,
        )
        for n in range(30)
    ]
    Alarm.objects.bulk_create(alarms)
    incident = NetworkIncident.objects.create(
        title="LinkDown on mw-1",
        detected_by=DetectedBy.ALARM,
        started_at=AT,
        detected_at=AT,
        probable_root_alarm=Alarm.objects.get(element_ref="mw-1"),
    )
    page = admin_client.get(reverse("admin:noc_networkincident_change", args=[incident.pk]))
    assert page.status_code == 200
    html = page.content.decode()
    assert 'name="probable_root_alarm"' in html
    # A drop-down would carry one option per alarm; the id box carries none.
    assert html.count("LinkDown on mw-2") == 0


def test_the_learned_model_is_listed_and_cannot_be_written(admin_client):
    RootCauseModel.objects.create(
        learned_at=AT, learned_from=AT, learned_until=AT, alarms=120, window_seconds=60
    )
    assert admin_client.get(reverse("admin:noc_rootcausemodel_changelist")).status_code == 200
    assert admin_client.get(reverse("admin:noc_rootcausemodel_add")).status_code == 403
