"""Due surveys are mailed by the mail tick: one message each, marked sent
in the same transaction, never twice."""

from __future__ import annotations

from datetime import timedelta
from unittest import mock

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from netdesk.channels.models import OutboundKind, OutboundMessage, OutboundState
from netdesk.channels.services import surveys as sending
from netdesk.channels.services.surveys import survey_send, surveys_send_due
from netdesk.channels.tasks import surveys_tick
from netdesk.customers.models import Customer
from netdesk.surveys.models import Survey, SurveyState
from netdesk.surveys.selectors import survey_by_token, surveys_due
from netdesk.surveys.services import settings_update
from netdesk.surveys.tests.desk import Desk, resolved
from tests import factories as f

pytestmark = pytest.mark.django_db
LATER = timedelta(minutes=61)


def survey_mails() -> list[OutboundMessage]:
    return list(OutboundMessage.objects.filter(kind=OutboundKind.SURVEY).order_by("pk"))


def test_a_due_survey_is_mailed_once_with_its_link(desk: Desk, settings) -> None:
    # Given a resolved ticket whose survey is due in an hour
    settings.NETDESK_SURVEY_BASE_URL = "https://desk.example.net"
    ticket = resolved(desk)
    survey = Survey.objects.get(ticket=ticket)

    # When the tick runs before the hour, nothing is sent
    assert surveys_send_due(now=timezone.now(), limit=100) == 0
    assert survey_mails() == []

    # When it runs after the hour, twice
    now = timezone.now() + LATER
    assert surveys_send_due(now=now, limit=100) == 1
    assert surveys_send_due(now=now, limit=100) == 0

    # Then one mail went to the customer with the survey's link
    [mail] = survey_mails()
    assert mail.to_addresses == "jane@example.net"
    assert mail.state == OutboundState.QUEUED
    assert mail.ticket_id == ticket.pk
    assert mail.subject == f"[{ticket.reference}] How did we do?"
    link = next(line for line in mail.body.splitlines() if "/survey/" in line)
    assert link.startswith("https://desk.example.net/survey/")
    assert survey_by_token(link.rsplit("/survey/", 1)[1].strip("/")).pk == survey.pk
    # ... and the survey is sent, expiring after the desk's 14 days
    survey.refresh_from_db()
    assert survey.state == SurveyState.SENT
    assert survey.sent_at == now
    assert survey.expires_at == now + timedelta(days=14)


def test_a_failure_after_queueing_leaves_neither_the_mail_nor_a_sent_survey(desk: Desk) -> None:
    # Given a due survey
    survey = Survey.objects.get(ticket=resolved(desk))
    now = timezone.now() + LATER

    # When the worker dies after the mail is queued, inside the transaction
    with (
        mock.patch.object(sending, "outbound_queue", side_effect=RuntimeError("killed")),
        pytest.raises(RuntimeError),
    ):
        survey_send(survey=survey, now=now)

    # Then the survey is still due and no mail was kept
    survey.refresh_from_db()
    assert survey.state == SurveyState.SCHEDULED
    assert survey_mails() == []
    # ... and the next tick sends it once
    assert surveys_send_due(now=now, limit=10) == 1
    assert len(survey_mails()) == 1


def test_a_survey_sent_by_another_worker_is_not_queued_again(desk: Desk) -> None:
    # Given two workers that read the same due page
    resolved(desk)
    now = timezone.now() + LATER
    [first_read] = surveys_due(now)
    [second_read] = surveys_due(now)

    # When both send it
    assert survey_send(survey=first_read, now=now) is not None
    assert survey_send(survey=second_read, now=now) is None

    # Then one mail left
    assert len(survey_mails()) == 1


def test_an_address_removed_before_sending_suppresses_the_survey(desk: Desk) -> None:
    survey = Survey.objects.get(ticket=resolved(desk))
    Customer.objects.filter(pk=desk.customer.pk).update(email="")
    assert surveys_send_due(now=timezone.now() + LATER, limit=10) == 1
    survey.refresh_from_db()
    assert survey.state == SurveyState.SUPPRESSED
    assert survey.reason.startswith("no address")
    assert survey_mails() == []


def test_the_tick_expires_sent_surveys_past_their_time(desk: Desk) -> None:
    settings_update(actor=desk.manager, changes={"expiry_days": 1})
    survey = Survey.objects.get(ticket=resolved(desk))
    survey_send(survey=survey, now=timezone.now() - timedelta(days=2))
    survey.refresh_from_db()
    assert survey.state == SurveyState.SENT

    surveys_tick()

    survey.refresh_from_db()
    assert survey.state == SurveyState.EXPIRED


def test_a_german_customer_is_asked_in_german(desk: Desk) -> None:
    customer = f.customer(email="kunde@example.de", language="de")
    resolved(desk, customer)
    surveys_send_due(now=timezone.now() + LATER, limit=10)
    [mail] = survey_mails()
    assert "Wie zufrieden waren Sie?" in mail.subject


def test_sending_a_page_of_surveys_costs_the_same_queries_per_survey(desk: Desk) -> None:
    settings_update(actor=desk.manager, changes={"customer_cap_days": 0})

    def queries_for(count: int) -> int:
        for _ in range(count):
            resolved(desk)
        with CaptureQueriesContext(connection) as captured:
            assert surveys_send_due(now=timezone.now() + LATER, limit=100) == count
        return len(captured.captured_queries)

    one = queries_for(1)
    five = queries_for(5)
    # A page read once, then a fixed number per survey.
    per_survey = (five - one) // 4
    assert five == one + 4 * per_survey
    assert per_survey <= 18
