"""The demo's assessment cycle, through the real services: an exam question
bank for four skills of the built-in framework (data/exam_questions.json),
and one open cycle for the first line (the Hotline team) started by the
demo's service desk manager over the last three months of the history.

Four operators are done — exams handed in, observations and an interview
rated by their team lead and by the manager, synthesised (the KPI evidence
comes from their own demo tickets) and validated, which records their new
levels. Three are still in progress, the `hotline` login among them with an
exam waiting to be taken. Everything goes through the services, so every
rule holds (nobody assesses themselves, one exam per skill, …): about two
thousand queries, some 3 s on the full demo, most of it the KPI evidence
that each synthesis reads for the whole cycle."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from django.utils import timezone

from netdesk.accounts.models import Role, SupportGroup, TierKind, User
from netdesk.assessments.models import Assessment, AssessmentCycle, RatingKind
from netdesk.assessments.services.assessments import (
    assessment_open,
    assessment_synthesise,
    assessment_validate,
    cycle_create,
    rating_record,
)
from netdesk.assessments.services.exams import exam_draw, exam_question_create, exam_submit
from netdesk.competency import builtin
from netdesk.competency.models import EvidenceKind, FrameworkState, Indicator, Skill
from netdesk.competency.selectors import agent_levels
from netdesk.demo.questions import QUESTIONS

# In this order exams are drawn: the `hotline` login took the first and has the
# second (line diagnosis) waiting.
SKILLS = ("CS-COMPLAINT", "NET-DIAG", "CS-SUPPORT", "CS-INTERACT")
# Questions per exam: every skill and level of the demo's bank holds at least this many.
EXAM_QUESTIONS = 5
EVIDENCE_DAYS = 91
# Assessors rate the indicators of the levels the first line works at.
RATED_UP_TO_LEVEL = 3
DONE = 4
IN_PROGRESS = 3

OBSERVATION_NOTES = [
    "Listened to four of their recorded calls from last month.",
    "Sat next to them for a morning shift.",
    "From their ticket notes of the last weeks.",
    "Seen on the busy Monday after the fibre cut.",
    "Second listen to the same recorded calls as the team lead.",
]
INTERVIEW_NOTES = [
    "Structured interview with a role-play of an angry caller.",
    "Talked through a complaint they traced to a wrong order.",
    "Interview: walked us through a recent escalation.",
]


@dataclass(frozen=True)
class Plan:
    """How far one operator's assessment has got."""

    exams_submitted: int  # of the skills, in order: drawn and handed in
    exams_pending: int  # drawn after those, not handed in yet
    second_rater: bool  # the manager rates the observations too
    interview: bool
    finished: bool  # synthesised and validated


FINISHED = Plan(len(SKILLS), 0, second_rater=True, interview=True, finished=True)
# The `hotline` login: one exam done, one waiting for them to take it.
PENDING_EXAM = Plan(1, 1, second_rater=False, interview=False, finished=False)
UNDER_WAY = [
    Plan(len(SKILLS), 0, second_rater=True, interview=False, finished=False),
    Plan(0, 0, second_rater=True, interview=True, finished=False),
]


def cycle_name(day: date) -> str:
    """'Hotline review autumn 2026' for a cycle ending in the autumn of 2026."""
    season = ("winter", "spring", "summer", "autumn")[day.month % 12 // 3]
    return f"Hotline review {season} {day.year}"


def _nudge(rng: random.Random, value: int, weights: tuple[int, int, int]) -> int:
    return max(1, min(5, value + rng.choices((-1, 0, 1), weights=weights)[0]))


def _score(rng: random.Random, ability: int, level: int) -> int:
    """An assessor's rating of an indicator of `level` for an agent at
    `ability`, on the anchored scale: 3 "as the level describes" at their
    level, 4 "consistently" below it, 2 "partly" one above and 1 beyond, give
    or take one. The synthesis then lands near their ability: their own
    level is shown, the one above is not."""
    return _nudge(rng, max(1, min(5, 3 + ability - level)), (15, 70, 15))


def _question_bank(skills: dict[str, Skill]) -> list[int]:
    ids = []
    for question in QUESTIONS:
        skill = skills.get(question.skill)
        if skill is None:
            continue
        made = exam_question_create(
            actor=None,
            skill=skill,
            level=question.level,
            text=question.text,
            choices=list(question.choices),
            correct=question.correct,
        )
        ids.append(made.pk)
    return ids


@dataclass
class _Cycle:
    cycle: AssessmentCycle
    lead: User
    manager: User
    skills: list[Skill]
    observed: dict[int, list[Indicator]]  # by skill id
    interviewed: dict[int, list[Indicator]]


def _take_exam(
    rng: random.Random,
    desk: _Cycle,
    assessment: Assessment,
    skill: Skill,
    ability: int,
    *,
    submit: bool,
) -> None:
    # The exam of the level they are going for: 3 for those at 3 or above, else 2.
    level = 3 if ability >= 3 else 2
    attempt = exam_draw(
        actor=desk.lead,
        assessment=assessment,
        skill=skill,
        level=level,
        seed=rng.randrange(2**31),
    )
    if not submit:
        return
    # Stronger agents get most right; one below the exam's level guesses half.
    right = 0.95 if ability > level else 0.85 if ability == level else 0.55
    answers: dict[str, Any] = {}
    for question in attempt.questions.order_by("pk"):
        if rng.random() < right:
            answers[str(question.pk)] = question.correct
        else:
            wrong = [i for i in range(len(question.choices)) if i != question.correct]
            answers[str(question.pk)] = rng.choice(wrong)
    exam_submit(actor=assessment.agent, attempt=attempt, answers=answers)


def _rate(
    rng: random.Random,
    desk: _Cycle,
    assessment: Assessment,
    abilities: dict[int, int],
    plan: Plan,
) -> int:
    raters = [desk.lead, desk.manager] if plan.second_rater else [desk.lead]
    kinds = [(RatingKind.OBSERVATION, desk.observed, OBSERVATION_NOTES)]
    if plan.interview:
        kinds.append((RatingKind.INTERVIEW, desk.interviewed, INTERVIEW_NOTES))
    count = 0
    for kind, indicators, notes in kinds:
        for skill in desk.skills:
            for indicator in indicators[skill.pk]:
                for rater in raters:
                    rating_record(
                        actor=rater,
                        assessment=assessment,
                        indicator=indicator,
                        kind=kind,
                        score=_score(rng, abilities[skill.pk], indicator.level),
                        note=rng.choice(notes) if rng.random() < 0.25 else "",
                    )
                    count += 1
    return count


def _cycle_leads(demo_users: list[int]) -> tuple[User, User, SupportGroup] | None:
    """The demo's service desk manager, the first-line team lead and their group."""
    manager = (
        User.objects.filter(pk__in=demo_users, role=Role.SERVICE_DESK_MANAGER)
        .order_by("pk")
        .first()
    )
    first_line = (
        SupportGroup.objects.filter(
            tier__kind=TierKind.FIRST_LINE, is_active=True, supervisor__in=demo_users
        )
        .select_related("supervisor")
        .order_by("pk")
        .first()
    )
    if manager is None or first_line is None or first_line.supervisor is None:
        return None
    return manager, first_line.supervisor, first_line


def _rated_indicators(
    chosen: list[Skill],
) -> tuple[dict[int, list[Indicator]], dict[int, list[Indicator]]]:
    """The indicators assessors rate, by skill id: observed, interviewed."""
    observed: dict[int, list[Indicator]] = {s.pk: [] for s in chosen}
    interviewed: dict[int, list[Indicator]] = {s.pk: [] for s in chosen}
    for indicator in Indicator.objects.filter(
        skill__in=chosen, level__lte=RATED_UP_TO_LEVEL
    ).order_by("skill__code", "level", "pk"):
        if EvidenceKind.OBSERVATION in indicator.evidence:
            observed[indicator.skill_id].append(indicator)
        if EvidenceKind.INTERVIEW in indicator.evidence:
            interviewed[indicator.skill_id].append(indicator)
    return observed, interviewed


def _plans(
    rng: random.Random, operators: list[User], current: dict[int, dict[int, int]]
) -> tuple[list[tuple[User, Plan]], User] | None:
    """Who is assessed how far, and the team's strongest operator (among those
    done, so the grade scheme shows more than its lowest grade; the rest are
    drawn at random)."""
    hotline = [u for u in operators if u.username == "hotline"]
    others = [u for u in operators if u.username != "hotline"]
    if not others:
        return None
    strongest = max(others, key=lambda u: (sum(current.get(u.pk, {}).values()), rng.random()))
    rest = [u for u in others if u != strongest]
    picked = [
        strongest,
        *rng.sample(rest, min(len(rest), DONE + IN_PROGRESS - len(hotline) - 1)),
    ]
    plans: list[tuple[User, Plan]] = [(agent, FINISHED) for agent in picked[:DONE]]
    under_way = [*hotline, *picked[DONE:]]
    for n, agent in enumerate(under_way):
        plans.append((agent, PENDING_EXAM if n == 0 else UNDER_WAY[(n - 1) % len(UNDER_WAY)]))
    return plans, strongest


def _assess(
    rng: random.Random,
    desk: _Cycle,
    assessment: Assessment,
    plan: Plan,
    known: dict[int, int],
    *,
    strongest: bool,
) -> int:
    """Exams and ratings as far as `plan` goes; returns how many ratings."""
    abilities = {s.pk: _nudge(rng, known.get(s.pk, 2), (15, 60, 25)) for s in desk.skills}
    if strongest:
        # The team's best shows the level 3 behaviour consistently (the
        # cycle rates up to level 3): the grade scheme shows more than
        # its lowest grade.
        abilities = {pk: max(4, ability) for pk, ability in abilities.items()}
    for n, skill in enumerate(desk.skills[: plan.exams_submitted + plan.exams_pending]):
        _take_exam(
            rng,
            desk,
            assessment,
            skill,
            abilities[skill.pk],
            submit=n < plan.exams_submitted,
        )
    return _rate(rng, desk, assessment, abilities, plan)


def build_assessment(rng: random.Random, created: dict[str, Any]) -> dict[str, int]:
    """The question bank and the cycle; their ids go into `created` for
    `demo --reset` (the assessments, exams and ratings go with the cycle).
    Returns how many questions, assessments, ratings and validated
    assessments it made."""
    counts = {"questions": 0, "assessments": 0, "ratings": 0, "validated": 0}
    demo_users = created.get("users") or []
    leads = _cycle_leads(demo_users)
    if leads is None:
        return counts
    manager, lead, first_line = leads
    skills = {
        s.code: s
        for s in Skill.objects.filter(
            framework__name=builtin.FRAMEWORK_NAME,
            framework__state=FrameworkState.PUBLISHED,
            code__in=SKILLS,
        ).select_related("framework")
    }
    if not skills:
        return counts
    question_ids = _question_bank(skills)
    created["competency.ExamQuestion"] = question_ids
    counts["questions"] = len(question_ids)

    today = timezone.localdate()
    cycle = cycle_create(
        actor=manager,
        name=cycle_name(today),
        framework=next(iter(skills.values())).framework,
        period_start=today - timedelta(days=EVIDENCE_DAYS - 1),
        period_end=today,
        synthesis_config={"exam": {"questions": EXAM_QUESTIONS}},
    )
    created["competency.AssessmentCycle"] = [cycle.pk]
    chosen = [skills[code] for code in SKILLS if code in skills]
    desk = _Cycle(cycle, lead, manager, chosen, *_rated_indicators(chosen))

    operators = list(
        first_line.members.filter(role=Role.HOTLINE_OPERATOR, pk__in=demo_users)
        .exclude(pk__in=[lead.pk, manager.pk])
        .order_by("pk")
    )
    # Where each operator stands: their recorded levels (in the assessment
    # they move a little, see `_assess`).
    current = agent_levels([a.pk for a in operators], [s.pk for s in chosen])
    planned = _plans(rng, operators, current)
    if planned is None:
        return counts
    plans, strongest = planned
    # Everyone is in the cycle before any synthesis: KPI evidence is shrunk
    # toward the whole cycle's team.
    opened = [
        (assessment_open(actor=lead, cycle=cycle, agent=agent, skills=chosen), plan)
        for agent, plan in plans
    ]
    counts["assessments"] = len(opened)
    for assessment, plan in opened:
        known = current.get(assessment.agent_id, {})
        strong = assessment.agent_id == strongest.pk
        counts["ratings"] += _assess(rng, desk, assessment, plan, known, strongest=strong)
    for assessment, plan in opened:
        if plan.finished:
            assessment_synthesise(actor=lead, assessment=assessment)
            assessment_validate(actor=manager, assessment=assessment)
            counts["validated"] += 1
    return counts
