"""Competencies through the screens: a team lead assesses a member of their
team and plans the next step, the agent reads their own skills and is kept
out of others', a manager reads the team matrix and routes a ticket by
skill — in a real Chromium against a live server."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.apps import apps
from django.utils import timezone

from netdesk.accounts.models import Role, SupportGroup, Tier, TierKind
from netdesk.assessments.models import Assessment, AssessmentState
from netdesk.assessments.services.assessments import cycle_create
from netdesk.competency import builtin, builtin_install
from netdesk.competency.models import AgentSkill, Framework, Indicator, PlanItem, Skill
from netdesk.competency.services import people
from netdesk.routing.models import RoutingDecision
from netdesk.routing.services.config import routing_rule_create
from tests import factories as f
from tests.browser.test_agent_flow import browser_page, default_desk, log_in  # noqa: F401

pytestmark = [pytest.mark.browser]


@pytest.fixture
def framework(default_desk):  # noqa: F811
    """The built-in framework as migration 0002 installs it (a transactional
    test run earlier may have flushed the tables)."""
    builtin_install.install(apps, published_at=timezone.now())
    return Framework.objects.get(name=builtin.FRAMEWORK_NAME, version=1)


def skill(code: str) -> Skill:
    return Skill.objects.get(
        framework__name=builtin.FRAMEWORK_NAME, framework__version=1, code=code
    )


def team(name: str, lead=None) -> SupportGroup:
    group = SupportGroup.objects.create(name=name, tier=Tier.objects.get(kind=TierKind.FIRST_LINE))
    if lead is not None:
        group.supervisor = lead
        group.save()
    return group


def indicator(code: str, text_starts: str) -> Indicator:
    return Indicator.objects.get(skill=skill(code), text__startswith=text_starts)


def option_label(item: Indicator) -> str:
    """How the rating form names an indicator."""
    return f"{item.skill.code} L{item.level}: {item.text[:80]}"


def log_out(page) -> None:
    page.get_by_role("button", name="Log out").click()


@pytest.mark.django_db(transaction=True)
def test_lead_assesses_and_plans_then_the_agent_reads_only_their_own_skills(
    live_server,
    browser_page,  # noqa: F811
    framework,
):
    page = browser_page
    base = live_server.url
    # Given a lead supervising Hotline West, one of its agents, an agent of
    # another team and a cycle a manager started on the built-in framework
    lead = f.user(Role.TEAM_LEAD, groups=[], username="lena", first_name="Lena", last_name="Lang")
    west = team("Hotline West", lead=lead)
    ada = f.user(groups=[west], username="ada", first_name="Ada", last_name="Berg")
    night = team("Night shift", lead=f.user(Role.TEAM_LEAD, groups=[], username="nora"))
    paul = f.user(groups=[night], username="paul")
    manager = f.user(Role.SERVICE_DESK_MANAGER, groups=[], username="mara")
    today = timezone.localdate()
    cycle = cycle_create(
        actor=manager,
        name="Spring review",
        framework=framework,
        period_start=today - timedelta(days=30),
        period_end=today,
        synthesis_config={},
    )
    greeting = indicator("CS-INTERACT", "Uses the greeting")
    summary = indicator("CS-INTERACT", "Summarises the agreed next step")
    calm = indicator("CS-INTERACT", "Keeps a calm, clear conversation")

    # The lead opens an assessment of Ada on customer interaction.
    log_in(page, base, "lena")
    page.get_by_role("link", name="Skills").click()
    page.get_by_role("link", name="Assessment cycles").click()
    page.get_by_role("link", name="Spring review").click()
    opening = page.locator("form[action$='/assessments/']")
    opening.get_by_label("Agent").select_option(label="Ada Berg")
    # only the lead's own team is offered
    assert opening.locator("option", has_text="paul").count() == 0
    opening.get_by_label("Skills").select_option(label="CS-INTERACT Customer interaction")
    opening.get_by_role("button", name="Open").click()
    page.get_by_text("Assessment of Ada Berg opened.").wait_for()
    assessment = Assessment.objects.get(cycle=cycle, agent=ada)
    assert page.url == f"{base}/competency/assessments/{assessment.pk}/"

    # ... rates three behaviours as observed and one in the interview, on 1–5
    rate = page.locator("form[action$='/rate/']")
    for item, kind, score in [
        (greeting, "observation", "3"),
        (summary, "observation", "4"),
        (calm, "observation", "3"),
        (calm, "interview", "3"),
    ]:
        rate.get_by_label("Indicator").select_option(label=option_label(item))
        rate.get_by_label("Kind").select_option(kind)
        rate.get_by_role("radio", name=score, exact=True).check()
        rate.get_by_label("Note").fill(f"{kind} on the {today:%d %B} calls")
        rate.get_by_role("button", name="Save rating").click()
        row = page.locator("#skill-CS-INTERACT tr", has_text=item.text)
        shown = "Behavioural observation" if kind == "observation" else "Structured interview"
        row.get_by_text(f"{shown}: {score} lena").wait_for()
    assert assessment.ratings.count() == 4

    # ... synthesises: the level, the grade and every input are shown
    page.get_by_role("button", name="Synthesise").click()
    page.get_by_text("Synthesised: levels and grade below").wait_for()
    result = page.locator("#skill-CS-INTERACT")
    # Level by level: level 1 and 3 behaviour as described (3), level 2
    # consistently (4); level 3 is shown by observation and interview alike;
    # exam and KPI are missing and left out.
    assert "Level 3" in result.locator(".synthesis-level").inner_text()
    levels = result.get_by_role("table", name="Evidence level by level").inner_text()
    for shown in (
        r"L1\s+—\s+3\.0\s+—\s+—\s+3\.0\s+yes\s+1\.0",
        r"L2\s+—\s+4\.0\s+—\s+—\s+4\.0\s+yes\s+2\.25",
        r"L3\s+—\s+3\.0\s+3\.0\s+—\s+3\.0\s+yes\s+3\.0",
    ):
        assert re.search(shown, levels), shown
    assert "No hurdle failed." in result.inner_text()
    assert page.locator("#grade").inner_text() == "intermediate"
    assert "CS-INTERACT L3" in page.locator("#grade-inputs").inner_text()

    # ... and validates: the level goes on Ada's record
    page.get_by_role("button", name="Validate").click()
    page.get_by_text("Validated: the levels are now on the agent's record.").wait_for()
    assessment.refresh_from_db()
    assert (assessment.state, assessment.grade) == (AssessmentState.VALIDATED, "intermediate")
    record = AgentSkill.objects.get(agent=ada, skill=skill("CS-INTERACT"))
    assert (record.level, record.source, record.recorded_by) == (3, "assessment", lead)
    assert page.locator("form[action$='/rate/']").count() == 0  # no more ratings

    # From a gap on Ada's page the lead plans the next step.
    page.goto(f"{base}/competency/agents/{ada.pk}/")
    gap = page.locator("tr", has=page.get_by_role("link", name="CS-COMPLAINT"))
    gap.get_by_role("link", name="Plan").click()
    assert page.get_by_label("Skill").input_value() == str(skill("CS-COMPLAINT").pk)
    assert page.get_by_label("Target level").input_value() == "2"
    page.get_by_label("Due on").fill((today + timedelta(days=60)).isoformat())
    page.get_by_label("Action").fill("Shadow the complaints desk for two weeks")
    page.get_by_role("button", name="Add to the plan").click()
    page.get_by_text("Plan item added for Ada Berg.").wait_for()
    assert PlanItem.objects.get(agent=ada).target_level == 2
    # A lead sees only the teams they lead.
    assert page.goto(f"{base}/competency/teams/{night.pk}/").status == 404
    log_out(page)

    # Ada opens Skills: her levels, her gaps to the profile and her plan.
    log_in(page, base, "ada")
    page.get_by_role("link", name="Skills").click()
    page.wait_for_url(f"{base}/competency/me/")
    assert page.goto(f"{base}/competency/").url == f"{base}/competency/me/"
    page.get_by_role("heading", name="My skills").wait_for()
    assert "measured against Hotline operator" in page.locator(".pagehead").first.inner_text()
    assert "required skills below level" in page.get_by_test_id("gaps").inner_text()
    interact = page.locator("tr", has=page.get_by_role("link", name="CS-INTERACT"))
    assert re.search(
        r"CS-INTERACT Customer interaction\s+2\s+3\s+✓\s+Validated assessment",
        interact.inner_text(),
    )
    complaint = page.locator("tr", has=page.get_by_role("link", name="CS-COMPLAINT"))
    assert re.search(r"CS-COMPLAINT Complaint resolution\s+2\s+–\s+2", complaint.inner_text())
    assert page.locator("svg.skills-chart g[data-skill='CS-INTERACT'] rect.bar-met").count() == 1
    plan = page.locator("section[aria-labelledby='plan-title']").inner_text()
    assert "Shadow the complaints desk for two weeks" in plan
    assert "open" in plan
    assert page.get_by_role("link", name="Plan", exact=True).count() == 0  # no planning for oneself
    assert page.get_by_role("link", name="Team matrix").count() == 0
    # ... and, through the cycle, her assessment, read-only
    page.get_by_role("link", name="Assessment cycles").click()
    page.get_by_role("link", name="Spring review").click()
    assert page.get_by_role("button", name="Open").count() == 0  # agents open no assessments
    page.locator("#cycle-progress").get_by_role("link", name="Ada Berg").click()
    page.wait_for_url(f"{base}/competency/assessments/{assessment.pk}/")
    assert page.locator("#grade").inner_text() == "intermediate"
    assert "Level 3" in page.locator("#skill-CS-INTERACT .synthesis-level").inner_text()
    assert page.get_by_role("button", name="Validate").count() == 0

    # Nobody else's skills, and no team matrix: not even her own team's.
    assert page.goto(f"{base}/competency/agents/{paul.pk}/").status == 404
    assert page.goto(f"{base}/competency/agents/{lead.pk}/").status == 404
    assert page.goto(f"{base}/competency/teams/{night.pk}/").status == 403
    assert page.goto(f"{base}/competency/teams/{west.pk}/").status == 403


@pytest.mark.django_db(transaction=True)
def test_manager_reads_the_team_matrix_and_routes_a_ticket_by_skill(
    live_server,
    browser_page,  # noqa: F811
    framework,
):
    page = browser_page
    base = live_server.url
    manager = f.user(Role.SERVICE_DESK_MANAGER, groups=[], username="mara")
    west = team("Hotline West", lead=f.user(Role.TEAM_LEAD, groups=[], username="lena"))
    ada = f.user(groups=[west], username="ada", first_name="Ada", last_name="Berg")
    bob = f.user(groups=[west], username="bob", first_name="Bob", last_name="Kurz")
    for agent, code, level in [
        (ada, "CS-COMPLAINT", 3),
        (ada, "CS-INTERACT", 2),
        (bob, "CS-COMPLAINT", 1),
        (bob, "CS-INTERACT", 4),
    ]:
        people.agent_level_record(
            actor=manager, agent=agent, skill=skill(code), level=level, source="assessment"
        )
    routing_rule_create(
        actor=manager,
        name="Complaints need complaint resolution",
        skill=skill("CS-COMPLAINT"),
        min_level=2,
        hard=True,
        match_ticket_type="complaint",
    )
    ticket = f.ticket(manager, ticket_type="complaint", title="Billed twice for March", group=west)

    # The manager finds the team matrix from their own skills page.
    log_in(page, base, "mara")
    page.get_by_role("link", name="Skills").click()
    page.get_by_role("link", name="Team matrix").click()
    page.wait_for_url(f"{base}/competency/teams/")
    page.get_by_role("link", name="Hotline West").click()
    page.get_by_role("heading", name="Skills matrix: Hotline West").wait_for()
    matrix = page.get_by_role("table", name="Agents by skills")
    columns = [c.strip() for c in matrix.locator("thead th").all_inner_texts()]
    ada_row = matrix.locator("tbody tr", has=page.get_by_role("link", name="Ada Berg"))
    bob_row = matrix.locator("tbody tr", has=page.get_by_role("link", name="Bob Kurz"))

    def cell(row, code):
        found = row.locator("td").nth(columns.index(code) - 1)  # the agent is a <th>
        return found.text_content(), found.get_attribute("class")

    assert cell(ada_row, "CS-COMPLAINT") == ("3/2", "cell skill-met")
    assert cell(bob_row, "CS-COMPLAINT") == ("1/2", "cell skill-missing")
    assert cell(bob_row, "CS-INTERACT") == ("4/2", "cell skill-met")
    assert cell(ada_row, "LANG-DE") == ("·/4", "cell skill-missing")

    # On the ticket page the routing panel says it was not routed; routing
    # it now gives it to the one agent with the skill and shows why.
    page.goto(f"{base}/tickets/{ticket.reference}/")
    panel = page.locator("section#routing-panel")
    panel.get_by_text("Not routed by skill.").wait_for()
    panel.get_by_role("button", name="Route now").click()
    panel = page.locator("section#routing-panel")
    panel.get_by_text("To Ada Berg").wait_for()
    assert "Needs: CS-COMPLAINT ≥ 2 (hard)" in panel.inner_text()
    panel.get_by_text("Candidates").click()
    candidates = panel.locator("table").inner_text()
    # least qualified but sufficient: Ada's surplus is 1; Bob falls short
    assert re.search(r"ada\s+1\s+0\s+eligible", candidates)
    assert re.search(r"bob\s+—\s+0\s+CS-COMPLAINT level 1 < 2", candidates)

    decision = RoutingDecision.objects.get(ticket=ticket)
    ticket.refresh_from_db()
    assert decision.chosen == ada
    assert ticket.assignee == ada
    assert decision.reason in panel.inner_text()
    assert [c["agent"] for c in decision.candidates][:2] == ["ada", "bob"]
