"""The notify order's task: a page of customers per transaction, its
position and counts committed with the page, so a second run, a run after a
worker died half-way and a run racing another each queue a customer's
notice once and count it once."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone
from django_tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from netdesk.accounts.models import Role, TierKind
from netdesk.channels.models import NotifyOrder, NotifyState, OutboundKind, OutboundMessage
from netdesk.channels.services.incident_notices import incident_notify_step
from netdesk.channels.tasks import incident_notify_send, incident_notify_start, mail_tick
from netdesk.customers.models import Contact
from netdesk.noc.models import NetworkIncident
from netdesk.noc.services.incidents import incident_create, incident_resolve
from tests import factories as f

pytestmark = pytest.mark.django_db


@pytest.fixture
def noc() -> Any:
    return f.user(Role.NOC_ENGINEER, groups=[f.group(TierKind.SECOND_LINE)])


@pytest.fixture
def small_pages(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("netdesk.channels.services.incident_notices.PAGE", 2)


def outage(noc: Any, reachable: int, silent: int = 0) -> NetworkIncident:
    olt = f.element("OLT")
    for n in range(reachable):
        customer = f.customer(name=f"Subscriber {n}")
        Contact(customer=customer, name="Ops", email=f"ops{n}@example.net").save()
        f.service(customer, access_element=olt)
    for n in range(silent):
        f.service(f.customer(name=f"Silent {n}"), access_element=olt)
    return incident_create(
        actor=noc,
        title="Fibre cut",
        detected_by="manual",
        root_element=olt,
        customer_description="A fibre cable was cut.",
    )


def counts(order: NotifyOrder) -> tuple[Any, ...]:
    order.refresh_from_db()
    return (
        order.state,
        order.customers_done,
        order.queued,
        order.already_notified,
        order.not_reachable,
    )


def notices() -> int:
    return OutboundMessage.objects.filter(kind=OutboundKind.INCIDENT_NOTICE).count()


def test_a_run_killed_after_two_pages_goes_on_where_it_stopped(noc, small_pages):
    order = incident_notify_start(actor=noc, incident=outage(noc, 4, silent=1))

    # A worker that committed two pages, then died.
    assert incident_notify_step(order_id=order.pk) is True
    assert incident_notify_step(order_id=order.pk) is True
    assert counts(order) == ("running", 4, 4, 0, 0)
    assert incident_notify_send.call(order.pk) == 4

    assert counts(order) == ("done", 5, 4, 0, 1)
    assert notices() == 4
    assert order.finished_at is not None


def test_running_the_task_again_queues_and_counts_nothing_more(noc, small_pages):
    order = incident_notify_start(actor=noc, incident=outage(noc, 3))
    incident_notify_send.call(order.pk)

    assert incident_notify_send.call(order.pk) == 3

    assert counts(order) == ("done", 3, 3, 0, 0)
    assert notices() == 3


def test_two_runs_taking_turns_share_the_pages(noc, small_pages):
    order = incident_notify_start(actor=noc, incident=outage(noc, 5))

    # Two workers given the same order: each page goes to whichever locks it.
    while incident_notify_step(order_id=order.pk) | incident_notify_step(order_id=order.pk):
        pass

    assert counts(order) == ("done", 5, 5, 0, 0)
    assert notices() == 5


def test_an_order_of_an_update_already_partly_notified_counts_those_customers(noc):
    incident = outage(noc, 3)
    first = incident_notify_start(actor=noc, incident=incident)
    incident_notify_send.call(first.pk)
    OutboundMessage.objects.order_by("pk")[0].delete()

    again = incident_notify_start(actor=noc, incident=incident)
    incident_notify_send.call(again.pk)

    assert again.to_notify == 1
    assert counts(again) == ("done", 3, 1, 2, 0)


def test_an_incident_resolved_while_notifying_stops_the_order_and_says_why(noc, small_pages):
    incident = outage(noc, 5)
    order = incident_notify_start(actor=noc, incident=incident)
    incident_notify_step(order_id=order.pk)

    incident_resolve(actor=noc, incident=incident, root_cause="fibre_cut")
    incident_notify_send.call(order.pk)

    order.refresh_from_db()
    assert (order.state, order.queued) == (NotifyState.FAILED, 2)
    assert "resolved meanwhile" in order.problem
    assert notices() == 2


def test_an_order_left_open_by_a_dead_worker_is_queued_again_by_the_mail_tick(noc):
    order = incident_notify_start(actor=noc, incident=outage(noc, 2))
    DBTaskResult.objects.filter(task_path=incident_notify_send.module_path).delete()  # lost
    NotifyOrder.objects.filter(pk=order.pk).update(updated_at=timezone.now() - timedelta(minutes=2))

    mail_tick.call()
    mail_tick.call()  # handed out once a minute, not on every tick

    waiting = DBTaskResult.objects.filter(
        task_path=incident_notify_send.module_path, status=TaskResultStatus.READY
    )
    assert [row.args_kwargs["args"] for row in waiting] == [[order.pk]]
    incident_notify_send.call(order.pk)
    assert counts(order) == ("done", 2, 2, 0, 0)
