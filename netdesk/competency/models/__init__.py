"""Competencies: frameworks of skills with proficiency levels and behavioural
indicators, role profiles, each agent's levels with their evidence,
assessment cycles, development plans and skills-based routing."""

from netdesk.competency.models.assessment import (
    Assessment,
    AssessmentCycle,
    AssessmentState,
    ExamAttempt,
    ExamQuestion,
    Rating,
    RatingKind,
    SkillResult,
)
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
from netdesk.competency.models.routing import (
    GroupRouting,
    RoutingDecision,
    RoutingPolicy,
    RoutingRule,
)

__all__ = [
    "AgentProfile",
    "AgentSkill",
    "Assessment",
    "AssessmentCycle",
    "AssessmentState",
    "EvidenceKind",
    "ExamAttempt",
    "ExamQuestion",
    "Framework",
    "FrameworkState",
    "GroupRouting",
    "Indicator",
    "LevelDescriptor",
    "LevelSource",
    "PlanItem",
    "ProfileRequirement",
    "Rating",
    "RatingKind",
    "RoleProfile",
    "RoutingDecision",
    "RoutingPolicy",
    "RoutingRule",
    "Skill",
    "SkillCategory",
    "SkillResult",
]
