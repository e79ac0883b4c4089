"""Resolving a ticket schedules its survey, or records why it is not sent."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from netdesk.accounts.models import Role, TierKind
from netdesk.noc.services.incidents import (
    incident_create,
    incident_link_ticket,
    incident_resolve,
    incident_unlink_ticket,
)
from netdesk.surveys.models import IncidentMode, Survey, SurveyState
from netdesk.surveys.selectors import survey_of_ticket
from netdesk.surveys.services import (
    group_sampling_set,
    sampled,
    settings_update,
    survey_mark_sent,
    survey_schedule,
)
from netdesk.surveys.tests.desk import Desk, resolved
from netdesk.tickets.models import Ticket
from netdesk.tickets.services import ticket_reopen, ticket_resolve
from tests import factories as f

pytestmark = pytest.mark.django_db


def survey_of(ticket: Ticket) -> Survey:
    return Survey.objects.get(ticket=ticket)


def test_a_resolved_ticket_schedules_its_survey_after_the_delay(desk: Desk) -> None:
    # Given the desk's default settings (an hour's delay)
    # When a ticket is resolved
    ticket = resolved(desk)

    # Then its survey waits an hour, with what reports group by copied
    survey = survey_of(ticket)
    assert survey is not None
    assert survey.state == SurveyState.SCHEDULED
    assert survey.reason == ""
    assert ticket.resolved_at is not None
    assert survey.scheduled_for == ticket.resolved_at + timedelta(minutes=60)
    assert survey.group_id == ticket.group_id
    assert survey.agent == desk.agent
    assert survey.customer == desk.customer
    assert survey.segment == "residential"
    assert survey.channel == "email"
    assert len(survey.public_id) >= 20


def test_switched_off_surveys_are_suppressed(desk: Desk) -> None:
    settings_update(actor=desk.manager, changes={"enabled": False})
    survey = survey_of(resolved(desk))
    assert survey is not None
    assert survey.state == SurveyState.SUPPRESSED
    assert survey.reason == "surveys are switched off"
    assert survey.scheduled_for is None


def test_a_customer_without_an_address_is_not_surveyed(desk: Desk) -> None:
    survey = survey_of(resolved(desk, f.customer(email="")))
    assert survey is not None
    assert survey.state == SurveyState.SUPPRESSED
    assert survey.reason.startswith("no address")


def test_internal_tickets_have_no_survey(desk: Desk) -> None:
    ticket = resolved(desk, channel="internal")
    assert survey_of_ticket(ticket) is None


def test_sampling_is_decided_by_the_ticket_and_a_retry_gives_the_same_answer(desk: Desk) -> None:
    # Given the group surveys 30 % of its tickets
    group_sampling_set(actor=desk.manager, group=desk.group, percent=30)
    settings_update(actor=desk.manager, changes={"customer_cap_days": 0})

    # When 60 tickets are resolved
    tickets = [resolved(desk) for _ in range(60)]

    # Then about 30 % are scheduled, the rest suppressed by sampling
    states = [survey_of(t).state for t in tickets]
    scheduled = states.count(SurveyState.SCHEDULED)
    assert 6 <= scheduled <= 30
    suppressed = [survey_of(t) for t in tickets if survey_of(t).state != "scheduled"]
    assert all("not in the sample (30 %" in s.reason for s in suppressed)
    # ... and each answer is the same asked again
    assert [sampled(ticket=t, percent=30) for t in tickets] == [
        sampled(ticket=t, percent=30) for t in tickets
    ]
    assert [sampled(ticket=t, percent=30) for t in tickets] == [
        s == SurveyState.SCHEDULED for s in states
    ]


def test_a_zero_sample_surveys_nothing_and_100_removes_the_row(desk: Desk) -> None:
    group_sampling_set(actor=desk.manager, group=desk.group, percent=0)
    assert survey_of(resolved(desk)).state == SurveyState.SUPPRESSED
    assert group_sampling_set(actor=desk.manager, group=desk.group, percent=100) is None
    assert survey_of(resolved(desk, f.customer(email="b@example.net"))).state == "scheduled"


def test_a_customer_is_surveyed_once_within_the_cap(desk: Desk) -> None:
    # Given a customer whose first survey was sent yesterday
    first = survey_of(resolved(desk))
    assert first is not None
    survey_mark_sent(survey=first, now=timezone.now() - timedelta(days=1))

    # When another of their tickets is resolved
    second = survey_of(resolved(desk))

    # Then it is suppressed by the 30-day cap
    assert second is not None
    assert second.state == SurveyState.SUPPRESSED
    assert second.reason == "the customer had a survey within 30 days"


def test_a_survey_sent_before_the_cap_does_not_stop_a_new_one(desk: Desk) -> None:
    first = survey_of(resolved(desk))
    assert first is not None
    survey_mark_sent(survey=first, now=timezone.now() - timedelta(days=31))
    assert survey_of(resolved(desk)).state == SurveyState.SCHEDULED


def test_a_scheduled_survey_counts_against_the_cap(desk: Desk) -> None:
    resolved(desk)
    assert survey_of(resolved(desk)).state == SurveyState.SUPPRESSED


@pytest.fixture
def outage(desk: Desk):
    noc = f.user(Role.NOC_ENGINEER, groups=[f.group(TierKind.SECOND_LINE)])
    incident = incident_create(
        actor=noc, title="Fibre cut", detected_by="manual", root_element=f.element("AGG-9")
    )
    return noc, incident


def _incident_tickets(desk: Desk, outage, *customers):
    """Tickets of these customers (one each, a customer named twice has
    two) linked to the incident, which then resolves them."""
    noc, incident = outage
    tickets = [f.ticket(desk.agent, customer) for customer in customers]
    for ticket in tickets:
        incident_link_ticket(actor=desk.agent, incident=incident, ticket=ticket)
    incident_resolve(
        actor=noc,
        incident=incident,
        root_cause="fibre_cut",
        customer_message="The fibre is spliced.",
        resolve_children=True,
        confirm=True,
    )
    return incident, tickets


def test_an_incident_surveys_each_customer_once(desk: Desk, outage) -> None:
    # Given no customer cap, so only the incident rule decides
    settings_update(actor=desk.manager, changes={"customer_cap_days": 0})
    other = f.customer(email="other@example.net")

    # When an incident resolves two tickets of one customer and one of another
    incident, tickets = _incident_tickets(desk, outage, desk.customer, desk.customer, other)
    surveys = [survey_of(t) for t in tickets]

    # Then each customer's first is surveyed; the second of the first
    # customer is suppressed, naming the incident
    assert [s.state for s in surveys] == ["scheduled", "suppressed", "scheduled"]
    assert {s.incident_ref for s in surveys} == {incident.reference}
    assert surveys[1].reason == (
        f"incident {incident.reference}: one survey per customer "
        f"(already with {tickets[0].reference})"
    )


def test_incident_mode_none_surveys_no_ticket_of_an_incident(desk: Desk, outage) -> None:
    settings_update(actor=desk.manager, changes={"incident_mode": IncidentMode.NONE})
    incident, tickets = _incident_tickets(desk, outage, desk.customer)
    survey = survey_of(tickets[0])
    assert survey is not None
    assert survey.state == SurveyState.SUPPRESSED
    assert survey.reason == (
        f"resolved by network incident {incident.reference}: no survey for incidents"
    )


def test_a_ticket_linked_then_unlinked_is_not_an_incident_ticket(desk: Desk, outage) -> None:
    settings_update(actor=desk.manager, changes={"incident_mode": IncidentMode.NONE})
    _noc, incident = outage
    ticket = f.ticket(desk.agent, desk.customer)
    incident_link_ticket(actor=desk.agent, incident=incident, ticket=ticket)
    incident_unlink_ticket(actor=desk.agent, incident=incident, ticket=ticket, reason="Not it")
    ticket_resolve(actor=desk.agent, ticket=ticket, resolution_code="fixed", root_cause="hardware")
    survey = survey_of(ticket)
    assert survey is not None
    assert survey.incident_ref == ""
    assert survey.state == SurveyState.SCHEDULED


def test_reopened_and_resolved_again_reschedules_a_waiting_survey(desk: Desk) -> None:
    ticket = resolved(desk)
    first = survey_of(ticket)
    assert first is not None
    ticket_reopen(actor=desk.agent, ticket=ticket, reason="Still down")
    later = timezone.now() + timedelta(hours=3)
    ticket_resolve(
        actor=desk.agent, ticket=ticket, resolution_code="fixed", root_cause="hardware", at=later
    )
    again = survey_of(ticket)
    assert again is not None
    assert again.pk == first.pk
    assert again.public_id == first.public_id
    assert again.scheduled_for == later + timedelta(minutes=60)


def test_reopened_and_resolved_again_keeps_a_sent_survey(desk: Desk) -> None:
    ticket = resolved(desk)
    survey = survey_of(ticket)
    assert survey is not None
    sent_at = timezone.now()
    survey_mark_sent(survey=survey, now=sent_at)
    ticket_reopen(actor=desk.agent, ticket=ticket, reason="Still down")
    ticket_resolve(actor=desk.agent, ticket=ticket, resolution_code="fixed", root_cause="hardware")
    kept = Survey.objects.get(ticket=ticket)
    assert kept.state == SurveyState.SENT
    assert kept.sent_at == sent_at


def test_scheduling_twice_is_one_survey(desk: Desk) -> None:
    ticket = resolved(desk)
    survey_schedule(ticket=ticket, now=timezone.now())
    assert Survey.objects.filter(ticket=ticket).count() == 1
