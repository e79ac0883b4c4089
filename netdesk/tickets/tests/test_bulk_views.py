"""The queue's bulk change form and its export links."""

import pytest
from django.contrib.messages import get_messages
from django.test import Client

from netdesk.accounts.models import Role
from netdesk.tickets.choices import Status
from netdesk.tickets.models import Ticket
from netdesk.tickets.services import ticket_resolve
from netdesk.tickets.services.saved_views import saved_view_create
from tests import factories as f

pytestmark = pytest.mark.django_db


def _signed_in(user):
    client = Client()
    client.force_login(user)
    return client


def test_a_team_lead_sees_the_bulk_form_and_the_export_links_with_the_filters():
    lead = f.user(Role.TEAM_LEAD)
    f.user(username="nadia")
    f.ticket(lead)

    page = _signed_in(lead).get("/?group=all&priority=2&priority=3").content.decode()

    assert 'id="bulk-form"' in page
    assert 'action="/tickets/bulk/"' in page
    assert "Apply to selected" in page
    assert 'id="bulk-select-page"' in page
    assert '<option value="nadia">nadia</option>' in page
    assert "netdesk/queue-bulk.js" in page
    assert 'href="/tickets/export.csv?group=all&amp;priority=2&amp;priority=3"' in page
    assert 'href="/tickets/export.xlsx?group=all&amp;priority=2&amp;priority=3"' in page


def test_an_operator_has_no_bulk_form_and_no_exports():
    operator = f.user()
    page = _signed_in(operator).get("/").content.decode()
    assert "Apply to selected" not in page
    assert "Export CSV" not in page
    assert '<form id="bulk-form" hidden>' in page


def test_the_export_link_names_the_group_the_queue_chose_by_default():
    lead = f.user(Role.TEAM_LEAD)
    page = _signed_in(lead).get("/").content.decode()
    assert f'href="/tickets/export.csv?group={f.group().pk}"' in page


def test_the_export_link_of_a_queue_opened_on_a_default_view_names_the_view():
    lead = f.user(Role.TEAM_LEAD)
    f.ticket(lead, channel="email")
    f.ticket(lead, channel="phone")
    view = saved_view_create(
        actor=lead, name="Mail", query={"group": ["all"], "channel": ["email"]}, make_default=True
    )
    client = _signed_in(lead)

    page = client.get("/").content.decode()

    assert f'href="/tickets/export.csv?view={view.pk}' in page
    exported = client.get(f"/tickets/export.csv?view={view.pk}")
    lines = b"".join(exported.streaming_content).decode().splitlines()
    assert len(lines) == 2  # the heading and the one mailed-in ticket


def test_apply_assigns_the_ticked_tickets_and_returns_to_the_queue_with_the_summary():
    lead = f.user(Role.TEAM_LEAD)
    agent = f.user(username="nadia")
    first, second = f.ticket(lead), f.ticket(lead)
    client = _signed_in(lead)

    response = client.post(
        "/tickets/bulk/",
        {
            "ref": [first.reference, second.reference],
            "action": "assign",
            "assignee": "nadia",
            "note": "not read by this action",
            "next": "/?group=all",
        },
    )

    assert response.status_code == 302
    assert response["Location"] == "/?group=all"
    told = [str(m) for m in get_messages(response.wsgi_request)]
    assert told[0] == "2 tickets changed."
    assert f"{first.reference} status new → assigned, assignee none → nadia" in told
    assert set(Ticket.objects.values_list("assignee_id", flat=True)) == {agent.pk}
    assert not first.comments.exists()


def test_a_refused_ticket_is_named_and_nothing_changes():
    lead = f.user(Role.TEAM_LEAD)
    fine = f.ticket(lead)
    done = f.ticket(lead, ticket_type="information_request")
    ticket_resolve(actor=lead, ticket=done, resolution_code="information_given")

    response = _signed_in(lead).post(
        "/tickets/bulk/",
        {
            "ref": [fine.reference, done.reference],
            "action": "status",
            "status": "pending_customer",
            "status_note": "Asked for the router's lights",
        },
    )

    assert response.status_code == 302
    assert response["Location"] == "/"
    told = [str(m) for m in get_messages(response.wsgi_request)]
    assert told[0].startswith("Nothing was changed")
    assert told[1].startswith(done.reference)
    assert Ticket.objects.get(pk=fine.pk).status == Status.NEW


def test_a_bad_parameter_or_a_foreign_next_address_changes_nothing():
    lead = f.user(Role.TEAM_LEAD)
    ticket = f.ticket(lead)
    response = _signed_in(lead).post(
        "/tickets/bulk/",
        {
            "ref": [ticket.reference],
            "action": "assign",
            "assignee": "ghost",
            "next": "https://evil.example/",
        },
    )
    assert response["Location"] == "/"
    told = [str(m) for m in get_messages(response.wsgi_request)]
    assert told == [
        "Nothing was changed. No active user 'ghost'. "
        "Accepted: the user name or id of an active agent, or none."
    ]
    assert Ticket.objects.get(pk=ticket.pk).assignee_id is None


def test_an_operator_is_refused():
    operator = f.user()
    ticket = f.ticket(operator)
    response = _signed_in(operator).post(
        "/tickets/bulk/", {"ref": [ticket.reference], "action": "note", "note": "x"}
    )
    assert response.status_code == 403
    assert not ticket.comments.exists()
