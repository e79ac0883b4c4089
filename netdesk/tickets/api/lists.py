"""Endpoints on whole ticket lists (bulk changes, exports). Joined to the API
before the per-ticket endpoints, so /tickets/bulk and /tickets/export are
not read as a ticket reference."""

from ninja import Router

from netdesk.tickets.api import bulk, export

router = Router()
router.add_router("", bulk.router)
router.add_router("", export.router)
