"""The ticket pages of the agent UI, driven through Django's test client."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from netdesk.accounts.models import Role, TierKind
from netdesk.customers.models import Segment
from netdesk.tickets import services
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


def detail_url(ticket: Ticket) -> str:
    return reverse("ticket_detail", args=[ticket.reference])


def action_url(ticket: Ticket, action: str) -> str:
    return reverse("ticket_action", args=[ticket.reference, action])


# --- login and errors -------------------------------------------------------------------


def test_pages_need_a_login(client):
    response = client.get(reverse("queue"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_unknown_ticket_is_a_404_page(client, operator):
    response = client.get(reverse("ticket_detail", args=["TT-999999"]))
    assert response.status_code == 404
    assert b"does not exist" in response.content


def test_account_manager_cannot_open_another_accounts_ticket(client):
    operator = f.user()
    ticket = f.ticket(operator)
    manager = f.user(Role.ACCOUNT_MANAGER, groups=[])
    client.force_login(manager)
    assert client.get(detail_url(ticket)).status_code == 404


def test_role_without_the_action_gets_403(client):
    engineer = f.user(Role.FIELD_ENGINEER, groups=[f.group(TierKind.THIRD_LINE)])
    owner = f.customer()
    client.force_login(engineer)
    response = client.get(reverse("ticket_create", args=[owner.pk]))
    assert response.status_code == 403


# --- queue ------------------------------------------------------------------------------


def test_queue_shows_my_groups_open_tickets_by_priority(client, operator):
    low = f.ticket(operator, title="Slow speed", impact=3, urgency=3)
    high = f.ticket(operator, title="Total outage", impact=1, urgency=1)
    noc_ticket = f.ticket(operator, title="NOC work", group=f.group(TierKind.SECOND_LINE))
    response = client.get(reverse("queue"))
    assert response.status_code == 200
    page = response.content.decode()
    assert high.reference in page
    assert low.reference in page
    assert noc_ticket.reference not in page
    assert page.index(high.reference) < page.index(low.reference)


def test_queue_filters_and_htmx_fragment(client, operator):
    mine = f.ticket(operator, title="Mine", assignee=operator)
    other = f.ticket(operator, title="Nobody's")
    response = client.get(reverse("queue"), {"mine": "on"}, HTTP_HX_REQUEST="true")
    page = response.content.decode()
    assert mine.reference in page
    assert other.reference not in page
    assert "<html" not in page
    assert 'hx-trigger="every 15s"' in page
    response = client.get(reverse("queue"), {"unassigned": "on", "group": "all"})
    assert other.reference in response.content.decode()


def test_queue_bad_cursor_says_so(client, operator):
    response = client.get(reverse("queue"), {"cursor": "not-a-cursor"})
    assert response.status_code == 200
    assert b"The cursor is not one this server gave out" in response.content


def test_queue_pages_with_a_next_link(client, operator, monkeypatch):
    monkeypatch.setattr("netdesk.tickets.views_queue.QUEUE_PAGE_SIZE", 2)
    made = [f.ticket(operator, title=f"Ticket {n}") for n in range(3)]
    first = client.get(reverse("queue"))
    next_href = first.context["next_query"]
    assert next_href
    second = client.get(reverse("queue") + "?" + next_href).content.decode()
    assert made[2].reference in second
    assert made[0].reference not in second


def test_queue_costs_the_same_queries_for_5_and_50_tickets(
    client, operator, django_assert_num_queries
):
    owner = f.customer()
    for _ in range(5):
        f.ticket(operator, owner)
    with CaptureQueriesContext(connection) as five:
        assert len(client.get(reverse("queue")).context["tickets"]) == 5
    for _ in range(45):
        f.ticket(operator, f.customer(), assignee=operator)
    with django_assert_num_queries(len(five.captured_queries)):
        assert len(client.get(reverse("queue")).context["tickets"]) == 50


def test_the_polled_table_reads_nothing_of_the_page_around_it(client, operator):
    """Every open queue polls its table every few seconds: the poll reads
    the tickets, not the filters, groups and saved views of the page."""
    for _ in range(3):
        f.ticket(operator, f.customer())
    with CaptureQueriesContext(connection) as page:
        client.get(reverse("queue"))
    with CaptureQueriesContext(connection) as poll:
        answer = client.get(reverse("queue"), HTTP_HX_REQUEST="true")
    assert answer.content.decode().count("<tr class=") == 3
    assert len(poll.captured_queries) == len(page.captured_queries) - 3
    read = " ".join(q["sql"] for q in poll.captured_queries)
    assert "tickets_savedview" not in read


# --- new ticket from a call ---------------------------------------------------------------


def call_form(**changes):
    data = {
        "ticket_type": "fault",
        "channel": "phone",
        "impact": "1",
        "urgency": "2",
        "title": "No internet since 8:00",
        "description": "Router LOS light red",
        "call_direction": "inbound",
        "call_minutes": "4",
        "call_seconds": "30",
        "call_summary": "Customer reports LOS; checked power and cables",
        "call_outcome": "ticket_created",
    }
    data.update(changes)
    return data


def test_create_ticket_from_a_call(client, operator):
    owner = f.customer()
    line = f.service(owner)
    url = reverse("ticket_create", args=[owner.pk])
    assert client.get(url).status_code == 200
    response = client.post(url, call_form(service=str(line.pk)))
    ticket = Ticket.objects.get(customer=owner)
    assert response.status_code == 302
    assert response["Location"] == detail_url(ticket)
    assert ticket.service == line
    assert ticket.priority == 2
    interaction = ticket.interactions.get()
    assert interaction.duration_seconds == 270
    assert interaction.summary.startswith("Customer reports LOS")


def test_the_operator_on_the_call_keeps_the_ticket_unless_they_untick_it(client, operator):
    owner = f.customer()
    url = reverse("ticket_create", args=[owner.pk])
    assert client.get(url).context["form"]["keep"].initial is True
    client.post(url, call_form(keep="on", title="Mine"))
    client.post(url, call_form(title="For the queue"))
    kept = Ticket.objects.get(customer=owner, title="Mine")
    queued = Ticket.objects.get(customer=owner, title="For the queue")
    assert (kept.assignee, kept.status) == (operator, Status.ASSIGNED)
    assert (queued.assignee, queued.status) == (None, Status.NEW)


def test_only_members_of_the_intake_group_are_offered_to_keep_the_ticket(client):
    noc = f.user(Role.NOC_ENGINEER, groups=[f.group(TierKind.SECOND_LINE)])
    client.force_login(noc)
    owner = f.customer()
    url = reverse("ticket_create", args=[owner.pk])
    assert "keep" not in client.get(url).context["form"].fields
    client.post(url, call_form(keep="on"))
    assert Ticket.objects.get(customer=owner).assignee is None


def test_create_ticket_error_lands_on_its_field_and_keeps_the_input(client, operator):
    owner = f.customer()
    response = client.post(reverse("ticket_create", args=[owner.pk]), call_form(call_summary="   "))
    assert response.status_code == 422
    form = response.context["form"]
    assert "call_summary" in form.errors
    assert "summary of what was said" in form.errors["call_summary"][0]
    assert b"No internet since 8:00" in response.content
    assert not Ticket.objects.filter(customer=owner).exists()


# --- the ticket page and its actions --------------------------------------------------------


def test_detail_shows_header_timeline_and_allowed_actions(client, operator):
    ticket = f.ticket(
        operator,
        call={"direction": "inbound", "summary": "Router blinking", "outcome": "ticket_created"},
    )
    services.comment_add(actor=operator, ticket=ticket, body="Checked line", visibility="internal")
    response = client.get(detail_url(ticket))
    page = response.content.decode()
    assert response.status_code == 200
    assert ticket.reference in page
    assert "Router blinking" in page
    assert "Checked line" in page
    main = [panel["name"] for panel in response.context["main_panels"]]
    assert main == ["comment", "contact", "resolve", "escalate"]
    names = main + [panel["name"] for panel in response.context["more_panels"]]
    assert "close" not in names  # operators cannot close, and it is not resolved


def test_detail_accepts_a_bare_number_and_redirects(client, operator):
    ticket = f.ticket(operator)
    response = client.get(reverse("ticket_detail", args=[str(ticket.pk)]))
    assert response.status_code == 302
    assert response["Location"] == detail_url(ticket)


def test_assign_to_me(client, operator):
    ticket = f.ticket(operator)
    response = client.post(action_url(ticket, "assign-me"))
    assert response.status_code == 302
    ticket.refresh_from_db()
    assert ticket.assignee == operator
    assert ticket.status == Status.ASSIGNED


def test_assign_to_me_outside_the_group_shows_the_error(client):
    operator = f.user()
    ticket = f.ticket(operator, group=f.group(TierKind.SECOND_LINE))
    outsider = f.user()
    client.force_login(outsider)
    response = client.post(action_url(ticket, "assign-me"))
    assert response.status_code == 422
    assert b"is not a member of" in response.content


def test_assign_to_agent_and_error(client, operator):
    colleague = f.user()
    ticket = f.ticket(operator)
    response = client.post(action_url(ticket, "assign"), {"assign-assignee": str(colleague.pk)})
    assert response.status_code == 302
    ticket.refresh_from_db()
    assert ticket.assignee == colleague
    stranger = f.user(Role.NOC_ENGINEER, groups=[f.group(TierKind.SECOND_LINE)])
    response = client.post(action_url(ticket, "assign"), {"assign-assignee": str(stranger.pk)})
    assert response.status_code == 422  # not one of the group's members offered


def test_change_status_and_error(client, operator):
    ticket = f.ticket(operator)
    response = client.post(
        action_url(ticket, "status"), {"status-status": "in_progress", "status-note": "On it"}
    )
    assert response.status_code == 302
    ticket.refresh_from_db()
    assert ticket.status == Status.IN_PROGRESS
    response = client.post(action_url(ticket, "status"), {"status-status": "closed"})
    assert response.status_code == 422
    assert "status" in response.context["failed_form"].errors


def test_log_a_contact_and_error(client, operator):
    ticket = f.ticket(operator)
    data = {
        "contact-channel": "phone",
        "contact-direction": "outbound",
        "contact-minutes": "2",
        "contact-seconds": "5",
        "contact-summary": "Called back, line test OK",
        "contact-outcome": "ticket_updated",
    }
    assert client.post(action_url(ticket, "contact"), data).status_code == 302
    assert ticket.interactions.get().duration_seconds == 125
    response = client.post(action_url(ticket, "contact"), {**data, "contact-summary": ""})
    assert response.status_code == 422
    assert "summary" in response.context["failed_form"].errors


def test_note_with_attachment_and_empty_note_error(client, operator):
    ticket = f.ticket(operator)
    upload = SimpleUploadedFile("trace.txt", b"traceroute output", content_type="text/plain")
    response = client.post(
        action_url(ticket, "comment"),
        {
            "comment-visibility": "internal",
            "comment-body": "Trace attached",
            "comment-file": upload,
        },
    )
    assert response.status_code == 302
    comment = ticket.comments.get()
    attachment = comment.attachments.get()
    assert attachment.filename == "trace.txt"
    download = client.get(reverse("ticket_attachment", args=[ticket.reference, attachment.pk]))
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == b"traceroute output"
    assert "attachment" in download["Content-Disposition"]
    missing = reverse("ticket_attachment", args=[ticket.reference, attachment.pk + 1])
    assert client.get(missing).status_code == 404
    response = client.post(
        action_url(ticket, "comment"), {"comment-visibility": "public", "comment-body": " "}
    )
    assert response.status_code == 422
    assert "body" in response.context["failed_form"].errors


def test_functional_escalation_needs_a_reason(client, operator):
    ticket = f.ticket(operator)
    noc = f.group(TierKind.SECOND_LINE)
    response = client.post(
        action_url(ticket, "escalate"), {"escalate-group": str(noc.pk), "escalate-reason": ""}
    )
    assert response.status_code == 422
    assert "reason" in response.context["failed_form"].errors
    response = client.post(
        action_url(ticket, "escalate"),
        {"escalate-group": str(noc.pk), "escalate-reason": "LOS on the OLT port"},
    )
    assert response.status_code == 302
    ticket.refresh_from_db()
    assert ticket.group == noc
    assert ticket.events.filter(kind=EventKind.ESCALATED_FUNCTIONAL).exists()


def test_hierarchical_escalation_and_error(client, operator):
    ticket = f.ticket(operator)
    url = action_url(ticket, "escalate-up")
    assert client.post(url, {"escalate-up-reason": ""}).status_code == 422
    assert client.post(url, {"escalate-up-reason": "Key customer angry"}).status_code == 302
    ticket.refresh_from_db()
    assert ticket.hierarchical_level == 1


def test_resolve_needs_root_cause_for_a_fault(client, operator):
    ticket = f.ticket(operator)
    url = action_url(ticket, "resolve")
    response = client.post(url, {"resolve-resolution_code": "fixed", "resolve-notes": "Reset"})
    assert response.status_code == 422
    assert "root_cause" in response.context["failed_form"].errors
    assert b"Reset" in response.content  # what was typed is kept
    response = client.post(
        url,
        {"resolve-resolution_code": "fixed", "resolve-root_cause": "hardware", "resolve-notes": ""},
    )
    assert response.status_code == 302
    ticket.refresh_from_db()
    assert ticket.status == Status.RESOLVED
    assert ticket.root_cause == "hardware"


def test_reopen_and_close(client, operator):
    lead = f.user(Role.TEAM_LEAD)
    ticket = f.ticket(operator)
    services.ticket_resolve(
        actor=operator, ticket=ticket, resolution_code="fixed", root_cause="hardware"
    )
    assert client.post(action_url(ticket, "reopen"), {"reopen-reason": ""}).status_code == 422
    assert (
        client.post(action_url(ticket, "reopen"), {"reopen-reason": "Down again"}).status_code
        == 302
    )
    ticket.refresh_from_db()
    assert ticket.status == Status.IN_PROGRESS
    # Operators may not close; the handler checks even without the button.
    services.ticket_resolve(
        actor=operator, ticket=ticket, resolution_code="fixed", root_cause="hardware"
    )
    assert client.post(action_url(ticket, "close"), {}).status_code == 403
    client.force_login(lead)
    assert client.post(action_url(ticket, "close"), {"close-note": "Confirmed"}).status_code == 302
    ticket.refresh_from_db()
    assert ticket.status == Status.CLOSED


def test_link_kinds_and_unknown_target(client, operator):
    lead = f.user(Role.TEAM_LEAD)
    owner = f.customer(Segment.BUSINESS)
    first, second, third = (f.ticket(operator, owner) for _ in range(3))
    url = action_url(first, "link")
    response = client.post(url, {"link-kind": "related_to", "link-target": "TT-999999"})
    assert response.status_code == 422
    assert "target" in response.context["failed_form"].errors
    response = client.post(url, {"link-kind": "related_to", "link-target": second.reference})
    assert response.status_code == 302
    assert first.links_out.get().target == second
    assert (
        client.post(url, {"link-kind": "child_of", "link-target": third.reference}).status_code
        == 302
    )
    first.refresh_from_db()
    assert first.parent == third
    client.force_login(lead)
    response = client.post(
        action_url(second, "link"), {"link-kind": "merge_into", "link-target": third.reference}
    )
    assert response.status_code == 302
    second.refresh_from_db()
    assert second.merged_into == third
    assert second.status == Status.CLOSED


def test_unknown_action_is_404_and_get_is_not_allowed(client, operator):
    ticket = f.ticket(operator)
    assert client.post(action_url(ticket, "explode")).status_code == 404
    assert client.get(action_url(ticket, "resolve")).status_code == 405


def test_timeline_names_people_and_values_not_ids(client, operator):
    colleague = f.user(first_name="Cleo", last_name="Colleague")
    ticket = f.ticket(operator)
    services.ticket_assign(actor=operator, ticket=ticket, assignee=colleague)
    services.ticket_resolve(
        actor=operator, ticket=ticket, resolution_code="fixed", root_cause="hardware"
    )
    entries = client.get(detail_url(ticket)).context["timeline"]
    changes = " | ".join(entry.changes for entry in entries)
    assert "assignee: nobody → Cleo Colleague" in changes
    assert "resolution code: Fixed" in changes
    assert "root cause: Hardware failure" in changes
    assert [entry.kind for entry in entries].count(EventKind.RESOLVED) == 1
