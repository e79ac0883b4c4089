"""The assessments API under /api/v1/competency/: cycles, assessments,
ratings, the synthesis with its inputs, overrides, validation and rater
agreement, exams and the question bank."""

from ninja import Router

from netdesk.assessments.api import assessments, cycles, exams
from netdesk.core.operationids import keep_operation_ids

router = Router(tags=["competency"])
for resource in (cycles, assessments, exams):
    router.add_router("", resource.router)
# One module served these endpoints before assessments had an app of their own.
keep_operation_ids(router, module="netdesk.competency.api.assessment")
