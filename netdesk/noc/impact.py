"""Who an outage affects, fast at a million subscribers.

Counting a core router's million services with SQL on every alarm takes
seconds. Instead each process keeps, per element, how many active services
hang directly off it and how many distinct customers they belong to, plus the
few customers whose services sit on more than one element and the key
accounts per element. An incident's impact is then a walk over the
topology below its elements and a sum, exact because the customers counted
twice are known and taken off again.

The index is a memo (`netdesk.core.memo`): built again, in every process,
after a write to services, customers or elements marks them changed."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db.models import Count

from netdesk.core.memo import Memo
from netdesk.customers.models import Customer, Service, ServiceStatus, key_account_customers
from netdesk.network.models import NetworkElement
from netdesk.network.selectors import topology
from netdesk.noc.impact_triggers import impact_triggers_present
from netdesk.noc.models import ImpactCustomer, ImpactElement, ImpactPair

logger = logging.getLogger("netdesk.noc")


@dataclass(frozen=True)
class Impact:
    services: int
    customers: int
    key_account_ids: list[int]


@dataclass
class ImpactIndex:
    services: dict[int, int] = field(default_factory=dict)  # element → active services
    customers: dict[int, int] = field(default_factory=dict)  # element → distinct customers
    # Customers with active services on several elements: customer → elements.
    spread: dict[int, set[int]] = field(default_factory=dict)
    key_accounts: dict[int, set[int]] = field(default_factory=dict)  # element → key accounts
    areas: dict[int, int] = field(default_factory=dict)  # element → its area, if any

    def impact(self, element_ids: Iterable[int]) -> Impact:
        below = topology().subtree(element_ids)
        services = sum(self.services.get(e, 0) for e in below)
        customers = sum(self.customers.get(e, 0) for e in below)
        for elements in self.spread.values():
            inside = len(elements & below)
            if inside > 1:
                customers -= inside - 1  # counted once per element, is one customer
        accounts: set[int] = set()
        for element in below & self.key_accounts.keys():
            accounts |= self.key_accounts[element]
        return Impact(services, customers, sorted(accounts))


def _scanned() -> ImpactIndex:
    """The index from the services themselves: two grouped scans of them
    (1.5 s at a million). Only where the counts' triggers are missing."""
    index = ImpactIndex()
    active = Service.objects.filter(status=ServiceStatus.ACTIVE, access_element__isnull=False)
    for element_id, area_id, services, customers in (
        active.values("access_element_id", "access_element__area_id")
        .annotate(n=Count("id"), c=Count("customer_id", distinct=True))
        .order_by()
        .values_list("access_element_id", "access_element__area_id", "n", "c")
    ):
        index.services[element_id] = services
        index.customers[element_id] = customers
        if area_id is not None:
            index.areas[element_id] = area_id
    spread_customers = (
        active.values("customer_id")
        .annotate(k=Count("access_element_id", distinct=True))
        .filter(k__gt=1)
        .order_by()
        .values("customer_id")
    )
    for customer_id, element_id in active.filter(customer_id__in=spread_customers).values_list(
        "customer_id", "access_element_id"
    ):
        index.spread.setdefault(customer_id, set()).add(element_id)
    for element_id, customer_id, parent_id in active.filter(
        key_account_customers("customer__")
    ).values_list("access_element_id", "customer_id", "customer__parent_account_id"):
        index.key_accounts.setdefault(element_id, set()).add(parent_id or customer_id)
    return index


def _counted() -> ImpactIndex:
    """The index from the counts the triggers keep: a row per element with
    services, the pairs of the customers on several elements, the pairs of
    key accounts. Three indexed reads, however many services."""
    index = ImpactIndex()
    rows = ImpactElement.objects.filter(services__gt=0).values_list(
        "element_id", "element__area_id", "services", "customers"
    )
    for element_id, area_id, services, customers in rows:
        index.services[element_id] = services
        index.customers[element_id] = customers
        if area_id is not None:
            index.areas[element_id] = area_id
    spread = ImpactCustomer.objects.filter(elements__gt=1).values("customer_id")
    for customer_id, element_id in ImpactPair.objects.filter(customer_id__in=spread).values_list(
        "customer_id", "element_id"
    ):
        index.spread.setdefault(customer_id, set()).add(element_id)
    for element_id, account_id in ImpactPair.objects.filter(key_account__isnull=False).values_list(
        "element_id", "key_account_id"
    ):
        index.key_accounts.setdefault(element_id, set()).add(account_id)
    return index


def _build() -> ImpactIndex:
    if impact_triggers_present():
        return _counted()
    # A schema change that rebuilt the services table on SQLite drops its
    # triggers: stay exact, and say how to get the fast way back.
    logger.error("impact counts: triggers missing; run `netdesk noc impact-rebuild`")
    return _scanned()


# Key accounts are customers' segments and groups: those count as well.
_index: Memo[ImpactIndex] = Memo(_build, depends_on=[Service, Customer, NetworkElement])


def impact_index() -> ImpactIndex:
    """The index as of the last change to services, customers or elements."""
    return _index.get()


def impact_of(element_ids: Iterable[int]) -> Impact:
    ids = list(element_ids)
    if not ids:
        return Impact(0, 0, [])
    return impact_index().impact(ids)


RECOUNT_CHUNK = 5000


def impact_recount(element_ids: Iterable[int]) -> Impact:
    """The impact counted from the services themselves, without the index
    or the kept counts: what both must agree with (tests, the scale-out
    test). Reads every service below the elements: slow for a core."""
    below = sorted(topology().subtree(element_ids))
    services = 0
    customers: set[int] = set()
    accounts: set[int] = set()
    active = Service.objects.filter(status=ServiceStatus.ACTIVE)
    for start in range(0, len(below), RECOUNT_CHUNK):
        chunk = active.filter(access_element_id__in=below[start : start + RECOUNT_CHUNK])
        services += chunk.count()
        customers.update(chunk.values_list("customer_id", flat=True))
        keys = chunk.filter(key_account_customers("customer__"))
        for customer_id, parent_id in keys.values_list(
            "customer_id", "customer__parent_account_id"
        ):
            accounts.add(parent_id or customer_id)
    return Impact(services, len(customers), sorted(accounts))
