"""Writes of the network inventory: imported areas, elements and links (the
customer services that hang off them are written by netdesk.customers.services)."""

from netdesk.network.services.inventory import (
    AREA_FIELDS,
    ELEMENT_FIELDS,
    LinkRow,
    areas_import,
    elements_import,
    links_import,
)
from netdesk.network.services.tree import TreeRow

__all__ = [
    "AREA_FIELDS",
    "ELEMENT_FIELDS",
    "LinkRow",
    "TreeRow",
    "areas_import",
    "elements_import",
    "links_import",
]
