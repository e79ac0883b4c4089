"""The routing API under /api/v1/competency/routing/: rules, group
policies, agents' availability, routing a ticket and its decisions."""

from ninja import Router

from netdesk.core.operationids import keep_operation_ids
from netdesk.routing.api import groups, rules, tickets

router = Router(tags=["competency"])
for resource in (rules, groups, tickets):
    router.add_router("", resource.router)
# One module served these endpoints before routing had an app of its own.
keep_operation_ids(router, module="netdesk.competency.api.routing")
