"""Statements compiled once (`core.compiled`): the same rows and instances
as the ORM gives, with each call's own values, and one statement each."""

from __future__ import annotations

from collections.abc import Hashable
from datetime import datetime, timedelta

import pytest
from django.db import connection
from django.db.models import Field, QuerySet
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from netdesk.core.compiled import (
    CACHED_ROW_COUNTS,
    CompiledInsert,
    CompiledQuery,
    _as_they_are,
    _passes,
)
from netdesk.customers.models import Customer
from netdesk.tickets.choices import TicketType
from netdesk.tickets.models import Ticket, TicketEvent
from netdesk.tickets.models.timeline import EventKind
from tests import factories as f

pytestmark = pytest.mark.django_db


def _by_account(shape: Hashable, *, customer_id: int, name: str = "") -> QuerySet[Customer]:
    query = Customer.objects.filter(pk=customer_id).select_related("parent_account")
    if shape == "named":
        query = query.filter(name=name)
    return query.order_by("pk")[:1]


BY_ACCOUNT = CompiledQuery(_by_account)


def test_a_compiled_read_answers_as_the_orm_with_each_calls_values():
    parent = f.customer("key_account", name="Parent Ltd")
    child = f.customer("business", name="Child Ltd", parent_account=parent)
    other = f.customer(name="Other")
    for customer in (child, other, parent):
        [found] = BY_ACCOUNT.instances(None, customer_id=customer.pk)
        expected = Customer.objects.select_related("parent_account").get(pk=customer.pk)
        assert (found.pk, found.name, found.created_at) == (
            expected.pk,
            expected.name,
            expected.created_at,
        )
        assert found.parent_account == expected.parent_account
    with CaptureQueriesContext(connection) as queries:
        [found] = BY_ACCOUNT.instances(None, customer_id=child.pk)
        assert found.parent_account.name == "Parent Ltd"  # no further query
    assert len(queries) == 1
    assert BY_ACCOUNT.instances(None, customer_id=other.pk + 1000) == []


def test_each_shape_has_its_statement_and_values_reach_their_places():
    customer = f.customer(name="Named")
    assert BY_ACCOUNT.instances("named", customer_id=customer.pk, name="Named") != []
    assert BY_ACCOUNT.instances("named", customer_id=customer.pk, name="Not it") == []
    assert BY_ACCOUNT.instances(None, customer_id=customer.pk) != []


def test_values_rows_are_converted_as_the_orm_converts_them():
    def build(shape: Hashable, *, customer_id: int) -> QuerySet[Customer, tuple[str, datetime]]:
        return Customer.objects.filter(pk=customer_id).values_list("name", "created_at")

    customer = f.customer(name="Dated")
    [row] = CompiledQuery(build).rows(None, customer_id=customer.pk)
    assert row == list(Customer.objects.values_list("name", "created_at").get(pk=customer.pk))
    assert row[1].tzinfo is not None


def test_a_value_that_does_not_reach_the_statement_is_refused():
    def build(shape: Hashable, *, customer_id: int) -> QuerySet[Customer]:
        return Customer.objects.all()

    with pytest.raises(ValueError, match="customer_id"):
        CompiledQuery(build).rows(None, customer_id=1)
    with pytest.raises(TypeError):
        BY_ACCOUNT.rows(None, customer_id=True)


def test_a_compiled_insert_sets_keys_and_what_the_database_computes():
    operator = f.user()
    ticket = f.ticket(operator)
    at = timezone.now() - timedelta(minutes=5)
    events = [
        TicketEvent(ticket=ticket, actor=operator, at=at, kind=EventKind.NOTE_ADDED, message=m)
        for m in ("one", "two")
    ]
    inserter = CompiledInsert(TicketEvent)
    with CaptureQueriesContext(connection) as queries:
        inserter.insert(events)
    assert len(queries) == 1
    stored = {e.pk: (e.message, e.at, e.actor_id) for e in TicketEvent.objects.filter(at=at)}
    assert stored == {e.pk: (e.message, at, operator.pk) for e in events}
    assert not any(e._state.adding for e in events)
    # The ticket's generated column comes back with its key, as from save().
    assert Ticket.objects.get(pk=ticket.pk).is_open == ticket.is_open


def test_a_large_batch_is_inserted_whole_but_its_statement_not_kept():
    operator = f.user()
    ticket = f.ticket(operator)
    at = timezone.now() - timedelta(minutes=7)
    inserter = CompiledInsert(TicketEvent)
    sizes = (2, CACHED_ROW_COUNTS + 1)
    for size in sizes:
        events = [
            TicketEvent(
                ticket=ticket, actor=operator, at=at, kind=EventKind.NOTE_ADDED, message=str(n)
            )
            for n in range(size)
        ]
        inserter.insert(events)
        assert all(e.pk is not None for e in events)
    assert TicketEvent.objects.filter(at=at).count() == sum(sizes)
    # Only the small batch's statement stays with the inserter.
    assert [count for _, count in inserter._sql] == [2]


def test_only_values_the_orm_would_leave_as_they_are_skip_their_field():
    def plain(name: str) -> tuple[type, ...]:
        field = Ticket._meta.get_field(name)
        assert isinstance(field, Field)
        return _as_they_are(field)

    assert plain("title") == (str, type(None))
    assert plain("customer") == (int, type(None))
    assert plain("priority") == (int, type(None))
    # SQLite writes datetimes its own way; PostgreSQL takes aware ones.
    assert plain("created_at") == ()
    created_at = Ticket._meta.get_field("created_at")
    assert isinstance(created_at, Field)
    assert _as_they_are(created_at, "postgresql") == (datetime, type(None))
    assert not _passes(datetime(2026, 12, 5, 3, 0), (datetime, type(None)))  # naive: prepared
    assert _passes(TicketType.FAULT, plain("ticket_type"))  # the ORM sends the member as it is
    assert not _passes(True, plain("priority"))  # an int field makes 1 of True
