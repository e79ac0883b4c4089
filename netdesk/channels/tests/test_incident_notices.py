"""Incident notices: each affected customer told once per update, at its
verified, not bouncing addresses; a cap that asks to confirm; send times
spread at the notice rate; the all-clear to the same people on resolve."""

from __future__ import annotations

import itertools
from datetime import timedelta
from email import message_from_bytes

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from netdesk.accounts.models import Role, TierKind
from netdesk.channels.models import OutboundKind, OutboundMessage
from netdesk.channels.selectors_notices import incident_notice_figures
from netdesk.channels.services.delivery import outbound_deliver_due
from netdesk.channels.services.incident_notices import incident_all_clear
from netdesk.channels.tasks import incident_all_clear_send
from netdesk.channels.tests.notify_orders import notify, tasks_run
from netdesk.core.errors import (
    ConfirmationNeeded,
    PermissionDenied,
    TransitionNotAllowed,
    ValidationFailed,
)
from netdesk.core.memo import data_changed
from netdesk.customers.models import Contact, Customer, Service
from netdesk.noc.impact import impact_index
from netdesk.noc.models import IncidentUpdate, NetworkIncident
from netdesk.noc.services.incidents import incident_create, incident_resolve, incident_update
from tests import factories as f

pytestmark = pytest.mark.django_db


def with_email(customer: Customer, email: str, **extra: object) -> Contact:
    contact = Contact(customer=customer, name=f"Contact {email}", email=email, **extra)
    contact.save()
    return contact


@pytest.fixture
def outage() -> dict[str, object]:
    """Five customers below AGG (two reachable, three not), one elsewhere;
    an incident on AGG with customer wording."""
    agg = f.element("AGG")
    olt = f.element("OLT", upstream=agg)
    contacts = f.customer(name="Contacts GmbH", language="de")
    with_email(contacts, "ops@contacts.example")
    with_email(contacts, "OPS@contacts.example")  # the same address, once
    with_email(contacts, "noc@contacts.example")
    with_email(contacts, "stranger@example.net", verified=False)
    with_email(contacts, "gone@contacts.example", email_bouncing="550 no such user")
    own_address = f.customer(name="Own Address", email="own@example.net")
    silent = f.customer(name="No Address")
    bouncing = f.customer(name="Bouncing", email="old@example.net")
    with_email(bouncing, "old@example.net", email_bouncing="550 mailbox disabled")
    unverified = f.customer(name="Unverified only")
    with_email(unverified, "who@example.net", verified=False)
    for customer in (contacts, own_address, silent, bouncing, unverified):
        f.service(customer, access_element=olt)
    f.service(f.customer(email="elsewhere@example.net"), access_element=f.element("OTHER"))
    noc = f.user(Role.NOC_ENGINEER, groups=[f.group(TierKind.SECOND_LINE)])
    incident = incident_create(
        actor=noc,
        title="Fibre cut",
        detected_by="manual",
        root_element=agg,
        customer_description="A fibre cable was cut; technicians are on site.",
        eta=timezone.now() + timedelta(hours=3),
    )
    return {
        "incident": incident,
        "noc": noc,
        "contacts": contacts,
        "own_address": own_address,
        "silent": silent,
        "bouncing": bouncing,
        "unverified": unverified,
        "olt": olt,
    }


def all_clears_run() -> int:
    """Run the waiting all-clear tasks as a worker would; messages queued."""
    return tasks_run(incident_all_clear_send)


def notices(kind: str = OutboundKind.INCIDENT_NOTICE) -> dict[str, OutboundMessage]:
    rows = OutboundMessage.objects.filter(kind=kind).select_related("customer")
    return {row.customer.name: row for row in rows if row.customer}


def test_each_affected_customer_gets_one_notice_at_its_good_addresses(outage):
    result = notify(actor=outage["noc"], incident=outage["incident"])

    assert (result.affected, result.queued, result.already_notified) == (5, 2, 0)
    sent = notices()
    assert set(sent) == {"Contacts GmbH", "Own Address"}
    assert sent["Contacts GmbH"].to_addresses == "ops@contacts.example, noc@contacts.example"
    assert sent["Own Address"].to_addresses == "own@example.net"
    update = IncidentUpdate.objects.filter(incident=outage["incident"]).get()
    assert {row.incident_update_id for row in sent.values()} == {update.pk}
    assert all(row.automatic and row.created_by == outage["noc"] for row in sent.values())


def test_customers_with_no_usable_address_are_counted_and_named_as_not_reachable(outage):
    result = notify(actor=outage["noc"], incident=outage["incident"])

    assert result.not_reachable == 3
    names = {outage[k].account_number for k in ("silent", "bouncing", "unverified")}
    assert set(result.not_reachable_accounts) == names


def test_a_second_notice_of_the_same_update_queues_nothing_and_says_so(outage):
    notify(actor=outage["noc"], incident=outage["incident"])

    again = notify(actor=outage["noc"], incident=outage["incident"])

    assert (again.queued, again.already_notified, again.not_reachable) == (0, 2, 3)
    assert OutboundMessage.objects.count() == 2


def test_a_new_update_reaches_the_customers_again(outage):
    notify(actor=outage["noc"], incident=outage["incident"])
    incident_update(
        actor=outage["noc"], incident=outage["incident"], customer_message="Splicing has begun."
    )

    result = notify(actor=outage["noc"], incident=outage["incident"])

    assert result.queued == 2
    assert OutboundMessage.objects.filter(kind=OutboundKind.INCIDENT_NOTICE).count() == 4


def test_the_notice_carries_the_customer_wording_in_the_customers_language(outage):
    incident_update(
        actor=outage["noc"],
        incident=outage["incident"],
        technical_note="splice tray 4, ODF 12",
        customer_message="Splicing has begun.",
    )
    notify(actor=outage["noc"], incident=outage["incident"])

    german, english = notices()["Contacts GmbH"], notices()["Own Address"]
    assert "Splicing has begun." in german.body
    assert "Splicing has begun." in english.body
    assert "ODF 12" not in german.body + english.body
    assert outage["incident"].reference in german.subject
    assert "Störung" in german.subject
    assert "disruption" in english.subject


def test_above_the_cap_only_with_confirmation_naming_the_count_and_the_cap(outage, settings):
    settings.NETDESK_NOTICE_CAP = 4

    with pytest.raises(ConfirmationNeeded) as asked:
        notify(actor=outage["noc"], incident=outage["incident"])

    assert (asked.value.status, asked.value.field) == (409, "confirm")
    assert "5 customers" in asked.value.message
    assert "cap of 4" in asked.value.message
    assert not OutboundMessage.objects.exists()
    result = notify(actor=outage["noc"], incident=outage["incident"], confirm=True)
    assert result.queued == 2


def test_notices_leave_at_the_notice_rate_after_those_already_queued(outage, settings):
    settings.NETDESK_NOTICE_RATE = "60/minute"
    before = timezone.now()
    notify(actor=outage["noc"], incident=outage["incident"])
    first = list(OutboundMessage.objects.order_by("next_attempt_at"))
    second_olt = f.element("OLT2")
    for n in range(3):
        f.service(f.customer(email=f"second{n}@example.net"), access_element=second_olt)
    other = incident_create(
        actor=outage["noc"],
        title="Power",
        detected_by="manual",
        root_element=second_olt,
        customer_description="Power outage at the exchange.",
    )

    notify(actor=outage["noc"], incident=other)

    times = [row.next_attempt_at for row in OutboundMessage.objects.order_by("next_attempt_at")]
    assert len(times) == 5
    assert first[0].next_attempt_at >= before
    assert {later - earlier for earlier, later in itertools.pairwise(times)} == {
        timedelta(seconds=1)
    }


def test_resolving_sends_the_all_clear_to_the_notified_customers_only_once_each(outage):
    incident = outage["incident"]
    notify(actor=outage["noc"], incident=incident)
    incident_update(actor=outage["noc"], incident=incident, customer_message="Still working.")
    notify(actor=outage["noc"], incident=incident)
    # A customer affected later, never notified, gets no all-clear either.
    f.service(f.customer(name="Latecomer", email="late@example.net"), access_element=outage["olt"])

    incident_resolve(
        actor=outage["noc"],
        incident=incident,
        root_cause="fibre_cut",
        customer_message="The cable is repaired.",
    )

    assert not notices(OutboundKind.ALL_CLEAR)  # not inside the resolution
    assert all_clears_run() == 2
    cleared = notices(OutboundKind.ALL_CLEAR)
    assert set(cleared) == {"Contacts GmbH", "Own Address"}
    assert cleared["Contacts GmbH"].to_addresses == "ops@contacts.example, noc@contacts.example"
    assert "The cable is repaired." in cleared["Own Address"].body
    resolution = IncidentUpdate.objects.filter(incident=incident).order_by("-at", "-id")[0]
    assert incident_all_clear(incident=incident, update=resolution, actor=None) == 0
    assert OutboundMessage.objects.filter(kind=OutboundKind.ALL_CLEAR).count() == 2


def test_an_incident_nobody_was_notified_of_resolves_without_all_clear(outage):
    incident_resolve(actor=outage["noc"], incident=outage["incident"], root_cause="fibre_cut")

    assert all_clears_run() == 0
    assert not OutboundMessage.objects.exists()


def test_customers_notified_of_a_merged_incident_get_the_bigger_ones_all_clear(outage):
    small = outage["incident"]
    notify(actor=outage["noc"], incident=small)
    core = f.element("CORE")
    big = incident_create(
        actor=outage["noc"],
        title="Core down",
        detected_by="manual",
        root_element=core,
        customer_description="Core router failure.",
    )
    NetworkIncident.objects.filter(pk=small.pk).update(merged_into=big, state="resolved")
    small.refresh_from_db()

    with pytest.raises(TransitionNotAllowed, match=big.reference):
        notify(actor=outage["noc"], incident=small)
    incident_resolve(actor=outage["noc"], incident=big, root_cause="hardware")
    all_clears_run()

    assert set(notices(OutboundKind.ALL_CLEAR)) == {"Contacts GmbH", "Own Address"}


def test_an_incident_without_customer_wording_is_not_notified(outage):
    bare = incident_create(
        actor=outage["noc"], title="Bare", detected_by="manual", root_element=outage["olt"]
    )

    with pytest.raises(ValidationFailed) as refused:
        notify(actor=outage["noc"], incident=bare)

    assert refused.value.field == "customer_message"
    assert not OutboundMessage.objects.exists()


@pytest.mark.parametrize(
    ("role", "allowed"),
    [
        (Role.HOTLINE_OPERATOR, False),
        (Role.FIELD_ENGINEER, False),
        (Role.ACCOUNT_MANAGER, False),
        (Role.NOC_ENGINEER, True),
        (Role.TEAM_LEAD, True),
        (Role.SERVICE_DESK_MANAGER, True),
        (Role.ADMINISTRATOR, True),
    ],
)
def test_only_roles_that_may_notify_customers_can(outage, role, allowed):
    actor = f.user(role)

    if allowed:
        assert notify(actor=actor, incident=outage["incident"]).queued == 2
    else:
        with pytest.raises(PermissionDenied):
            notify(actor=actor, incident=outage["incident"])
        assert not OutboundMessage.objects.exists()


def test_notices_and_the_all_clear_reach_a_real_smtp_server_at_the_notice_rate(
    outage, mail_settings, settings
):
    settings.NETDESK_NOTICE_RATE = "60/minute"
    incident = outage["incident"]
    notify(actor=outage["noc"], incident=incident)
    first_due = OutboundMessage.objects.order_by("next_attempt_at")[0].next_attempt_at

    assert outbound_deliver_due(now=first_due) == 1
    assert len(mail_settings.messages) == 1
    assert len(mail_settings.messages) == 1
    assert outbound_deliver_due(now=first_due + timedelta(seconds=1)) == 1
    incident_resolve(
        actor=outage["noc"], incident=incident, root_cause="fibre_cut", customer_message="Fixed."
    )
    all_clears_run()
    outbound_deliver_due(now=timezone.now() + timedelta(minutes=5))

    received = [message_from_bytes(m.raw) for m in mail_settings.messages]
    assert sorted(sorted(m.rcpt_tos) for m in mail_settings.messages) == [
        ["noc@contacts.example", "ops@contacts.example"],
        ["noc@contacts.example", "ops@contacts.example"],
        ["own@example.net"],
        ["own@example.net"],
    ]
    assert {m["Auto-Submitted"] for m in received} == {"auto-generated"}
    subjects = sorted(str(m["Subject"]) for m in received)
    assert sum("Behoben" in s or "Resolved" in s for s in subjects) == 2
    assert set(OutboundMessage.objects.values_list("state", flat=True)) == {"sent"}


def test_the_not_reachable_are_all_counted_and_the_first_named(outage, monkeypatch):
    monkeypatch.setattr("netdesk.channels.services.incident_notices.NAMED", 1)

    result = notify(actor=outage["noc"], incident=outage["incident"])

    assert result.not_reachable == 3
    assert result.not_reachable_accounts == [outage["silent"].account_number]


def test_the_panel_figures_cost_the_same_queries_for_few_and_many_customers(
    outage, django_assert_num_queries
):
    incident = outage["incident"]
    notify(actor=outage["noc"], incident=incident)
    with CaptureQueriesContext(connection) as few:
        small = incident_notice_figures(incident)
    for n in range(40):
        customer = f.customer(email=f"many{n}@example.net")
        with_email(customer, f"contact{n}@example.net")
        f.service(customer, access_element=outage["olt"])
    data_changed(Service)  # as the subscription services do
    impact_index()  # built again once, not on every page view

    with django_assert_num_queries(len(few)):
        large = incident_notice_figures(incident)

    assert (small.affected, small.reachable, small.notified) == (5, 2, 2)
    assert (large.affected, large.reachable, large.notified) == (45, 42, 2)
    assert large.states == {"queued": 2}
