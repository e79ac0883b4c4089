"""NOC endpoints: alarm intake (Alertmanager webhook, generic JSON batches),
network incidents, their impact, the liaison with customer service and
suspected outages, one module each."""

from ninja import Router

from netdesk.core.operationids import keep_operation_ids
from netdesk.noc.api import alarms, incidents, liaison, outages

router = Router(tags=["noc"])
for part in (alarms, incidents, liaison, outages):
    router.add_router("", part.router)
# The endpoints were served by one module before they were split.
keep_operation_ids(router, module="netdesk.noc.api")
