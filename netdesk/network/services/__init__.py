"""Writes of the network inventory: imported areas, elements, links and the
customer services that hang off them."""

from netdesk.network.services.inventory import (
    AREA_FIELDS,
    ELEMENT_FIELDS,
    LinkRow,
    areas_import,
    elements_import,
    links_import,
)
from netdesk.network.services.subscriptions import (
    SERVICE_BATCH,
    SERVICE_FIELDS,
    ServiceRow,
    customer_services_import,
)
from netdesk.network.services.tree import TreeRow

__all__ = [
    "AREA_FIELDS",
    "ELEMENT_FIELDS",
    "SERVICE_BATCH",
    "SERVICE_FIELDS",
    "LinkRow",
    "ServiceRow",
    "TreeRow",
    "areas_import",
    "customer_services_import",
    "elements_import",
    "links_import",
]
