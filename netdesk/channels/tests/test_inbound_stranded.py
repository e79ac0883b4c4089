"""Mail stored but never processed (the process was killed in between) is
processed by the worker's mail tick once it has waited longer than the
lease; mail still on its way is left to the process that stored it, and two
workers never take the same stranded mail."""

from __future__ import annotations

import io
import os
import threading
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.db import connection, transaction
from django.utils import timezone

from netdesk.channels.models import InboundMessage, InboundState, Outcome, Source
from netdesk.channels.services.inbound import mail_process_stranded, mail_store
from netdesk.channels.tasks import STRANDED_AFTER, mail_tick
from netdesk.channels.tests import inbound_mails as m
from netdesk.tickets.models import Ticket
from tests import factories as f

ON_POSTGRES = os.environ.get("NETDESK_DATABASE_URL", "").startswith("postgres")


def stranded(*, age: timedelta, sender: str = "ann@example.net") -> InboundMessage:
    """A mail stored `age` ago and never processed."""
    message = mail_store(raw=m.mail(sender=sender), mailbox=None, source=Source.PIPE)
    InboundMessage.objects.filter(pk=message.pk).update(received_at=timezone.now() - age)
    return message


def state_of(message: InboundMessage) -> str:
    return InboundMessage.objects.values_list("state", flat=True).get(pk=message.pk)


@pytest.mark.django_db
def test_the_mail_tick_processes_mail_stranded_longer_than_the_lease_only():
    f.group()
    old = stranded(age=STRANDED_AFTER + timedelta(seconds=5))
    fresh = stranded(age=timedelta(seconds=5))
    assert mail_tick.call() == 1
    processed = InboundMessage.objects.get(pk=old.pk)
    assert (processed.state, processed.outcome) == (InboundState.PROCESSED, Outcome.TICKET_CREATED)
    assert processed.ticket is not None
    assert state_of(fresh) == InboundState.RECEIVED
    # Nothing is taken twice.
    assert mail_tick.call() == 0
    assert Ticket.objects.count() == 1


@pytest.mark.django_db
def test_ingest_stores_every_file_before_it_processes_the_first(tmp_path):
    # So a run stopped part way leaves the rest stored, for the mail tick.
    f.group()
    paths = []
    for n in range(2):
        path = tmp_path / f"{n}.eml"
        path.write_bytes(m.mail(sender=f"s{n}@example.net"))
        paths.append(str(path))
    call_command("mail", "ingest", *paths, stdout=io.StringIO())
    first, second = InboundMessage.objects.order_by("pk")
    assert first.processed_at is not None
    assert second.received_at <= first.processed_at


@pytest.mark.django_db
def test_a_stranded_mail_that_fails_is_quarantined_and_the_next_goes_on():
    f.group()
    broken = mail_store(raw=b"\x00\x01 not a mail", mailbox=None, source=Source.PIPE)
    InboundMessage.objects.filter(pk=broken.pk).update(
        received_at=timezone.now() - timedelta(hours=1)
    )
    good = stranded(age=timedelta(minutes=30))
    assert mail_process_stranded(older_than=STRANDED_AFTER, limit=10) == 2
    assert state_of(broken) == InboundState.QUARANTINED
    assert state_of(good) == InboundState.PROCESSED


@pytest.mark.django_db
def test_at_most_the_limit_is_taken_oldest_first():
    f.group()
    mails = [stranded(age=timedelta(minutes=10 - n), sender=f"s{n}@example.net") for n in range(3)]
    assert mail_process_stranded(older_than=STRANDED_AFTER, limit=2) == 2
    assert [state_of(mail) for mail in mails] == [
        InboundState.PROCESSED,
        InboundState.PROCESSED,
        InboundState.RECEIVED,
    ]


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(
    not ON_POSTGRES, reason="needs PostgreSQL (scripts/with-postgres.sh): row locks"
)
def test_a_stranded_mail_claimed_by_one_worker_is_skipped_by_another():
    f.group()
    claimed = stranded(age=timedelta(minutes=5), sender="first@example.net")
    other = stranded(age=timedelta(minutes=4), sender="second@example.net")
    holding = threading.Event()
    release = threading.Event()

    def first_worker() -> None:
        # Holds the oldest one's claim, as a worker busy processing it would.
        try:
            with transaction.atomic():
                InboundMessage.objects.select_for_update().filter(pk=claimed.pk).exists()
                holding.set()
                release.wait(timeout=60)
        finally:
            connection.close()

    worker = threading.Thread(target=first_worker)
    worker.start()
    try:
        assert holding.wait(timeout=30)
        assert mail_process_stranded(older_than=STRANDED_AFTER, limit=10) == 1
    finally:
        release.set()
        worker.join(timeout=60)
    assert state_of(claimed) == InboundState.RECEIVED
    assert state_of(other) == InboundState.PROCESSED
