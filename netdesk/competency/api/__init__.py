"""The competency API under /api/v1/competency/: frameworks, profiles and
agents' levels; assessments; skills-based routing."""

from ninja import Router

from netdesk.competency.api import assessment, framework, routing

router = Router(tags=["competency"])
router.add_router("", framework.router)
router.add_router("", assessment.router)
router.add_router("", routing.router)
