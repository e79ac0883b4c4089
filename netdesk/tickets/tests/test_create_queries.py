"""What opening a ticket through the API costs the database, pinned: the
customer, service, contact, category, group and priority in one read, the
service-level summary in the ticket's own INSERT and its timers in one
INSERT after it. Before this was trimmed it took 23 statements (27 with an
Idempotency-Key, 29 with a call report), then 15 (19, 26)."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from netdesk.accounts import throttling
from netdesk.accounts.models import Role, SupportGroup, TierKind
from netdesk.core.memo import data_changed
from netdesk.customers.services import contact_create
from netdesk.sla.models import SlaTimer
from netdesk.sla.services import sla_refresh
from netdesk.tickets.models import Category, Ticket
from tests import factories as f

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def one_rate_window(monkeypatch: pytest.MonkeyPatch) -> None:
    """The API's rate count in one window throughout: the first call of a
    new minute also clears the caller's earlier windows (one statement
    more), which a test that warms up in one minute and counts in the next
    would take for the create's."""
    monkeypatch.setattr(throttling, "time", SimpleNamespace(time=lambda: 1_800_000_000.0))


# Statements inside the test's transaction, savepoints included: the token,
# the rate count, the one read of references, the version tokens of the
# memos, the ticket, its timers, its "created" event, the triage suggestion,
# the NOC's active incidents for a fault, and the savepoint of the create
# itself. The triage policy and which groups route come from memos.
PLAIN = 11
WITH_KEY = PLAIN + 4  # the key read, its savepoint pair and its row
WITH_CALL = 22  # the call's rows; then the timers are computed from the timeline


def _client() -> tuple[Client, Any]:
    operator = f.user()
    return Client(HTTP_AUTHORIZATION=f"Bearer {f.token_for(operator)}"), operator


def _post(client: Client, body: dict[str, Any], **headers: Any) -> tuple[int, dict[str, Any]]:
    with CaptureQueriesContext(connection) as queries:
        response = client.post("/api/v1/tickets", body, content_type="application/json", **headers)
    assert response.status_code == 201, response.content
    return len(queries), response.json()


def _warm(client: Client, owner: Any) -> None:
    # The first request of a database builds its memos (policies, classifier).
    body = {"customer_id": owner.pk, "ticket_type": "fault", "channel": "phone", "title": "x"}
    client.post("/api/v1/tickets", body, content_type="application/json")


def test_a_plain_create_takes_the_same_statements_with_few_or_many_tickets():
    client, operator = _client()
    owner = f.customer()
    _warm(client, owner)
    body = {"customer_id": owner.pk, "ticket_type": "fault", "channel": "phone", "title": "Down"}
    first, _ = _post(client, body)
    for _ in range(5):
        f.ticket(operator, owner)
    again, answer = _post(client, body)
    assert first == again == PLAIN
    assert Ticket.objects.get(pk=int(answer["ref"][3:])).title == "Down"


def test_every_reference_named_costs_no_further_statement():
    client, _ = _client()
    owner = f.customer()
    _warm(client, owner)
    service = f.service(owner)
    contact = contact_create(customer=owner, name="Ann", email="ann@example.net")
    category = Category.objects.filter(ticket_type="fault", is_active=True).first()
    assert category is not None
    group = f.group(TierKind.SECOND_LINE)
    body = {
        "customer_id": owner.pk,
        "ticket_type": "fault",
        "channel": "phone",
        "title": "Slow",
        "service_id": service.service_id,
        "contact_id": contact.pk,
        "category_id": category.pk,
        "group_id": group.pk,
        "impact": 1,
        "urgency": 1,
    }
    count, answer = _post(client, body)
    assert count == PLAIN
    ticket = Ticket.objects.get(pk=int(answer["ref"][3:]))
    assert (ticket.service, ticket.contact, ticket.category, ticket.group) == (
        service,
        contact,
        category,
        group,
    )
    assert ticket.priority == 1
    assert ticket.highest_tier_level == group.tier.level


def test_an_idempotency_key_and_a_call_add_only_their_own_rows():
    client, _ = _client()
    owner = f.customer()
    _warm(client, owner)
    body = {"customer_id": owner.pk, "ticket_type": "fault", "channel": "phone", "title": "Key"}
    keyed, _ = _post(client, body, HTTP_IDEMPOTENCY_KEY="create-1")
    assert keyed == WITH_KEY
    call = {**body, "call": {"summary": "Modem reset", "duration_seconds": 60}}
    called, _ = _post(client, call)
    assert called == WITH_CALL


def test_the_timers_written_at_opening_are_those_a_recompute_gives():
    client, _ = _client()
    owner = f.customer(segment="business")
    _warm(client, owner)
    body = {"customer_id": owner.pk, "ticket_type": "fault", "channel": "phone", "title": "T"}
    _, answer = _post(client, body)
    ticket = Ticket.objects.select_related("customer", "service").get(pk=int(answer["ref"][3:]))
    columns = ("kind", "metric", "group_id", "started_at", "due_at", "warn_at", "state")
    stored = sorted(SlaTimer.objects.filter(ticket=ticket).values_list(*columns))
    summary = (ticket.sla_next_due_at, ticket.sla_warn_at, ticket.sla_paused, ticket.sla_breached)
    assert stored, "a fault ticket has a resolution timer at least"
    assert ticket.sla_next_due_at is not None
    sla_refresh(ticket=ticket, now=ticket.created_at)
    ticket.refresh_from_db()
    assert sorted(SlaTimer.objects.filter(ticket=ticket).values_list(*columns)) == stored
    assert (
        ticket.sla_next_due_at,
        ticket.sla_warn_at,
        ticket.sla_paused,
        ticket.sla_breached,
    ) == summary


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("customer_id", 10**9),
        ("service_id", "NOPE-1"),
        ("contact_id", 10**9),
        ("category_id", 10**9),
        ("group_id", 10**9),
    ],
)
def test_a_reference_that_does_not_resolve_is_named(field, value):
    client, _ = _client()
    owner = f.customer()
    body = {"customer_id": owner.pk, "ticket_type": "fault", "channel": "phone", "title": "T"}
    response = client.post(
        "/api/v1/tickets", {**body, field: value}, content_type="application/json"
    )
    assert response.status_code == 422, response.content
    error = response.json()["errors"][0]
    assert (error["field"], error["value"]) == (field, value)
    assert not Ticket.objects.exists()


def test_an_account_manager_cannot_open_a_ticket_for_another_account():
    manager = f.user(role=Role.ACCOUNT_MANAGER)
    client = Client(HTTP_AUTHORIZATION=f"Bearer {f.token_for(manager)}")
    mine = f.customer(account_manager=manager)
    other = f.customer()
    body = {"ticket_type": "billing_inquiry", "channel": "email", "title": "Invoice"}
    refused = client.post(
        "/api/v1/tickets", {**body, "customer_id": other.pk}, content_type="application/json"
    )
    assert refused.status_code == 422
    assert refused.json()["errors"][0]["field"] == "customer_id"
    taken = client.post(
        "/api/v1/tickets", {**body, "customer_id": mine.pk}, content_type="application/json"
    )
    assert taken.status_code == 201, taken.content
    # The statement is compiled once for account managers; the next one
    # asking sees only their own accounts, not the first one's.
    second = f.user(role=Role.ACCOUNT_MANAGER)
    theirs = f.customer(parent_account=f.customer("key_account", account_manager=second))
    client = Client(HTTP_AUTHORIZATION=f"Bearer {f.token_for(second)}")
    for customer, status in ((mine, 422), (theirs, 201), (other, 422)):
        answer = client.post(
            "/api/v1/tickets", {**body, "customer_id": customer.pk}, content_type="application/json"
        )
        assert answer.status_code == status, (customer, answer.content)


def test_the_intake_group_follows_an_edit_of_the_groups():
    client, _ = _client()
    owner = f.customer()
    body = {"customer_id": owner.pk, "ticket_type": "fault", "channel": "phone", "title": "G"}
    first_line = f.group(TierKind.FIRST_LINE)
    _, answer = _post(client, body)
    assert Ticket.objects.get(pk=int(answer["ref"][3:])).group == first_line
    later = SupportGroup.objects.create(name="Overflow", tier=first_line.tier)
    first_line.is_active = False
    first_line.save()
    data_changed(SupportGroup)  # as the admin does on every edit
    _, answer = _post(client, body)
    assert Ticket.objects.get(pk=int(answer["ref"][3:])).group == later
