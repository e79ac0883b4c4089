"""Reading mailboxes over IMAP, against a real Dovecot on 127.0.0.1."""

from datetime import timedelta
from email.message import EmailMessage
from email.utils import format_datetime

import pytest
from django.utils import timezone

from netdesk.channels.imap import (
    MAX_BACKOFF_SECONDS,
    TAKEN_KEYWORD,
    mailbox_fetch,
    mailbox_test,
    mailboxes_claim_due,
)
from netdesk.channels.models import InboundMessage, InboundState, Mailbox, Source
from netdesk.tickets.models import Ticket
from tests.mailservers import MAILBOX_PASSWORD, MAILBOX_USER

pytestmark = pytest.mark.django_db


def mail(n: int, *, sender: str | None = None, subject: str | None = None) -> bytes:
    message = EmailMessage()
    message["From"] = sender or f"Customer {n} <customer{n}@example.net>"
    message["To"] = MAILBOX_USER
    message["Subject"] = subject or f"No internet at address {n}"
    message["Message-ID"] = f"<m{n}@example.net>"
    message["Date"] = format_datetime(timezone.now())
    message.set_content(f"Since this morning the line at address {n} is dead.\n")
    return message.as_bytes()


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
        fetch_every_seconds=60,
    )


def test_fetch_takes_new_mail_and_moves_it_to_the_done_folder(dovecot, mailbox):
    # Given three new messages in the inbox:
    uids = dovecot.deliver_many(MAILBOX_USER, [mail(n) for n in range(3)])
    # When the mailbox is fetched:
    report = mailbox_fetch(mailbox)
    # Then each became a stored message with its UID and a ticket, moved off the inbox:
    assert report.ok
    assert [taken.uid for taken in report.taken] == uids
    stored = list(InboundMessage.objects.order_by("imap_uid"))
    assert [(m.imap_uid, m.source, m.mailbox_id) for m in stored] == [
        (uid, Source.IMAP, mailbox.pk) for uid in uids
    ]
    assert {m.imap_uidvalidity for m in stored} == {dovecot.uidvalidity(MAILBOX_USER)}
    assert Ticket.objects.count() == 3
    assert dovecot.messages(MAILBOX_USER) == []
    assert len(dovecot.messages(MAILBOX_USER, "Done")) == 3
    mailbox.refresh_from_db()
    assert (mailbox.last_uid, mailbox.failures, mailbox.last_error) == (uids[-1], 0, "")
    assert mailbox.next_fetch_at is not None
    assert mailbox.next_fetch_at > timezone.now() + timedelta(seconds=50)


def test_without_done_folder_taken_mail_is_flagged_and_never_taken_twice(dovecot, mailbox):
    Mailbox.objects.filter(pk=mailbox.pk).update(done_folder="")
    dovecot.deliver_many(MAILBOX_USER, [mail(1), mail(2)])
    assert len(mailbox_fetch(mailbox).taken) == 2
    # The messages stay, seen and marked as taken:
    kept = dovecot.messages(MAILBOX_USER)
    assert [set(m.flags) >= {"\\Seen", TAKEN_KEYWORD} for m in kept] == [True, True]
    # A new one arrives: only it is taken.
    dovecot.deliver(MAILBOX_USER, mail(3))
    report = mailbox_fetch(mailbox)
    assert [taken.uid for taken in report.taken] == [3]
    assert InboundMessage.objects.count() == 3


def test_a_fetch_that_died_before_moving_takes_nothing_twice(dovecot, mailbox):
    # Given messages whose rows were committed, but the fetcher died before
    # moving them and before recording its progress:
    Mailbox.objects.filter(pk=mailbox.pk).update(done_folder="")
    uids = dovecot.deliver_many(MAILBOX_USER, [mail(1), mail(2)])
    first = mailbox_fetch(mailbox)
    with dovecot.connect(MAILBOX_USER) as imap:
        imap.select("INBOX")
        imap.uid("STORE", "1:*", "-FLAGS.SILENT", f"(\\Seen {TAKEN_KEYWORD})")
    Mailbox.objects.filter(pk=mailbox.pk).update(last_uid=0, done_folder="Done")
    # When the mailbox is fetched again:
    second = mailbox_fetch(mailbox)
    # Then the same rows answer, nothing new is stored, and now they move.
    assert [t.inbound_id for t in second.taken] == [t.inbound_id for t in first.taken]
    assert InboundMessage.objects.count() == 2
    assert Ticket.objects.count() == 2
    assert len(dovecot.messages(MAILBOX_USER, "Done")) == len(uids)


def test_a_renumbered_folder_is_read_from_the_start_without_taking_mail_twice(dovecot, mailbox):
    # Given two messages taken from a folder that stays flagged:
    Mailbox.objects.filter(pk=mailbox.pk).update(done_folder="")
    dovecot.deliver_many(MAILBOX_USER, [mail(1), mail(2)])
    mailbox_fetch(mailbox)
    old_validity = dovecot.uidvalidity(MAILBOX_USER)
    # When the server rebuilds the folder (new UIDVALIDITY) and a third arrives:
    dovecot.renumber(MAILBOX_USER)
    dovecot.deliver(MAILBOX_USER, mail(3))
    new_validity = dovecot.uidvalidity(MAILBOX_USER)
    assert new_validity != old_validity
    report = mailbox_fetch(mailbox)
    # Then reading started over, took only the new message, and recorded the numbering:
    assert report.uidvalidity_changed
    assert len(report.taken) == 1
    mailbox.refresh_from_db()
    assert mailbox.uidvalidity == new_validity
    assert InboundMessage.objects.count() == 3
    assert Ticket.objects.count() == 3


def test_a_renumbered_folder_without_keywords_gives_duplicates_not_tickets(dovecot, mailbox):
    # Given a taken message still in the inbox without our keyword (another
    # client removed it), and the folder renumbered:
    Mailbox.objects.filter(pk=mailbox.pk).update(done_folder="")
    dovecot.deliver(MAILBOX_USER, mail(1))
    mailbox_fetch(mailbox)
    with dovecot.connect(MAILBOX_USER) as imap:
        imap.select("INBOX")
        imap.uid("STORE", "1:*", "-FLAGS.SILENT", f"({TAKEN_KEYWORD})")
    dovecot.renumber(MAILBOX_USER)
    # When fetched again, it is seen as a new UID...
    report = mailbox_fetch(mailbox)
    # ...and the pipeline knows it already: no second ticket.
    assert [t.outcome for t in report.taken] == ["duplicate"]
    assert Ticket.objects.count() == 1


def test_a_quarantined_message_is_stored_and_the_fetch_goes_on(dovecot, mailbox):
    # Given a message the desk cannot read between two good ones:
    broken = b"This is not a mail at all, no headers\r\n\r\n\xff\xfe garbage"
    dovecot.deliver_many(MAILBOX_USER, [mail(1), broken, mail(3)])
    report = mailbox_fetch(mailbox)
    # Then all three are stored and moved; the broken one is quarantined with a reason.
    outcomes = [t.outcome for t in report.taken]
    assert outcomes == ["ticket_created", "quarantined", "ticket_created"]
    quarantined = InboundMessage.objects.get(imap_uid=2)
    assert quarantined.state == InboundState.QUARANTINED
    assert quarantined.reason
    assert bytes(quarantined.raw) == broken
    assert dovecot.messages(MAILBOX_USER) == []
    mailbox.refresh_from_db()
    assert mailbox.last_uid == 3


def test_a_limit_leaves_the_rest_for_the_next_fetch_at_once(dovecot, mailbox):
    dovecot.deliver_many(MAILBOX_USER, [mail(n) for n in range(5)])
    report = mailbox_fetch(mailbox, limit=3)
    assert (len(report.taken), report.more_waiting) == (3, True)
    mailbox.refresh_from_db()
    assert mailbox.next_fetch_at is not None
    assert mailbox.next_fetch_at <= timezone.now()
    assert len(mailbox_fetch(mailbox, limit=3).taken) == 2


def test_a_wrong_password_backs_off_and_never_shows_the_password(dovecot, mailbox):
    Mailbox.objects.filter(pk=mailbox.pk).update(imap_password="wrong-secret-123")
    dovecot.deliver(MAILBOX_USER, mail(1))
    before = timezone.now()
    report = mailbox_fetch(mailbox)
    mailbox.refresh_from_db()
    assert not report.ok
    assert "refused the sign-in" in mailbox.last_error
    assert "wrong-secret-123" not in mailbox.last_error + report.error
    assert mailbox.failures == 1
    assert mailbox.next_fetch_at is not None
    assert mailbox.next_fetch_at >= before + timedelta(seconds=120)
    # Each further failure doubles the wait, up to an hour (60 s * 2**6 is past it).
    Mailbox.objects.filter(pk=mailbox.pk).update(failures=5)
    mailbox_fetch(mailbox)
    mailbox.refresh_from_db()
    assert mailbox.failures == 6
    assert mailbox.next_fetch_at <= timezone.now() + timedelta(seconds=MAX_BACKOFF_SECONDS)
    assert mailbox.next_fetch_at > timezone.now() + timedelta(seconds=MAX_BACKOFF_SECONDS - 60)
    assert InboundMessage.objects.count() == 0


def test_a_fetch_that_works_again_forgets_the_failures(dovecot, mailbox):
    Mailbox.objects.filter(pk=mailbox.pk).update(failures=4, last_error="refused")
    dovecot.deliver(MAILBOX_USER, mail(1))
    assert len(mailbox_fetch(mailbox).taken) == 1
    mailbox.refresh_from_db()
    assert (mailbox.failures, mailbox.last_error) == (0, "")


def test_a_server_that_is_down_backs_off(dovecot, mailbox):
    dovecot.stop()
    report = mailbox_fetch(mailbox)
    mailbox.refresh_from_db()
    assert "Cannot connect" in report.error
    assert mailbox.last_error == report.error
    assert mailbox.failures == 1
    assert mailbox.next_fetch_at is not None
    assert mailbox.next_fetch_at >= timezone.now() + timedelta(seconds=110)


def test_mailbox_test_says_each_step(dovecot, mailbox):
    lines = mailbox_test(mailbox)
    assert lines[0].startswith(f"Connected to {dovecot.host}:{dovecot.port}")
    assert lines[1] == f"Signed in as {MAILBOX_USER!r}."
    assert lines[2].startswith("Folder 'INBOX' holds 0 messages")
    assert lines[3] == "Taken mail moves to 'Done' (created it)."
    assert mailbox_test(mailbox)[3] == "Taken mail moves to 'Done'."


def test_mailbox_test_names_the_failed_step_without_the_password(dovecot, mailbox):
    mailbox.imap_password = "wrong-secret-123"
    lines = mailbox_test(mailbox)
    assert lines[-1].startswith("Failed: ")
    assert "refused the sign-in" in lines[-1]
    assert "wrong-secret-123" not in "".join(lines)
    mailbox.imap_password = MAILBOX_PASSWORD
    mailbox.imap_folder = "Nowhere"
    assert mailbox_test(mailbox)[-1].startswith("Failed: The folder 'Nowhere' cannot be opened")


def test_a_due_mailbox_is_claimed_by_one_worker_only(mailbox):
    Mailbox.objects.filter(pk=mailbox.pk).update(next_fetch_at=timezone.now())
    first = mailboxes_claim_due(lease=timedelta(minutes=5))
    second = mailboxes_claim_due(lease=timedelta(minutes=5))
    assert [m.pk for m in first] == [mailbox.pk]
    assert second == []
