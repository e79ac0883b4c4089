"""The framework's API under /api/v1/competency/: frameworks, skills and
their levels and indicators, role profiles, agents' levels and development
plans, teams. Assessments and routing add theirs under the same prefix.

Everyone reads the published frameworks and their own profile (`/me`);
team leads read and assess the members of the groups they supervise;
managers read everyone and configure frameworks."""

from ninja import Router

from netdesk.competency.api import agents, frameworks, profiles, skills, teams
from netdesk.core.operationids import keep_operation_ids

router = Router(tags=["competency"])
for resource in (frameworks, skills, profiles, agents, teams):
    router.add_router("", resource.router)
# One module served these endpoints before the API was split by resource.
keep_operation_ids(router, module="netdesk.competency.api.framework")
