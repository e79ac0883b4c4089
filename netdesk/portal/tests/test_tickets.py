"""A subscriber's tickets in the portal: only their own (by public
reference), the public conversation without internal notes, answers,
"This is solved", new tickets with files, the list's fixed query count, and
how an agent's reply reaches a contact who reads answers only in the portal."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from netdesk.channels.models import OutboundKind, OutboundMessage
from netdesk.customers.models import Contact, Customer, NotifyBy, Segment
from netdesk.portal.access import SESSION_CONTACT, SESSION_SEEN_AT, SESSION_SIGNED_IN_AT
from netdesk.tickets.choices import Channel, Direction, Outcome, ResolutionCode, Status
from netdesk.tickets.models import Attachment, Interaction, Ticket
from netdesk.tickets.services import comment_add, ticket_resolve
from tests import factories as f

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def portal_contact(owner: Customer | None = None) -> Contact:
    """The customer's primary contact, verified with an address: one who may
    sign in to the portal."""
    owner = owner or f.customer()
    contact = Contact.objects.get(customer=owner, is_primary=True)
    contact.verified = True
    contact.email = f"contact{contact.pk}@example.net"
    contact.save(update_fields=["verified", "email"])
    return contact


def sign_in(client: Client, contact: Contact) -> Client:
    """The portal session a sign-in link leaves (its own keys, no Django user)."""
    session = client.session
    now = timezone.now().isoformat()
    session[SESSION_CONTACT] = contact.pk
    session[SESSION_SIGNED_IN_AT] = now
    session[SESSION_SEEN_AT] = now
    session.save()
    return client


@pytest.fixture
def agent():
    return f.user()


@pytest.fixture
def contact():
    return portal_contact()


@pytest.fixture
def portal(client, contact):
    return sign_in(client, contact)


def _page(ticket: Ticket) -> str:
    return reverse("portal_ticket", args=[ticket.public_id])


def test_list_shows_own_tickets_only_by_public_reference(portal, contact, agent):
    mine = f.ticket(agent, contact.customer, title="Router blinks red")
    theirs = f.ticket(agent, f.customer(), title="Someone else's fault")

    page = portal.get(reverse("portal_tickets")).content.decode()

    assert "Router blinks red" in page
    assert _page(mine) in page
    assert "Someone else&#x27;s fault" not in page
    assert "Someone else's fault" not in page
    assert mine.reference not in page  # agents' numbers are not shown
    assert portal.get(_page(theirs)).status_code == 404
    assert portal.get(f"/portal/tickets/{mine.pk}/").status_code == 404


def test_business_contact_sees_only_the_tickets_they_opened(client, agent):
    business = f.customer(segment=Segment.BUSINESS)
    contact = portal_contact(business)
    colleague = Contact.objects.create(customer=business, name="Colleague", verified=True)
    own = f.ticket(agent, business, contact=contact, title="Mine")
    other = f.ticket(agent, business, contact=colleague, title="The colleague's")
    sign_in(client, contact)

    assert client.get(_page(own)).status_code == 200
    assert client.get(_page(other)).status_code == 404


@pytest.mark.parametrize("tickets", [1, 20])
def test_list_reads_a_fixed_number_of_queries(
    portal, contact, agent, tickets, django_assert_num_queries
):
    service = f.service(contact.customer)
    for number in range(tickets):
        f.ticket(agent, contact.customer, service=service, title=f"Fault {number}")

    # The session, the contact with its access flags, the tickets with their service.
    with django_assert_num_queries(3):
        response = portal.get(reverse("portal_tickets"))

    assert response.status_code == 200
    assert response.content.decode().count("Fault ") == tickets


def test_ticket_page_shows_the_public_conversation_never_notes(portal, contact, agent):
    ticket = f.ticket(agent, contact.customer, description="No sync since 7:00")
    comment_add(actor=agent, ticket=ticket, body="We reset your port.", visibility="public")
    comment_add(actor=agent, ticket=ticket, body="Port flaps; NOC!", visibility="internal")

    page = portal.get(_page(ticket)).content.decode()

    assert "No sync since 7:00" in page
    assert "We reset your port." in page
    assert "Port flaps" not in page
    assert "Received" in page  # the status in plain words
    assert agent.username not in page  # agents' user names stay inside the desk


def test_answer_is_added_and_reopens_a_resolved_ticket(portal, contact, agent):
    ticket = f.ticket(agent, contact.customer, contact=contact)
    ticket_resolve(actor=agent, ticket=ticket, resolution_code="fixed", root_cause="hardware")

    response = portal.post(
        reverse("portal_ticket_reply", args=[ticket.public_id]),
        {"body": "Still down, sorry.", "attachments": [SimpleUploadedFile("log.txt", b"LOS\n")]},
    )

    assert response.status_code == 302
    ticket.refresh_from_db()
    assert ticket.status == Status.IN_PROGRESS
    comment = ticket.comments.get()
    assert (comment.contact, comment.author, comment.body) == (contact, None, "Still down, sorry.")
    assert Attachment.objects.get(ticket=ticket, comment=comment).filename == "log.txt"
    page = portal.get(_page(ticket)).content.decode()
    assert "Still down, sorry." in page
    assert "log.txt" in page


def test_empty_answer_is_refused_with_the_field_named(portal, contact, agent):
    ticket = f.ticket(agent, contact.customer)

    response = portal.post(reverse("portal_ticket_reply", args=[ticket.public_id]), {"body": ""})

    assert response.status_code == 422
    assert not ticket.comments.exists()


def test_solved_closes_a_resolved_ticket(portal, contact, agent):
    ticket = f.ticket(agent, contact.customer)
    ticket_resolve(actor=agent, ticket=ticket, resolution_code="fixed", root_cause="hardware")

    portal.post(reverse("portal_ticket_solved", args=[ticket.public_id]))

    ticket.refresh_from_db()
    assert ticket.status == Status.CLOSED
    closed = ticket.events.get(kind="closed", field="status")
    assert closed.actor is None
    assert "confirmed in the portal" in closed.message


def test_solved_resolves_an_open_ticket_as_withdrawn_by_the_customer(portal, contact, agent):
    ticket = f.ticket(agent, contact.customer, ticket_type="fault")

    portal.post(reverse("portal_ticket_solved", args=[ticket.public_id]))

    ticket.refresh_from_db()
    assert (ticket.status, ticket.resolution_code, ticket.root_cause) == (
        Status.RESOLVED,
        ResolutionCode.CANCELLED_BY_CUSTOMER,
        "unknown",
    )
    assert "said in the portal that it is solved" in ticket.resolution_notes
    assert ticket.resolved_by is None


def test_closed_ticket_offers_no_answer(portal, contact, agent):
    ticket = f.ticket(agent, contact.customer)
    ticket_resolve(actor=agent, ticket=ticket, resolution_code="fixed", root_cause="hardware")
    portal.post(reverse("portal_ticket_solved", args=[ticket.public_id]))

    page = portal.get(_page(ticket)).content.decode()
    again = portal.post(reverse("portal_ticket_reply", args=[ticket.public_id]), {"body": "Hi"})

    assert "This ticket is closed" in page
    assert "This is solved" not in page
    assert again.status_code == 422


def test_new_ticket_opens_on_the_web_channel_with_its_files(portal, contact):
    service = f.service(contact.customer, product="Fibre 1000")
    form = reverse("portal_ticket_new")

    step_one = portal.get(form).content.decode()
    step_two = portal.get(form, {"service": service.service_id})
    response = portal.post(
        form,
        {
            "service": service.service_id,
            "ticket_type": "fault",
            "description": "No internet since this morning.\nThe ONT shows LOS.",
            "attachments": [SimpleUploadedFile("ont.pdf", PDF)],
        },
    )

    assert "Fibre 1000" in step_one
    assert step_two.status_code == 200
    assert "Tell us what happened" in step_two.content.decode()
    ticket = Ticket.objects.get(customer=contact.customer)
    assert response.status_code == 302
    assert response["Location"] == _page(ticket)
    assert (ticket.channel, ticket.contact, ticket.service, ticket.created_by) == (
        Channel.WEB,
        contact,
        service,
        None,
    )
    assert ticket.title == "No internet since this morning."
    call = Interaction.objects.get(ticket=ticket)
    assert (call.direction, call.outcome, call.duration_seconds) == (
        Direction.INBOUND,
        Outcome.TICKET_CREATED,
        0,
    )
    assert ticket.attachments.get().content_type == "application/pdf"
    download = portal.get(
        reverse("portal_ticket_file", args=[ticket.public_id, ticket.attachments.get().pk])
    )
    assert download.content == PDF
    assert download["Content-Disposition"].startswith("attachment")


def test_new_ticket_with_a_disguised_program_is_refused_whole(portal, contact):
    program = SimpleUploadedFile("invoice.pdf", b"MZ\x90\x00\x03" + b"\x00" * 64)

    response = portal.post(
        reverse("portal_ticket_new"),
        {
            "service": "",
            "ticket_type": "billing_inquiry",
            "description": "See file",
            "attachments": [program],
        },
    )

    assert response.status_code == 422
    assert "invoice.pdf" in response.content.decode()
    assert not Ticket.objects.filter(customer=contact.customer).exists()


def test_another_customers_service_is_not_found(portal):
    foreign = f.service(f.customer())

    response = portal.get(reverse("portal_ticket_new"), {"service": foreign.service_id})

    assert response.status_code == 404


def test_writes_are_throttled_per_contact(portal, contact, settings):
    settings.NETDESK_PORTAL_WRITE_RATE = "2/hour"
    data = {"service": "", "ticket_type": "information_request", "description": "A question"}

    answers = [portal.post(reverse("portal_ticket_new"), data).status_code for _ in range(3)]

    assert answers == [302, 302, 429]
    assert Ticket.objects.filter(customer=contact.customer).count() == 2


def test_signed_out_visitor_is_sent_to_sign_in(client, agent):
    ticket = f.ticket(agent)

    response = client.get(_page(ticket))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("portal_sign_in"))


@pytest.mark.parametrize(("notify_by", "mails"), [(NotifyBy.EMAIL, 1), (NotifyBy.PORTAL_ONLY, 0)])
def test_agent_reply_is_mailed_unless_the_contact_reads_only_the_portal(
    contact, agent, notify_by, mails
):
    contact.notify_by = notify_by
    contact.save(update_fields=["notify_by"])
    ticket = f.ticket(agent, contact.customer, contact=contact)

    comment_add(actor=agent, ticket=ticket, body="Fixed on our side.", visibility="public")

    sent = OutboundMessage.objects.filter(ticket=ticket, kind=OutboundKind.REPLY)
    assert sent.count() == mails


@pytest.mark.parametrize(("notify_by", "mails"), [(NotifyBy.EMAIL, 1), (NotifyBy.PORTAL_ONLY, 0)])
def test_resolved_notice_of_a_mailed_ticket_follows_the_contacts_choice(
    contact, agent, notify_by, mails
):
    contact.notify_by = notify_by
    contact.save(update_fields=["notify_by"])
    ticket = f.ticket(agent, contact.customer, contact=contact, channel=Channel.EMAIL)

    ticket_resolve(actor=agent, ticket=ticket, resolution_code="fixed", root_cause="hardware")

    sent = OutboundMessage.objects.filter(ticket=ticket, kind=OutboundKind.STATUS)
    assert sent.count() == mails
