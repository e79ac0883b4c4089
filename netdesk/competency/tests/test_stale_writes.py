"""A write handed a copy loaded before another request deleted the row must
not bring the row back: every service re-reads (and on PostgreSQL locks) it
inside its transaction, and answers 404 when it is gone."""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import pytest
from django.db import connection
from django.test import Client

from netdesk.accounts.models import Role
from netdesk.competency.models import Indicator, PlanItem, RoleProfile, Skill
from netdesk.competency.services import framework as fw
from netdesk.competency.services import people
from netdesk.competency.services import profiles as profile_services
from netdesk.competency.services import skills as skill_services
from netdesk.core.errors import NotFound
from netdesk.routing.models import RoutingRule
from netdesk.routing.services import config as routing_config
from tests import factories as f

ROUNDS = 40


def api(user: Any) -> Client:
    return Client(HTTP_AUTHORIZATION=f"Bearer {f.token_for(user)}")


def draft_indicator(manager: Any, name: str = "Race") -> Indicator:
    draft = fw.framework_create(actor=manager, name=name)
    skill = skill_services.skill_create(
        actor=manager, framework=draft, code="R", name="R", category="technical"
    )
    return skill_services.indicator_create(
        actor=manager, skill=skill, level=2, text="Explains the fault", evidence=["observation"]
    )


@pytest.mark.django_db
def test_patch_after_delete_is_a_404_and_brings_nothing_back():
    manager = f.user(Role.SERVICE_DESK_MANAGER)
    indicator = draft_indicator(manager)
    client = api(manager)
    assert client.delete(f"/api/v1/competency/indicators/{indicator.pk}").status_code == 204

    answer = client.patch(
        f"/api/v1/competency/indicators/{indicator.pk}",
        {"text": "Explains it again"},
        content_type="application/json",
    )

    assert answer.status_code == 404
    assert not Indicator.objects.filter(pk=indicator.pk).exists()


def _stale_writes() -> dict[str, tuple[Callable[[Any], Any], Callable[[Any, Any], Any]]]:
    """Per service: (make the row, write to a copy of it) — each write one
    that a page or API handler makes with the row it loaded."""

    def indicator(manager: Any) -> Indicator:
        return draft_indicator(manager)

    def skill(manager: Any) -> Skill:
        return draft_indicator(manager).skill

    def profile(manager: Any) -> RoleProfile:
        draft = fw.framework_create(actor=manager, name="Profiles")
        return profile_services.profile_create(actor=manager, framework=draft, name="Hotline")

    def plan_item(manager: Any) -> PlanItem:
        skill = Skill.objects.filter(framework__state="published").first()
        assert skill is not None
        return people.plan_item_create(
            actor=manager,
            agent=f.user(),
            skill=skill,
            target_level=skill.scale_min + 1,
            due_on=date.today() + timedelta(days=30),
            action="Shadow the NOC for a week",
        )

    def rule(manager: Any) -> RoutingRule:
        skill = Skill.objects.filter(framework__state="published").first()
        assert skill is not None
        return routing_config.routing_rule_create(
            actor=manager, name="Fibre faults", skill=skill, min_level=skill.scale_min
        )

    return {
        "indicator_update": (
            indicator,
            lambda m, x: skill_services.indicator_update(actor=m, indicator=x, text="Changed"),
        ),
        "indicator_delete": (
            indicator,
            lambda m, x: skill_services.indicator_delete(actor=m, indicator=x),
        ),
        "skill_update": (
            skill,
            lambda m, x: skill_services.skill_update(actor=m, skill=x, name="Changed"),
        ),
        "level_set": (
            skill,
            lambda m, x: skill_services.level_set(actor=m, skill=x, level=2, description="Changed"),
        ),
        "indicator_create": (
            skill,
            lambda m, x: skill_services.indicator_create(
                actor=m, skill=x, level=2, text="New", evidence=["observation"]
            ),
        ),
        "profile_update": (
            profile,
            lambda m, x: profile_services.profile_update(actor=m, profile=x, name="Changed"),
        ),
        "plan_item_update": (
            plan_item,
            lambda m, x: people.plan_item_update(actor=m, item=x, action="Changed plan"),
        ),
        "plan_item_complete": (
            plan_item,
            lambda m, x: people.plan_item_complete(actor=m, item=x),
        ),
        "routing_rule_update": (
            rule,
            lambda m, x: routing_config.routing_rule_update(
                actor=m, rule=x, changes={"name": "Changed"}
            ),
        ),
    }


STALE_WRITES = _stale_writes()


@pytest.mark.django_db
@pytest.mark.parametrize("service", sorted(STALE_WRITES))
def test_a_write_to_a_row_deleted_meanwhile_is_not_found(service):
    # Given a row as a page loaded it, deleted by another request since
    manager = f.user(Role.SERVICE_DESK_MANAGER)
    make, write = STALE_WRITES[service]
    stale = make(manager)
    model = type(stale)
    model.objects.filter(pk=stale.pk).delete()

    # When the page's write arrives, then it is refused and nothing comes back
    with pytest.raises(NotFound):
        write(manager, stale)
    assert not model.objects.filter(pk=stale.pk).exists()


def _send(
    method: str, url: str, token: str, start: threading.Barrier, answers: dict[str, Any]
) -> None:
    """One request from its own thread, on its own database connection."""
    client = Client(HTTP_AUTHORIZATION=f"Bearer {token}")
    try:
        start.wait()
        if method == "delete":
            answers[method] = client.delete(url).status_code
        else:
            answers[method] = client.patch(
                url, {"text": "Explains better"}, content_type="application/json"
            ).status_code
    finally:
        connection.close()


@pytest.mark.skipif(
    not os.environ.get("NETDESK_DATABASE_URL", "").startswith("postgres"),
    reason="needs PostgreSQL (make test-postgres runs it): SQLite lets one writer in at a time",
)
@pytest.mark.django_db(transaction=True)
def test_concurrent_delete_and_patch_never_resurrect_an_indicator():
    # Given a draft's skill, and per round a fresh indicator of it
    manager = f.user(Role.SERVICE_DESK_MANAGER)
    skill = draft_indicator(manager).skill
    token = f.token_for(manager)
    statuses: list[tuple[int, int]] = []
    for _ in range(ROUNDS):
        target = skill_services.indicator_create(
            actor=manager, skill=skill, level=2, text="Explains", evidence=["observation"]
        )
        url = f"/api/v1/competency/indicators/{target.pk}"
        start = threading.Barrier(2)
        answers: dict[str, int] = {}
        # When a DELETE and a PATCH of it arrive at the same moment
        threads = [
            threading.Thread(target=_send, args=(method, url, token, start, answers))
            for method in ("delete", "patch")
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
        statuses.append((answers.get("delete", 0), answers.get("patch", 0)))
        # Then the indicator stays deleted, whichever came first
        assert not Indicator.objects.filter(pk=target.pk).exists(), statuses
    assert {delete for delete, _ in statuses} == {204}, statuses
    assert {patch for _, patch in statuses} <= {200, 404}, statuses
