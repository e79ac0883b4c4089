"""Every write of customer accounts, contacts and their services
(subscriptions): one at a time for agents and the admin, in bulk for
importers and the demo loader."""

from netdesk.customers.services.accounts import contact_create, customer_create, customer_ensure
from netdesk.customers.services.bulk import (
    EnsuredCustomers,
    NewCustomer,
    customers_ensure,
    customers_insert,
)
from netdesk.customers.services.subscriptions import (
    SERVICE_BATCH,
    SERVICE_FIELDS,
    ImportOutcomes,
    ServiceRow,
    customer_services_import,
)

__all__ = [
    "SERVICE_BATCH",
    "SERVICE_FIELDS",
    "EnsuredCustomers",
    "ImportOutcomes",
    "NewCustomer",
    "ServiceRow",
    "contact_create",
    "customer_create",
    "customer_ensure",
    "customer_services_import",
    "customers_ensure",
    "customers_insert",
]
