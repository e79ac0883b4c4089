"""Two processes taking copies of one mail, or two mails of one stranger, at
the same moment (several workers on PostgreSQL): one ticket, one placeholder."""

from __future__ import annotations

import os
import threading
from collections.abc import Callable

import pytest
from django.db import connection

from netdesk.channels.models import InboundMessage, Outcome, Source
from netdesk.channels.services.inbound import mail_process, mail_store
from netdesk.channels.tests import inbound_mails as m
from netdesk.customers.models import Customer
from netdesk.tickets.models import Ticket
from tests import factories as f

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        not os.environ.get("NETDESK_DATABASE_URL", "").startswith("postgres"),
        reason="needs PostgreSQL (scripts/with-postgres.sh): concurrent writers; "
        "SQLite runs one writer at a time",
    ),
]
ROUNDS = 5


def at_once(*work: Callable[[], object]) -> None:
    """Run each callable in its own thread (own connection), all released together."""
    start = threading.Barrier(len(work))
    errors: list[BaseException] = []

    def run(job: Callable[[], object]) -> None:
        try:
            start.wait()
            job()
        except BaseException as error:  # reported below, in the test thread
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(job,)) for job in work]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors, errors


def test_copies_of_one_mail_processed_at_once_open_one_ticket():
    f.group()
    for round_number in range(ROUNDS):
        raw = m.mail(message_id=f"copy{round_number}@example.net")
        copies = [mail_store(raw=raw, mailbox=None, source=Source.PIPE) for _ in range(3)]
        at_once(*(lambda copy=copy: mail_process(message=copy) for copy in copies))
        outcomes = sorted(
            InboundMessage.objects.filter(pk__in=[c.pk for c in copies]).values_list(
                "outcome", flat=True
            )
        )
        assert outcomes == [Outcome.DUPLICATE, Outcome.DUPLICATE, Outcome.TICKET_CREATED]
    assert Ticket.objects.count() == ROUNDS


def test_a_stranger_s_mails_processed_at_once_share_one_placeholder():
    f.group()
    for round_number in range(ROUNDS):
        sender = f"stranger{round_number}@example.net"
        stored = [
            mail_store(raw=m.mail(sender=sender, subject=f"Mail {n}"), mailbox=None, source="pipe")
            for n in range(3)
        ]
        at_once(*(lambda one=one: mail_process(message=one) for one in stored))
        placeholders = Customer.objects.filter(is_placeholder=True, email=sender)
        assert placeholders.count() == 1
        assert Ticket.objects.filter(customer__in=placeholders).count() == 3


def test_two_fetchers_storing_one_uid_at_once_keep_one_row():
    box = m.mailbox()
    raw = m.mail()
    for uid in range(1, ROUNDS + 1):
        rows: list[int] = []

        def store(uid: int = uid, rows: list[int] = rows) -> None:
            stored = mail_store(
                raw=raw, mailbox=box, source=Source.IMAP, imap_uid=uid, imap_uidvalidity=9
            )
            rows.append(stored.pk)

        at_once(store, store, store)
        assert len(rows) == 3
        assert len(set(rows)) == 1
    assert InboundMessage.objects.filter(mailbox=box).count() == ROUNDS
