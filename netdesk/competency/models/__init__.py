"""Competencies: frameworks of skills with proficiency levels and behavioural
indicators, role profiles, each agent's levels and development plans.
Assessments (netdesk.assessments) and skills-based routing (netdesk.routing)
build on them."""

from netdesk.competency.models.framework import (
    EvidenceKind,
    Framework,
    FrameworkState,
    Indicator,
    LevelDescriptor,
    Skill,
    SkillCategory,
)
from netdesk.competency.models.people import (
    AgentProfile,
    AgentSkill,
    LevelSource,
    PlanItem,
    ProfileRequirement,
    RoleProfile,
)

__all__ = [
    "AgentProfile",
    "AgentSkill",
    "EvidenceKind",
    "Framework",
    "FrameworkState",
    "Indicator",
    "LevelDescriptor",
    "LevelSource",
    "PlanItem",
    "ProfileRequirement",
    "RoleProfile",
    "Skill",
    "SkillCategory",
]
