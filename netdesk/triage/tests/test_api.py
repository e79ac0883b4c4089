"""GET /api/v1/tickets/{ref}/triage: the suggestion, with the ticket's own
visibility."""

import pytest

from netdesk.accounts.models import Role, TierKind
from tests import factories as f

pytestmark = pytest.mark.django_db


def _get(client, token, ticket):
    return client.get(
        f"/api/v1/tickets/{ticket.reference}/triage", headers={"Authorization": f"Bearer {token}"}
    )


def test_the_suggestion_as_json(client, classifier):
    noc = f.group(TierKind.SECOND_LINE)
    classifier.say(("fault", 0.92), group=(str(noc.pk), 0.9), network_fault=("yes", 0.8))
    agent = f.user()
    ticket = f.ticket(agent, ticket_type="complaint", channel="web")
    body = _get(client, f.token_for(agent), ticket).json()
    assert body["ticket"] == ticket.reference
    assert body["ticket_type"] == {
        "value": "fault",
        "label": "Fault / incident",
        "confidence": 0.92,
    }
    assert body["group"] == {"value": noc.pk, "label": noc.name, "confidence": 0.9}
    assert body["category"] == {"value": None, "label": None, "confidence": 0.0}
    assert body["network_fault"] is True
    assert body["applied_automatically"] is True
    assert body["evidence"] == ["no internet"]


def test_another_account_managers_customer_is_not_found(client, classifier):
    classifier.say(("fault", 0.92))
    own_manager = f.user(Role.ACCOUNT_MANAGER)
    owner = f.customer("key_account", account_manager=own_manager)
    ticket = f.ticket(f.user(), owner)
    assert _get(client, f.token_for(own_manager), ticket).status_code == 200
    answer = _get(client, f.token_for(f.user(Role.ACCOUNT_MANAGER)), ticket)
    assert answer.status_code == 404
    assert "confidence" not in answer.content.decode()


def test_a_ticket_without_suggestion_is_a_404_that_says_so(client, monkeypatch):
    monkeypatch.setattr("netdesk.triage.services.active_classifier", lambda: 1 / 0)
    agent = f.user()
    ticket = f.ticket(agent)
    answer = _get(client, f.token_for(agent), ticket)
    assert answer.status_code == 404
    assert "has no triage suggestion" in answer.json()["detail"]


def test_apply_through_the_api(client, classifier):
    classifier.say(("fault", 0.7))
    agent = f.user()
    ticket = f.ticket(agent, ticket_type="complaint")
    token = f.token_for(agent)
    answer = client.post(
        f"/api/v1/tickets/{ticket.reference}/triage/apply",
        {"targets": ["type"]},
        content_type="application/json",
        headers={"Authorization": f"Bearer {token}"},
    )
    assert answer.status_code == 200
    assert answer.json()["applied_by"] == agent.username
    ticket.refresh_from_db()
    assert ticket.ticket_type == "fault"
    wrong = client.post(
        f"/api/v1/tickets/{ticket.reference}/triage/apply",
        {"targets": ["colour"]},
        content_type="application/json",
        headers={"Authorization": f"Bearer {token}"},
    )
    assert wrong.status_code == 422
    assert "colour" in wrong.content.decode()
