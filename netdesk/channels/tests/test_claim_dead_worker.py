"""A worker killed (SIGKILL) between claiming a mailbox and fetching it
holds the mailbox for the claim's lease only: another worker takes it half
a minute later, not minutes later (the scale-out test kills workers so)."""

from datetime import timedelta
from unittest import mock

import pytest
from django.utils import timezone

from netdesk.channels.imap import mailboxes_claim_due
from netdesk.channels.models import Mailbox
from netdesk.channels.tasks import CLAIM

pytestmark = pytest.mark.django_db


def test_a_dead_workers_claim_runs_out_after_half_a_minute():
    mailbox = Mailbox.objects.create(
        name="support",
        address="support@isp.example",
        imap_host="127.0.0.1",
        imap_port=1,
        imap_security="none",
        imap_user="support@isp.example",
        fetch_every_seconds=2,
    )
    claimed_at = timezone.now()
    assert [m.pk for m in mailboxes_claim_due(lease=CLAIM)] == [mailbox.pk]
    # The claiming worker dies here: nothing fetches, nothing sets the next time.
    assert mailboxes_claim_due(lease=CLAIM) == []
    assert timedelta(seconds=30) >= CLAIM
    later = claimed_at + CLAIM + timedelta(seconds=1)
    with mock.patch("netdesk.channels.imap.timezone.now", return_value=later):
        assert [m.pk for m in mailboxes_claim_due(lease=CLAIM)] == [mailbox.pk]
