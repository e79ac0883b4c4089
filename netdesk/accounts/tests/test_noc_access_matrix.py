"""The NOC surfaces in the access matrix: every NOC page and API endpoint,
every role. Each answers as the written matrix says, and no list on an
incident (customers, key accounts, tickets, troubleshooting requests,
liaison) names a customer or ticket outside the person's scope; counts
stay desk-wide."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import resolve
from django.utils import timezone

from netdesk.accounts.models import Role, TierKind, User
from netdesk.accounts.permissions import Action
from netdesk.accounts.tests.test_permission_matrix import EXPECTED, ROLES
from netdesk.channels import urls_notices as notices_urls
from netdesk.network.selectors import topology_changed
from netdesk.noc import urls as noc_urls
from netdesk.noc.models import LiaisonKind, LiaisonRecord, SuspectedOutage
from netdesk.noc.services.incidents import incident_create
from netdesk.noc.services.liaison import troubleshooting_request
from tests import factories as f

# Who sees the other account's customers, and the ticket outside their groups.
SEES_OTHER_CUSTOMERS = {role: role != Role.ACCOUNT_MANAGER for role in ROLES}
SEES_OTHER_TICKETS = {
    role: role not in (Role.ACCOUNT_MANAGER, Role.FIELD_ENGINEER) for role in ROLES
}


def _world(role: str) -> dict[str, Any]:
    """An outage under one node affecting two key accounts: one in the
    person's scope ("own": their account, the ticket in their group) and one
    outside it ("other": another manager's account, the first line's ticket)."""
    field = f.group(TierKind.THIRD_LINE)
    agent = f.user(role, groups=[field])
    elsewhere = f.user(Role.ACCOUNT_MANAGER)
    operator = f.user(Role.HOTLINE_OPERATOR, groups=[f.group(TierKind.FIRST_LINE)])
    noc = f.user(Role.NOC_ENGINEER, groups=[f.group(TierKind.SECOND_LINE)])
    node = f.element("NODE-SCOPE", upstream=f.element("CORE-SCOPE"))
    own = f.customer(
        "key_account",
        account_manager=agent if role == Role.ACCOUNT_MANAGER else elsewhere,
        name="Own Corp GmbH",
    )
    other = f.customer("key_account", account_manager=elsewhere, name="Other Corp AG")
    own_service = f.service(own, access_element=node)
    other_service = f.service(other, access_element=node)
    topology_changed()
    incident = incident_create(
        actor=noc, title="Node down", detected_by="manual", root_element=node
    )
    own_ticket = f.ticket(operator, own, service=own_service, title="Own line down", group=field)
    other_ticket = f.ticket(operator, other, service=other_service, title="Other line down")
    troubleshooting_request(actor=operator, ticket=own_ticket, body="Own: please test the line.")
    troubleshooting_request(
        actor=operator, ticket=other_ticket, body="Other: please test the line."
    )
    LiaisonRecord.objects.create(
        kind=LiaisonKind.ANSWER,
        from_group=f.group(TierKind.SECOND_LINE),
        to_group=f.group(TierKind.FIRST_LINE),
        author=noc,
        at=timezone.now(),
        body="Other Corp AG: their router was swapped.",
        incident=incident,
        ticket=other_ticket,
    )
    outage = SuspectedOutage.objects.create(
        element=node,
        raised_at=timezone.now(),
        window_start=timezone.now(),
        complaints=2,
        expected=0.1,
        score=5.0,
    )
    outage.tickets.set([own_ticket, other_ticket])
    return {
        "agent": agent,
        "incident": incident,
        "ref": incident.reference,
        "own": own,
        "other": other,
        "own_ticket": own_ticket,
        "other_ticket": other_ticket,
        "outage": outage,
    }


def _page(agent: User) -> Client:
    client = Client()
    client.force_login(agent)
    return client


def _api(agent: User) -> Client:
    return Client(HTTP_AUTHORIZATION=f"Bearer {f.token_for(agent)}")


@pytest.mark.django_db
@pytest.mark.parametrize("role", ROLES)
def test_incident_lists_name_only_what_the_role_may_see(role):
    world = _world(role)
    ref, own_ticket, other_ticket = world["ref"], world["own_ticket"], world["other_ticket"]
    page, api_client = _page(world["agent"]), _api(world["agent"])
    sees_customers, sees_tickets = SEES_OTHER_CUSTOMERS[role], SEES_OTHER_TICKETS[role]

    detail = api_client.get(f"/api/v1/noc/incidents/{ref}").json()
    assert "Own Corp GmbH" in detail["key_accounts"]
    assert ("Other Corp AG" in detail["key_accounts"]) is sees_customers
    assert own_ticket.reference in detail["tickets"]
    assert (other_ticket.reference in detail["tickets"]) is sees_tickets
    assert detail["affected_customers"] == 2  # counts stay desk-wide

    customers = api_client.get(f"/api/v1/noc/incidents/{ref}/customers").json()
    names = [c["name"] for c in customers["items"]]
    assert names == (["Own Corp GmbH", "Other Corp AG"] if sees_customers else ["Own Corp GmbH"])

    [outage] = api_client.get("/api/v1/noc/outages").json()
    assert own_ticket.reference in outage["tickets"]
    assert (other_ticket.reference in outage["tickets"]) is sees_tickets
    assert outage["complaints"] == 2

    incident_page = page.get(f"/noc/incidents/{ref}/").content.decode()
    assert "Own Corp GmbH" in incident_page
    assert "Own line down" in incident_page
    assert ("Other Corp AG" in incident_page) is sees_customers
    assert ("Other line down" in incident_page) is sees_tickets
    assert (other_ticket.reference in incident_page) is sees_tickets
    assert ("their router was swapped" in incident_page) is sees_tickets

    board = page.get("/noc/").content.decode()
    assert "Own: please test the line." in board
    assert ("Other: please test the line." in board) is sees_tickets
    assert (other_ticket.reference in board) is sees_tickets

    other_status = api_client.get(f"/api/v1/noc/customers/{world['other'].pk}/network-status")
    assert other_status.status_code == (200 if sees_customers else 404)
    banner = page.get(f"/noc/status/customer/{world['other'].pk}/")
    assert banner.status_code == (200 if sees_customers else 404)
    panel = page.get(f"/noc/status/ticket/{other_ticket.reference}/")
    assert panel.status_code == (200 if sees_tickets else 404)


# Every NOC endpoint: (method, path) → (the action it needs, body). Placeholders:
# {ref} the incident, {own} the in-scope customer, {ticket} its ticket,
# {outage} the suspected outage. An allowed call answers 2xx (or a page's
# redirect), a refused one 403. Resolving comes last: later calls need the
# incident open.
API_ENDPOINTS: dict[tuple[str, str], tuple[Action, dict[str, Any] | None]] = {
    ("get", "/api/v1/noc/incidents"): (Action.INCIDENT_VIEW, None),
    ("get", "/api/v1/noc/incidents/{ref}"): (Action.INCIDENT_VIEW, None),
    ("get", "/api/v1/noc/incidents/{ref}/customers"): (Action.INCIDENT_VIEW, None),
    ("get", "/api/v1/noc/outages"): (Action.INCIDENT_VIEW, None),
    ("get", "/api/v1/noc/alarms"): (Action.INCIDENT_VIEW, None),
    ("get", "/api/v1/noc/customers/{own}/network-status"): (Action.INCIDENT_VIEW, None),
    ("post", "/api/v1/noc/alarms/alertmanager"): (
        Action.ALARM_INGEST,
        {"version": "4", "alerts": []},
    ),
    ("post", "/api/v1/noc/alarms"): (Action.ALARM_INGEST, {"alarms": []}),
    ("post", "/api/v1/noc/incidents"): (
        Action.INCIDENT_MANAGE,
        {"title": "Opened by hand", "root_element": "CORE-SCOPE"},
    ),
    ("post", "/api/v1/noc/incidents/{ref}/updates"): (
        Action.INCIDENT_MANAGE,
        {"customer_message": "Crew on site."},
    ),
    ("post", "/api/v1/noc/incidents/{ref}/tickets"): (Action.TICKET_LINK, {"ticket": "{ticket}"}),
    ("post", "/api/v1/noc/incidents/{ref}/tickets/unlink"): (
        Action.TICKET_LINK,
        {"ticket": "{ticket}", "reason": "The customer's own router"},
    ),
    ("post", "/api/v1/noc/tickets/{ticket}/troubleshooting"): (
        Action.LIAISON_RECORD,
        {"body": "Please test the line."},
    ),
    ("post", "/api/v1/noc/tickets/{ticket}/troubleshooting/result"): (
        Action.INCIDENT_MANAGE,
        {"body": "Line sync lost at 09:12."},
    ),
    ("post", "/api/v1/noc/outages/{outage}/decision"): (
        Action.OUTAGE_DECIDE,
        {"decision": "dismiss", "reason": "Planned works"},
    ),
    ("post", "/api/v1/noc/incidents/{ref}/notify"): (Action.CUSTOMERS_NOTIFY, {"confirm": True}),
    # After the notice above: the progress of that order.
    ("get", "/api/v1/noc/incidents/{ref}/notify"): (Action.CUSTOMERS_NOTIFY, None),
    ("post", "/api/v1/noc/incidents/{ref}/resolve"): (
        Action.INCIDENT_MANAGE,
        {"root_cause": "fibre_cut"},
    ),
}
PAGES: dict[tuple[str, str], tuple[Action, dict[str, Any] | None]] = {
    ("get", "/noc/"): (Action.INCIDENT_VIEW, None),
    ("get", "/noc/alarms/"): (Action.INCIDENT_VIEW, None),
    ("get", "/noc/incidents/{ref}/"): (Action.INCIDENT_VIEW, None),
    ("get", "/noc/status/customer/{own}/"): (Action.INCIDENT_VIEW, None),
    ("get", "/noc/status/ticket/{ticket}/"): (Action.INCIDENT_VIEW, None),
    ("post", "/noc/incidents/"): (
        Action.INCIDENT_MANAGE,
        {"title": "Opened by hand", "root_element": "CORE-SCOPE"},
    ),
    ("post", "/noc/incidents/{ref}/update/"): (
        Action.INCIDENT_MANAGE,
        {"update-customer_message": "Crew on site."},
    ),
    ("post", "/noc/incidents/{ref}/unlink/"): (
        Action.TICKET_LINK,
        {"ticket": "{ticket}", "reason": "The customer's own router"},
    ),
    ("post", "/noc/outages/{outage}/decide/"): (
        Action.OUTAGE_DECIDE,
        {"decision": "dismiss", "reason": "Planned works"},
    ),
    ("post", "/noc/tickets/{ticket}/liaison/request/"): (
        Action.LIAISON_RECORD,
        {"body": "Please test the line."},
    ),
    ("post", "/noc/tickets/{ticket}/liaison/result/"): (
        Action.INCIDENT_MANAGE,
        {"body": "Line sync lost at 09:12."},
    ),
    # Without the update it tells, the notice form is sent back to the page.
    ("post", "/channels/incidents/{ref}/notify/"): (Action.CUSTOMERS_NOTIFY, {}),
    ("post", "/noc/incidents/{ref}/resolve/"): (
        Action.INCIDENT_MANAGE,
        {"resolve-root_cause": "fibre_cut"},
    ),
}


def _fill(text: Any, world: dict[str, Any]) -> Any:
    if not isinstance(text, str):
        return text
    return text.format(
        ref=world["ref"],
        own=world["own"].pk,
        ticket=world["own_ticket"].reference,
        outage=world["outage"].pk,
    )


def _answer_matches(role: Role, action: Action, status: int, allowed_statuses: set[int]) -> bool:
    if EXPECTED[action][ROLES.index(role)]:
        return status in allowed_statuses
    return status == 403


@pytest.mark.django_db
@pytest.mark.parametrize("role", ROLES)
def test_noc_api_enforces_the_matrix(role):
    # One desk per role, the calls in table order (the resolution last), so
    # each allowed call finds the incident still open.
    world = _world(role)
    client = _api(world["agent"])
    wrong = []
    for (method, path), (action, body) in API_ENDPOINTS.items():
        url = _fill(path, world)
        if body is None:
            response = getattr(client, method)(url)
        else:
            filled = {k: _fill(v, world) for k, v in body.items()}
            response = getattr(client, method)(url, filled, content_type="application/json")
        if not _answer_matches(role, action, response.status_code, {200, 201, 202}):
            wrong.append((method, path, response.status_code, response.content[:300]))
        elif response.status_code == 403:
            assert response["Content-Type"] == "application/problem+json"
    assert wrong == []


@pytest.mark.django_db
@pytest.mark.parametrize("role", ROLES)
def test_noc_pages_enforce_the_matrix(role):
    world = _world(role)
    client = _page(world["agent"])
    wrong = []
    for (method, path), (action, body) in PAGES.items():
        url = _fill(path, world)
        if body is None:
            response = getattr(client, method)(url)
        else:
            response = getattr(client, method)(url, {k: _fill(v, world) for k, v in body.items()})
        if not _answer_matches(role, action, response.status_code, {200, 302}):
            wrong.append((method, path, response.status_code))
    assert wrong == []


def test_the_matrix_lists_every_noc_endpoint(client):
    """A new NOC endpoint or page fails here until it is in the tables above."""
    schema = client.get("/api/v1/openapi.json").json()
    served = {
        (method, path)
        for path, operations in schema["paths"].items()
        if path.startswith("/api/v1/noc/")
        for method in operations
    }
    names = {"{ticket}": "{ref}", "{own}": "{customer_id}", "{outage}": "{outage_id}"}
    listed = set()
    for method, path in API_ENDPOINTS:
        for placeholder, name in names.items():
            path = path.replace(placeholder, name)
        listed.add((method, path))
    assert listed == served
    example = {"ref": "NI-1", "own": 1, "ticket": "TT-000001", "outage": 1}
    pages = {resolve(path.format(**example)).url_name for _, path in PAGES}
    served_pages = {p.name for p in noc_urls.urlpatterns + notices_urls.urlpatterns}
    assert pages == served_pages
