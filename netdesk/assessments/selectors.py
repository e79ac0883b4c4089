"""Reads for assessment cycles: who sees which assessment, a cycle's
progress, everything an assessment page shows, KPI evidence for a cycle's
team and the assessors' agreement. Each runs a fixed number of queries,
whatever the number of agents, skills or ratings."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from django.db.models import Count, Q, QuerySet

from netdesk.accounts.models import User
from netdesk.accounts.permissions import Action, can
from netdesk.assessments import agreement, evidence, synthesis_config
from netdesk.assessments.models import (
    Assessment,
    AssessmentCycle,
    AssessmentState,
    ExamAttempt,
    Rating,
    RatingKind,
    SkillResult,
)
from netdesk.competency.models import Indicator
from netdesk.competency.selectors import can_see_agent, sees_everyone, team_member_ids
from netdesk.core.errors import NotFound

Item = tuple[int, int, str]  # a rated thing: assessment, indicator, kind of rating


def cycle_config(cycle: AssessmentCycle) -> synthesis_config.SynthesisConfig:
    return synthesis_config.parse_config(cycle.synthesis)


# ---- who sees what --------------------------------------------------------------


def assessments_visible_to(user: User) -> QuerySet[Assessment]:
    """Agents see their own; team leads their team's and their own; managers all."""
    assessments = Assessment.objects.all()
    if sees_everyone(user):
        return assessments
    if can(user, Action.COMPETENCY_VIEW_TEAM):
        return assessments.filter(agent_id__in={user.pk, *team_member_ids(user)})
    if can(user, Action.COMPETENCY_VIEW_OWN):
        return assessments.filter(agent=user)
    return assessments.none()


def may_see(user: User, assessment: Assessment) -> bool:
    return can_see_agent(user, assessment.agent_id)


def cycles_visible_to(user: User) -> QuerySet[AssessmentCycle]:
    """Those who assess or see a team see every cycle; agents the cycles they are in."""
    cycles = AssessmentCycle.objects.select_related("framework").order_by("-period_end", "-id")
    if sees_everyone(user) or can(user, Action.COMPETENCY_VIEW_TEAM):
        return cycles
    return cycles.filter(assessments__agent=user).distinct()


def cycle_get(user: User, cycle_id: int) -> AssessmentCycle:
    found = cycles_visible_to(user).filter(pk=cycle_id).first()
    if found is None:
        raise NotFound(f"No assessment cycle {cycle_id}.", field="cycle", value=cycle_id)
    return found


def assessment_get(user: User, assessment_id: int) -> Assessment:
    found = (
        assessments_visible_to(user)
        .select_related("agent", "cycle__framework")
        .filter(pk=assessment_id)
        .first()
    )
    if found is None:
        raise NotFound(f"No assessment {assessment_id}.", field="assessment", value=assessment_id)
    return found


def exam_get(user: User, exam_id: int) -> ExamAttempt:
    """An exam, for its agent or for whoever sees the assessment."""
    found = (
        ExamAttempt.objects.select_related("assessment__agent", "assessment__cycle", "skill")
        .filter(pk=exam_id, assessment__in=assessments_visible_to(user))
        .first()
    )
    if found is None:
        raise NotFound(f"No exam {exam_id}.", field="exam", value=exam_id)
    return found


# ---- pages ------------------------------------------------------------------------


def cycle_progress(cycle: AssessmentCycle, user: User) -> list[dict[str, Any]]:
    """One row per assessment the user may see: how far its evidence is. One query."""
    rows = (
        assessments_visible_to(user)
        .filter(cycle=cycle)
        .select_related("agent")
        .annotate(
            skill_count=Count("skills", distinct=True),
            exams_drawn=Count("exams", distinct=True),
            exams_submitted=Count(
                "exams", filter=Q(exams__submitted_at__isnull=False), distinct=True
            ),
            rating_count=Count("ratings", distinct=True),
            assessor_count=Count("ratings__assessor", distinct=True),
        )
        .order_by("agent__username")
    )
    return [
        {
            "id": a.pk,
            "agent": a.agent.username,
            "agent_name": str(a.agent),
            "state": a.state,
            "grade": a.grade,
            "skills": a.skill_count,
            "exams_drawn": a.exams_drawn,
            "exams_submitted": a.exams_submitted,
            "ratings": a.rating_count,
            "assessors": a.assessor_count,
        }
        for a in rows
    ]


def exams_waiting(agent: User) -> list[ExamAttempt]:
    """The agent's exams drawn and not handed in, in assessments still open:
    the ones they can take now."""
    return list(
        ExamAttempt.objects.filter(
            assessment__agent=agent,
            assessment__state=AssessmentState.OPEN,
            submitted_at__isnull=True,
        )
        .select_related("skill")
        .annotate(question_count=Count("questions"))
        .order_by("started_at", "id")
    )


def agent_page_exams(*, viewer: User, agent: User) -> dict[str, Any]:
    """For an agent's competency page (hook `agent_page`): only the agent can
    take their exams, so only their own page lists the ones waiting."""
    return {"exams_waiting": exams_waiting(agent) if agent.pk == viewer.pk else []}


def exam_passed(attempt: ExamAttempt) -> bool | None:
    if attempt.score is None:
        return None
    return attempt.score >= attempt.pass_mark - synthesis_config.EPSILON


def assessment_page(assessment: Assessment) -> dict[str, Any]:
    """Everything the assessment page and API show, in a fixed number of queries."""
    skills = list(assessment.skills.order_by("code"))
    indicators: dict[int, list[Indicator]] = defaultdict(list)
    for indicator in Indicator.objects.filter(skill__in=skills).order_by("level", "id"):
        indicators[indicator.skill_id].append(indicator)
    ratings: dict[int, list[Rating]] = defaultdict(list)
    for rating in assessment.ratings.select_related("assessor").order_by("kind", "id"):
        ratings[rating.indicator_id].append(rating)
    exams = {
        e.skill_id: e
        for e in assessment.exams.annotate(question_count=Count("questions")).order_by("id")
    }
    results = {r.skill_id: r for r in SkillResult.objects.filter(assessment=assessment)}
    return {
        "skills": [
            {
                "skill": skill,
                "indicators": [
                    {"indicator": i, "ratings": ratings[i.pk]} for i in indicators[skill.pk]
                ],
                "exam": exams.get(skill.pk),
                "result": results.get(skill.pk),
            }
            for skill in skills
        ],
        "kpi_evidence": cycle_evidence(assessment.cycle).get(assessment.agent_id, {}),
    }


# ---- evidence and agreement ---------------------------------------------------------


def cycle_evidence(cycle: AssessmentCycle) -> dict[int, dict[str, evidence.KpiEvidence]]:
    """KPI evidence of every agent of the cycle, who are the team the
    shrinkage pulls toward."""
    config = cycle_config(cycle).kpi
    start, end = evidence.period_bounds(cycle.period_start, cycle.period_end)
    return evidence.kpi_evidence(
        agent_ids=list(cycle.assessments.order_by("id").values_list("agent_id", flat=True)),
        start=start,
        end=end,
        shrinkage_k=config.shrinkage_k,
        reference=config.reference,
        exclude_outside_level=config.exclude_outside_level,
    )


def cycle_agreement(cycle: AssessmentCycle) -> dict[str, Any]:
    """Rater agreement in the cycle, per kind of rating and over both:
    weighted kappa (quadratic and linear) when two assessors rated the same
    indicators, the ICC(2,1) and ICC(2,k) for two or more. One query."""
    by_kind: dict[str, dict[Item, dict[int, int]]] = defaultdict(lambda: defaultdict(dict))
    names: dict[int, str] = {}
    for row in Rating.objects.filter(assessment__cycle=cycle).values(
        "assessment_id", "indicator_id", "kind", "assessor_id", "assessor__username", "score"
    ):
        item = (row["assessment_id"], row["indicator_id"], row["kind"])
        by_kind[row["kind"]][item][row["assessor_id"]] = row["score"]
        by_kind["all"][item][row["assessor_id"]] = row["score"]
        names[row["assessor_id"]] = row["assessor__username"]
    report = {}
    for kind in (*RatingKind.values, "all"):
        found = agreement.agreement_report(by_kind[kind].values())
        found["raters"] = [names[r] for r in found["raters"]]
        report[kind] = found
    return report
