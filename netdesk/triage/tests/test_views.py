"""The ticket page's triage panel and its Apply, and the managers' policy
page, through the desk's own pages."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django_tasks_db.models import DBTaskResult

from netdesk.accounts.models import Role, TierKind
from netdesk.accounts.permissions import ROLE_ACTIONS, Action
from netdesk.tickets.models import Category
from netdesk.triage.models import TriageModel, TriagePolicy
from netdesk.triage.selectors import policy
from netdesk.triage.tasks import triage_retrain
from tests import factories as f

pytestmark = pytest.mark.django_db


@pytest.fixture
def agent(client):
    user = f.user()
    client.force_login(user)
    return user


@pytest.fixture
def no_internet():
    return Category.objects.get_or_create(name="No internet", ticket_type="fault")[0]


def _panel(client, ticket):
    return client.get(reverse("triage_ticket_panel", args=[ticket.reference])).content.decode()


def test_the_ticket_page_loads_the_panel(client, agent):
    ticket = f.ticket(agent)
    page = client.get(reverse("ticket_detail", args=[ticket.reference])).content.decode()
    assert f'hx-get="{reverse("triage_ticket_panel", args=[ticket.reference])}"' in page


def test_the_panel_shows_the_suggestion_and_applies_it(client, agent, classifier, no_internet):
    noc = f.group(TierKind.SECOND_LINE)
    classifier.say(
        ("fault", 0.92),
        (str(no_internet.pk), 0.8),
        (str(noc.pk), 0.75),
        ("yes", 0.9),
        evidence=("no internet", "since"),
    )
    ticket = f.ticket(agent, ticket_type="complaint")
    panel = _panel(client, ticket)
    assert "Triage suggests" in panel
    assert "<strong>Fault / incident</strong> (92 %)" in panel
    assert "<strong>No internet</strong> (80 %)" in panel
    assert f"<strong>{noc.name}</strong> (75 %)" in panel
    assert "<q>no internet</q>, <q>since</q>" in panel
    assert "Reads as a network fault (90 %)" in panel
    assert 'name="csrfmiddlewaretoken"' in panel
    assert 'value="type" checked' in panel
    answer = client.post(
        reverse("triage_apply", args=[ticket.reference]), {"targets": ["type", "category"]}
    )
    assert answer.status_code == 302
    ticket.refresh_from_db()
    assert (ticket.ticket_type, ticket.category) == ("fault", no_internet)
    panel = _panel(client, ticket)
    assert f"Applied by {agent.username}" in panel
    # Only the group still differs: only it is offered.
    assert 'value="type"' not in panel
    assert 'value="group" checked' in panel


def test_a_mail_ticket_says_it_was_applied_automatically(client, agent, classifier):
    classifier.say(("fault", 0.95))
    ticket = f.ticket(agent, ticket_type="complaint", channel="email")
    panel = _panel(client, ticket)
    assert "Applied automatically" in panel
    assert "Apply</button>" not in panel  # nothing left that differs


def test_no_apply_for_a_role_that_may_not_change_tickets(client, classifier, monkeypatch):
    classifier.say(("fault", 0.92))
    ticket = f.ticket(f.user(), ticket_type="complaint")
    monkeypatch.setitem(
        ROLE_ACTIONS, Role.TEAM_LEAD, ROLE_ACTIONS[Role.TEAM_LEAD] - {Action.TICKET_UPDATE}
    )
    client.force_login(f.user(Role.TEAM_LEAD))
    panel = _panel(client, ticket)
    assert "Triage suggests" in panel
    assert "Apply</button>" not in panel
    answer = client.post(reverse("triage_apply", args=[ticket.reference]), {"targets": ["type"]})
    assert answer.status_code == 403
    ticket.refresh_from_db()
    assert ticket.ticket_type == "complaint"


def test_a_bad_apply_is_told_on_the_ticket_page(client, agent, classifier):
    classifier.say(("fault", 0.92))
    ticket = f.ticket(agent, ticket_type="complaint")
    answer = client.post(
        reverse("triage_apply", args=[ticket.reference]), {"targets": ["colour"]}, follow=True
    )
    assert "Choose what to apply among type, category, group." in answer.content.decode()
    assert "Accepted: type, category, group." in answer.content.decode()


def test_another_account_managers_ticket_is_not_found(client, classifier):
    classifier.say(("fault", 0.92))
    owner = f.customer("key_account", account_manager=f.user(Role.ACCOUNT_MANAGER))
    ticket = f.ticket(f.user(), owner, ticket_type="complaint")
    client.force_login(f.user(Role.ACCOUNT_MANAGER))
    assert client.get(reverse("triage_ticket_panel", args=[ticket.reference])).status_code == 404
    answer = client.post(reverse("triage_apply", args=[ticket.reference]), {"targets": ["type"]})
    assert answer.status_code == 404


def _queries(client, ticket):
    with CaptureQueriesContext(connection) as queries:
        assert (
            client.get(reverse("triage_ticket_panel", args=[ticket.reference])).status_code == 200
        )
    return len(queries)


def test_the_panel_runs_a_fixed_number_of_queries(client, agent, classifier, no_internet):
    classifier.say(("fault", 0.6), evidence=("slow",))
    plain = f.ticket(agent, ticket_type="complaint")
    classifier.say(
        ("fault", 0.92),
        (str(no_internet.pk), 0.8),
        (str(f.group(TierKind.SECOND_LINE).pk), 0.75),
        ("yes", 0.9),
        evidence=tuple(f"word{n}" for n in range(12)),
    )
    full = f.ticket(agent, ticket_type="complaint", channel="email")
    _queries(client, plain)  # the session and the memo's versions read once
    assert _queries(client, plain) == _queries(client, full)


# --- policy page ------------------------------------------------------------------------


@pytest.fixture
def manager(client):
    user = f.user(Role.SERVICE_DESK_MANAGER)
    client.force_login(user)
    return user


def _policy(**changes):
    return {
        "auto_apply": "on",
        "threshold": "0.85",
        "retrain_hours": "24",
        "min_tickets": "200",
        **changes,
    }


def test_managers_set_the_policy(client, manager):
    page = client.get(reverse("triage_policy")).content.decode()
    assert "Keyword rules: no model trained yet (it needs 200 resolved tickets)." in page
    answer = client.post(
        reverse("triage_policy"), _policy(auto_apply="", threshold="0.9", retrain_hours="6")
    )
    assert answer.status_code == 302
    desk = TriagePolicy.objects.get()
    assert (desk.auto_apply, desk.threshold, desk.retrain_hours) == (False, 0.9, 6)
    assert desk.updated_by == manager


@pytest.mark.parametrize(
    ("field", "value", "said"),
    [
        ("threshold", "1.5", "threshold 1.5 is out of range. Accepted: a confidence from 0.5 to 1"),
        ("threshold", "high", "Enter a number from 0.5 to 1, such as 0.85."),
        ("retrain_hours", "0", "retrain_hours 0 is out of range. Accepted: 1 to 720 hours."),
        ("min_tickets", "3", "min_tickets 3 is out of range. Accepted: 20 to 1,000,000"),
    ],
)
def test_policy_errors_say_field_value_and_what_is_accepted(client, manager, field, value, said):
    answer = client.post(reverse("triage_policy"), _policy(**{field: value}))
    assert answer.status_code == 400
    page = answer.content.decode()
    assert f'data-field="{field}"' in page
    assert said in page
    assert f'value="{value}"' in page
    assert policy().threshold == 0.85  # the refused change left the policy as it was


def test_the_policy_page_shows_the_models_figures(client, manager):
    TriageModel.objects.create(
        trained_at="2026-12-01T03:00:00Z",
        method="tfidf-logreg",
        tickets=1234,
        figures={
            "targets": {
                "ticket_type": {
                    "scored": 1234,
                    "accuracy": 0.812,
                    "macro_f1": 0.74,
                    "baseline_accuracy": 0.41,
                    "baseline_macro_f1": 0.12,
                }
            },
            "languages": {"de": {"ticket_type": {"scored": 300, "accuracy": 0.8}}},
            "cv_tickets": 1234,
        },
    )
    page = client.get(reverse("triage_policy")).content.decode()
    assert "on 1234 resolved tickets." in page
    assert "<td>ticket type</td><td>1234</td><td>0.812</td><td>0.740</td><td>0.410</td>" in page
    assert "<td>de</td><td>300</td><td>0.800</td>" in page


def test_train_now_queues_the_training(client, manager):
    answer = client.post(reverse("triage_train"))
    assert answer.status_code == 302
    assert DBTaskResult.objects.filter(task_path=triage_retrain.module_path).count() == 1


def test_only_managers_see_the_policy(client, agent):
    assert client.get(reverse("triage_policy")).status_code == 403
    assert client.post(reverse("triage_train")).status_code == 403


def test_managers_find_the_policy_in_the_menu(client, manager):
    page = client.get(reverse("queue")).content.decode()
    assert f'href="{reverse("triage_policy")}"' in page


def test_agents_do_not(client, agent):
    page = client.get(reverse("queue")).content.decode()
    assert f'href="{reverse("triage_policy")}"' not in page
