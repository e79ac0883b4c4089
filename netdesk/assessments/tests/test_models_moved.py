"""Assessments and routing took their models over from competency without
touching the tables: a database migrated before the move keeps its rows."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from netdesk.assessments.models import Assessment, ExamAttempt
from netdesk.competency.models import AgentSkill
from netdesk.routing.models import GroupRouting, RoutingRule

BEFORE = [("competency", "0003_routing_availability_and_decision_detail")]


def _migrate(targets: list[tuple[str, str]]) -> MigrationExecutor:
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return MigrationExecutor(connection)


@pytest.mark.django_db(transaction=True)
def test_rows_written_before_the_move_are_read_after_it() -> None:
    executor = _migrate(BEFORE)
    old = executor.loader.project_state(BEFORE).apps
    framework = old.get_model("competency", "Framework").objects.create(name="Desk", version=1)
    skill = old.get_model("competency", "Skill").objects.create(
        framework=framework, code="CS", name="Customer service", category="technical"
    )
    agent = old.get_model("accounts", "User").objects.create(username="moved")
    tier = old.get_model("accounts", "Tier").objects.create(
        name="Moved line", kind="first_line", level=1
    )
    group = old.get_model("accounts", "SupportGroup").objects.create(name="Moved desk", tier=tier)
    cycle = old.get_model("competency", "AssessmentCycle").objects.create(
        name="Before", framework=framework, period_start="2026-01-01", period_end="2026-06-30"
    )
    assessment = old.get_model("competency", "Assessment").objects.create(cycle=cycle, agent=agent)
    assessment.skills.add(skill)
    question = old.get_model("competency", "ExamQuestion").objects.create(
        skill=skill, level=1, text="Which?", choices=["a", "b"], correct=0
    )
    exam = old.get_model("competency", "ExamAttempt").objects.create(
        assessment=assessment, skill=skill, level=1, started_at=timezone.now()
    )
    exam.questions.add(question)
    old.get_model("competency", "AgentSkill").objects.create(
        agent=agent,
        skill=skill,
        level=2,
        source="assessment",
        assessment=assessment,
        valid_from=timezone.now(),
        recorded_at=timezone.now(),
    )
    old.get_model("competency", "RoutingRule").objects.create(name="CS", skill=skill, min_level=1)
    old.get_model("competency", "GroupRouting").objects.create(group_id=group.pk)

    executor = _migrate(executor.loader.graph.leaf_nodes())

    moved = Assessment.objects.get(cycle__name="Before")
    assert list(moved.skills.values_list("code", flat=True)) == ["CS"]
    assert ExamAttempt.objects.get(assessment=moved).questions.get().text == "Which?"
    assert AgentSkill.objects.get(agent__username="moved").assessment == moved
    assert RoutingRule.objects.get().skill.code == "CS"
    assert GroupRouting.objects.get(group__name="Moved desk").relax_thresholds == [50, 75, 90]
