"""Several `netdesk worker` processes on one PostgreSQL database fire each
due breach exactly once (rows claimed with SKIP LOCKED)."""

import os
import subprocess
import sys
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from netdesk.sla.models import BusinessCalendar, Metric, SlaPolicy, SlaTarget, SlaTimer
from netdesk.sla.recompute import sla_recompute_many
from netdesk.sla.selectors import policies_changed
from netdesk.tickets.models import Ticket, TicketEvent
from tests import factories as f

pytestmark = pytest.mark.django_db(transaction=True)
TICKETS = 300


def worker_env() -> dict[str, str]:
    settings = connection.settings_dict
    env = dict(os.environ)
    env["NETDESK_DATABASE_URL"] = (
        f"postgresql://{settings['USER']}@{settings['HOST']}:{settings['PORT']}/{settings['NAME']}"
    )
    return env


@pytest.mark.skipif(
    not os.environ.get("NETDESK_DATABASE_URL", "").startswith("postgres"),
    reason="needs PostgreSQL (make test-postgres runs it); SQLite has one writer at a time",
)
def test_three_workers_fire_every_breach_once():
    # Transactional tests start from emptied tables: bring a policy along.
    SlaPolicy.objects.all().delete()
    calendar = BusinessCalendar.objects.create(name="always", always_open=True)
    policy = SlaPolicy.objects.create(name="P1 around the clock", calendar=calendar)
    SlaTarget.objects.create(policy=policy, metric=Metric.FIRST_RESPONSE, minutes=15)
    SlaTarget.objects.create(policy=policy, metric=Metric.RESOLUTION, minutes=240)
    policies_changed()
    operator = f.user()
    owner = f.customer()
    past = timezone.now() - timedelta(days=2)
    for n in range(TICKETS):
        ticket = f.ticket(operator, owner, title=f"overdue {n}", impact=1, urgency=1)
        Ticket.objects.filter(pk=ticket.pk).update(created_at=past)
        TicketEvent.objects.filter(ticket=ticket).update(at=past)
    sla_recompute_many(tickets=Ticket.objects.all())
    due = SlaTimer.objects.filter(breach_fired_at__isnull=True, due_at__lte=timezone.now()).count()
    assert due >= TICKETS
    env = worker_env()
    workers = [
        subprocess.Popen(
            [sys.executable, "-m", "netdesk", "worker", "--batch"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for _ in range(3)
    ]
    for worker in workers:
        assert worker.wait(timeout=300) == 0
    # Each worker queues ticks; whichever ran, every breach fired once.
    breaches = TicketEvent.objects.filter(kind="sla_breached")
    assert breaches.count() == due
    assert breaches.values("ticket_id", "field").distinct().count() == due
    assert not SlaTimer.objects.filter(
        breach_fired_at__isnull=True, due_at__lte=timezone.now(), stopped_at__isnull=True
    ).exists()
