"""Scheduled reports over the API and on their pages: an agent subscribes
only themselves, a manager anyone and any address; errors name the field;
the list costs the same queries for one subscription as for many."""

from __future__ import annotations

import html
import re
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from netdesk.accounts.models import Role
from netdesk.channels.models import OutboundKind, OutboundMessage
from netdesk.reports.models import ReportSubscription
from tests import factories as f

pytestmark = pytest.mark.django_db
URL = "/api/v1/reports/subscriptions"


def api(user) -> Client:
    return Client(HTTP_AUTHORIZATION=f"Bearer {f.token_for(user)}")


def body(**extra: Any) -> dict[str, Any]:
    return {"report": "kpis", "frequency": "weekly", "weekday": 0, "hour": 8} | extra


def test_an_agent_subscribes_themselves_and_nobody_else():
    agent, colleague = f.user(email="agent@example.net"), f.user()
    client = api(agent)
    made = client.post(URL, body(formats=["csv", "xlsx"]), content_type="application/json")
    assert made.status_code == 201, made.content
    answer = made.json()
    assert answer["recipient"] == agent.username
    assert answer["formats"] == ["csv", "xlsx"]
    assert answer["weekday"] == 0
    refused = client.post(URL, body(recipient=colleague.username), content_type="application/json")
    assert refused.status_code == 403
    assert refused.json()["errors"][0]["field"] == "recipient"
    refused = client.post(URL, body(address="x@example.net"), content_type="application/json")
    assert refused.status_code == 403
    assert ReportSubscription.objects.count() == 1


def test_errors_name_the_field_and_what_is_accepted():
    client = api(f.user(Role.SERVICE_DESK_MANAGER))
    for bad, field in (
        (body(report="horoscope"), "report"),
        (body(hour=25), "hour"),
        (body(weekday=None), "weekday"),
        (body(frequency="monthly", day_of_month=31), "day_of_month"),
        (body(formats=["pdf"]), "formats"),
        (body(report="sla", params={"by": "weather"}), "params.by"),
        (body(recipient="nobody-at-all"), "recipient"),
    ):
        answer = client.post(URL, bad, content_type="application/json")
        assert answer.status_code == 422, (bad, answer.content)
        error = answer.json()["errors"][0]
        assert error["field"] == field
        assert "accepted" in error


def test_a_manager_subscribes_a_lead_changes_and_sends_it():
    manager = f.user(Role.SERVICE_DESK_MANAGER)
    lead = f.user(Role.TEAM_LEAD, email="lead@example.net")
    client = api(manager)
    made = client.post(
        URL,
        body(report="sla", recipient=lead.username, params={"by": "group", "table": "all"}),
        content_type="application/json",
    ).json()
    assert made["recipient"] == lead.username
    assert made["params"] == {"kind": "sla", "by": "group", "table": "all"}
    changed = client.patch(
        f"{URL}/{made['id']}",
        {"hour": 16, "skip_when_empty": True},
        content_type="application/json",
    )
    assert changed.status_code == 200, changed.content
    assert changed.json()["hour"] == 16
    assert changed.json()["skip_when_empty"] is True
    assert changed.json()["next_run_at"] != made["next_run_at"]
    sent = client.post(f"{URL}/{made['id']}/send")
    assert sent.status_code == 200
    assert sent.json()["last_outcome"] == "on request: skipped: empty"
    to_address = client.patch(
        f"{URL}/{made['id']}", {"address": "leads@example.net"}, content_type="application/json"
    ).json()
    assert (to_address["recipient"], to_address["address"]) == (None, "leads@example.net")
    # Sent to an address now, it is no longer among the lead's.
    assert [s["id"] for s in api(lead).get(URL).json()] == []
    assert client.delete(f"{URL}/{made['id']}").status_code == 204
    assert client.get(URL).json() == []


def test_someone_elses_subscription_is_not_found():
    owner, stranger = f.user(), f.user()
    made = api(owner).post(URL, body(), content_type="application/json").json()
    client = api(stranger)
    assert (
        client.patch(
            f"{URL}/{made['id']}", {"hour": 9}, content_type="application/json"
        ).status_code
        == 404
    )
    assert client.post(f"{URL}/{made['id']}/send").status_code == 404
    assert client.delete(f"{URL}/{made['id']}").status_code == 404


def test_the_list_costs_the_same_for_one_and_for_many():
    manager = f.user(Role.SERVICE_DESK_MANAGER)
    client = api(manager)
    client.post(URL, body(), content_type="application/json")
    client.get(URL)
    with CaptureQueriesContext(connection) as one:
        assert len(client.get(URL).json()) == 1
    for _ in range(5):
        client.post(URL, body(recipient=f.user().username), content_type="application/json")
    with CaptureQueriesContext(connection) as many:
        assert len(client.get(URL).json()) == 6
    assert len(many) == len(one)


def test_the_pages_list_subscribe_from_a_report_and_send_now(client):
    lead = f.user(Role.TEAM_LEAD, email="lead@example.net")
    group = f.group()
    client.force_login(lead)
    # "Subscribe" on the KPI page of a group opens the form with its parameters.
    page = f"scope=group&group={group.pk}&start=2026-06-01"
    form = client.get(reverse("report_subscription_new"), {"report": "kpis", "page": page})
    assert form.status_code == 200
    assert form.context["form"].initial["params"] == f"group={group.pk}"
    assert "recipient" not in form.context["form"].fields
    saved = client.post(
        reverse("report_subscription_new"),
        {
            "report": "kpis",
            "params": f"group={group.pk}",
            "frequency": "weekly",
            "weekday": "0",
            "hour": "7",
            "formats": ["csv", "xlsx"],
            "is_active": "on",
        },
    )
    assert saved.status_code == 302
    subscription = ReportSubscription.objects.get()
    assert subscription.params == {"group": group.pk}
    listing = client.get(reverse("report_subscriptions"))
    assert "every Monday at 07:00" in listing.content.decode()
    bad = client.post(
        reverse("report_subscription_edit", args=[subscription.pk]),
        {"report": "kpis", "frequency": "weekly", "hour": "7", "formats": ["csv"]},
    )
    assert bad.status_code == 422
    assert "needs its weekday" in bad.content.decode()
    sent = client.post(reverse("report_subscription_send", args=[subscription.pk]), follow=True)
    assert "Send now: on request: sent to lead@example.net" in sent.content.decode()
    assert OutboundMessage.objects.filter(kind=OutboundKind.REPORT).count() == 1
    client.post(reverse("report_subscription_delete", args=[subscription.pk]))
    assert not ReportSubscription.objects.exists()


def _subscribe_link(page: str) -> str:
    found = re.search(r'href="([^"]*)">Subscribe</a>', page)
    assert found is not None, "no Subscribe button"
    return html.unescape(found[1])


@pytest.mark.parametrize(
    ("page", "report", "params"),
    [
        ("/?group=all&at_risk=60", "tickets", "group=all&at_risk=60"),
        ("/reports/kpis/?scope=agent&agent=NAME&start=2026-06-01", "kpis", "agent=NAME"),
        ("/reports/sla/?by=group", "sla", "by=group"),
        ("/reports/failures/", "failures", ""),
        ("/reports/csat/?by=agent", "csat", "by=agent"),
        ("/reports/dashboard/manager/", "dashboard", "role=manager"),
    ],
)
def test_each_report_page_subscribes_with_its_own_parameters(client, page, report, params):
    lead = f.user(Role.TEAM_LEAD)
    client.force_login(lead)
    shown = client.get(page.replace("NAME", lead.username))
    assert shown.status_code == 200
    link = _subscribe_link(shown.content.decode())
    form = client.get(link)
    assert form.status_code == 200
    assert form.context["form"].initial["report"] == report
    assert form.context["form"].initial["params"] == params.replace("NAME", lead.username)


def test_the_list_page_costs_the_same_for_one_and_for_many(client):
    manager = f.user(Role.SERVICE_DESK_MANAGER)
    client.force_login(manager)
    api(manager).post(URL, body(), content_type="application/json")
    client.get(reverse("report_subscriptions"))
    with CaptureQueriesContext(connection) as one:
        assert client.get(reverse("report_subscriptions")).content.count(b"Send now") == 1
    for _ in range(5):
        api(manager).post(
            URL, body(address=f"{f.user().username}@example.net"), content_type="application/json"
        )
    with CaptureQueriesContext(connection) as many:
        assert client.get(reverse("report_subscriptions")).content.count(b"Send now") == 6
    assert len(many) == len(one)


def test_a_ticket_lists_parameters_are_the_queues_filters_in_the_form(client):
    lead = f.user(Role.TEAM_LEAD, email="lead@example.net")
    client.force_login(lead)
    saved = client.post(
        reverse("report_subscription_new"),
        {
            "report": "tickets",
            "params": "group=all&status=new&status=assigned&period=created",
            "frequency": "daily",
            "hour": "6",
            "formats": ["csv"],
            "is_active": "on",
        },
    )
    assert saved.status_code == 302
    subscription = ReportSubscription.objects.get()
    assert subscription.params == {
        "query": "group=all&status=new&status=assigned",
        "period": "created",
    }
    form = client.get(reverse("report_subscription_edit", args=[subscription.pk]))
    assert form.context["form"].initial["params"] == (
        "group=all&status=new&status=assigned&period=created"
    )
