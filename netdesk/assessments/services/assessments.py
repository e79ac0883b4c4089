"""Assessment cycles: create a cycle with its synthesis settings, open an
assessment for an agent, record assessors' ratings, synthesise a level per
skill and a grade from all the evidence, override either with a written
reason, and validate the levels into the agent's record. Exams are in
`assessment_exams`; reads (pages, evidence, agreement) in
`netdesk.competency.assessment_selectors`.

Who may do what: managers create cycles (they set the synthesis); team
leads assess the members of the groups they supervise and managers anyone,
never themselves; an agent takes only their own exams; the agent, their
team lead and managers see an assessment.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from netdesk.accounts.models import User
from netdesk.accounts.permissions import Action, require
from netdesk.assessments import evidence, synthesis
from netdesk.assessments import selectors as assessment_selectors
from netdesk.assessments.models import (
    Assessment,
    AssessmentCycle,
    AssessmentState,
    Rating,
    RatingKind,
    SkillResult,
)
from netdesk.assessments.selectors import cycle_config
from netdesk.assessments.synthesis_config import RATING_KINDS, SynthesisConfig, parse_config
from netdesk.competency.models import Framework, FrameworkState, Indicator, LevelSource, Skill
from netdesk.competency.selectors import can_assess_agent
from netdesk.competency.services.people import agent_level_record
from netdesk.core.errors import (
    PermissionDenied,
    TransitionNotAllowed,
    ValidationFailed,
)
from netdesk.core.locking import locked

MAX_REASON = 2000
MAX_NOTE = 2000
# The desk's records live in this range; outside it date arithmetic overflows.
EARLIEST, LATEST = date(1970, 1, 1), date(9998, 12, 31)


def text_field(field: str, value: str, limit: int, *, what: str) -> str:
    value = (value or "").strip()
    if not value or len(value) > limit:
        raise ValidationFailed(
            what, field=field, value=value[:100], accepted=f"1 to {limit} characters"
        )
    return value


# ---- who may ---------------------------------------------------------------


def require_assessor(actor: User, assessment: Assessment) -> None:
    require(actor, Action.COMPETENCY_ASSESS)
    if actor.pk == assessment.agent_id:
        raise PermissionDenied(
            "Nobody assesses themselves: another assessor must do this.",
            field="assessment",
            value=assessment.pk,
            accepted="an assessment of someone else",
        )
    if not can_assess_agent(actor, assessment.agent_id):
        raise PermissionDenied(
            f"{actor} may not assess {assessment.agent}: team leads assess the members of "
            "the groups they supervise, managers everyone.",
            field="assessment",
            value=assessment.pk,
        )


def require_state(assessment: Assessment, *allowed: str) -> None:
    states = allowed or (AssessmentState.OPEN,)
    if assessment.state not in states:
        raise TransitionNotAllowed(
            f"The assessment is {assessment.get_state_display().lower()}.",
            field="state",
            value=assessment.state,
            accepted=list(states),
        )


# ---- cycles -------------------------------------------------------------------


@transaction.atomic
def cycle_create(
    *,
    actor: User,
    name: str,
    framework: Framework,
    period_start: date,
    period_end: date,
    synthesis_config: Mapping[str, Any] | None = None,
) -> AssessmentCycle:
    """A cycle assesses agents against a published framework; KPI evidence is
    read from [period_start, period_end], both days included. The synthesis
    settings are stored in full (defaults filled in), so later changes to
    the defaults never change a cycle's results."""
    require(actor, Action.COMPETENCY_CONFIGURE)
    name = text_field("name", name, 120, what="A cycle needs a name.")
    if framework.state != FrameworkState.PUBLISHED:
        raise ValidationFailed(
            f"{framework} is {framework.state}; assess against a published version.",
            field="framework",
            value=framework.pk,
            accepted="a published framework",
        )
    for field, day in (("period_start", period_start), ("period_end", period_end)):
        if not EARLIEST <= day <= LATEST:
            raise ValidationFailed(
                "The evidence period is out of range.",
                field=field,
                value=day.isoformat(),
                accepted=f"a date from {EARLIEST.isoformat()} to {LATEST.isoformat()}",
            )
    if period_end < period_start:
        raise ValidationFailed(
            "The evidence period ends before it starts.",
            field="period_end",
            value=period_end.isoformat(),
            accepted=f"{period_start.isoformat()} or later",
        )
    config = parse_config(dict(synthesis_config or {}))
    return AssessmentCycle.objects.create(
        name=name,
        framework=framework,
        period_start=period_start,
        period_end=period_end,
        synthesis=config.as_json(),
        created_by=actor,
    )


@transaction.atomic
def cycle_close(*, actor: User, cycle: AssessmentCycle) -> AssessmentCycle:
    """No new assessments; the open ones can still be finished."""
    require(actor, Action.COMPETENCY_CONFIGURE)
    cycle = locked(cycle, what="assessment cycle")
    if cycle.closed_at is None:
        cycle.closed_at = timezone.now()
        cycle.save(update_fields=["closed_at"])
    return cycle


# ---- assessments ------------------------------------------------------------------


@transaction.atomic
def assessment_open(
    *,
    actor: User,
    cycle: AssessmentCycle,
    agent: User,
    skills: Sequence[Skill] | None = None,
) -> Assessment:
    """Open an agent's assessment in the cycle, on the given skills of the
    cycle's framework (default: every skill that has no sub-skills)."""
    if cycle.closed_at is not None:
        raise TransitionNotAllowed(
            f"{cycle} is closed.", field="cycle", value=cycle.pk, accepted="an open cycle"
        )
    probe = Assessment(cycle=cycle, agent=agent)
    require_assessor(actor, probe)
    framework_skills = cycle.framework.skills.all()
    if skills is None:
        chosen = list(framework_skills.filter(children__isnull=True))
    else:
        chosen = list(dict.fromkeys(skills))
        outside = [s for s in chosen if s.framework_id != cycle.framework_id]
        if outside:
            raise ValidationFailed(
                f"{outside[0].code} is not a skill of {cycle.framework}.",
                field="skills",
                value=outside[0].pk,
                accepted=f"skills of {cycle.framework}",
            )
    if not chosen:
        raise ValidationFailed(
            "An assessment needs at least one skill.",
            field="skills",
            value=[],
            accepted=f"skills of {cycle.framework}",
        )
    try:
        with transaction.atomic():
            assessment = Assessment.objects.create(cycle=cycle, agent=agent)
    except IntegrityError:
        raise ValidationFailed(
            f"{agent} already has an assessment in {cycle}.",
            field="agent",
            value=agent.pk,
            accepted="an agent not yet assessed in this cycle",
        ) from None
    assessment.skills.set(chosen)
    return assessment


def require_assessed_skill(assessment: Assessment, skill: Skill) -> None:
    if not assessment.skills.filter(pk=skill.pk).exists():
        raise ValidationFailed(
            f"{skill.code} is not assessed in this assessment.",
            field="skill",
            value=skill.pk,
            accepted=sorted(assessment.skills.values_list("code", flat=True)),
        )


def in_scale(skill: Skill, level: int) -> None:
    if isinstance(level, bool) or not isinstance(level, int):
        raise ValidationFailed("The level must be a whole number.", field="level", value=level)
    if not skill.scale_min <= level <= skill.scale_max:
        raise ValidationFailed(
            f"Level {level} is outside the scale of {skill.code}.",
            field="level",
            value=level,
            accepted=f"{skill.scale_min} to {skill.scale_max}",
        )


# ---- ratings ------------------------------------------------------------------------


@transaction.atomic
def rating_record(
    *,
    actor: User,
    assessment: Assessment,
    indicator: Indicator,
    kind: str,
    score: int,
    note: str = "",
) -> Rating:
    """An assessor's 1–5 rating of one indicator, from observing the agent's
    work or from the structured interview. Rating again replaces the
    assessor's earlier rating of the same indicator and kind."""
    assessment = locked(assessment)
    require_assessor(actor, assessment)
    require_state(assessment)
    if kind not in RatingKind.values:
        raise ValidationFailed(
            f"Unknown kind of rating {kind!r}.",
            field="kind",
            value=kind,
            accepted=RatingKind.values,
        )
    require_assessed_skill(assessment, indicator.skill)
    if isinstance(score, bool) or not isinstance(score, int) or not 1 <= score <= 5:
        raise ValidationFailed(
            "A rating is a whole number on the anchored 1–5 scale.",
            field="score",
            value=score,
            accepted="1 to 5",
        )
    note = (note or "").strip()
    if len(note) > MAX_NOTE:
        raise ValidationFailed(
            "The note is too long.", field="note", value=note[:100], accepted=f"up to {MAX_NOTE}"
        )
    rating, _ = Rating.objects.update_or_create(
        assessment=assessment,
        indicator=indicator,
        kind=kind,
        assessor=actor,
        defaults={"score": score, "note": note, "rated_at": timezone.now()},
    )
    return rating


# ---- synthesis -----------------------------------------------------------------------


def _kpi_inputs(
    indicators: Sequence[Indicator], agent_evidence: Mapping[str, evidence.KpiEvidence]
) -> list[synthesis.KpiInput]:
    inputs = []
    for indicator in indicators:
        rule = indicator.kpi_rule or {}
        named = evidence.kpi_named(str(rule.get("kpi", "")))
        found = agent_evidence.get(named) if named else None
        inputs.append(
            synthesis.KpiInput(
                indicator_id=indicator.pk,
                level=indicator.level,
                kpi=named or str(rule.get("kpi", "")),
                tickets=found.tickets if found else 0,
                performance=synthesis.kpi_performance(
                    found.shrunk_ratio, higher_is_better=found.higher_is_better
                )
                if found
                else None,
                adjusted=found.adjusted if found else None,
                at_least=rule.get("at_least"),
                at_most=rule.get("at_most"),
            )
        )
    return inputs


def _grade(assessment: Assessment, config: SynthesisConfig) -> None:
    """Recompute the grade from the skills' levels (overridden ones as set)."""
    results = list(assessment.results.select_related("skill").order_by("skill__code"))
    computed = synthesis.overall_grade(
        config=config,
        skills=[
            synthesis.SkillLevel(
                r.skill.code,
                r.override_level if r.override_level is not None else r.level,
                r.skill.scale_min,
                r.skill.scale_max,
            )
            for r in results
        ],
    )
    override = (assessment.grade_inputs or {}).get("override")
    assessment.grade_inputs = {**computed.inputs, **({"override": override} if override else {})}
    assessment.grade = override["grade"] if override else computed.grade


@transaction.atomic
def assessment_synthesise(*, actor: User, assessment: Assessment) -> Assessment:
    """Combine the evidence into a level per skill (a SkillResult with every
    input and the hurdles that failed) and the overall grade. Synthesising
    again recomputes everything; overrides are kept."""
    assessment = locked(assessment)
    require_assessor(actor, assessment)
    require_state(assessment, AssessmentState.OPEN, AssessmentState.SYNTHESISED)
    cycle = assessment.cycle
    config = cycle_config(cycle)
    skills = list(assessment.skills.order_by("code"))
    exams: dict[int, list[synthesis.ExamInput]] = defaultdict(list)
    for attempt in assessment.exams.all():
        exams[attempt.skill_id].append(
            synthesis.ExamInput(attempt.level, attempt.score, attempt.pass_mark)
        )
    scores: dict[tuple[int, str], list[int]] = defaultdict(list)
    for rating in assessment.ratings.order_by("id"):
        scores[(rating.indicator_id, rating.kind)].append(rating.score)
    indicators: dict[int, list[Indicator]] = defaultdict(list)
    for indicator in Indicator.objects.filter(skill__in=skills):
        indicators[indicator.skill_id].append(indicator)
    agent_evidence = assessment_selectors.cycle_evidence(cycle).get(assessment.agent_id, {})

    for skill in skills:
        ratings = [
            synthesis.IndicatorRatings(i.pk, i.level, kind, tuple(scores[(i.pk, kind)]))
            for i in indicators[skill.pk]
            for kind in RATING_KINDS
            if scores[(i.pk, kind)]
        ]
        kpi_indicators = [
            i
            for i in indicators[skill.pk]
            if "kpi" in (i.evidence or []) and (i.kpi_rule or {}).get("kpi")
        ]
        result = synthesis.synthesise_skill(
            config=config,
            scale_min=skill.scale_min,
            scale_max=skill.scale_max,
            exams=exams[skill.pk],
            ratings=ratings,
            kpis=_kpi_inputs(kpi_indicators, agent_evidence),
        )
        shown = {
            name: agent_evidence[name].as_json()
            for name in {evidence.kpi_named(str(i.kpi_rule["kpi"])) for i in kpi_indicators}
            if name and name in agent_evidence
        }
        SkillResult.objects.update_or_create(
            assessment=assessment,
            skill=skill,
            defaults={
                "level": result.level,
                "score": result.score,
                "inputs": {**result.inputs, "kpi_evidence": shown},
                "hurdles_failed": result.hurdles_failed,
            },
        )
    assessment.results.exclude(skill__in=skills).delete()
    _grade(assessment, config)
    assessment.state = AssessmentState.SYNTHESISED
    assessment.save(update_fields=["grade", "grade_inputs", "state"])
    return assessment


def _reason(reason: str) -> str:
    return text_field(
        "reason",
        reason,
        MAX_REASON,
        what="An override must say why, in words the agent can read.",
    )


@transaction.atomic
def skill_result_override(
    *, actor: User, result: SkillResult, level: int, reason: str
) -> SkillResult:
    """Set a skill's level by hand with a written reason; the computed
    level and its inputs stay on record beside it."""
    assessment = locked(result.assessment)
    result = locked(result, what="skill result")
    require_assessor(actor, assessment)
    require_state(assessment, AssessmentState.SYNTHESISED)
    in_scale(result.skill, level)
    result.override_level = level
    result.override_reason = _reason(reason)
    result.inputs = {
        **result.inputs,
        "override": {"by": actor.username, "at": timezone.now().isoformat()},
    }
    result.save(update_fields=["override_level", "override_reason", "inputs"])
    _grade(assessment, cycle_config(assessment.cycle))
    assessment.save(update_fields=["grade", "grade_inputs"])
    return result


@transaction.atomic
def grade_override(*, actor: User, assessment: Assessment, grade: str, reason: str) -> Assessment:
    """Set the overall grade by hand, one of the cycle's scheme, with a
    written reason; the computed grade stays on record beside it."""
    assessment = locked(assessment)
    require_assessor(actor, assessment)
    require_state(assessment, AssessmentState.SYNTHESISED)
    names = [g.name for g in cycle_config(assessment.cycle).grades]
    if grade not in names:
        raise ValidationFailed(
            f"{grade!r} is not a grade of this cycle.", field="grade", value=grade, accepted=names
        )
    assessment.override_reason = _reason(reason)
    assessment.grade_inputs = {
        **(assessment.grade_inputs or {}),
        "override": {"grade": grade, "by": actor.username, "at": timezone.now().isoformat()},
    }
    assessment.grade = grade
    assessment.save(update_fields=["override_reason", "grade_inputs", "grade"])
    return assessment


@transaction.atomic
def assessment_validate(*, actor: User, assessment: Assessment) -> Assessment:
    """Accept the synthesis: each skill's level (as overridden, if it was)
    becomes the agent's recorded level from an assessment."""
    assessment = locked(assessment)
    require_assessor(actor, assessment)
    require_state(assessment, AssessmentState.SYNTHESISED)
    for result in assessment.results.select_related("skill__framework").order_by("skill__code"):
        level = result.override_level if result.override_level is not None else result.level
        if level is None:
            continue  # no evidence for this skill: nothing to record
        agent_level_record(
            actor=actor,
            agent=assessment.agent,
            skill=result.skill,
            level=level,
            source=LevelSource.ASSESSMENT,
            reason=result.override_reason,
            assessment_id=assessment.pk,
        )
    assessment.state = AssessmentState.VALIDATED
    assessment.save(update_fields=["state"])
    return assessment
