"""Notify requests and notify tasks at once (PostgreSQL): two requests for
the same update take one order, two workers running it queue each
customer's notice once and count it once."""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection
from django_tasks_db.models import DBTaskResult

from netdesk.accounts.models import Role, TierKind
from netdesk.channels.models import NotifyOrder, OutboundKind, OutboundMessage
from netdesk.channels.tasks import incident_notify_send, incident_notify_start
from netdesk.customers.models import Contact
from netdesk.noc.services.incidents import incident_create
from tests import factories as f

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        not os.environ.get("NETDESK_DATABASE_URL", "").startswith("postgres"),
        reason="needs PostgreSQL (scripts/with-postgres.sh): concurrent requests and workers; "
        "SQLite runs one writer at a time",
    ),
]
CUSTOMERS = 30


def at_once(work: Callable[[], Any], times: int) -> list[Any]:
    """Run `work` in `times` threads released together; their answers."""
    start = threading.Barrier(times)
    answers: list[Any] = []
    errors: list[BaseException] = []

    def run() -> None:
        try:
            start.wait()
            answers.append(work())
        except BaseException as error:
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(times)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors, errors
    return answers


def test_concurrent_requests_and_workers_notify_each_customer_once(monkeypatch):
    monkeypatch.setattr("netdesk.channels.services.incident_notices.PAGE", 3)
    noc = f.user(Role.NOC_ENGINEER, groups=[f.group(TierKind.SECOND_LINE)])
    olt = f.element("OLT")
    for n in range(CUSTOMERS):
        customer = f.customer(name=f"Subscriber {n}")
        Contact(customer=customer, name="Ops", email=f"ops{n}@example.net").save()
        f.service(customer, access_element=olt)
    incident = incident_create(
        actor=noc,
        title="Fibre cut",
        detected_by="manual",
        root_element=olt,
        customer_description="A fibre cable was cut.",
    )

    orders = at_once(lambda: incident_notify_start(actor=noc, incident=incident).pk, 4)

    assert len(set(orders)) == 1
    assert DBTaskResult.objects.filter(task_path=incident_notify_send.module_path).count() == 1
    at_once(lambda: incident_notify_send.call(orders[0]), 3)
    order = NotifyOrder.objects.get()
    assert (order.state, order.customers_done, order.queued) == ("done", CUSTOMERS, CUSTOMERS)
    assert order.already_notified == 0
    assert OutboundMessage.objects.filter(kind=OutboundKind.INCIDENT_NOTICE).count() == CUSTOMERS
