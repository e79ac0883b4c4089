"""Ticket endpoints: thin — parse, authorise, call a service or selector,
shape. One module per concern; the list and opening a ticket answer at the
prefix itself, so theirs is the router the others join."""

from netdesk.core.operationids import keep_operation_ids
from netdesk.tickets.api import actions, attachments
from netdesk.tickets.api.tickets import router

for part in (actions, attachments):
    router.add_router("", part.router)
# The endpoints were served by one module before they were split.
keep_operation_ids(router, module="netdesk.tickets.api")

__all__ = ["router"]
