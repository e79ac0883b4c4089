"""A call's page, logging it on a ticket, marking a callback, and the new
ticket opened from a call."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse
from django.utils.timezone import now

from netdesk.accounts.models import Role
from netdesk.phone.models import CallOutcome, CtiEvent
from netdesk.phone.tests import calls_made
from netdesk.tickets.choices import Channel, Direction, Outcome
from netdesk.tickets.models import Interaction, Ticket
from tests import factories as f

pytestmark = pytest.mark.django_db


@pytest.fixture
def operator(client):
    agent = f.user(username="anna")
    client.force_login(agent)
    return agent


def test_the_call_page_shows_its_events_and_the_log_form(client, operator):
    call = calls_made.call(customer=f.customer(), answered_by=operator)
    response = client.get(reverse("calls_detail", args=[call.pk]))
    assert response.status_code == 200
    page = response.content.decode()
    for shown in ("newCall", "answer", "hangup", "Log this call", "New ticket from this call"):
        assert shown in page
    assert f"?customer={call.customer_id}" in page


def test_an_unknown_call_is_404(client, operator):
    assert client.get(reverse("calls_detail", args=[999_999])).status_code == 404


def test_logging_a_call_on_a_ticket(client, operator):
    caller = f.customer()
    ticket = f.ticket(operator, caller)
    call = calls_made.call(customer=caller, answered_by=operator, talk_seconds=95)
    response = client.post(
        reverse("calls_log_on_ticket", args=[call.pk]),
        {
            "report-ticket": ticket.reference.lower(),
            "report-summary": "Explained the outage, ETA 14:00",
            "report-outcome": Outcome.INFORMATION_GIVEN,
            # A duration or direction posted is not a field: the call's count.
            "report-duration_seconds": "1",
        },
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("ticket_detail", args=[ticket.reference])
    interaction = Interaction.objects.get(ticket=ticket, channel=Channel.PHONE)
    assert interaction.duration_seconds == 95
    assert interaction.started_at == call.answered_at


def test_logging_names_what_is_wrong(client, operator):
    call = calls_made.call(customer=f.customer(), answered_by=operator)
    response = client.post(
        reverse("calls_log_on_ticket", args=[call.pk]),
        {"report-ticket": "TT-999999", "report-summary": "", "report-outcome": "lost"},
    )
    assert response.status_code == 422
    errors = response.context["report_form"].errors
    assert set(errors) == {"summary", "outcome"}
    response = client.post(
        reverse("calls_log_on_ticket", args=[call.pk]),
        {
            "report-ticket": "TT-999999",
            "report-summary": "x",
            "report-outcome": Outcome.TICKET_UPDATED,
        },
    )
    assert response.status_code == 422
    assert "TT-999999" in response.context["report_form"].errors["ticket"][0]


def test_a_call_logged_already_is_refused_on_the_form(client, operator):
    caller = f.customer()
    ticket = f.ticket(operator, caller)
    call = calls_made.call(customer=caller, answered_by=operator, ticket=ticket)
    response = client.post(
        reverse("calls_log_on_ticket", args=[call.pk]),
        {
            "report-ticket": ticket.reference,
            "report-summary": "again",
            "report-outcome": Outcome.TICKET_UPDATED,
        },
    )
    assert response.status_code == 422
    assert "logged once" in " ".join(response.context["report_form"].non_field_errors())


def test_called_back_leaves_the_callback_list(client, operator):
    call = calls_made.call(outcome=CallOutcome.MISSED)
    response = client.post(reverse("calls_called_back", args=[call.pk]))
    assert response.status_code == 302
    assert response["Location"] == reverse("calls_log") + "?tab=callbacks"
    call.refresh_from_db()
    assert call.called_back_by_id == operator.pk
    page = client.get(reverse("calls_log"), {"tab": "callbacks"})
    assert page.context["lines"] == []


def test_posts_keep_csrf(operator):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(operator)
    call = calls_made.call(outcome=CallOutcome.MISSED)
    assert browser.post(reverse("calls_called_back", args=[call.pk])).status_code == 403
    call.refresh_from_db()
    assert call.called_back_at is None


def test_the_new_ticket_page_is_prefilled_from_the_call(client, operator):
    caller = f.customer(name="Fibre Bakery GmbH")
    call = calls_made.call(customer=caller, answered_by=operator, talk_seconds=185)
    response = client.get(reverse("calls_ticket_new", args=[call.pk]))
    assert response.status_code == 200
    form = response.context["form"]
    assert form["channel"].value() == Channel.PHONE
    assert form["call_direction"].value() == Direction.INBOUND
    assert (form["call_minutes"].value(), form["call_seconds"].value()) == (3, 5)
    assert form["contact"].value() == call.contact_id
    assert all(form.fields[name].disabled for name in ("channel", "call_minutes"))
    assert "Fibre Bakery GmbH" in response.content.decode()


def test_saving_the_new_ticket_logs_the_call_with_its_times(client, operator):
    caller = f.customer()
    call = calls_made.call(customer=caller, answered_by=operator, talk_seconds=185)
    response = client.post(
        reverse("calls_ticket_new", args=[call.pk]),
        {
            "ticket_type": "fault",
            "title": "Line down since the storm",
            "impact": 2,
            "urgency": 2,
            "contact": call.contact_id,
            "call_summary": "Line down since last night",
            "call_outcome": Outcome.TICKET_CREATED,
            # Typed by hand: ignored, the call says otherwise.
            "channel": Channel.EMAIL,
            "call_direction": Direction.OUTBOUND,
            "call_minutes": 50,
            "call_seconds": 0,
        },
    )
    assert response.status_code == 302, response.context["form"].errors
    ticket = Ticket.objects.get(customer=caller)
    assert response["Location"] == reverse("ticket_detail", args=[ticket.reference])
    assert ticket.channel == Channel.PHONE
    interaction = Interaction.objects.get(ticket=ticket)
    assert interaction.direction == Direction.INBOUND
    assert interaction.duration_seconds == 185
    assert interaction.started_at == call.answered_at
    assert interaction.agent_id == operator.pk
    call.refresh_from_db()
    assert call.ticket_id == ticket.pk


def test_several_matches_choose_the_customer_in_the_link(client, operator):
    chosen = f.customer()
    call = calls_made.call(answered_by=operator)  # several matched: no customer on the call
    url = reverse("calls_ticket_new", args=[call.pk])
    response = client.get(url, {"customer": chosen.pk})
    assert response.status_code == 200
    assert response.context["customer"] == chosen
    assert client.get(url, {"customer": "x1"}).status_code == 404
    assert client.get(url, {"customer": "99999999"}).status_code == 404


def test_an_unknown_caller_is_searched_first(client, operator):
    call = calls_made.call(answered_by=operator)
    response = client.get(reverse("calls_ticket_new", args=[call.pk]))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("customer_search") + "?q=")


def test_account_managers_open_only_their_customers_calls(client):
    manager = f.user(Role.ACCOUNT_MANAGER, groups=[])
    client.force_login(manager)
    call = calls_made.call(customer=f.customer(), answered_by=f.user())
    # Account managers do not work the phone: no call.view.
    assert client.get(reverse("calls_detail", args=[call.pk])).status_code == 403


def test_a_logged_or_unanswered_call_opens_no_new_ticket(client, operator):
    caller = f.customer()
    ticket = f.ticket(operator, caller)
    logged = calls_made.call(customer=caller, answered_by=operator, ticket=ticket)
    response = client.get(reverse("calls_ticket_new", args=[logged.pk]))
    assert response["Location"] == reverse("ticket_detail", args=[ticket.reference])
    missed = calls_made.call(customer=caller, outcome=CallOutcome.MISSED)
    response = client.get(reverse("calls_ticket_new", args=[missed.pk]))
    assert response["Location"] == reverse("calls_detail", args=[missed.pk])


def test_the_call_page_costs_the_same_queries_for_few_and_many_events(
    client, operator, django_assert_num_queries
):
    caller = f.customer()
    for _ in range(3):
        f.ticket(operator, caller)
    call = calls_made.call(customer=caller, answered_by=operator)
    # The session, the agent, the call with its joins, its events, open tickets.
    with django_assert_num_queries(5):
        assert client.get(reverse("calls_detail", args=[call.pk])).status_code == 200
    for n in range(30):
        CtiEvent.objects.create(
            endpoint=call.endpoint, call=call, event="hangup", payload={"n": n}, received_at=now()
        )
        f.ticket(operator, caller)
    with django_assert_num_queries(5):
        response = client.get(reverse("calls_detail", args=[call.pk]))
    assert len(response.context["events"]) == 33


@pytest.mark.parametrize("page", ["calls_detail", "calls_ticket_new"])
def test_an_id_past_any_row_is_404_not_an_error(client, operator, page):
    assert client.get(reverse(page, args=[10**20])).status_code == 404
    assert client.post(reverse("calls_called_back", args=[10**20])).status_code == 404
