"""Signing in to the portal by a one-time link mailed through the desk's
outbound queue to a real SMTP server on 127.0.0.1: the same answer for
unknown addresses, one use, expiry, a GET that does not use the link up,
and the throttle on asking."""

from __future__ import annotations

import re
from datetime import timedelta
from email import message_from_bytes, policy
from email.message import EmailMessage

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from netdesk.channels.models import OutboundKind, OutboundMessage
from netdesk.channels.services.delivery import outbound_deliver_due
from netdesk.customers.models import Segment
from netdesk.portal.access import SESSION_CONTACT
from netdesk.portal.models import PortalSignIn
from netdesk.portal.services.access import portal_access_set
from netdesk.portal.services.signin import USED_LINK_BODY, secret_hash
from netdesk.portal.tasks import sign_in_mail_send
from netdesk.portal.tests.helpers_signin import contact_of, link_secret, subscriber
from tests import factories as f
from tests.mailservers import SmtpSink

pytestmark = pytest.mark.django_db

LINK = re.compile(r"https?://\S+/portal/sign-in/link/[A-Za-z0-9_-]+/")


def mail_text(sink: SmtpSink, index: int = -1) -> tuple[EmailMessage, str]:
    mail = message_from_bytes(sink.messages[index].raw, policy=policy.default)
    assert isinstance(mail, EmailMessage)
    body = mail.get_body()
    assert body is not None
    return mail, body.get_content()


def ask(client: Client, email: str) -> int:
    answer = client.post(reverse("portal_sign_in"), {"email": email})
    if answer.status_code == 302:
        assert answer["Location"] == reverse("portal_sign_in_sent")
    return answer.status_code


def test_a_known_contact_gets_a_link_by_mail_that_signs_in_once(
    mail_settings: SmtpSink, django_capture_on_commit_callbacks
):
    contact = subscriber(email="Ann.Smith@example.net")
    f.service(contact.customer, product="Fibre 1000")
    client = Client()
    with django_capture_on_commit_callbacks(execute=True):
        # Any spelling of the address finds the contact; the mail goes to
        # the address on file.
        assert ask(client, "ann.smith+portal@EXAMPLE.net") == 302
    # The mail leaves as soon as the request has committed, not at the next tick.
    assert DBTaskResult.objects.filter(task_path=sign_in_mail_send.module_path).exists()
    queued = OutboundMessage.objects.get(kind=OutboundKind.PORTAL_SIGN_IN)
    assert queued.automatic
    assert queued.to_addresses == "Ann.Smith@example.net"
    assert sign_in_mail_send.call() == 1
    mail, text = mail_text(mail_settings)
    assert mail["To"] == "Ann.Smith@example.net"
    assert mail["Auto-Submitted"] == "auto-generated"
    assert "15 minutes" in text
    found = LINK.search(text)
    assert found is not None
    path = found.group(0).split("://", 1)[1].partition("/")[2]
    path = "/" + path

    # Opening the link (as a mail scanner would) shows a button and uses nothing up.
    page = client.get(path)
    assert page.status_code == 200
    assert b'type="submit"' in page.content
    assert page["Referrer-Policy"] == "same-origin"
    assert PortalSignIn.objects.get().used_at is None

    signed_in = client.post(path)
    assert signed_in.status_code == 302
    assert signed_in["Location"] == reverse("portal_home")
    assert client.session[SESSION_CONTACT] == contact.pk
    home = client.get(reverse("portal_home"))
    assert home.status_code == 200
    assert b"Fibre 1000" in home.content
    assert PortalSignIn.objects.get().used_at is not None
    # The secret no longer sits in the outbound queue.
    assert OutboundMessage.objects.get(pk=queued.pk).body == USED_LINK_BODY

    again = Client().post(path)
    assert again.status_code == 410
    assert b"used already" in again.content
    assert reverse("portal_sign_in").encode() in again.content


def test_an_unknown_address_gets_the_same_answer_and_no_mail(mail_settings: SmtpSink):
    known = subscriber(email="known@example.net")
    client = Client()
    assert ask(client, "stranger@example.net") == 302
    assert ask(client, known.email) == 302
    sent = client.get(reverse("portal_sign_in_sent"))
    assert sent.status_code == 200
    assert OutboundMessage.objects.filter(kind=OutboundKind.PORTAL_SIGN_IN).count() == 1
    assert outbound_deliver_due() == 1
    assert [m.rcpt_tos for m in mail_settings.messages] == [("known@example.net",)]


@pytest.mark.parametrize("who", ["unverified", "barred", "placeholder"])
def test_contacts_not_allowed_in_the_portal_get_no_link(who: str, mail_settings: SmtpSink):
    if who == "placeholder":
        contact = contact_of(f.customer(is_placeholder=True), email="p@example.net")
    else:
        contact = subscriber(email="p@example.net", verified=who != "unverified")
        if who == "barred":
            portal_access_set(contact=contact, may_sign_in=False)
    assert ask(Client(), "p@example.net") == 302
    assert not PortalSignIn.objects.exists()
    assert outbound_deliver_due() == 0
    assert mail_settings.messages == []


def test_an_address_of_several_accounts_gets_one_mail_with_a_link_for_each(
    mail_settings: SmtpSink,
):
    home = subscriber(email="sam@example.net", account_number="AC-HOME")
    work = contact_of(
        f.customer(segment=Segment.BUSINESS, account_number="AC-WORK"),
        email="sam@example.net",
    )
    assert ask(Client(), "sam@example.net") == 302
    assert outbound_deliver_due() == 1
    _mail, text = mail_text(mail_settings)
    assert "AC-HOME:" in text
    assert "AC-WORK:" in text
    assert len(LINK.findall(text)) == 2
    assert {s.contact_id for s in PortalSignIn.objects.all()} == {home.pk, work.pk}


def test_an_expired_link_is_refused_with_a_way_to_ask_again():
    contact = subscriber()
    secret = link_secret(contact)
    PortalSignIn.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    client = Client()
    for answer in (
        client.get(reverse("portal_link", args=[secret])),
        client.post(reverse("portal_link", args=[secret])),
    ):
        assert answer.status_code == 410
        assert b"expired" in answer.content
        assert reverse("portal_sign_in").encode() in answer.content
    assert SESSION_CONTACT not in client.session
    assert PortalSignIn.objects.get().used_at is None


def test_a_made_up_link_is_refused():
    subscriber()
    answer = Client().post(reverse("portal_link", args=["not-a-link"]))
    assert answer.status_code == 404
    assert b"Ask for a new link" in answer.content


def test_a_link_of_a_contact_barred_since_does_not_sign_in():
    contact = subscriber()
    secret = link_secret(contact)
    contact.verified = False
    contact.save()
    client = Client()
    assert client.post(reverse("portal_link", args=[secret])).status_code == 404
    assert SESSION_CONTACT not in client.session


def test_asking_for_links_is_throttled_per_address_and_per_client(settings):
    settings.NETDESK_PORTAL_LINK_EMAIL_RATE = "2/hour"
    settings.NETDESK_PORTAL_LINK_RATE = "4/hour"
    subscriber(email="ann@example.net")
    client = Client()
    assert [ask(client, "ann@example.net") for _ in range(3)] == [302, 302, 429]
    refused = client.post(reverse("portal_sign_in"), {"email": "ann@example.net"})
    assert int(refused["Retry-After"]) > 0
    assert b"too many tries" in refused.content
    assert PortalSignIn.objects.count() == 2
    # Other addresses from the same client: the client's own limit.
    assert [ask(client, f"other{n}@example.net") for n in range(2)] == [429, 429]
    settings.NETDESK_PORTAL_LINK_RATE = "100/hour"
    assert ask(client, "other9@example.net") == 302
    # An unknown address is counted like a known one (the answer tells nothing).
    assert [ask(client, "nobody@example.net") for _ in range(3)] == [302, 302, 429]


def test_a_bad_address_is_refused_on_the_form():
    answer = Client().post(reverse("portal_sign_in"), {"email": "not an address"})
    assert answer.status_code == 400
    assert b"valid email" in answer.content
    assert not OutboundMessage.objects.exists()


def test_the_sign_in_page_is_accessible_and_has_no_inline_script():
    page = Client().get(reverse("portal_sign_in"))
    assert page.status_code == 200
    html = page.content.decode()
    assert '<html lang="en">' in html
    assert 'class="skip" href="#content"' in html
    assert '<label for="id_email"' in html
    assert "<script" not in html
    assert reverse("portal_pin_sign_in") in html


def test_links_start_with_the_portal_address_when_one_is_set(settings, mail_settings: SmtpSink):
    settings.NETDESK_PORTAL_URL = "https://portal.example.net"
    subscriber(email="ann@example.net")
    assert ask(Client(), "ann@example.net") == 302
    assert outbound_deliver_due() == 1
    _mail, text = mail_text(mail_settings)
    found = LINK.search(text)
    assert found is not None
    assert found.group(0).startswith("https://portal.example.net/portal/sign-in/link/")


def test_asking_again_removes_the_contacts_links_that_ran_out_long_ago():
    contact = subscriber(email="ann@example.net")
    other = subscriber(email="bob@example.net")
    old, recent, others = link_secret(contact), link_secret(contact), link_secret(other)
    long_ago = timezone.now() - timedelta(days=2)
    PortalSignIn.objects.filter(token_hash__in=[secret_hash(old), secret_hash(others)]).update(
        expires_at=long_ago
    )
    assert ask(Client(), "ann@example.net") == 302
    kept = set(PortalSignIn.objects.values_list("token_hash", flat=True))
    assert secret_hash(old) not in kept
    assert {secret_hash(recent), secret_hash(others)} <= kept
    assert len(kept) == 3
