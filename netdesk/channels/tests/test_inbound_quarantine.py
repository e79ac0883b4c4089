"""Nothing lost, nothing twice: quarantine, reprocessing and duplicates."""

from __future__ import annotations

import pytest

from netdesk.accounts.models import Role
from netdesk.channels.models import InboundMessage, InboundState, Outcome, Source
from netdesk.channels.services import intake
from netdesk.channels.services.inbound import mail_reprocess, mail_take
from netdesk.channels.tests import inbound_mails as m
from netdesk.core.errors import PermissionDenied, ValidationFailed
from netdesk.customers.models import Contact, Customer
from netdesk.tickets.models import Category, Interaction, Ticket
from tests import factories as f

pytestmark = pytest.mark.django_db


def take(raw: bytes, **extra: object) -> InboundMessage:
    return mail_take(raw=raw, mailbox=None, source=Source.PIPE, **extra)  # type: ignore[arg-type]


def test_a_step_that_fails_rolls_back_and_quarantines_and_the_next_mail_goes_on():
    # Given a mailbox set up with a category of another ticket type, so that
    # opening the ticket fails after the sender's placeholder was written:
    wrong = Category.objects.create(name="Invoices", ticket_type="billing_inquiry")
    box = m.mailbox(ticket_type="fault", category=wrong)
    # When a mail comes in to it, and then one without a mailbox:
    failed = mail_take(raw=m.mail(sender="x@example.net"), mailbox=box, source=Source.PIPE)
    next_one = take(m.mail(sender="y@example.net"))
    # Then the first is quarantined with the failure, and nothing of it is left:
    assert failed.state == InboundState.QUARANTINED
    assert failed.outcome == Outcome.QUARANTINED
    assert failed.reason.startswith("ValidationFailed: Category 'Invoices' is for")
    assert failed.attempts == 1
    assert failed.ticket is None
    assert failed.sender == "x@example.net"  # read again for the quarantine list
    assert not Contact.objects.filter(email="x@example.net").exists()
    # and the next mail went on.
    assert next_one.outcome == Outcome.TICKET_CREATED
    assert Ticket.objects.count() == 1


def test_an_unexpected_crash_is_quarantined_with_its_type(monkeypatch):
    def broken(**_: object) -> None:
        raise RuntimeError("disk full")

    # The last step, after the ticket and the sender's placeholder were written:
    monkeypatch.setattr(intake, "acknowledgement_queue", broken)
    first = take(m.mail())
    assert first.state == InboundState.QUARANTINED
    assert first.reason == "RuntimeError: disk full"
    assert not Ticket.objects.exists()
    assert not Customer.objects.exists()


def test_a_mail_that_is_no_mail_is_quarantined():
    message = take(b"\r\n\r\n")
    assert message.state == InboundState.QUARANTINED
    assert message.reason == "UnparseableMail: the input is empty"
    assert bytes(message.raw) == b"\r\n\r\n"


def test_a_quarantined_mail_is_processed_again_once_the_fault_is_fixed():
    wrong = Category.objects.create(name="Invoices", ticket_type="billing_inquiry")
    box = m.mailbox(ticket_type="fault", category=wrong)
    failed = mail_take(raw=m.mail(), mailbox=box, source=Source.PIPE)
    assert failed.state == InboundState.QUARANTINED
    box.category = None
    box.save()
    done = mail_reprocess(actor=f.user(Role.TEAM_LEAD), message=failed)
    assert done.state == InboundState.PROCESSED
    assert done.outcome == Outcome.TICKET_CREATED
    assert done.attempts == 2
    assert done.ticket is not None


def test_reprocessing_takes_a_rate_limited_mail_in_and_needs_the_permission(settings):
    settings.NETDESK_MAIL_SENDER_RATE = "1/hour"
    take(m.mail(sender="loop@example.net"))
    limited = take(m.mail(sender="loop@example.net"))
    assert limited.state == InboundState.QUARANTINED
    with pytest.raises(PermissionDenied):
        mail_reprocess(actor=f.user(Role.FIELD_ENGINEER), message=limited)
    done = mail_reprocess(actor=None, message=limited)
    assert done.outcome == Outcome.TICKET_CREATED
    with pytest.raises(ValidationFailed, match="processed already"):
        mail_reprocess(actor=None, message=done)


def test_the_same_mail_twice_is_taken_once():
    raw = m.mail(message_id="once@example.net")
    first = take(raw)
    again = take(raw.replace(b"Subject:", b"Received: by relay2\r\nSubject:", 1))
    assert again.outcome == Outcome.DUPLICATE
    assert again.duplicate_of == first
    assert again.ticket == first.ticket
    assert Ticket.objects.count() == 1
    assert Interaction.objects.count() == 1


def test_the_same_message_id_with_other_content_is_another_mail():
    first = take(m.mail(message_id="reused@example.net", body="first"))
    second = take(m.mail(message_id="reused@example.net", body="second", subject="other"))
    assert second.outcome != Outcome.DUPLICATE
    assert second.duplicate_of is None
    assert second.ticket != first.ticket
    assert Ticket.objects.count() == 2


def test_mail_without_message_id_is_deduplicated_by_content():
    raw = m.mail(message_id=None)
    first = take(raw)
    again = take(raw)
    other = take(m.mail(message_id=None, body="something else"))
    assert first.message_id == ""
    assert again.outcome == Outcome.DUPLICATE
    assert other.outcome == Outcome.TICKET_CREATED
    assert Ticket.objects.count() == 2


def test_a_copy_of_a_quarantined_mail_is_no_duplicate_but_reprocessing_the_first_then_is():
    wrong = Category.objects.create(name="Invoices", ticket_type="billing_inquiry")
    box = m.mailbox(ticket_type="fault", category=wrong)
    raw = m.mail(message_id="twice@example.net")
    failed = mail_take(raw=raw, mailbox=box, source=Source.PIPE)
    copy = take(raw)
    assert copy.outcome == Outcome.TICKET_CREATED
    again = mail_reprocess(actor=None, message=failed)
    assert again.outcome == Outcome.DUPLICATE
    assert again.duplicate_of == copy
