"""Every role × every action: the written matrix below is the specification;
the code's matrix and the API's answers must both agree with it."""

import pytest
from django.test import Client

from netdesk.accounts.models import Role, TierKind
from netdesk.accounts.permissions import Action, can
from tests import factories as f

Y, N = True, False
ROLES = [
    Role.HOTLINE_OPERATOR,
    Role.NOC_ENGINEER,
    Role.FIELD_ENGINEER,
    Role.TEAM_LEAD,
    Role.SERVICE_DESK_MANAGER,
    Role.ACCOUNT_MANAGER,
    Role.ADMINISTRATOR,
]
# columns:        hotline  noc  field  lead  manager  account_mgr  admin
EXPECTED = {
    Action.CUSTOMER_VIEW: (Y, Y, Y, Y, Y, Y, Y),
    Action.TICKET_VIEW: (Y, Y, Y, Y, Y, Y, Y),
    Action.TICKET_CREATE: (Y, Y, N, Y, Y, Y, Y),
    Action.TICKET_UPDATE: (Y, Y, Y, Y, Y, Y, Y),
    Action.TICKET_ASSIGN: (Y, Y, N, Y, Y, N, Y),
    Action.TICKET_ESCALATE: (Y, Y, Y, Y, Y, Y, Y),
    Action.TICKET_RESOLVE: (Y, Y, Y, Y, Y, N, Y),
    Action.TICKET_CLOSE: (N, N, N, Y, Y, N, Y),
    Action.TICKET_REOPEN: (Y, Y, N, Y, Y, N, Y),
    Action.TICKET_LINK: (Y, Y, N, Y, Y, N, Y),
    Action.TICKET_MERGE: (N, N, N, Y, Y, N, Y),
    Action.NOTE_ADD: (Y, Y, Y, Y, Y, Y, Y),
    Action.REPLY_ADD: (Y, Y, Y, Y, Y, Y, Y),
    Action.INTERACTION_LOG: (Y, Y, Y, Y, Y, Y, Y),
    Action.KPI_VIEW_OWN: (Y, Y, Y, Y, Y, Y, Y),
    Action.KPI_VIEW_ALL: (N, N, N, Y, Y, N, Y),
    Action.TOKEN_CREATE: (Y, Y, Y, Y, Y, Y, Y),
    Action.CONFIGURE: (N, N, N, N, Y, N, Y),
    Action.INCIDENT_VIEW: (Y, Y, Y, Y, Y, Y, Y),
    Action.INCIDENT_MANAGE: (N, Y, N, Y, Y, N, Y),
    Action.ALARM_INGEST: (N, Y, N, N, N, N, Y),
    Action.OUTAGE_DECIDE: (N, Y, N, Y, Y, N, Y),
    Action.LIAISON_RECORD: (Y, Y, Y, Y, Y, N, Y),
    Action.FAILURE_REPORT_VIEW: (N, Y, N, Y, Y, Y, Y),
    Action.SENDER_MERGE: (Y, Y, N, Y, Y, N, Y),
    Action.MAIL_QUARANTINE: (N, N, N, Y, Y, N, Y),
    Action.CUSTOMERS_NOTIFY: (N, Y, N, Y, Y, N, Y),
    Action.CHAT_TAKE: (Y, Y, N, Y, Y, N, Y),
    Action.CALL_VIEW: (Y, Y, N, Y, Y, N, Y),
    Action.KB_VIEW: (Y, Y, Y, Y, Y, Y, Y),
    Action.KB_EDIT: (Y, Y, Y, Y, Y, N, Y),
    Action.KB_PUBLISH: (N, N, N, Y, Y, N, Y),
    Action.MACRO_MANAGE: (N, N, N, Y, Y, N, Y),
    Action.COMPETENCY_VIEW_OWN: (Y, Y, Y, Y, Y, Y, Y),
    Action.COMPETENCY_VIEW_TEAM: (N, N, N, Y, Y, N, Y),
    Action.COMPETENCY_ASSESS: (N, N, N, Y, Y, N, Y),
    Action.COMPETENCY_CONFIGURE: (N, N, N, N, Y, N, Y),
    # The desk floor: bulk changes for those who run a queue; exports and the
    # satisfaction report also for account managers (their own accounts).
    Action.TICKET_BULK: (N, N, N, Y, Y, N, Y),
    Action.TICKET_EXPORT: (N, N, N, Y, Y, Y, Y),
    Action.CSAT_VIEW: (N, N, N, Y, Y, Y, Y),
    Action.REPORT_SUBSCRIBE_OTHERS: (N, N, N, N, Y, N, Y),
    Action.PLAN_MANAGE: (N, N, N, N, Y, N, Y),
}


def test_matrix_covers_every_action():
    assert set(EXPECTED) == set(Action)


@pytest.mark.django_db
@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("action", list(Action))
def test_role_action_matrix(role, action):
    agent = f.user(role)
    assert can(agent, action) is EXPECTED[action][ROLES.index(role)]


def _ticket_for(agent):
    operator = f.user(Role.HOTLINE_OPERATOR)
    owner = f.customer(
        "key_account", account_manager=agent if agent.role == Role.ACCOUNT_MANAGER else None
    )
    return f.ticket(operator, owner), owner


# How each action is reached over the API: (method, path template, JSON body).
API_CALLS = {
    Action.TICKET_CREATE: (
        "post",
        "/api/v1/tickets",
        {
            "customer_id": "{customer}",
            "ticket_type": "fault",
            "channel": "phone",
            "title": "No service",
        },
    ),
    Action.TICKET_ESCALATE: (
        "post",
        "/api/v1/tickets/{ref}/escalate",
        {"kind": "hierarchical", "reason": "Customer insists"},
    ),
    Action.TICKET_RESOLVE: (
        "post",
        "/api/v1/tickets/{ref}/resolve",
        {"resolution_code": "fixed", "root_cause": "hardware"},
    ),
    Action.INTERACTION_LOG: (
        "post",
        "/api/v1/tickets/{ref}/interactions",
        {
            "channel": "phone",
            "direction": "outbound",
            "summary": "Called back",
            "outcome": "ticket_updated",
        },
    ),
    Action.TICKET_UPDATE: ("patch", "/api/v1/tickets/{ref}", {"title": "Renamed"}),
    Action.KPI_VIEW_ALL: ("get", "/api/v1/kpis?group={group}", None),
    Action.FAILURE_REPORT_VIEW: ("get", "/api/v1/reports/failures?month=2026-06", None),
}


@pytest.mark.django_db
@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("action", list(API_CALLS))
def test_api_enforces_the_matrix(role, action):
    groups = [f.group(TierKind.FIRST_LINE)]
    agent = f.user(role, groups=groups)
    ticket, owner = _ticket_for(agent)
    method, path, body = API_CALLS[action]
    path = path.format(ref=ticket.reference, customer=owner.pk, group=groups[0].pk)
    if body:
        body = {k: (owner.pk if v == "{customer}" else v) for k, v in body.items()}
    client = Client(HTTP_AUTHORIZATION=f"Bearer {f.token_for(agent)}")
    kwargs = {"content_type": "application/json"} if body is not None else {}
    response = (
        getattr(client, method)(path, body, **kwargs)
        if body is not None
        else (getattr(client, method)(path))
    )
    allowed = EXPECTED[action][ROLES.index(role)]
    if allowed:
        assert response.status_code in (200, 201), (role, action, response.content)
    else:
        assert response.status_code == 403, (role, action, response.content)
        assert response["Content-Type"] == "application/problem+json"


@pytest.mark.django_db
def test_token_acts_only_as_its_user():
    manager = f.user(Role.ACCOUNT_MANAGER)
    lead = f.user(Role.TEAM_LEAD)
    ticket, _ = _ticket_for(lead)
    client = Client(HTTP_AUTHORIZATION=f"Bearer {f.token_for(manager)}")
    assert client.get(f"/api/v1/tickets/{ticket.reference}").status_code == 404
    assert client.get("/api/v1/me").json()["username"] == manager.username


@pytest.mark.django_db
def test_revoked_token_is_refused():
    from netdesk.accounts.models import ApiToken
    from netdesk.accounts.services import token_create, token_revoke

    agent = f.user()
    token, secret = token_create(user=agent)
    client = Client(HTTP_AUTHORIZATION=f"Bearer {secret}")
    assert client.get("/api/v1/me").status_code == 200
    token_revoke(token=token)
    assert client.get("/api/v1/me").status_code == 401
    assert not ApiToken.objects.filter(key_hash=secret).exists()  # only the hash is stored
