"""Demo competencies: every demo agent gets a role profile (the default for
their role; billing clerks are network service representatives), current
levels in the skills their profile names plus languages (and, for the first
line, the line diagnosis and key-account skills routing asks of it), and a
plan item for a required skill they fall short in. Bulk inserts: well under a second."""

from __future__ import annotations

import random
from datetime import timedelta
from typing import Any

from django.utils import timezone

from netdesk.accounts.models import Role, SupportGroup, TierKind, User
from netdesk.competency import builtin
from netdesk.competency.models import (
    AgentProfile,
    AgentSkill,
    FrameworkState,
    LevelSource,
    PlanItem,
    RoleProfile,
    Skill,
)
from netdesk.competency.selectors import default_profiles, profile_requirements
from netdesk.demo.bulk import IdBlock, insert, reset_sequences

PLAN_ACTIONS = [
    "Shadow an experienced colleague for two shifts, then a review with the team lead.",
    "Complete the internal e-learning module and pass its quiz.",
    "Take the next classroom course and practise on the training system.",
    "Handle these cases with a buddy for a month; weekly feedback.",
    "Role-play sessions with the team lead every second week.",
]


def _level(rng: random.Random, required: int, top: int) -> int:
    """Around the requirement: most meet it, some are one short, a few above."""
    step = rng.choices([-2, -1, 0, 1], weights=[4, 22, 52, 22])[0]
    return max(1, min(top, required + step))


# One pass over the users drawing from one random stream: the demo's data
# depends on the order of the draws, so the steps stay together.
def build_competency(rng: random.Random, created: dict[str, Any]) -> dict[str, int]:  # noqa: C901
    """Profiles, levels and plans for the demo's users (`created["users"]`).
    Returns how many rows of each it made."""
    user_ids = created.get("users") or []
    users = list(User.objects.filter(pk__in=user_ids).order_by("pk"))
    if not users:
        return {"profiles": 0, "levels": 0, "plan_items": 0}
    framework_profiles = default_profiles()
    representative = RoleProfile.objects.filter(
        framework__name=builtin.FRAMEWORK_NAME,
        framework__state=FrameworkState.PUBLISHED,
        name="Network service representative",
    ).first()
    billing = set(
        SupportGroup.members.through.objects.filter(
            supportgroup__tier__kind=TierKind.BILLING
        ).values_list("user_id", flat=True)
    )
    supervisor_of: dict[int, int] = {}
    for group in SupportGroup.objects.exclude(supervisor=None).prefetch_related("members"):
        for member in group.members.all():
            if member.pk != group.supervisor_id:
                supervisor_of.setdefault(member.pk, group.supervisor_id)  # type: ignore[arg-type]
    # Skills beyond the role profiles: languages, and what routing asks of
    # the first line.
    extra = {
        s.code: s
        for s in Skill.objects.filter(
            framework__name=builtin.FRAMEWORK_NAME,
            framework__state=FrameworkState.PUBLISHED,
            code__in=["LANG-DE", "LANG-EN", "LANG-TR", "NET-DIAG", "CS-KEYACCT"],
        )
    }

    now = timezone.now()
    today = timezone.localdate()
    assignments: list[AgentProfile] = []
    profile_of: dict[int, RoleProfile] = {}
    for user in users:
        if user.pk in billing and user.role == Role.HOTLINE_OPERATOR and representative:
            profile_of[user.pk] = representative
            assignments.append(AgentProfile(agent=user, profile=representative, assigned_at=now))
        elif user.role in framework_profiles:
            profile_of[user.pk] = framework_profiles[user.role]
    requirements = profile_requirements({p.pk for p in profile_of.values()})

    record_ids = IdBlock(AgentSkill)
    plan_ids = IdBlock(PlanItem)
    records: list[AgentSkill] = []
    plans: list[PlanItem] = []

    def add(user: User, skill: Skill, level: int) -> None:
        source = LevelSource.ASSESSMENT
        expires = None
        if skill.category == "certification":
            source, expires = LevelSource.CERTIFICATION, now + timedelta(days=rng.randint(60, 900))
        elif rng.random() < 0.08:
            source, expires = LevelSource.PROVISIONAL, now + timedelta(days=rng.randint(30, 120))
        records.append(
            AgentSkill(
                id=record_ids.take(),
                agent=user,
                skill=skill,
                level=level,
                source=source,
                valid_from=now - timedelta(days=rng.randint(10, 400)),
                expires_at=expires,
                recorded_by_id=supervisor_of.get(user.pk),
                recorded_at=now - timedelta(days=rng.randint(1, 9)),
            )
        )

    for user in users:
        profile = profile_of.get(user.pk)
        covered: set[str] = set()
        short: list[tuple[Skill, int]] = []
        for requirement in requirements.get(profile.pk, []) if profile else []:
            skill = requirement.skill
            covered.add(skill.code)
            if not requirement.hard and rng.random() < 0.25:
                continue  # a preferred skill nobody assessed yet
            level = _level(rng, requirement.min_level, skill.scale_max)
            add(user, skill, level)
            if requirement.hard and level < requirement.min_level:
                short.append((skill, requirement.min_level))
        # Languages for routing by the caller's language.
        for code, (chance, low, high) in {
            "LANG-DE": (0.97, 3, 5),
            "LANG-EN": (0.8, 2, 5),
            "LANG-TR": (0.12, 3, 5),
        }.items():
            if code not in covered and code in extra and rng.random() < chance:
                add(user, extra[code], rng.randint(low, high))
        # The first line does the first line diagnosis of faults (the routing
        # rules ask for it; urgent faults need level 3), and a quarter of it
        # takes the key accounts' calls.
        if user.role == Role.HOTLINE_OPERATOR and user.pk not in billing:
            if "NET-DIAG" not in covered and "NET-DIAG" in extra:
                add(user, extra["NET-DIAG"], rng.choices([1, 2, 3, 4], [10, 45, 35, 10])[0])
            if "CS-KEYACCT" not in covered and "CS-KEYACCT" in extra and rng.random() < 0.25:
                add(user, extra["CS-KEYACCT"], rng.randint(2, 4))
        for skill, target in short[:2]:
            plans.append(
                PlanItem(
                    id=plan_ids.take(),
                    agent=user,
                    skill=skill,
                    target_level=target,
                    due_on=today + timedelta(days=rng.randint(-10, 120)),
                    action=rng.choice(PLAN_ACTIONS),
                    created_by_id=supervisor_of.get(user.pk),
                )
            )

    AgentProfile.objects.bulk_create(assignments)
    insert(AgentSkill, records)
    insert(PlanItem, plans)
    reset_sequences([AgentSkill, PlanItem])
    created["competency.AgentSkill"] = record_ids.span
    created["competency.PlanItem"] = plan_ids.span
    return {"profiles": len(assignments), "levels": len(records), "plan_items": len(plans)}
