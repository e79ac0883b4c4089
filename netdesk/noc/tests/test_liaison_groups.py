"""The liaison finds the NOC and customer service by their line of support,
whatever the desk calls its groups."""

import pytest
from django.utils import timezone

from netdesk.accounts.models import Role, SupportGroup, TierKind
from netdesk.core.errors import ValidationFailed
from netdesk.noc.models import DetectedBy, IncidentState, LiaisonRecord, NetworkIncident
from netdesk.noc.services.liaison import (
    liaison_status_update,
    troubleshooting_request,
    troubleshooting_result,
)
from tests import factories as f

pytestmark = pytest.mark.django_db


def _rename(kind: str, name: str) -> SupportGroup:
    group = f.group(kind)
    group.name = name
    group.save(update_fields=["name"])
    return group


def _incident() -> NetworkIncident:
    now = timezone.now()
    return NetworkIncident.objects.create(
        title="OLT-1 down",
        root_element=f.element(),
        state=IncidentState.INVESTIGATING,
        detected_by=DetectedBy.MANUAL,
        started_at=now,
        detected_at=now,
    )


def test_renamed_groups_still_carry_the_liaison():
    # Given a desk that calls its lines "Customer care" and "Network operations"
    desk = _rename(TierKind.FIRST_LINE, "Customer care")
    noc = _rename(TierKind.SECOND_LINE, "Network operations")
    operator = f.user(groups=[desk])
    engineer = f.user(Role.NOC_ENGINEER, groups=[noc])
    ticket = f.ticket(operator, f.customer())
    # When customer service asks for a remote test and the NOC answers
    request = troubleshooting_request(actor=operator, ticket=ticket, body="Please test the line.")
    result = troubleshooting_result(actor=engineer, ticket=ticket, body="ONT offline.")
    # Then both records run between the first and the second line
    assert (request.from_group, request.to_group) == (desk, noc)
    assert (result.from_group, result.to_group) == (noc, desk)


def test_renamed_groups_still_receive_incident_updates():
    desk = _rename(TierKind.FIRST_LINE, "Customer care")
    noc = _rename(TierKind.SECOND_LINE, "Network operations")
    record = liaison_status_update(
        incident=_incident(), actor=None, body="Fibre cut, crew on site.", at=timezone.now()
    )
    assert record is not None
    assert (record.from_group, record.to_group) == (noc, desk)


def test_a_desk_without_an_active_noc_group_is_told_so_and_nothing_is_recorded():
    f.group(TierKind.FIRST_LINE)
    SupportGroup.objects.filter(tier__kind=TierKind.SECOND_LINE).update(is_active=False)
    operator = f.user()
    ticket = f.ticket(operator, f.customer())
    with pytest.raises(ValidationFailed) as refused:
        troubleshooting_request(actor=operator, ticket=ticket, body="Please test the line.")
    assert refused.value.field == "group"
    assert "second line" in refused.value.message.lower()
    assert refused.value.accepted == "an active support group of the second line (NOC)"
    assert not LiaisonRecord.objects.exists()


def test_incident_updates_without_a_noc_group_are_skipped_not_failed():
    f.group(TierKind.FIRST_LINE)
    SupportGroup.objects.filter(tier__kind=TierKind.SECOND_LINE).delete()
    record = liaison_status_update(
        incident=_incident(), actor=None, body="Fibre cut.", at=timezone.now()
    )
    assert record is None
    assert not LiaisonRecord.objects.exists()


def test_of_several_groups_on_a_line_the_oldest_active_one_speaks_for_it():
    # Given a second line with an older inactive group and two active ones
    retired = f.group(TierKind.SECOND_LINE)
    retired.is_active = False
    retired.save(update_fields=["is_active"])
    tier = f.tier(TierKind.SECOND_LINE)
    core_noc = SupportGroup.objects.create(name="NOC core", tier=tier)
    SupportGroup.objects.create(name="NOC access", tier=tier)
    operator = f.user()
    ticket = f.ticket(operator, f.customer())
    request = troubleshooting_request(actor=operator, ticket=ticket, body="Please test the line.")
    assert request.to_group == core_noc
    assert request.from_group == f.group(TierKind.FIRST_LINE)
