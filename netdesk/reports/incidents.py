"""The customers a network incident affects, as one table for a CSV file:
every one of them, not the first page the incident page shows."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from netdesk.accounts.models import User
from netdesk.customers.models import Segment
from netdesk.noc.models import NetworkIncident
from netdesk.noc.selectors import affected_customers
from netdesk.reports.formatting import choice_label

# Customers read per query: a core outage may affect most of the network.
PAGE = 1000
CUSTOMER_HEADING = ["Account number", "Customer", "Segment"]


def _rows(incident: NetworkIncident, user: User) -> Iterator[list[Any]]:
    after = 0
    while True:
        page = affected_customers(incident, user=user, after_id=after, limit=PAGE)
        for customer in page:
            yield [customer.account_number, customer.name, choice_label(Segment, customer.segment)]
        if len(page) < PAGE:
            return
        after = page[-1].pk


def affected_customer_table(
    incident: NetworkIncident, *, user: User
) -> tuple[list[str], Iterator[list[Any]]]:
    """Heading and rows (read page by page as they are written) of the
    customers the incident affects that `user` may see, in id order."""
    return CUSTOMER_HEADING, _rows(incident, user)
