"""Competency screens: my skills with the chart, an agent's page for their
lead, the team matrix, the framework browser and draft editing."""

import re
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from netdesk.accounts.models import Role, SupportGroup, Tier, TierKind
from netdesk.competency import builtin
from netdesk.competency import builtin_install as shipped
from netdesk.competency.models import AgentSkill, Framework, PlanItem, Skill
from netdesk.competency.services import framework as fw
from netdesk.competency.services import people
from tests import factories as f

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _builtin_framework(db):
    """The built-in framework as migration 0002 installs it (a transactional
    test run earlier may have flushed the tables)."""
    from django.apps import apps
    from django.utils import timezone as tz

    shipped.install(apps, published_at=tz.now())


def login(user):
    client = Client()
    client.force_login(user)
    return client


def skill(code):
    return Skill.objects.get(
        framework__name=builtin.FRAMEWORK_NAME, framework__version=1, code=code
    )


@pytest.fixture
def team():
    tier = Tier.objects.get(kind=TierKind.FIRST_LINE)
    group = SupportGroup.objects.create(name="Hotline West", tier=tier)
    lead = f.user(Role.TEAM_LEAD, groups=[group])
    group.supervisor = lead
    group.save()
    anna = f.user(Role.HOTLINE_OPERATOR, groups=[group], first_name="Anna", last_name="Adler")
    outsider = f.user(Role.HOTLINE_OPERATOR, groups=[])
    manager = f.user(Role.SERVICE_DESK_MANAGER, groups=[])
    people.agent_level_record(
        actor=None, agent=anna, skill=skill("CS-SUPPORT"), level=3, source="assessment"
    )
    people.agent_level_record(
        actor=None, agent=anna, skill=skill("CS-INTERACT"), level=1, source="provisional"
    )
    people.agent_level_record(
        actor=None, agent=anna, skill=skill("LANG-TR"), level=5, source="certification"
    )
    return {"group": group, "lead": lead, "anna": anna, "outsider": outsider, "manager": manager}


def test_nav_has_skills_and_my_page_shows_chart_gaps_and_plan(team):
    anna = team["anna"]
    PlanItem.objects.create(
        agent=anna,
        skill=skill("CS-INTERACT"),
        target_level=2,
        due_on=timezone.localdate() - timedelta(days=3),
        action="Call coaching",
    )
    response = login(anna).get("/competency/me/")
    assert response.status_code == 200
    html = response.content.decode()
    assert ">Skills</a>" in html
    assert 'aria-current="page">Skills' in html
    assert "My skills" in html
    # The chart: an SVG bar per skill, coloured by status, with the required tick.
    chart = re.search(r"<svg class=\"skills-chart\".*?</svg>", html, re.S)
    assert chart is not None
    svg = chart.group(0)
    assert 'data-skill="CS-SUPPORT"' in svg
    assert 'class="bar-met"' in svg
    assert 'data-skill="CS-INTERACT"' in svg
    assert 'class="bar-missing"' in svg
    assert 'data-skill="LANG-TR"' in svg
    assert 'class="bar-extra"' in svg
    assert '<line class="need"' in svg
    assert "Hotline operator" in html
    assert "Call coaching" in html
    assert "overdue" in html
    # An agent gets no assessment form.
    assert "Record a level" not in html
    assert "Mark done" not in html


def test_my_page_links_to_the_cycles_and_routing_screens(team):
    """Skills leads on to the assessment cycles (where an agent finds their
    own assessment and exam) and to routing; the team matrix for leads only."""
    html = login(team["anna"]).get("/competency/me/").content.decode()
    assert 'href="/competency/cycles/">Assessment cycles</a>' in html
    assert 'href="/competency/routing/">Routing</a>' in html
    assert 'href="/competency/teams/"' not in html
    assert (
        'href="/competency/teams/"' in login(team["lead"]).get("/competency/me/").content.decode()
    )


def test_agent_page_scope(team):
    anna, lead, outsider, manager = team["anna"], team["lead"], team["outsider"], team["manager"]
    assert login(lead).get(f"/competency/agents/{anna.pk}/").status_code == 200
    assert login(lead).get(f"/competency/agents/{outsider.pk}/").status_code == 404
    assert login(outsider).get(f"/competency/agents/{anna.pk}/").status_code == 404
    assert login(manager).get(f"/competency/agents/{outsider.pk}/").status_code == 200
    assert login(anna).get(f"/competency/agents/{anna.pk}/").status_code == 200


def test_lead_records_a_level_and_an_override_needs_a_reason(team):
    anna, lead = team["anna"], team["lead"]
    client = login(lead)
    page = client.get(f"/competency/agents/{anna.pk}/").content.decode()
    assert "Record a level" in page
    response = client.post(
        f"/competency/agents/{anna.pk}/levels/",
        {"skill": skill("CS-INTERACT").pk, "level": 3, "source": "override", "reason": ""},
    )
    assert response.status_code == 422
    assert "reason" in response.content.decode()
    response = client.post(
        f"/competency/agents/{anna.pk}/levels/",
        {
            "skill": skill("CS-INTERACT").pk,
            "level": 3,
            "source": "override",
            "reason": "Observed on ten calls",
            "expires_on": "2030-01-01",
        },
    )
    assert response.status_code == 302
    latest = AgentSkill.objects.filter(agent=anna).latest("id")
    assert (latest.level, latest.source, latest.recorded_by) == (3, "override", lead)
    assert latest.expires_at is not None
    assert latest.expires_at.year == 2030
    # Agents cannot post a level.
    response = login(anna).post(
        f"/competency/agents/{anna.pk}/levels/",
        {"skill": skill("CS-INTERACT").pk, "level": 5, "source": "provisional"},
    )
    assert response.status_code == 403


def test_plan_item_form_and_completion(team):
    anna, lead = team["anna"], team["lead"]
    client = login(lead)
    url = f"/competency/agents/{anna.pk}/plan/new/?skill={skill('CS-INTERACT').pk}&target=2"
    page = client.get(url)
    assert page.status_code == 200
    assert 'value="2"' in page.content.decode()
    response = client.post(
        url,
        {
            "skill": skill("CS-INTERACT").pk,
            "target_level": 9,
            "due_on": "2027-01-31",
            "action": "Coaching",
        },
    )
    assert response.status_code == 422
    response = client.post(
        url,
        {
            "skill": skill("CS-INTERACT").pk,
            "target_level": 2,
            "due_on": "2027-01-31",
            "action": "Coaching",
        },
    )
    assert response.status_code == 302
    item = PlanItem.objects.get(agent=anna)
    assert login(anna).get(f"/competency/agents/{anna.pk}/plan/new/").status_code == 403
    assert login(anna).post(f"/competency/plan-items/{item.pk}/complete/").status_code == 403
    assert client.post(f"/competency/plan-items/{item.pk}/complete/").status_code == 302
    item.refresh_from_db()
    assert item.done_at is not None


def test_team_matrix_heatmap(team):
    lead, anna = team["lead"], team["anna"]
    response = login(lead).get("/competency/teams/")
    assert response.status_code == 302  # one team: straight to it
    response = login(lead).get(response["Location"])
    assert response.status_code == 200
    html = response.content.decode()
    assert "Skills matrix: Hotline West" in html
    found = re.search(
        rf"<tr><th scope=\"row\"><a href=\"/competency/agents/{anna.pk}/\">.*?</tr>", html, re.S
    )
    assert found is not None
    row = found.group(0)
    assert 'class="cell skill-met"' in row
    assert 'class="cell skill-missing"' in row
    assert login(anna).get("/competency/teams/").status_code == 403
    assert login(anna).get(f"/competency/teams/{team['group'].pk}/").status_code == 403
    other = SupportGroup.objects.exclude(pk=team["group"].pk).first()
    assert other is not None
    assert login(lead).get(f"/competency/teams/{other.pk}/").status_code == 404
    assert login(team["manager"]).get(f"/competency/teams/{other.pk}/").status_code == 200
    assert login(team["manager"]).get("/competency/teams/").status_code == 200


def test_framework_browser(team):
    anna = team["anna"]
    framework = Framework.objects.get(name=builtin.FRAMEWORK_NAME)
    listing = login(anna).get("/competency/frameworks/").content.decode()
    assert builtin.FRAMEWORK_NAME in listing
    detail = login(anna).get(f"/competency/frameworks/{framework.pk}/").content.decode()
    assert "Complaint resolution" in detail
    assert "Hotline operator" in detail
    # Required and preferred levels are listed apart, comma-separated.
    assert "LANG-DE ≥ 4, PRD-BROADBAND ≥ 2</td>" in detail
    assert "<td>LANG-EN ≥ 2, PRD-VOICE ≥ 2</td>" in detail
    assert "New version" not in detail  # agents do not configure
    assert (
        login(anna).post(f"/competency/frameworks/{framework.pk}/new-version/").status_code == 403
    )
    page = login(anna).get(f"/competency/skills/{skill('CS-ESCALATE').pk}/").content.decode()
    assert "Escalation management" in page
    assert "Describe a level" not in page
    profile = framework.profiles.get(name="NOC engineer")
    page = login(anna).get(f"/competency/profiles/{profile.pk}/").content.decode()
    assert "NET-LIAISE" in page


def test_manager_makes_edits_and_publishes_a_new_version(team):
    client = login(team["manager"])
    framework = Framework.objects.get(name=builtin.FRAMEWORK_NAME)
    assert "New version" in client.get(f"/competency/frameworks/{framework.pk}/").content.decode()
    response = client.post(f"/competency/frameworks/{framework.pk}/new-version/")
    draft = Framework.objects.get(name=builtin.FRAMEWORK_NAME, version=2)
    assert response["Location"] == f"/competency/frameworks/{draft.pk}/"
    page = client.get(response["Location"]).content.decode()
    assert "Add a skill" in page
    assert "Publish" in page
    parent = Skill.objects.get(framework=draft, code="PRD")
    response = client.post(
        f"/competency/frameworks/{draft.pk}/add-skill/",
        {
            "code": "PRD-TV",
            "name": "IPTV",
            "category": "product",
            "parent": parent.pk,
            "scale_min": 1,
            "scale_max": 5,
        },
    )
    new = Skill.objects.get(framework=draft, code="PRD-TV")
    assert response["Location"] == f"/competency/skills/{new.pk}/"
    response = client.post(
        response["Location"],
        {
            "level-level": 1,
            "level-title": "Learning",
            "level-description": "Knows the TV packages.",
        },
    )
    assert response.status_code == 302
    response = client.post(
        f"/competency/skills/{new.pk}/",
        {
            "indicator-level": 1,
            "indicator-text": "Names the packages.",
            "indicator-evidence": ["exam"],
        },
    )
    assert response.status_code == 302
    assert new.levels.count() == 1
    assert new.indicators.count() == 1
    profile = draft.profiles.get(name="Hotline operator")
    response = client.post(
        f"/competency/profiles/{profile.pk}/", {"skill": new.pk, "min_level": 1, "hard": ""}
    )
    assert response.status_code == 302
    assert profile.requirements.get(skill=new).hard is False
    client.post(f"/competency/frameworks/{draft.pk}/publish/")
    draft.refresh_from_db()
    assert draft.state == "published"
    # Frozen now: the edit forms are gone and a post is refused with a message.
    page = client.get(f"/competency/skills/{new.pk}/").content.decode()
    assert "Describe a level" not in page
    assert "new version" in page
    response = client.post(
        f"/competency/skills/{new.pk}/", {"level-level": 2, "level-description": "More"}
    )
    assert response.status_code == 422
    assert new.levels.count() == 1


def test_draft_framework_hidden_from_agents(team):
    framework = Framework.objects.get(name=builtin.FRAMEWORK_NAME)
    draft = fw.framework_new_version(actor=None, framework=framework)
    assert login(team["anna"]).get(f"/competency/frameworks/{draft.pk}/").status_code == 404
    assert login(team["manager"]).get(f"/competency/frameworks/{draft.pk}/").status_code == 200


def test_manager_assigns_a_profile(team):
    anna = team["anna"]
    framework = Framework.objects.get(name=builtin.FRAMEWORK_NAME)
    profile = framework.profiles.get(name="Network service representative")
    response = login(team["manager"]).post(
        f"/competency/agents/{anna.pk}/profile/", {"profile": profile.pk}
    )
    assert response.status_code == 302
    page = login(anna).get("/competency/me/").content.decode()
    assert "Network service representative" in page
    assert (
        login(team["lead"])
        .post(f"/competency/agents/{anna.pk}/profile/", {"profile": profile.pk})
        .status_code
        == 403
    )


@pytest.mark.parametrize(
    "mistake",
    [
        {"code": "PRD"},  # the service refuses: the code is taken
        {"scale_max": "many"},  # the form refuses
    ],
)
def test_a_refused_new_skill_keeps_the_framework_page_and_what_was_typed(team, mistake):
    client = login(team["manager"])
    framework = Framework.objects.get(name=builtin.FRAMEWORK_NAME)
    client.post(f"/competency/frameworks/{framework.pk}/new-version/")
    draft = Framework.objects.get(name=builtin.FRAMEWORK_NAME, version=2)
    typed = {
        "code": "PRD-TV",
        "name": "IPTV bundles",
        "category": "product",
        "description": "Set-top boxes and packages",
        "scale_min": 1,
        "scale_max": 5,
    }
    response = client.post(f"/competency/frameworks/{draft.pk}/add-skill/", typed | mistake)
    page = response.content.decode()
    assert response.status_code == 422
    assert 'value="IPTV bundles"' in page
    assert "Set-top boxes and packages</textarea>" in page
    field = next(iter(mistake))
    assert f'data-field="{field}"' in page  # the error next to its field
    assert "CS-ESCALATE" in page  # the framework's skills are still listed
    assert not Skill.objects.filter(framework=draft, name="IPTV bundles").exists()
