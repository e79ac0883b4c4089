"""Replying by mail from the ticket page: reply and reply-all prefilled,
templates filling the text, addresses checked with what was typed kept, and
only for those who may reply to a ticket they may see."""

from __future__ import annotations

import pytest
from django.urls import reverse

from netdesk.accounts.models import Role, TierKind
from netdesk.channels.models import Mailbox, MessageTemplate, OutboundKind, OutboundMessage
from netdesk.channels.tests.conversation_rows import received
from netdesk.customers.models import Segment
from netdesk.tickets.choices import Visibility
from netdesk.tickets.models import Comment, Ticket
from tests import factories as f

pytestmark = pytest.mark.django_db


@pytest.fixture
def operator(client):
    agent = f.user()
    client.force_login(agent)
    return agent


@pytest.fixture
def ticket(operator):
    """A ticket whose customer wrote to the desk with a colleague copied."""
    Mailbox.objects.create(name="support", address="support@isp.example")
    ticket = f.ticket(operator, channel="email")
    received(
        ticket,
        sender="carla@example.net",
        to_addresses="support@isp.example, ops@example.net",
        cc_addresses="boss@example.net",
    )
    return ticket


def reply_url(ticket: Ticket, query: str = "") -> str:
    return reverse("channels_reply", args=[ticket.reference]) + query


def test_the_ticket_page_offers_a_reply_to_the_sender(client, ticket):
    html = client.get(reverse("ticket_detail", args=[ticket.reference])).content.decode()
    assert f'action="{reply_url(ticket)}"' in html
    assert 'name="to" value="carla@example.net"' in html
    # a plain reply copies nobody
    assert 'name="cc" value=""' in html or 'name="cc" id' in html


def test_reply_all_adds_the_other_recipients_as_copies(client, ticket):
    response = client.get(reply_url(ticket, "?all=1"))
    assert response.status_code == 200
    html = response.content.decode()
    assert 'name="cc" value="ops@example.net, boss@example.net"' in html


def test_the_reply_template_in_the_customers_language_gives_the_starting_text(
    client, ticket, operator
):
    ticket.customer.language = "de"
    ticket.customer.save()
    german = MessageTemplate.objects.get(event="reply", language="de")
    html = client.get(reply_url(ticket)).content.decode()
    assert "Mit freundlichen Grüßen" in html
    english = MessageTemplate.objects.get(event="reply", language="en")
    # picking another template fills the text with it, server-side
    html = client.get(reply_url(ticket, f"?template={english.pk}")).content.decode()
    assert "Kind regards" in html
    assert f'<option value="{german.pk}">' in html


def test_an_unknown_template_is_a_404(client, ticket):
    assert client.get(reply_url(ticket, "?template=999999")).status_code == 404


def test_sending_a_reply_queues_the_mail_to_the_chosen_addresses(client, ticket, operator):
    response = client.post(
        reply_url(ticket),
        {"to": "carla@example.net", "cc": "boss@example.net; ops@example.net", "body": "Fixed."},
    )
    assert response.status_code == 302
    comment = Comment.objects.get(ticket=ticket, visibility=Visibility.PUBLIC)
    assert (comment.body, comment.author) == ("Fixed.", operator)
    mail = OutboundMessage.objects.get(ticket=ticket, kind=OutboundKind.REPLY)
    assert mail.to_addresses == "carla@example.net"
    assert [a.strip() for a in mail.cc_addresses.split(",")] == [
        "boss@example.net",
        "ops@example.net",
    ]
    assert mail.comment_id == comment.pk


@pytest.mark.parametrize(
    ("field", "value", "label"),
    [("to", "carla@", "To"), ("cc", "boss@example.net, not an address", "Cc")],
)
def test_a_bad_address_is_named_and_what_was_typed_kept(client, ticket, field, value, label):
    typed = {"to": "carla@example.net", "cc": "", "body": "A long answer I typed."}
    typed[field] = value
    response = client.post(reply_url(ticket), typed)
    assert response.status_code == 422
    html = response.content.decode()
    bad = value.split(", ")[-1]
    assert f"{label}: &#x27;{bad}&#x27; is not an e-mail address" in html
    assert "A long answer I typed." in html
    assert not Comment.objects.filter(ticket=ticket).exists()
    assert not OutboundMessage.objects.filter(ticket=ticket).exists()


def test_a_reply_needs_a_recipient(client, ticket):
    response = client.post(reply_url(ticket), {"to": " , ", "body": "Hello"})
    assert response.status_code == 422
    assert "To: at least one address is needed" in response.content.decode()


def test_account_manager_cannot_reply_on_another_accounts_ticket(client, operator):
    owner = f.user(Role.ACCOUNT_MANAGER, groups=[])
    account = f.customer(Segment.KEY_ACCOUNT, account_manager=owner)
    ticket = f.ticket(operator, owner=account)
    client.force_login(f.user(Role.ACCOUNT_MANAGER, groups=[]))
    assert client.get(reply_url(ticket)).status_code == 404
    posted = client.post(reply_url(ticket), {"to": "a@example.net", "body": "Hi"})
    assert posted.status_code == 404
    assert not Comment.objects.filter(ticket=ticket).exists()


def test_field_engineer_outside_the_group_cannot_reply(client, ticket):
    client.force_login(f.user(Role.FIELD_ENGINEER, groups=[f.group(TierKind.THIRD_LINE)]))
    posted = client.post(reply_url(ticket), {"to": "a@example.net", "body": "Hi"})
    assert posted.status_code == 404
    assert not Comment.objects.filter(ticket=ticket).exists()


def test_field_engineer_in_the_group_may_reply(client, operator):
    field = f.group(TierKind.THIRD_LINE)
    ticket = f.ticket(operator, group=field)
    client.force_login(f.user(Role.FIELD_ENGINEER, groups=[field]))
    posted = client.post(reply_url(ticket), {"to": "a@example.net", "body": "On my way."})
    assert posted.status_code == 302
    assert Comment.objects.filter(ticket=ticket, body="On my way.").exists()
