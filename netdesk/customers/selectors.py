"""Finding a caller and putting together the customer 360 view."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Prefetch, Q, QuerySet
from django.db.models.functions import Right

from netdesk.accounts.models import User
from netdesk.accounts.permissions import sees_all_customers
from netdesk.core.errors import NotFound
from netdesk.customers.models import PHONE_TAIL, Contact, Customer, Service, normalise_phone

MIN_PHONE_DIGITS = 6
RECENT_TICKETS = 10
RECENT_INTERACTIONS = 10


def customers_visible_to(user: User) -> QuerySet[Customer]:
    customers = Customer.objects.all()
    if sees_all_customers(user):
        return customers
    return customers.filter(Q(account_manager=user) | Q(parent_account__account_manager=user))


def _phone_matches(visible: QuerySet[Customer], digits: str, limit: int) -> list[int]:
    own: QuerySet[Any]
    by_contact: QuerySet[Any]
    if len(digits) >= PHONE_TAIL:
        # Exact on the last nine digits: served by the expression indexes.
        tail = digits[-PHONE_TAIL:]
        own = visible.annotate(tail=Right("phone_digits", PHONE_TAIL)).filter(tail=tail)
        by_contact = Contact.objects.annotate(tail=Right("phone_digits", PHONE_TAIL)).filter(
            tail=tail
        )
    else:
        own = visible.filter(phone_digits__endswith=digits)
        by_contact = Contact.objects.filter(phone_digits__endswith=digits)
    found = list(own.values_list("pk", flat=True)[:limit])
    contact_customers = list(by_contact.values_list("customer_id", flat=True)[:limit])
    if contact_customers:
        found += list(visible.filter(pk__in=contact_customers).values_list("pk", flat=True))
    return found


def customer_search(*, user: User, query: str, limit: int = 20) -> list[Customer]:
    """Find callers by phone number (any format, matched on digits), account
    number, service id, or name. Exact identifiers come first; each lookup is
    its own indexed query rather than one query OR-ing across joins."""
    text = query.strip()
    if not text:
        return []
    visible = customers_visible_to(user)
    spellings = {text, text.upper()}
    ids: list[int] = list(visible.filter(account_number__in=spellings).values_list("pk", flat=True))
    by_service = Service.objects.filter(service_id__in=spellings).values_list(
        "customer_id", flat=True
    )
    ids += list(visible.filter(pk__in=list(by_service)).values_list("pk", flat=True))
    digits = normalise_phone(text)
    if len(digits) >= MIN_PHONE_DIGITS and len(digits) >= len(text.replace(" ", "")) - 4:
        ids += _phone_matches(visible, digits, limit)
    ids = list(dict.fromkeys(ids))[:limit]
    if not ids and len(text) >= 2:
        ids += list(
            visible.filter(name__icontains=text).values_list("pk", flat=True)[: limit - len(ids)]
        )
    order = {pk: index for index, pk in enumerate(ids)}
    found = (
        Customer.objects.filter(pk__in=order)
        .select_related("account_manager")
        .prefetch_related(
            Prefetch(
                "services", queryset=Service.objects.only("service_id", "customer_id", "product")
            )
        )
    )
    return sorted(found, key=lambda c: order[c.pk])


@dataclass
class Customer360:
    customer: Customer
    # Ticket and Interaction rows (typed loosely: customers does not import tickets).
    open_tickets: list[Any]
    recent_tickets: list[Any]
    recent_interactions: list[Any]


def customer_360(*, user: User, customer_id: int) -> Customer360:
    """Everything an agent needs while the customer is on the line."""
    # The ticket side is read through reverse relations: customers must not
    # import tickets (tickets depend on customers, not the other way round).
    customer = (
        customers_visible_to(user)
        .select_related("account_manager", "parent_account")
        .prefetch_related(
            Prefetch("contacts", queryset=Contact.objects.order_by("-is_primary", "name")),
            Prefetch(
                "services",
                queryset=Service.objects.select_related("area", "access_element").order_by(
                    "service_id"
                ),
            ),
        )
        .filter(pk=customer_id)
        .first()
    )
    if customer is None:
        raise NotFound(
            f"Customer {customer_id} does not exist or is not visible to you.",
            field="id",
            value=customer_id,
        )
    tickets = customer.tickets.select_related("group", "assignee", "service").order_by("-id")
    open_tickets = list(tickets.exclude(status__in=["resolved", "closed"])[:50])
    recent_tickets = list(tickets.filter(status__in=["resolved", "closed"])[:RECENT_TICKETS])
    interactions = list(
        customer.interactions.select_related("agent", "contact", "ticket").order_by("-started_at")[
            :RECENT_INTERACTIONS
        ]
    )
    return Customer360(customer, open_tickets, recent_tickets, interactions)
