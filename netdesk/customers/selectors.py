"""Finding a caller and putting together the customer 360 view."""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db.models import Prefetch, Q, QuerySet
from django.db.models.functions import Right

from netdesk.accounts.models import User
from netdesk.accounts.permissions import sees_all_customers
from netdesk.core.errors import NotFound
from netdesk.customers.models import PHONE_TAIL, Contact, Customer, Service, normalise_phone

MIN_PHONE_DIGITS = 6
# "030": an area code with its trunk 0 is the shortest start of a number worth a lookup.
MIN_PREFIX_DIGITS = 3
NUMBER_AS_TYPED = re.compile(r"[\d\s+\-/().]+")
RECENT_TICKETS = 10
OPEN_TICKETS = 50
RECENT_INTERACTIONS = 10


def customers_visible_to(user: User) -> QuerySet[Customer]:
    customers = Customer.objects.all()
    if sees_all_customers(user):
        return customers
    return customers.filter(Q(account_manager=user) | Q(parent_account__account_manager=user))


def customer_ids_by_account(*, account_numbers: Collection[str]) -> dict[str, int]:
    """Stored customers' ids by account number, for those of these stored."""
    return dict(
        Customer.objects.filter(account_number__in=account_numbers).values_list(
            "account_number", "id"
        )
    )


def account_numbers_by_name(*, names: Collection[str]) -> dict[str, list[str]]:
    """The account numbers of the customers with each of these exact names."""
    found: dict[str, list[str]] = {}
    for name, account in Customer.objects.filter(name__in=names).values_list(
        "name", "account_number"
    ):
        found.setdefault(name, []).append(account)
    return found


def phone_prefixes(text: str) -> list[str]:
    """How stored numbers begin when they start as typed. Numbers are written
    in E.164, their digits indexed ('+49 30 12…' as 493012…); those that could
    not be read when they were rewritten keep the digits they were typed with
    ('0049 30 12…' as 00493012…, '030 12…' as 03012…). A typed start in any of
    these spellings is looked up in all three. Text that is not the start of a
    number (no '+', '00' or trunk 0) has none: local numbers are matched from
    their end."""
    if not NUMBER_AS_TYPED.fullmatch(text):
        return []
    written = text.strip().replace("(0)", "")  # "+49 (0)30": the trunk 0 is dropped
    digits = normalise_phone(written)
    country = settings.NETDESK_PHONE_COUNTRY_CODE
    national = ""
    if written.startswith("+"):
        international = digits
    elif digits.startswith("00"):
        international = digits[2:]
    elif digits.startswith("0"):
        national = digits
        international = country + digits[1:] if country else ""
    else:
        return []
    if country and international.startswith(country):
        national = "0" + international[len(country) :]
    # Too short a start would list a whole country: at least "030", or four
    # digits after "+" when the country is not the desk's own.
    if len(national) < MIN_PREFIX_DIGITS if national else len(international) <= MIN_PREFIX_DIGITS:
        return []
    spellings = {national} if national else set()
    if international:
        spellings |= {international, "00" + international}
    return sorted(spellings)


def _first_after(prefix: str) -> str | None:
    """The smallest digit string after every string starting with prefix
    ('0399' → '04'); None when there is none ('999')."""
    kept = prefix.rstrip("9")
    if not kept:
        return None
    return kept[:-1] + str(int(kept[-1]) + 1)


def phone_prefix_matches(rows: QuerySet[Any], text: str) -> QuerySet[Any]:
    """Rows (customers or contacts) whose number starts as typed. Each
    spelling is a range on the indexed digits column, so the database reads
    the index from the first match on, never the whole table."""
    ranges = Q()
    for prefix in phone_prefixes(text):
        after = _first_after(prefix)
        ranges |= (
            Q(phone_digits__gte=prefix, phone_digits__lt=after)
            if after
            else Q(phone_digits__gte=prefix)
        )
    return rows.filter(ranges) if ranges else rows.none()


def _phone_matches(visible: QuerySet[Customer], text: str, limit: int) -> list[int]:
    digits = normalise_phone(text)
    own: QuerySet[Any] = visible.none()
    by_contact: QuerySet[Any] = Contact.objects.none()
    if len(digits) >= PHONE_TAIL:
        # Exact on the last nine digits: served by the expression indexes.
        tail = digits[-PHONE_TAIL:]
        own = visible.annotate(tail=Right("phone_digits", PHONE_TAIL)).filter(tail=tail)
        by_contact = Contact.objects.annotate(tail=Right("phone_digits", PHONE_TAIL)).filter(
            tail=tail
        )
    found = _customers_of(visible, own, by_contact, limit)
    if found:
        return found
    if phone_prefixes(text):
        # The start of a number ("030 12", "+49 30"): callers whose number begins so.
        own = phone_prefix_matches(visible, text)
        by_contact = phone_prefix_matches(Contact.objects.all(), text)
    elif len(digits) >= MIN_PHONE_DIGITS and NUMBER_AS_TYPED.fullmatch(text):
        # Only what is written as a number is matched from its end: an
        # account number ("A00010640") is no phone number, and the match
        # reads every caller's and contact's number.
        own = visible.filter(phone_digits__endswith=digits)
        by_contact = Contact.objects.filter(phone_digits__endswith=digits)
    else:
        return []
    return _customers_of(visible, own, by_contact, limit)


def _customers_of(
    visible: QuerySet[Customer], own: QuerySet[Any], by_contact: QuerySet[Any], limit: int
) -> list[int]:
    found = list(own.values_list("pk", flat=True)[:limit])
    contact_customers = list(by_contact.values_list("customer_id", flat=True)[:limit])
    if contact_customers:
        found += list(visible.filter(pk__in=contact_customers).values_list("pk", flat=True))
    return found


def customer_search(*, user: User, query: str, limit: int = 20) -> list[Customer]:
    """Find callers by phone number (any format, matched on digits; the start
    of a number such as an area code finds everyone under it), account
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
    ids += _phone_matches(visible, text, limit)
    ids = list(dict.fromkeys(ids))[:limit]
    if not ids and len(text) >= 2:
        ids += list(
            visible.filter(name__icontains=text).values_list("pk", flat=True)[: limit - len(ids)]
        )
    order = {pk: index for index, pk in enumerate(ids)}
    found = (
        Customer.objects.filter(pk__in=order)
        .select_related("account_manager", "parent_account")
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
    # A group account answers for its sites: their open tickets are its own.
    account_and_sites = Customer.objects.filter(Q(pk=customer.pk) | Q(parent_account=customer))
    open_tickets = list(
        tickets.model.objects.filter(customer__in=account_and_sites.values("pk"))
        .select_related("group", "assignee", "service", "customer")
        .exclude(status__in=["resolved", "closed"])
        .order_by("-id")[:OPEN_TICKETS]
    )
    recent_tickets = list(tickets.filter(status__in=["resolved", "closed"])[:RECENT_TICKETS])
    interactions = list(
        customer.interactions.select_related("agent", "contact", "ticket").order_by("-started_at")[
            :RECENT_INTERACTIONS
        ]
    )
    return Customer360(customer, open_tickets, recent_tickets, interactions)
