"""The worker's mail tick: fetch the due mailboxes, send what is due, queue
the next tick."""

from datetime import timedelta

import pytest
from django.utils import timezone
from django_tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from netdesk.channels import tasks
from netdesk.channels.models import InboundMessage, Mailbox, OutboundMessage, OutboundState
from netdesk.channels.tasks import TICK_SECONDS, ensure_mail_tick, mail_tick
from netdesk.channels.tests.test_imap import mail
from tests.mailservers import MAILBOX_PASSWORD, MAILBOX_USER

pytestmark = pytest.mark.django_db


def waiting_ticks():
    return list(
        DBTaskResult.objects.filter(task_path=mail_tick.module_path, status=TaskResultStatus.READY)
    )


@pytest.fixture
def mailbox(dovecot) -> Mailbox:
    return Mailbox.objects.create(
        name="support",
        address=MAILBOX_USER,
        imap_host=dovecot.host,
        imap_port=dovecot.port,
        imap_security="none",
        imap_user=MAILBOX_USER,
        imap_password=MAILBOX_PASSWORD,
        done_folder="Done",
        next_fetch_at=timezone.now(),
    )


def test_a_tick_takes_due_mail_sends_the_acknowledgement_and_queues_the_next(
    dovecot, mailbox, mail_settings
):
    # Given a due mailbox with a customer's mail, and a second mailbox not due yet:
    dovecot.deliver(MAILBOX_USER, mail(1))
    later = Mailbox.objects.create(
        name="billing",
        address="billing@isp.example",
        imap_host=dovecot.host,
        imap_port=dovecot.port,
        imap_security="none",
        imap_user=MAILBOX_USER,
        imap_password=MAILBOX_PASSWORD,
        next_fetch_at=timezone.now() + timedelta(minutes=1),
    )
    # When the tick runs:
    assert mail_tick.call() == 1
    # Then the mail was taken once, by the due mailbox only...
    assert list(InboundMessage.objects.values_list("mailbox__name", flat=True)) == ["support"]
    later.refresh_from_db()
    assert later.last_fetch_at is None
    # ...the acknowledgement it queued went out over SMTP...
    sent = OutboundMessage.objects.get()
    assert sent.state == OutboundState.SENT
    assert [m.rcpt_tos for m in mail_settings.messages] == [("customer1@example.net",)]
    # ...and the next tick waits its turn.
    (next_tick,) = waiting_ticks()
    assert next_tick.run_after > timezone.now() + timedelta(seconds=TICK_SECONDS - 5)


def test_a_full_mailbox_makes_the_next_tick_come_at_once(dovecot, mailbox, monkeypatch):
    dovecot.deliver_many(MAILBOX_USER, [mail(n) for n in range(3)])
    monkeypatch.setattr(tasks, "FETCH_LIMIT", 2)
    assert mail_tick.call() == 2
    (next_tick,) = waiting_ticks()
    assert next_tick.run_after <= timezone.now()


def test_a_starting_worker_queues_one_tick():
    ensure_mail_tick()
    ensure_mail_tick()
    assert len(waiting_ticks()) == 1
