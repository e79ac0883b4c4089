"""Writing customers by the thousand, for importers and the demo loader:
one statement per batch, never a query per row, with the same rules as
the one-at-a-time services (phone numbers in E.164, digits for search)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import NamedTuple

from django.db import transaction

from netdesk.core.bulk import insert_rows
from netdesk.core.memo import data_changed
from netdesk.customers.models import (
    Contact,
    Customer,
    Segment,
    Service,
    email_key,
    normalise_phone,
)
from netdesk.customers.phones import phone_e164
from netdesk.customers.selectors import customer_ids_by_account

BATCH_SIZE = 2000


@dataclass(frozen=True, slots=True)
class NewCustomer:
    """A customer an import knows only by account number, name and segment."""

    account_number: str
    name: str
    segment: str = Segment.RESIDENTIAL
    parent_account_id: int | None = None


class EnsuredCustomers(NamedTuple):
    ids: dict[str, int]  # by account number, for every customer asked for
    created: int


@transaction.atomic
def customers_ensure(*, customers: Sequence[NewCustomer]) -> EnsuredCustomers:
    """The ids of these customers by account number, creating those not
    stored in one INSERT (stored ones are left as they are; of two asked for
    with one account number, the first is created)."""
    ids = customer_ids_by_account(account_numbers={new.account_number for new in customers})
    missing: dict[str, NewCustomer] = {}
    for new in customers:
        if new.account_number not in ids:
            missing.setdefault(new.account_number, new)
    if missing:
        insert_rows(
            Customer,
            ("account_number", "name", "segment", "parent_account"),
            (
                (new.account_number, new.name, new.segment, new.parent_account_id)
                for new in missing.values()
            ),
        )
        ids.update(customer_ids_by_account(account_numbers=set(missing)))
    return EnsuredCustomers(ids, len(missing))


@transaction.atomic
def customers_insert(
    *,
    customers: Sequence[Customer],
    contacts: Sequence[Contact],
    services: Sequence[Service],
) -> None:
    """Insert new customers with their contacts and services, their ids
    already given (so children point at parents without a round trip).
    Phone numbers are stored in E.164; a number that cannot be read stops
    the whole insert, naming its account or contact."""
    for customer in customers:
        _set_phone(customer, f"customer {customer.account_number} phone")
    for contact in contacts:
        _set_phone(contact, f"contact {contact.name} (customer id {contact.customer_id}) phone")
        contact.email_key = email_key(contact.email)
    data_changed(Customer, Service)  # impact analysis counts them
    Customer.objects.bulk_create(customers, batch_size=BATCH_SIZE)
    Contact.objects.bulk_create(contacts, batch_size=BATCH_SIZE)
    Service.objects.bulk_create(services, batch_size=BATCH_SIZE)


def _set_phone(row: Customer | Contact, field: str) -> None:
    row.phone = phone_e164(row.phone, field=field)
    row.phone_digits = normalise_phone(row.phone)
