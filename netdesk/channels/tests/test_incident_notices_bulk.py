"""Notices queued in bulk: the same rows and recipients as one message at a
time, a message already queued left as it is and counted, a fixed number of
queries whatever the number of customers, and the all-clear by a task that
may run twice."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from netdesk.accounts.models import Role, TierKind
from netdesk.channels.models import Mailbox, OutboundKind, OutboundMessage
from netdesk.channels.services.outbound import outbound_queue
from netdesk.channels.services.outbound_bulk import BulkMessage, outbound_queue_many
from netdesk.channels.services.templates import MessageContext
from netdesk.channels.tasks import incident_all_clear_send
from netdesk.channels.tests.notify_orders import notify
from netdesk.core.errors import ValidationFailed
from netdesk.customers.models import Contact, Customer
from netdesk.noc.models import IncidentUpdate, NetworkIncident
from netdesk.noc.services.incidents import incident_create, incident_resolve
from tests import factories as f

pytestmark = pytest.mark.django_db

# Everything a row carries but its own identity and creation time.
COMPARED = (
    "kind", "ticket_id", "mailbox_id", "comment_id", "from_address", "to_addresses",
    "cc_addresses", "subject", "body", "in_reply_to", "references", "automatic", "state",
    "server_answer", "attempts", "next_attempt_at", "created_by_id", "escalation_notice_id",
    "incident_id", "incident_update_id", "customer_id",
)  # fmt: skip


@pytest.fixture
def noc() -> Any:
    return f.user(Role.NOC_ENGINEER, groups=[f.group(TierKind.SECOND_LINE)])


def outage(noc: Any, customers: int, *, name: str = "OLT") -> NetworkIncident:
    olt = f.element(name)
    for n in range(customers):
        customer = f.customer(name=f"{name} subscriber {n}", language="de" if n % 2 else "")
        Contact(customer=customer, name=f"Person {n}", email=f"p{n}@{name.lower()}.example").save()
        f.service(customer, access_element=olt)
    return incident_create(
        actor=noc,
        title=f"Fibre cut at {name}",
        detected_by="manual",
        root_element=olt,
        customer_description="A fibre cable was cut.",
    )


def rows(**filters: Any) -> dict[int | None, tuple[Any, ...]]:
    found = OutboundMessage.objects.filter(**filters).values_list("customer_id", *COMPARED)
    return {row[0]: row[1:] for row in found}


def test_the_bulk_queue_writes_the_rows_one_at_a_time_would(noc):
    Mailbox.objects.create(name="support", address="support@isp.example", language="de")
    incident = outage(noc, 2)
    update = IncidentUpdate.objects.get(incident=incident)
    english, german = Customer.objects.order_by("pk")
    english.language = "en"
    send_at = timezone.now() + timedelta(minutes=5)
    wanted = [
        (english, ["Jane <jane@example.net>", "JANE@example.net, other@example.net"]),
        (german, []),  # no address: written as not sent, with the reason
    ]

    with transaction.atomic():
        for customer, to in wanted:
            outbound_queue(
                kind=OutboundKind.INCIDENT_NOTICE,
                to=to,
                context=MessageContext(customer=customer, incident=incident, update=update),
                actor=noc,
                send_at=send_at,
                incident_update=update,
                customer=customer,
            )
        one_at_a_time = rows()
        transaction.set_rollback(True)
    queued = outbound_queue_many(
        kind=OutboundKind.INCIDENT_NOTICE,
        messages=[
            BulkMessage(
                to=to,
                context=MessageContext(customer=customer, incident=incident, update=update),
                customer=customer,
                send_at=send_at,
            )
            for customer, to in wanted
        ],
        actor=noc,
        incident_update=update,
    )

    assert (queued.queued, queued.already_queued) == (2, 0)
    assert rows() == one_at_a_time
    assert one_at_a_time[english.pk][COMPARED.index("to_addresses")] == (
        "jane@example.net, other@example.net"
    )
    assert one_at_a_time[german.pk][COMPARED.index("state")] == "failed"
    assert "Störung" in one_at_a_time[german.pk][COMPARED.index("subject")]
    ids = list(OutboundMessage.objects.values_list("message_id", flat=True))
    assert len(set(ids)) == 2
    assert all(re.fullmatch(r"ndk\.0\.[0-9a-f]{16}@.+", i) for i in ids)


def test_a_message_already_queued_is_left_as_it_is_and_counted(noc):
    incident = outage(noc, 3)
    update = IncidentUpdate.objects.get(incident=incident)
    first, second, third = Customer.objects.order_by("pk")

    def queue(customers: list[Customer]) -> Any:
        return outbound_queue_many(
            kind=OutboundKind.INCIDENT_NOTICE,
            messages=[
                BulkMessage(
                    to=[f"c{c.pk}@example.net"],
                    context=MessageContext(customer=c, incident=incident, update=update),
                    customer=c,
                )
                for c in customers
            ],
            actor=noc,
            incident_update=update,
        )

    queue([first, second])
    before = dict(OutboundMessage.objects.values_list("customer_id", "message_id"))

    again = queue([first, second, third])

    assert (again.queued, again.already_queued) == (1, 2)
    after = dict(OutboundMessage.objects.values_list("customer_id", "message_id"))
    assert {k: after[k] for k in before} == before
    assert set(after) == {first.pk, second.pk, third.pk}


def test_a_bad_address_is_refused_by_name_and_nothing_is_queued(noc):
    incident = outage(noc, 2)
    update = IncidentUpdate.objects.get(incident=incident)
    good, bad = Customer.objects.order_by("pk")

    with pytest.raises(ValidationFailed) as refused:
        outbound_queue_many(
            kind=OutboundKind.INCIDENT_NOTICE,
            messages=[
                BulkMessage(to=[address], context=MessageContext(customer=c), customer=c)
                for c, address in ((good, "good@example.net"), (bad, "not an address"))
            ],
            actor=noc,
            incident_update=update,
        )

    assert (refused.value.field, refused.value.value) == ("to", "not an address")
    assert not OutboundMessage.objects.exists()


def test_notifying_costs_the_same_queries_for_5_and_50_customers(noc, django_assert_num_queries):
    notify(actor=noc, incident=outage(noc, 1, name="WARM"))  # memos built once
    few, many = outage(noc, 5, name="FEW"), outage(noc, 50, name="MANY")
    with CaptureQueriesContext(connection) as five:
        assert notify(actor=noc, incident=few).queued == 5

    with django_assert_num_queries(len(five)):
        assert notify(actor=noc, incident=many).queued == 50


def test_the_all_clear_is_queued_by_a_task_written_with_the_resolution_and_safe_to_rerun(noc):
    incident = outage(noc, 3)
    notify(actor=noc, incident=incident)

    incident_resolve(actor=noc, incident=incident, root_cause="fibre_cut", customer_message="Ok.")

    assert not OutboundMessage.objects.filter(kind=OutboundKind.ALL_CLEAR).exists()
    waiting = DBTaskResult.objects.get(
        task_path=incident_all_clear_send.module_path, status=TaskResultStatus.READY
    )
    arguments = waiting.args_kwargs["args"]
    assert incident_all_clear_send.call(*arguments) == 3
    # A worker that died after queuing part of it: the rest, and only the rest.
    OutboundMessage.objects.filter(kind=OutboundKind.ALL_CLEAR).order_by("pk")[0].delete()
    assert incident_all_clear_send.call(*arguments) == 1
    assert incident_all_clear_send.call(*arguments) == 0
    assert OutboundMessage.objects.filter(kind=OutboundKind.ALL_CLEAR).count() == 3
