"""Agents' levels (append-only, with source, validity and expiry), who sees
and assesses whom, gap analysis, the team matrix and development plans."""

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from netdesk.accounts.models import Role, SupportGroup, Tier, TierKind
from netdesk.competency import builtin, selectors, skill_gaps
from netdesk.competency import builtin_install as shipped
from netdesk.competency.models import AgentSkill, Framework, PlanItem, RoleProfile, Skill
from netdesk.competency.services import framework as fw
from netdesk.competency.services import people
from netdesk.core.errors import PermissionDenied, TransitionNotAllowed, ValidationFailed
from tests import factories as f

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _builtin_framework(db):
    """The built-in framework as migration 0002 installs it (a transactional
    test run earlier may have flushed the tables)."""
    from django.apps import apps
    from django.utils import timezone as tz

    shipped.install(apps, published_at=tz.now())


def skill(code: str) -> Skill:
    return Skill.objects.get(
        framework__name=builtin.FRAMEWORK_NAME, framework__version=1, code=code
    )


def api(user):
    return Client(HTTP_AUTHORIZATION=f"Bearer {f.token_for(user)}")


@pytest.fixture
def team():
    """A first-line group supervised by a lead, with two operators; a
    second group with another operator the lead does not supervise."""
    tier = Tier.objects.get(kind=TierKind.FIRST_LINE)
    mine = SupportGroup.objects.create(name="Hotline North", tier=tier)
    other = SupportGroup.objects.create(name="Hotline South", tier=tier)
    lead = f.user(Role.TEAM_LEAD, groups=[mine])
    mine.supervisor = lead
    mine.save()
    anna = f.user(Role.HOTLINE_OPERATOR, groups=[mine], first_name="Anna", last_name="A")
    ben = f.user(Role.HOTLINE_OPERATOR, groups=[mine], first_name="Ben", last_name="B")
    carl = f.user(Role.HOTLINE_OPERATOR, groups=[other])
    manager = f.user(Role.SERVICE_DESK_MANAGER, groups=[])
    return {
        "group": mine,
        "other": other,
        "lead": lead,
        "anna": anna,
        "ben": ben,
        "carl": carl,
        "manager": manager,
    }


def record(agent, code, level, source="assessment", **extra):
    return people.agent_level_record(
        actor=None, agent=agent, skill=skill(code), level=level, source=source, **extra
    )


# ---- records -----------------------------------------------------------------------


def test_latest_valid_unexpired_record_wins(team):
    anna = team["anna"]
    now = timezone.now()
    record(anna, "CS-SUPPORT", 2, valid_from=now - timedelta(days=30))
    assert selectors.agent_levels([anna.pk])[anna.pk][skill("CS-SUPPORT").pk] == 2
    record(
        anna,
        "CS-SUPPORT",
        4,
        source="certification",
        valid_from=now - timedelta(days=2),
        expires_at=now - timedelta(days=1),
    )  # already expired: ignored
    record(
        anna, "CS-SUPPORT", 5, source="provisional", valid_from=now + timedelta(days=5)
    )  # not yet
    assert selectors.agent_levels([anna.pk])[anna.pk][skill("CS-SUPPORT").pk] == 2
    record(anna, "CS-SUPPORT", 3, source="override", reason="Shadowed for a month, signed off")
    assert selectors.agent_levels([anna.pk])[anna.pk][skill("CS-SUPPORT").pk] == 3
    # A later, lower level is the current one (it is the latest statement).
    record(anna, "CS-SUPPORT", 1, source="provisional")
    assert selectors.agent_levels([anna.pk])[anna.pk][skill("CS-SUPPORT").pk] == 1
    # Everything is kept.
    assert AgentSkill.objects.filter(agent=anna).count() == 5
    assert len(selectors.agent_history(anna.pk)) == 5


def test_override_needs_a_reason_and_levels_stay_in_scale(team):
    anna = team["anna"]
    with pytest.raises(ValidationFailed, match="reason"):
        record(anna, "CS-SUPPORT", 3, source="override")
    with pytest.raises(ValidationFailed, match="reason"):
        record(anna, "CS-SUPPORT", 3, source="override", reason="   ")
    with pytest.raises(ValidationFailed, match="outside the scale"):
        record(anna, "CS-SUPPORT", 6)
    with pytest.raises(ValidationFailed, match="outside the scale"):
        record(anna, "CERT-FIBRE", 4)  # certificates go to 3
    with pytest.raises(ValidationFailed):
        record(anna, "CS-SUPPORT", 3, source="rumour")
    now = timezone.now()
    with pytest.raises(ValidationFailed, match="expire after"):
        record(anna, "CS-SUPPORT", 3, valid_from=now, expires_at=now - timedelta(hours=1))
    assert not AgentSkill.objects.filter(agent=anna).exists()


def test_records_only_against_published_skills(team):
    draft = fw.framework_new_version(actor=None, framework=skill("CS").framework)
    draft_skill = Skill.objects.get(framework=draft, code="CS-SUPPORT")
    with pytest.raises(ValidationFailed, match="published"):
        people.agent_level_record(
            actor=None, agent=team["anna"], skill=draft_skill, level=2, source="provisional"
        )


def test_agent_levels_in_a_fixed_number_of_queries(team, django_assert_max_num_queries):
    agents = [f.user(Role.HOTLINE_OPERATOR, groups=[team["group"]]) for _ in range(12)]
    codes = ["CS-SUPPORT", "CS-INTERACT", "LANG-DE", "PRD-BROADBAND"]
    rows = []
    now = timezone.now()
    for n, agent in enumerate(agents):
        for m, code in enumerate(codes):
            rows.append(
                AgentSkill(
                    agent=agent,
                    skill=skill(code),
                    level=1 + (n + m) % 5,
                    source="assessment",
                    valid_from=now - timedelta(days=1),
                    recorded_at=now,
                )
            )
    AgentSkill.objects.bulk_create(rows)
    ids = [a.pk for a in agents]
    skill_ids = [skill(c).pk for c in codes]
    with django_assert_max_num_queries(2):
        levels = selectors.agent_levels(ids, skill_ids)
    assert levels[agents[0].pk][skill_ids[0]] == 1
    assert levels[agents[3].pk][skill_ids[2]] == 1 + (3 + 2) % 5
    with django_assert_max_num_queries(2):
        everything = selectors.agent_levels(ids)
    assert everything == levels
    with django_assert_max_num_queries(8):
        skill_gaps.team_matrix(team["group"])
    assert selectors.agent_levels([]) == {}
    assert selectors.agent_levels([agents[0].pk], []) == {agents[0].pk: {}}


def test_levels_carry_over_to_a_new_framework_version(team):
    anna = team["anna"]
    record(anna, "CS-COMPLAINT", 3)
    draft = fw.framework_new_version(actor=None, framework=skill("CS").framework)
    fw.framework_publish(actor=None, framework=draft)
    new_skill = Skill.objects.get(framework=draft, code="CS-COMPLAINT")
    old_skill = skill("CS-COMPLAINT")
    assert selectors.agent_levels([anna.pk], [new_skill.pk]) == {anna.pk: {new_skill.pk: 3}}
    assert selectors.agent_levels([anna.pk]) == {anna.pk: {new_skill.pk: 3, old_skill.pk: 3}}
    # Recorded against the new version, it counts for the old skill id too
    # (routing rules naming the old version keep working).
    people.agent_level_record(actor=None, agent=anna, skill=new_skill, level=4, source="assessment")
    assert selectors.agent_levels([anna.pk], [old_skill.pk]) == {anna.pk: {old_skill.pk: 4}}
    # Shown once, with the published version's skill.
    shown = selectors.agent_skill_levels(anna.pk)
    assert [(s.pk, r.level) for s, r in shown] == [(new_skill.pk, 4)]
    # The gap analysis uses the new version's profile.
    gaps = skill_gaps.agent_gaps(anna)
    assert gaps.profile is not None
    assert gaps.profile.framework_id == draft.pk
    complaint = next(r for r in gaps.rows if r.skill.code == "CS-COMPLAINT")
    assert complaint.current == 4
    # A retired version's skill still takes records (an assessment cycle begun
    # before the new version), and they count for the new version too.
    record(anna, "CS-COMPLAINT", 2)
    assert selectors.agent_levels([anna.pk], [new_skill.pk]) == {anna.pk: {new_skill.pk: 2}}


# ---- who sees and assesses whom ----------------------------------------------------------


def test_team_scope(team):
    lead, anna, carl, manager = team["lead"], team["anna"], team["carl"], team["manager"]
    assert selectors.team_member_ids(lead) == {lead.pk, anna.pk, team["ben"].pk}
    assert selectors.can_see_agent(anna, anna.pk)
    assert not selectors.can_see_agent(anna, team["ben"].pk)
    assert selectors.can_see_agent(lead, anna.pk)
    assert not selectors.can_see_agent(lead, carl.pk)
    assert selectors.can_see_agent(manager, carl.pk)
    assert selectors.can_assess_agent(lead, anna.pk)
    assert not selectors.can_assess_agent(lead, lead.pk)
    assert not selectors.can_assess_agent(lead, carl.pk)
    assert not selectors.can_assess_agent(anna, anna.pk)
    assert selectors.can_assess_agent(manager, carl.pk)
    # An inactive group is no longer the lead's team.
    SupportGroup.objects.filter(pk=team["group"].pk).update(is_active=False)
    assert selectors.team_member_ids(lead) == set()


def test_who_may_record(team):
    lead, anna, carl = team["lead"], team["anna"], team["carl"]
    people.agent_level_record(
        actor=lead, agent=anna, skill=skill("CS-SUPPORT"), level=2, source="provisional"
    )
    with pytest.raises(PermissionDenied):
        people.agent_level_record(
            actor=lead, agent=carl, skill=skill("CS-SUPPORT"), level=2, source="provisional"
        )
    with pytest.raises(PermissionDenied):
        people.agent_level_record(
            actor=lead, agent=lead, skill=skill("CS-SUPPORT"), level=5, source="provisional"
        )
    with pytest.raises(PermissionDenied):
        people.agent_level_record(
            actor=anna, agent=anna, skill=skill("CS-SUPPORT"), level=5, source="provisional"
        )
    made = people.agent_level_record(
        actor=team["manager"],
        agent=carl,
        skill=skill("CS-SUPPORT"),
        level=3,
        source="override",
        reason="Transferred from billing",
    )
    assert made.recorded_by == team["manager"]
    # Managers record anyone's levels but their own.
    with pytest.raises(PermissionDenied):
        people.agent_level_record(
            actor=team["manager"],
            agent=team["manager"],
            skill=skill("CS-DESK"),
            level=5,
            source="override",
            reason="Ran the desk for years",
        )


# ---- gaps, matrix, profiles ---------------------------------------------------------------


def test_gap_analysis_against_the_role_profile(team):
    anna = team["anna"]
    record(anna, "CS-SUPPORT", 3)  # needs 2: met
    record(anna, "CS-INTERACT", 1)  # needs 2 (hard): short by 1
    record(anna, "PRD-VOICE", 1)  # needs 2 (preferred)
    gaps = skill_gaps.agent_gaps(anna)
    assert gaps.profile is not None
    assert gaps.profile.name == "Hotline operator"
    assert not gaps.assigned
    rows = {r.skill.code: r for r in gaps.rows}
    assert rows["CS-SUPPORT"].met
    assert rows["CS-SUPPORT"].gap == 0
    assert rows["CS-INTERACT"].gap == 1
    assert rows["CS-INTERACT"].status == "missing"
    assert rows["PRD-VOICE"].status == "short"
    assert rows["LANG-DE"].current is None
    assert rows["LANG-DE"].gap == 4
    assert not gaps.meets_profile
    assert gaps.preferred_gaps == 2  # PRD-VOICE and LANG-EN
    as_dict = gaps.as_dict()
    assert as_dict["profile"] == "Hotline operator"
    assert any(s["skill_code"] == "CS-SUPPORT" and s["met"] for s in as_dict["skills"])


def test_assigned_profile_overrides_the_role_default(team):
    anna = team["anna"]
    representative = RoleProfile.objects.get(name="Network service representative")
    with pytest.raises(PermissionDenied):
        people.agent_profile_assign(actor=team["lead"], agent=anna, profile=representative)
    people.agent_profile_assign(actor=team["manager"], agent=anna, profile=representative)
    gaps = skill_gaps.agent_gaps(anna)
    assert gaps.profile == representative
    assert gaps.assigned
    people.agent_profile_assign(actor=team["manager"], agent=anna, profile=None)
    profile = skill_gaps.agent_gaps(anna).profile
    assert profile is not None
    assert profile.name == "Hotline operator"


def test_team_matrix_and_team_gaps(team):
    record(team["anna"], "CS-SUPPORT", 2)
    record(team["ben"], "CS-SUPPORT", 1)
    record(team["ben"], "LANG-TR", 4)
    matrix = skill_gaps.team_matrix(team["group"])
    codes = [s.code for s in matrix.skills]
    assert "CS-SUPPORT" in codes
    assert "CORE-LEAD" in codes
    assert "LANG-TR" not in codes  # nobody needs it
    column = codes.index("CS-SUPPORT")
    cells = {agent.username: row[column] for agent, _, row in matrix.rows()}
    assert cells[team["anna"].username].status == "met"
    assert cells[team["ben"].username].status == "missing"
    lead_cell = cells[team["lead"].username]
    assert lead_cell.required == 3
    assert not lead_cell.hard
    summary = {s["skill"].code: s for s in matrix.skill_summary()}
    assert summary["CS-SUPPORT"]["required"] == 3
    assert summary["CS-SUPPORT"]["met"] == 1
    gaps = skill_gaps.team_gaps(team["group"])
    assert len(gaps["agents"]) == 3
    support = next(s for s in gaps["skills"] if s["skill_code"] == "CS-SUPPORT")
    assert support["required_of"] == 3
    assert support["short"] == 2
    assert support["hard_short"] == 1


# ---- plans ------------------------------------------------------------------------------


def test_plan_items(team):
    lead, anna = team["lead"], team["anna"]
    due = timezone.localdate() + timedelta(days=30)
    item = people.plan_item_create(
        actor=lead,
        agent=anna,
        skill=skill("CS-INTERACT"),
        target_level=3,
        due_on=due,
        action="Shadow Ben on calls",
    )
    assert item.created_by == lead
    with pytest.raises(ValidationFailed):
        people.plan_item_create(
            actor=lead,
            agent=anna,
            skill=skill("CS-INTERACT"),
            target_level=7,
            due_on=due,
            action="x",
        )
    with pytest.raises(ValidationFailed):
        people.plan_item_create(
            actor=lead,
            agent=anna,
            skill=skill("CS-INTERACT"),
            target_level=3,
            due_on=due,
            action="  ",
        )
    with pytest.raises(PermissionDenied):
        people.plan_item_create(
            actor=anna,
            agent=anna,
            skill=skill("CS-INTERACT"),
            target_level=3,
            due_on=due,
            action="x",
        )
    with pytest.raises(PermissionDenied):
        people.plan_item_create(
            actor=lead,
            agent=team["carl"],
            skill=skill("CS-INTERACT"),
            target_level=3,
            due_on=due,
            action="x",
        )
    people.plan_item_update(actor=lead, item=item, target_level=4)
    item.refresh_from_db()
    assert item.target_level == 4
    people.plan_item_complete(actor=lead, item=item)
    assert item.done_at is not None
    with pytest.raises(TransitionNotAllowed):
        people.plan_item_complete(actor=lead, item=item)
    with pytest.raises(TransitionNotAllowed):
        people.plan_item_update(actor=lead, item=item, action="later")
    overdue = PlanItem.objects.create(
        agent=anna,
        skill=skill("LANG-DE"),
        target_level=4,
        due_on=timezone.localdate() - timedelta(days=1),
        action="x",
    )
    assert selectors.overdue(overdue)
    assert not selectors.overdue(item)
    assert [i.pk for i in selectors.plan_items(anna.pk)] == [overdue.pk, item.pk]


# ---- API --------------------------------------------------------------------------------


def test_me_shows_levels_gaps_and_plan(team):
    anna = team["anna"]
    record(anna, "CS-SUPPORT", 2)
    people.plan_item_create(
        actor=None,
        agent=anna,
        skill=skill("LANG-DE"),
        target_level=4,
        due_on=timezone.localdate(),
        action="Course",
    )
    body = api(anna).get("/api/v1/competency/me").json()
    assert body["username"] == anna.username
    assert [(x["skill_code"], x["level"], x["source"]) for x in body["levels"]] == [
        ("CS-SUPPORT", 2, "assessment")
    ]
    assert body["gaps"]["profile"] == "Hotline operator"
    assert body["plan"][0]["skill_code"] == "LANG-DE"


def test_agent_endpoints_respect_scope(team):
    anna, ben, carl, lead, manager = (team[k] for k in ("anna", "ben", "carl", "lead", "manager"))
    record(carl, "CS-SUPPORT", 2)
    as_anna, as_lead, as_manager = api(anna), api(lead), api(manager)
    assert as_anna.get(f"/api/v1/competency/agents/{anna.pk}").status_code == 200
    assert as_anna.get(f"/api/v1/competency/agents/{ben.pk}").status_code == 404
    assert as_lead.get(f"/api/v1/competency/agents/{ben.pk}").status_code == 200
    assert as_lead.get(f"/api/v1/competency/agents/{carl.pk}").status_code == 404
    assert as_lead.get(f"/api/v1/competency/agents/{carl.pk}/history").status_code == 404
    assert as_manager.get(f"/api/v1/competency/agents/{carl.pk}/history").json()[0]["level"] == 2
    # Agents cannot assess, not even themselves.
    payload = {"skill_id": skill("CS-SUPPORT").pk, "level": 5, "source": "provisional"}
    response = as_anna.post(
        f"/api/v1/competency/agents/{anna.pk}/levels", payload, content_type="application/json"
    )
    assert response.status_code == 403
    response = as_lead.post(
        f"/api/v1/competency/agents/{ben.pk}/levels", payload, content_type="application/json"
    )
    assert response.status_code == 201
    assert response.json()["recorded_by"] == lead.username
    # An override without a reason is a 422 naming the field.
    response = as_lead.post(
        f"/api/v1/competency/agents/{ben.pk}/levels",
        {**payload, "source": "override"},
        content_type="application/json",
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "reason"
    response = as_lead.post(
        f"/api/v1/competency/agents/{ben.pk}/levels",
        {**payload, "source": "certification", "expires_at": "2030-01-01T00:00:00Z"},
        content_type="application/json",
    )
    assert response.status_code == 201
    assert response.json()["expires_at"].startswith("2030")
    # No way to change or delete a record: the history is append-only.
    record_id = response.json()["id"]
    assert as_manager.delete(
        f"/api/v1/competency/agents/{ben.pk}/levels/{record_id}"
    ).status_code in (404, 405)


def test_plan_api(team):
    lead, anna, manager = team["lead"], team["anna"], team["manager"]
    as_lead = api(lead)
    response = as_lead.post(
        f"/api/v1/competency/agents/{anna.pk}/plan",
        {
            "skill_id": skill("CS-INTERACT").pk,
            "target_level": 3,
            "due_on": "2027-03-01",
            "action": "Call handling course",
        },
        content_type="application/json",
    )
    assert response.status_code == 201, response.json()
    item_id = response.json()["id"]
    response = as_lead.patch(
        f"/api/v1/competency/plan-items/{item_id}",
        {"due_on": "2027-04-01"},
        content_type="application/json",
    )
    assert response.json()["due_on"] == "2027-04-01"
    assert api(anna).post(f"/api/v1/competency/plan-items/{item_id}/complete").status_code == 403
    assert (
        api(team["carl"]).post(f"/api/v1/competency/plan-items/{item_id}/complete").status_code
        == 404
    )
    response = as_lead.post(f"/api/v1/competency/plan-items/{item_id}/complete")
    assert response.status_code == 200
    assert response.json()["done_at"]
    assert as_lead.delete(f"/api/v1/competency/plan-items/{item_id}").status_code == 409
    assert api(anna).get(f"/api/v1/competency/agents/{anna.pk}/plan").json()[0]["id"] == item_id
    response = api(manager).post(
        f"/api/v1/competency/agents/{anna.pk}/plan",
        {"skill_id": skill("LANG-DE").pk, "target_level": 4, "due_on": "2027-13-01", "action": "x"},
        content_type="application/json",
    )
    assert response.status_code == 422


def test_team_api(team):
    lead, manager, anna = team["lead"], team["manager"], team["anna"]
    teams = api(lead).get("/api/v1/competency/teams").json()
    assert [t["name"] for t in teams] == ["Hotline North"]
    assert teams[0]["members"] == 3
    assert len(api(manager).get("/api/v1/competency/teams").json()) >= 2
    assert api(anna).get("/api/v1/competency/teams").json() == []
    group = team["group"].pk
    matrix = api(lead).get(f"/api/v1/competency/teams/{group}/matrix").json()
    assert {r["agent"] for r in matrix["rows"]} == {
        lead.username,
        anna.username,
        team["ben"].username,
    }
    assert len(matrix["rows"][0]["cells"]) == len(matrix["skills"])
    gaps = api(lead).get(f"/api/v1/competency/teams/{group}/gaps").json()
    assert len(gaps["agents"]) == 3
    assert api(lead).get(f"/api/v1/competency/teams/{team['other'].pk}/matrix").status_code == 404
    assert api(anna).get(f"/api/v1/competency/teams/{group}/matrix").status_code == 403
    assert api(manager).get(f"/api/v1/competency/teams/{team['other'].pk}/gaps").status_code == 200


def test_profile_assignment_api(team):
    anna, manager = team["anna"], team["manager"]
    framework = Framework.objects.get(name=builtin.FRAMEWORK_NAME)
    profile = RoleProfile.objects.get(framework=framework, name="Field engineer")
    response = api(manager).put(
        f"/api/v1/competency/agents/{anna.pk}/profile",
        {"profile_id": profile.pk},
        content_type="application/json",
    )
    assert response.status_code == 200
    assert response.json()["profile"] == "Field engineer"
    assert response.json()["profile_assigned"]
    response = api(team["lead"]).put(
        f"/api/v1/competency/agents/{anna.pk}/profile",
        {"profile_id": None},
        content_type="application/json",
    )
    assert response.status_code == 403


def test_demo_gives_agents_profiles_levels_and_plans(django_assert_max_num_queries):
    import random

    from netdesk.competency.models import AgentProfile
    from netdesk.demo.competency import build_competency

    billing = SupportGroup.objects.filter(tier__kind=TierKind.BILLING).first() or f.group(
        TierKind.BILLING
    )
    hotline = f.group(TierKind.FIRST_LINE)
    lead = f.user(Role.TEAM_LEAD, groups=[hotline])
    hotline.supervisor = lead
    hotline.save()
    operators = [f.user(Role.HOTLINE_OPERATOR, groups=[hotline]) for _ in range(10)]
    clerk = f.user(Role.HOTLINE_OPERATOR, groups=[billing])
    noc = f.user(Role.NOC_ENGINEER, groups=[f.group(TierKind.SECOND_LINE)])
    created = {"users": [lead.pk, clerk.pk, noc.pk, *(o.pk for o in operators)]}
    with django_assert_max_num_queries(20):
        counts = build_competency(random.Random(7), created)
    assert counts["levels"] > 50
    assert AgentProfile.objects.get(agent=clerk).profile.name == "Network service representative"
    levels = selectors.agent_levels([o.pk for o in operators])
    assert all(levels[o.pk] for o in operators)
    noc_profile = skill_gaps.agent_gaps(noc).profile
    assert noc_profile is not None
    assert noc_profile.name == "NOC engineer"
    assert (
        created["competency.AgentSkill"][1] - created["competency.AgentSkill"][0] + 1
        == counts["levels"]
    )
    matrix = skill_gaps.team_matrix(hotline)
    assert {c.status for _, _, cells in matrix.rows() for c in cells} >= {"met"}
    assert AgentSkill.objects.filter(recorded_by=lead).exists()
