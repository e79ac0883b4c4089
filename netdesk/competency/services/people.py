"""Writes about people: an agent's level in a skill (append-only records),
which role profile they are measured against, and development plan items.

Levels are never edited nor deleted: a new level is a new `AgentSkill` row,
and the current level is the latest valid, unexpired one (see
`netdesk.competency.selectors.current_records`). A manual override must say
why. Team leads record levels and plan items for their team, managers for
everyone; nobody but a manager records their own level.
"""

from __future__ import annotations

from datetime import date, datetime

from django.db import transaction
from django.utils import timezone

from netdesk.accounts.models import User
from netdesk.accounts.permissions import Action, require
from netdesk.competency.models import (
    AgentProfile,
    AgentSkill,
    FrameworkState,
    LevelSource,
    PlanItem,
    RoleProfile,
    Skill,
)
from netdesk.competency.selectors import can_assess_agent
from netdesk.core.errors import PermissionDenied, TransitionNotAllowed, ValidationFailed
from netdesk.core.locking import locked

MAX_REASON = 2000
MAX_ACTION = 2000


def _may_assess(actor: User | None, agent: User) -> None:
    if actor is None:
        return
    require(actor, Action.COMPETENCY_ASSESS)
    if not can_assess_agent(actor, agent.pk):
        raise PermissionDenied(
            f"{actor} may not record levels or plans for {agent}: team leads do so for the "
            "members of the groups they supervise, managers for everyone; nobody for themselves.",
            field="agent",
            value=agent.pk,
        )


def _current_skill(skill: Skill) -> None:
    """Levels and plans are kept against frozen skills: a published version's
    (or a retired one's, e.g. an assessment cycle that began before a new
    version; levels carry across versions by skill code). Never a draft's."""
    state = skill.framework.state
    if state == FrameworkState.DRAFT:
        raise ValidationFailed(
            f"{skill.code} belongs to {skill.framework}, which is a draft; record against "
            "the skill of the published version.",
            field="skill",
            value=skill.pk,
            accepted="a skill of a published framework",
        )


def _in_scale(skill: Skill, level: int, field: str) -> None:
    if isinstance(level, bool) or not isinstance(level, int):
        raise ValidationFailed(f"{field} must be a whole number.", field=field, value=level)
    if not skill.scale_min <= level <= skill.scale_max:
        raise ValidationFailed(
            f"Level {level} is outside the scale of {skill.code} "
            f"({skill.scale_min} to {skill.scale_max}).",
            field=field,
            value=level,
            accepted=f"{skill.scale_min} to {skill.scale_max}",
        )


@transaction.atomic
def agent_level_record(
    *,
    actor: User | None,
    agent: User,
    skill: Skill,
    level: int,
    source: str,
    reason: str = "",
    valid_from: datetime | None = None,
    expires_at: datetime | None = None,
    assessment_id: int | None = None,
) -> AgentSkill:
    """Append a statement of the agent's level in the skill. `source`: a
    validated assessment, a certification, provisional, or a manual override
    (which needs a reason). From `valid_from` (default now) until
    `expires_at` (default never). `actor=None` is the desk itself (an
    assessment being validated)."""
    _may_assess(actor, agent)
    _current_skill(skill)
    _in_scale(skill, level, "level")
    if source not in LevelSource.values:
        raise ValidationFailed(
            f"Source {source!r} is not accepted.",
            field="source",
            value=source,
            accepted=LevelSource.values,
        )
    reason = (reason or "").strip()
    if len(reason) > MAX_REASON:
        raise ValidationFailed(
            f"The reason is over {MAX_REASON} characters.",
            field="reason",
            value=reason[:100],
            accepted=f"up to {MAX_REASON} characters",
        )
    if source == LevelSource.OVERRIDE and not reason:
        raise ValidationFailed(
            "A manual override must give its reason.",
            field="reason",
            value=reason,
            accepted="why the level is set by hand, e.g. 'certificate seen, exam waived'",
        )
    now = timezone.now()
    valid_from = valid_from or now
    if expires_at is not None and expires_at <= valid_from:
        raise ValidationFailed(
            "The level must expire after it becomes valid.",
            field="expires_at",
            value=expires_at.isoformat(),
            accepted=f"after {valid_from.isoformat()}",
        )
    return AgentSkill.objects.create(
        agent=agent,
        skill=skill,
        level=level,
        source=source,
        reason=reason,
        assessment_id=assessment_id,
        valid_from=valid_from,
        expires_at=expires_at,
        recorded_by=actor,
        recorded_at=now,
    )


@transaction.atomic
def agent_profile_assign(
    *, actor: User | None, agent: User, profile: RoleProfile | None
) -> AgentProfile | None:
    """Measure the agent against `profile` (a published one); None goes back
    to the default profile of their desk role. Managers only (configure)."""
    require(actor, Action.COMPETENCY_CONFIGURE)
    if profile is None:
        AgentProfile.objects.filter(agent=agent).delete()
        return None
    if profile.framework.state != FrameworkState.PUBLISHED:
        raise ValidationFailed(
            f"{profile.name} belongs to {profile.framework}, which is "
            f"{profile.framework.state}; assign a profile of a published framework.",
            field="profile",
            value=profile.pk,
        )
    assignment, _ = AgentProfile.objects.update_or_create(
        agent=agent,
        defaults={"profile": profile, "assigned_by": actor, "assigned_at": timezone.now()},
    )
    return assignment


# ---- development plans --------------------------------------------------------


def _action_text(action: str) -> str:
    action = (action or "").strip()
    if not action or len(action) > MAX_ACTION:
        raise ValidationFailed(
            "Say what the agent will do (a course, shadowing, practice).",
            field="action",
            value=action[:100],
            accepted=f"1 to {MAX_ACTION} characters",
        )
    return action


def _due(due_on: date) -> date:
    if not isinstance(due_on, date) or isinstance(due_on, datetime):
        raise ValidationFailed("due_on must be a date.", field="due_on", value=str(due_on))
    return due_on


@transaction.atomic
def plan_item_create(
    *,
    actor: User | None,
    agent: User,
    skill: Skill,
    target_level: int,
    due_on: date,
    action: str,
) -> PlanItem:
    """Add to the agent's development plan: reach `target_level` in the skill
    by `due_on`, by doing `action`."""
    _may_assess(actor, agent)
    _current_skill(skill)
    _in_scale(skill, target_level, "target_level")
    return PlanItem.objects.create(
        agent=agent,
        skill=skill,
        target_level=target_level,
        due_on=_due(due_on),
        action=_action_text(action),
        created_by=actor,
    )


def _open(item: PlanItem) -> None:
    if item.done_at is not None:
        raise TransitionNotAllowed(
            f"This plan item was completed on {item.done_at:%Y-%m-%d}; add a new one instead.",
            field="plan_item",
            value=item.pk,
        )


@transaction.atomic
def plan_item_update(
    *,
    actor: User | None,
    item: PlanItem,
    target_level: int | None = None,
    due_on: date | None = None,
    action: str | None = None,
) -> PlanItem:
    item = locked(item, what="plan item")
    _may_assess(actor, item.agent)
    _open(item)
    if target_level is not None:
        _in_scale(item.skill, target_level, "target_level")
        item.target_level = target_level
    if due_on is not None:
        item.due_on = _due(due_on)
    if action is not None:
        item.action = _action_text(action)
    item.save(update_fields=["target_level", "due_on", "action"])
    return item


@transaction.atomic
def plan_item_complete(*, actor: User | None, item: PlanItem) -> PlanItem:
    """Mark the item done (the level itself is recorded separately, by an
    assessment or a level record)."""
    item = locked(item, what="plan item")
    _may_assess(actor, item.agent)
    _open(item)
    item.done_at = timezone.now()
    item.save(update_fields=["done_at"])
    return item


@transaction.atomic
def plan_item_delete(*, actor: User | None, item: PlanItem) -> None:
    item = locked(item, what="plan item")
    _may_assess(actor, item.agent)
    _open(item)
    item.delete()
