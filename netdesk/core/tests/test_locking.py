"""locked(): the row read again under lock, the related rows already read
for the same keys kept, those whose key changed meanwhile read afresh."""

from __future__ import annotations

import pytest
from django.db import transaction

from netdesk.core.errors import NotFound
from netdesk.core.locking import locked
from netdesk.tickets.models import Ticket
from tests import factories as f

pytestmark = pytest.mark.django_db


def test_the_row_is_read_again_and_its_joined_rows_kept(django_assert_num_queries) -> None:
    operator = f.user()
    ticket = f.ticket(operator)
    loaded = Ticket.objects.select_related("customer", "group").get(pk=ticket.pk)
    Ticket.objects.filter(pk=ticket.pk).update(title="Changed meanwhile")
    with transaction.atomic(), django_assert_num_queries(1):
        locked(loaded)
        assert loaded.title == "Changed meanwhile"
        assert (loaded.customer, loaded.group) == (ticket.customer, ticket.group)


def test_a_related_row_whose_key_changed_is_read_afresh() -> None:
    operator = f.user()
    ticket = f.ticket(operator)
    other = f.group()
    loaded = Ticket.objects.select_related("group").get(pk=ticket.pk)
    Ticket.objects.filter(pk=ticket.pk).update(group=other)
    with transaction.atomic():
        locked(loaded)
    assert loaded.group == other


def test_a_deleted_row_is_not_found() -> None:
    operator = f.user()
    ticket = f.ticket(operator)
    Ticket.objects.filter(pk=ticket.pk).delete()
    with transaction.atomic(), pytest.raises(NotFound):
        locked(ticket)


@pytest.mark.django_db(transaction=True)
def test_outside_a_transaction_it_refuses() -> None:
    ticket = f.ticket(f.user())
    with pytest.raises(RuntimeError):
        locked(ticket)


def test_a_related_row_of_its_own_kind_is_read_afresh() -> None:
    # A ticket's parent may have changed in the same transaction.
    operator = f.user()
    parent, child = f.ticket(operator), f.ticket(operator)
    Ticket.objects.filter(pk=child.pk).update(parent=parent)
    loaded = Ticket.objects.select_related("parent").get(pk=child.pk)
    Ticket.objects.filter(pk=parent.pk).update(title="Parent renamed")
    with transaction.atomic():
        locked(loaded)
    assert loaded.parent is not None
    assert loaded.parent.title == "Parent renamed"
