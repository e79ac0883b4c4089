"""Incident services re-read the incident inside their transaction: an
instance loaded before another writer changed or deleted the row must not
undo that change or bring the row back."""

from __future__ import annotations

import pytest

from netdesk.accounts.models import Role, TierKind
from netdesk.core.errors import NotFound, TransitionNotAllowed
from netdesk.noc.models import IncidentState, IncidentTicket, NetworkIncident
from netdesk.noc.services.incidents import (
    incident_create,
    incident_link_ticket,
    incident_resolve,
    incident_update,
)
from tests import factories as f

pytestmark = pytest.mark.django_db


@pytest.fixture
def noc():
    return f.user(Role.NOC_ENGINEER, groups=[f.group(TierKind.SECOND_LINE)])


@pytest.fixture
def incident(noc):
    return incident_create(
        actor=noc, title="Fibre cut", detected_by="manual", root_element=f.element("AGG-9")
    )


def test_an_update_from_a_stale_page_does_not_reopen_a_resolved_incident(noc, incident):
    # Given the incident as the update form loaded it, then resolved meanwhile
    stale = NetworkIncident.objects.get(pk=incident.pk)
    incident_resolve(actor=noc, incident=incident, root_cause="fibre_cut")

    # When the stale form is sent, then it is refused and the incident stays resolved
    with pytest.raises(TransitionNotAllowed):
        incident_update(actor=noc, incident=stale, state="identified", technical_note="on it")
    assert NetworkIncident.objects.get(pk=incident.pk).state == IncidentState.RESOLVED


def test_two_resolutions_of_one_incident_resolve_it_once(noc, incident):
    first = NetworkIncident.objects.get(pk=incident.pk)
    second = NetworkIncident.objects.get(pk=incident.pk)
    incident_resolve(actor=noc, incident=first, root_cause="fibre_cut")
    with pytest.raises(TransitionNotAllowed):
        incident_resolve(actor=noc, incident=second, root_cause="power")
    assert NetworkIncident.objects.get(pk=incident.pk).root_cause == "fibre_cut"


def test_a_ticket_is_not_linked_to_an_incident_resolved_meanwhile(noc, incident):
    stale = NetworkIncident.objects.get(pk=incident.pk)
    incident_resolve(actor=noc, incident=incident, root_cause="fibre_cut")
    ticket = f.ticket(f.user())
    with pytest.raises(TransitionNotAllowed):
        incident_link_ticket(actor=noc, incident=stale, ticket=ticket)
    assert not IncidentTicket.objects.filter(ticket=ticket).exists()


@pytest.mark.parametrize("action", ["update", "resolve"])
def test_a_deleted_incident_is_not_found_rather_than_written(noc, incident, action):
    stale = NetworkIncident.objects.get(pk=incident.pk)
    NetworkIncident.objects.filter(pk=incident.pk).delete()

    def act() -> None:
        if action == "update":
            incident_update(actor=noc, incident=stale, technical_note="still there?")
        else:
            incident_resolve(actor=noc, incident=stale, root_cause="fibre_cut")

    with pytest.raises(NotFound) as refused:
        act()
    assert "no longer exists" in refused.value.message
    assert not NetworkIncident.objects.filter(pk=incident.pk).exists()
