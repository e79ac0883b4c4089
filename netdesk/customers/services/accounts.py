"""Writing one customer account or contact at a time, as agents, the admin
and importers of a single account do. Phone numbers are stored in E.164
(the model keeps the digits the search index reads)."""

from __future__ import annotations

from django.db import transaction

from netdesk.accounts.models import User
from netdesk.customers.models import Contact, Customer, Segment
from netdesk.customers.phones import phone_e164


@transaction.atomic
def customer_create(
    *,
    account_number: str,
    name: str,
    segment: str = Segment.RESIDENTIAL,
    phone: str = "",
    email: str = "",
    billing_address: str = "",
    language: str = "en",
    parent_account: Customer | None = None,
    account_manager: User | None = None,
    contract_reference: str = "",
    is_placeholder: bool = False,
) -> Customer:
    number = phone_e164(phone)
    customer = Customer(
        account_number=account_number,
        name=name,
        segment=segment,
        phone=number,
        email=email,
        billing_address=billing_address,
        language=language,
        parent_account=parent_account,
        account_manager=account_manager,
        contract_reference=contract_reference,
        is_placeholder=is_placeholder,
    )
    customer.save(force_insert=True)
    return customer


@transaction.atomic
def customer_ensure(*, account_number: str, name: str, segment: str) -> Customer:
    """The customer with this account number, created with `name` and
    `segment` when there is none (an existing one is left as it is)."""
    customer, _ = Customer.objects.select_for_update().get_or_create(
        account_number=account_number, defaults={"name": name, "segment": segment}
    )
    return customer


@transaction.atomic
def contact_create(
    *,
    customer: Customer,
    name: str,
    role: str = "",
    phone: str = "",
    email: str = "",
    is_primary: bool = False,
    verified: bool = True,
) -> Contact:
    number = phone_e164(phone)
    contact = Contact(
        customer=customer,
        name=name,
        role=role,
        phone=number,
        email=email,
        is_primary=is_primary,
        verified=verified,
    )
    contact.save(force_insert=True)
    return contact
