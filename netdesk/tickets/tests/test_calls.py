"""Call handling: "Resolved on the call" resolves the ticket in the same step
(new ticket from a call, a call logged on a ticket, the API alike); forms
mark what they need and show every error at once; the new-ticket form
warns of an outage and preselects the only contact."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from netdesk.customers.models import Contact
from netdesk.sla.models import Metric, PolicyKind, SlaTimer, TimerState
from netdesk.tickets.choices import Status
from netdesk.tickets.models import Ticket
from netdesk.tickets.models.timeline import EventKind
from tests import factories as f

pytestmark = pytest.mark.django_db


@pytest.fixture
def operator(client):
    agent = f.user()
    client.force_login(agent)
    return agent


def _create_form(**changes):
    data = {
        "ticket_type": "fault",
        "channel": "phone",
        "impact": "2",
        "urgency": "2",
        "title": "No internet",
        "keep": "on",
        "call_direction": "inbound",
        "call_minutes": "4",
        "call_seconds": "0",
        "call_summary": "Router rebooted, line back",
        "call_outcome": "resolved",
        "call_resolution_code": "fixed",
        "call_root_cause": "customer_side",
    }
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


def _assert_resolved_on_the_call(ticket: Ticket) -> None:
    ticket.refresh_from_db()
    assert ticket.status == Status.RESOLVED
    assert ticket.resolution_code == "fixed"
    assert ticket.first_contact_resolved is True
    kinds = list(ticket.events.order_by("at", "id").values_list("kind", flat=True))
    assert kinds[-1] == EventKind.RESOLVED
    assert EventKind.INTERACTION_LOGGED in kinds
    # The clock stopped: no service-level timer is left running.
    running = SlaTimer.objects.filter(ticket=ticket, state=TimerState.RUNNING)
    assert not running.exists()
    assert SlaTimer.objects.filter(
        ticket=ticket, kind=PolicyKind.SLA, metric=Metric.RESOLUTION, state=TimerState.MET
    ).exists()


def test_a_new_ticket_resolved_on_the_call_is_resolved(client, operator):
    caller = f.customer()
    response = client.post(reverse("ticket_create", args=[caller.pk]), _create_form())
    assert response.status_code == 302, response.content.decode()
    _assert_resolved_on_the_call(Ticket.objects.get(customer=caller))


def test_resolved_on_the_call_asks_for_the_resolution_code_with_every_other_error(client, operator):
    caller = f.customer()
    response = client.post(
        reverse("ticket_create", args=[caller.pk]),
        _create_form(title="", call_summary="", call_resolution_code="", call_root_cause=""),
    )
    assert response.status_code == 422
    errors = response.context["form"].errors
    # Every missing field at once, not one per submit.
    assert {"title", "call_summary", "call_resolution_code", "call_root_cause"} <= set(errors)
    assert not Ticket.objects.exists()


def test_a_call_logged_as_resolved_on_a_ticket_resolves_it(client, operator):
    ticket = f.ticket(operator, assignee=operator)
    response = client.post(
        reverse("ticket_action", args=[ticket.reference, "contact"]),
        {
            "contact-channel": "phone",
            "contact-direction": "inbound",
            "contact-minutes": "3",
            "contact-seconds": "0",
            "contact-summary": "Customer confirms the line works after the reset",
            "contact-outcome": "resolved",
            "contact-resolution_code": "fixed",
            "contact-root_cause": "customer_side",
        },
    )
    assert response.status_code == 302, response.content.decode()
    ticket.refresh_from_db()
    assert ticket.status == Status.RESOLVED
    assert ticket.resolved_by == operator
    assert ticket.interactions.filter(outcome="resolved").count() == 1


def test_a_call_logged_as_resolved_without_a_code_changes_nothing(client, operator):
    ticket = f.ticket(operator, assignee=operator)
    response = client.post(
        reverse("ticket_action", args=[ticket.reference, "contact"]),
        {
            "contact-channel": "phone",
            "contact-direction": "inbound",
            "contact-minutes": "3",
            "contact-seconds": "0",
            "contact-summary": "",
            "contact-outcome": "resolved",
        },
    )
    assert response.status_code == 422
    form = response.context["failed_form"]
    assert {"summary", "resolution_code", "root_cause"} <= set(form.errors)
    ticket.refresh_from_db()
    assert ticket.status == Status.ASSIGNED
    assert not ticket.interactions.exists()


def test_the_api_resolves_on_the_call_on_create_and_on_a_logged_call():
    operator = f.user()
    caller = f.customer()
    api = Client(HTTP_AUTHORIZATION=f"Bearer {f.token_for(operator)}")
    call = {
        "direction": "inbound",
        "summary": "Reset the router together",
        "outcome": "resolved",
        "resolution_code": "fixed",
        "root_cause": "customer_side",
    }
    created = api.post(
        "/api/v1/tickets",
        {
            "customer_id": caller.pk,
            "ticket_type": "fault",
            "channel": "phone",
            "title": "No internet",
            "call": call,
        },
        content_type="application/json",
    )
    assert created.status_code == 201, created.content
    assert created.json()["status"] == "resolved"
    _assert_resolved_on_the_call(Ticket.objects.get(customer=caller))

    open_one = f.ticket(operator, caller)
    logged = api.post(
        f"/api/v1/tickets/{open_one.reference}/interactions",
        {"channel": "phone", **call},
        content_type="application/json",
    )
    assert logged.status_code == 201, logged.content
    open_one.refresh_from_db()
    assert open_one.status == Status.RESOLVED

    without_code = api.post(
        f"/api/v1/tickets/{f.ticket(operator, caller).reference}/interactions",
        {"channel": "phone", **call, "resolution_code": None},
        content_type="application/json",
    )
    assert without_code.status_code == 422
    assert without_code.json()["errors"][0]["field"] == "resolution_code"


def test_required_fields_are_marked_and_the_browser_leaves_checking_to_the_desk(client, operator):
    caller = f.customer()
    page = client.get(reverse("ticket_create", args=[caller.pk])).content.decode()
    assert 'for="id_title">Title <abbr class="required" title="required">*</abbr>' in page
    assert "novalidate" in page  # every error comes back at once, not one bubble at a time
    ticket = f.ticket(operator)
    page = client.get(reverse("ticket_detail", args=[ticket.reference])).content.decode()
    assert 'for="id_resolve-resolution_code">Resolution code <abbr class="required"' in page


def test_the_new_ticket_form_warns_of_an_outage_and_preselects_the_only_contact(client, operator):
    caller = f.customer()  # the factory gives one contact
    only = Contact.objects.get(customer=caller)
    page = client.get(reverse("ticket_create", args=[caller.pk]))
    assert page.context["form"]["contact"].value() == only.pk
    html = page.content.decode()
    assert reverse("noc_customer_status", args=[caller.pk]) in html
    Contact(customer=caller, name="Second person", phone="+49 30 999").save()
    page = client.get(reverse("ticket_create", args=[caller.pk]))
    assert page.context["form"]["contact"].value() in (None, "")
