"""A call's report on a ticket: times, direction and agent from the call;
one report per call; the callback list."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from netdesk.accounts.models import Role
from netdesk.core.errors import PermissionDenied, ValidationFailed
from netdesk.phone.models import CallDirection, CallOutcome
from netdesk.phone.services.reports import (
    call_callback_done,
    call_report_facts,
    call_report_log,
    call_ticket_create,
)
from netdesk.phone.tests import calls_made
from netdesk.tickets.choices import Channel, Direction, Outcome
from netdesk.tickets.models import Interaction
from tests import factories as f

pytestmark = pytest.mark.django_db


def test_a_call_logged_on_a_ticket_takes_its_times_direction_and_agent_from_the_call():
    answering, logging = f.user(), f.user(Role.TEAM_LEAD)
    caller = f.customer()
    ticket = f.ticket(answering, caller)
    call = calls_made.call(customer=caller, answered_by=answering, talk_seconds=185)

    interaction = call_report_log(
        actor=logging,
        call=call,
        ticket=ticket,
        summary="Router reset together, line back",
        outcome=Outcome.TICKET_UPDATED,
    )

    interaction.refresh_from_db()
    assert interaction.channel == Channel.PHONE
    assert interaction.direction == Direction.INBOUND
    assert interaction.started_at == call.answered_at
    assert interaction.duration_seconds == 185
    assert interaction.agent_id == answering.pk  # who spoke, not who typed the report
    assert interaction.contact_id == call.contact_id
    assert interaction.summary == "Router reset together, line back"
    call.refresh_from_db()
    assert (call.ticket_id, call.interaction_id) == (ticket.pk, interaction.pk)


def test_an_outbound_call_is_reported_outbound():
    agent = f.user()
    caller = f.customer()
    call = calls_made.call(customer=caller, answered_by=agent, direction=CallDirection.OUTBOUND)
    interaction = call_report_log(
        actor=agent,
        call=call,
        ticket=f.ticket(agent, caller),
        summary="Called to confirm the repair",
        outcome=Outcome.INFORMATION_GIVEN,
    )
    assert interaction.direction == Direction.OUTBOUND


def test_a_call_is_logged_once():
    agent = f.user()
    caller = f.customer()
    call = calls_made.call(customer=caller, answered_by=agent)
    ticket = f.ticket(agent, caller)
    call_report_log(
        actor=agent, call=call, ticket=ticket, summary="First", outcome=Outcome.TICKET_UPDATED
    )
    with pytest.raises(ValidationFailed) as refused:
        call_report_log(
            actor=agent, call=call, ticket=ticket, summary="Again", outcome=Outcome.TICKET_UPDATED
        )
    assert refused.value.field == "call"
    assert ticket.reference in refused.value.message
    assert Interaction.objects.filter(ticket=ticket).count() == 1


def test_a_missed_call_has_no_conversation_to_log():
    agent = f.user()
    caller = f.customer()
    call = calls_made.call(customer=caller, outcome=CallOutcome.MISSED)
    with pytest.raises(ValidationFailed) as refused:
        call_report_log(
            actor=agent,
            call=call,
            ticket=f.ticket(agent, caller),
            summary="?",
            outcome=Outcome.TICKET_UPDATED,
        )
    assert refused.value.field == "call"
    assert refused.value.accepted == "an answered call"


def test_the_ticket_services_checks_stay_theirs():
    """An empty summary and a ticket of another customer are refused by the
    ticket services, and nothing of the call changes."""
    agent = f.user()
    caller = f.customer()
    call = calls_made.call(customer=caller, answered_by=agent)
    with pytest.raises(ValidationFailed) as empty:
        call_report_log(
            actor=agent,
            call=call,
            ticket=f.ticket(agent, caller),
            summary="  ",
            outcome=Outcome.TICKET_UPDATED,
        )
    assert empty.value.field == "summary"
    with pytest.raises(ValidationFailed) as resolved:
        call_report_log(
            actor=agent,
            call=call,
            ticket=f.ticket(agent, caller),
            summary="Fixed on the call",
            outcome=Outcome.RESOLVED,
        )
    assert resolved.value.field == "resolution_code"
    call.refresh_from_db()
    assert call.interaction_id is None
    assert call.ticket_id is None


def test_a_call_still_going_on_counts_up_to_now():
    agent = f.user()
    call = calls_made.call(customer=f.customer(), answered_by=agent)
    call.ended_at = call.duration_seconds = None
    assert call.answered_at is not None
    now = call.answered_at + timedelta(seconds=42)
    assert call_report_facts(call, now=now)["duration_seconds"] == 42


def test_a_new_ticket_from_a_call_carries_the_call_report():
    agent = f.user()
    caller = f.customer()
    call = calls_made.call(customer=caller, answered_by=agent, talk_seconds=301)

    ticket = call_ticket_create(
        actor=agent,
        call=call,
        ticket={
            "customer": caller,
            "ticket_type": "fault",
            "title": "No sync on the modem",
            "channel": Channel.EMAIL,  # the call says phone
        },
        report={"summary": "No sync since 8:00", "outcome": Outcome.TICKET_CREATED},
    )

    assert ticket.channel == Channel.PHONE
    interaction = Interaction.objects.get(ticket=ticket)
    assert interaction.started_at == call.answered_at
    assert interaction.duration_seconds == 301
    assert interaction.direction == Direction.INBOUND
    assert interaction.agent_id == agent.pk
    call.refresh_from_db()
    assert (call.ticket_id, call.interaction_id) == (ticket.pk, interaction.pk)


def test_callback_done_takes_a_missed_call_off_the_list_once():
    first, second = f.user(), f.user()
    call = calls_made.call(customer=f.customer(), outcome=CallOutcome.MISSED)
    call_callback_done(actor=first, call=call)
    at = call.called_back_at
    call_callback_done(actor=second, call=call)
    call.refresh_from_db()
    assert call.called_back_at == at
    assert at is not None
    assert call.called_back_by_id == first.pk
    assert at <= timezone.now()


def test_only_missed_and_abandoned_calls_wait_for_a_callback():
    agent = f.user()
    call = calls_made.call(customer=f.customer(), answered_by=agent)
    with pytest.raises(ValidationFailed) as refused:
        call_callback_done(actor=agent, call=call)
    assert refused.value.field == "call"
    assert refused.value.accepted == ["missed", "abandoned"]


def test_who_may_not_see_calls_cannot_mark_a_callback():
    engineer = f.user(Role.FIELD_ENGINEER)
    call = calls_made.call(customer=f.customer(), outcome=CallOutcome.ABANDONED)
    with pytest.raises(PermissionDenied):
        call_callback_done(actor=engineer, call=call)
