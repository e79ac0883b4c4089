"""Resolved tickets close by themselves through the real database task queue."""

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from netdesk.tickets import services
from netdesk.tickets.choices import Status
from netdesk.tickets.models import Ticket
from netdesk.tickets.services.closure import ticket_autoclose
from netdesk.tickets.tasks import autoclose_resolved_ticket
from tests import factories as f

pytestmark = pytest.mark.django_db(transaction=True)


def test_resolve_queues_a_close_that_the_worker_runs_when_due(settings):
    settings.NETDESK_AUTOCLOSE_DAYS = 7
    operator = f.user()
    ticket = f.ticket(operator)
    services.ticket_resolve(
        actor=operator, ticket=ticket, resolution_code="fixed", root_cause="unknown"
    )
    # The close, beside other work a resolution queues (the solved case's embedding).
    queued = DBTaskResult.objects.get(task_path=autoclose_resolved_ticket.module_path)
    assert ticket.resolved_at is not None
    assert queued.run_after >= ticket.resolved_at + timedelta(days=7) - timedelta(seconds=1)
    call_command("worker", "--batch")  # not due yet: nothing happens
    assert Ticket.objects.get(pk=ticket.pk).status == Status.RESOLVED
    DBTaskResult.objects.update(run_after=timezone.now() - timedelta(seconds=1))
    call_command("worker", "--batch")
    closed = Ticket.objects.get(pk=ticket.pk)
    assert closed.status == Status.CLOSED
    assert closed.events.filter(kind="closed", actor__isnull=True).count() == 1


def test_autoclose_is_idempotent_and_respects_reopening():
    operator = f.user()
    ticket = f.ticket(operator)
    services.ticket_resolve(
        actor=operator, ticket=ticket, resolution_code="fixed", root_cause="unknown"
    )
    first_resolution = ticket.resolved_at
    assert first_resolution is not None
    services.ticket_reopen(actor=operator, ticket=ticket, reason="not fixed")
    assert ticket_autoclose(ticket_id=ticket.pk, resolved_at=first_resolution) is False
    services.ticket_resolve(
        actor=operator, ticket=ticket, resolution_code="fixed", root_cause="hardware"
    )
    assert ticket.resolved_at is not None
    assert ticket_autoclose(ticket_id=ticket.pk, resolved_at=ticket.resolved_at) is True
    assert ticket_autoclose(ticket_id=ticket.pk, resolved_at=ticket.resolved_at) is False
    assert Ticket.objects.get(pk=ticket.pk).events.filter(kind="closed").count() == 1
