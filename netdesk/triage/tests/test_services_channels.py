"""The hook on tickets as the mail intake and the portal really open them:
a mailbox's default type (fault) or the subscriber's choice is corrected
from the words when triage is sure, and only then."""

import pytest

from netdesk.channels.models import Outcome, Source
from netdesk.channels.services.inbound import mail_take
from netdesk.channels.tests import inbound_mails as m
from netdesk.customers.models import Contact
from netdesk.portal.services.tickets import portal_ticket_open
from netdesk.triage.models import TriageSuggestion
from tests import factories as f

pytestmark = pytest.mark.django_db


@pytest.fixture
def ann():
    return Contact.objects.create(customer=f.customer(), name="Ann", email="ann@example.net")


def test_a_mail_about_an_invoice_is_not_left_a_fault(ann, classifier):
    classifier.say(("billing_inquiry", 0.91), network_fault=("no", 0.9))
    message = mail_take(
        raw=m.mail(subject="Invoice too high", body="You charged me twice in May."),
        mailbox=None,
        source=Source.PIPE,
    )
    assert message.outcome == Outcome.TICKET_CREATED
    ticket = message.ticket
    assert ticket is not None
    ticket.refresh_from_db()
    assert ticket.ticket_type == "billing_inquiry"
    assert TriageSuggestion.objects.get(ticket=ticket).applied_automatically
    assert "Invoice too high" in classifier.texts[0]


def test_an_unsure_mail_keeps_the_mailbox_type(ann, classifier):
    classifier.say(("billing_inquiry", 0.6))
    message = mail_take(raw=m.mail(subject="Question"), mailbox=None, source=Source.PIPE)
    ticket = message.ticket
    assert ticket is not None
    ticket.refresh_from_db()
    assert ticket.ticket_type == "fault"
    assert TriageSuggestion.objects.get(ticket=ticket).applied_at is None


def test_a_portal_ticket_takes_the_confident_type(ann, classifier):
    classifier.say(("fault", 0.97), network_fault=("yes", 0.95))
    ticket = portal_ticket_open(
        contact=ann,
        ticket_type="information_request",
        service=None,
        description="Since this morning no internet at all, the router blinks red.",
    )
    ticket.refresh_from_db()
    assert ticket.channel == "web"
    assert ticket.ticket_type == "fault"
