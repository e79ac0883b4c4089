"""The floor's queue: the Due column, the at-risk view per group and for
the whole desk, saved views (private, shared, default) in the UI and the API."""

from __future__ import annotations

import html
from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from netdesk.accounts.models import Role, TierKind
from netdesk.core.errors import NotFound, PermissionDenied, ValidationFailed
from netdesk.tickets.models import QueueDefault, SavedView, Ticket
from netdesk.tickets.saved_view_selectors import saved_view_get, saved_views_visible_to
from netdesk.tickets.services.saved_views import (
    queue_default_set,
    saved_view_create,
    saved_view_delete,
    saved_view_update,
)
from tests import factories as f

pytestmark = pytest.mark.django_db


def due_in(ticket: Ticket, minutes: int | None, *, breached: bool = False) -> None:
    now = timezone.now()
    due = None if minutes is None else now + timedelta(minutes=minutes)
    Ticket.objects.filter(pk=ticket.pk).update(
        sla_next_due_at=due,
        sla_warn_at=None if due is None else due - timedelta(minutes=15),
        sla_paused=False,
        sla_breached=breached,
    )


def api(agent) -> Client:
    return Client(HTTP_AUTHORIZATION=f"Bearer {f.token_for(agent)}")


# --- the Due column ---------------------------------------------------------------------


def test_the_queue_shows_due_times_in_words_with_icons_and_sorts_by_them(client):
    operator = f.user()
    client.force_login(operator)
    late, soon, later, none = (f.ticket(operator, title=f"T{n}") for n in range(4))
    due_in(late, -12)
    due_in(soon, 10)
    due_in(later, 23 + 15 + 60)
    due_in(none, None)

    page = client.get(reverse("queue"), {"order": "due"})

    lines = page.context["tickets"]
    assert [line["ref"] for line in lines] == [
        late.reference,
        soon.reference,
        later.reference,
        none.reference,
    ]
    assert [line["due"]["state"] for line in lines] == ["breached", "warning", "ok", "none"]
    assert lines[0]["due"]["text"] == "12 min late"
    assert lines[1]["due"]["text"] == "in 10 min"
    assert lines[2]["due"]["text"] == "in 1 h 38 min"
    assert lines[3]["due"]["text"] == "—"
    text = page.content.decode()
    assert 'class="due sla-breached"' in text
    assert "Breached:" in text  # the state in words, not colour alone
    assert "countdown.js" in text
    assert 'aria-sort="ascending"' in text  # the Due header marks the order


def test_the_customer_page_lists_tickets_with_their_due_state(client):
    operator = f.user()
    client.force_login(operator)
    owner = f.customer()
    ticket = f.ticket(operator, owner)
    due_in(ticket, -5)
    text = client.get(reverse("customer_detail", args=[owner.pk])).content.decode()
    assert 'class="due sla-breached"' in text
    assert "5 min late" in text


# --- at risk ------------------------------------------------------------------------------


def test_at_risk_lists_tickets_due_within_the_window_per_group_and_desk(client):
    operator = f.user()
    client.force_login(operator)
    noc = f.group(TierKind.SECOND_LINE)
    hotline_soon = f.ticket(operator, title="Hotline soon")
    noc_late = f.ticket(operator, title="NOC late", group=noc)
    noc_breached_earlier = f.ticket(operator, title="NOC broke a target", group=noc)
    far = f.ticket(operator, title="Far away")
    due_in(hotline_soon, 40)
    due_in(noc_late, -3)
    due_in(noc_breached_earlier, 600, breached=True)
    due_in(far, 180)

    page = client.get(reverse("tickets_at_risk"))

    refs = [line["ref"] for line in page.context["tickets"]]
    assert refs == [noc_late.reference, hotline_soon.reference, noc_breached_earlier.reference]
    counts = {c["group__name"]: (c["at_risk"], c["breached"]) for c in page.context["counts"]}
    assert counts == {noc.name: (2, 2), f.group().name: (1, 0)}
    assert page.context["minutes"] == 60

    only_noc = client.get(reverse("tickets_at_risk"), {"group": noc.pk})
    assert [line["ref"] for line in only_noc.context["tickets"]] == [
        noc_late.reference,
        noc_breached_earlier.reference,
    ]
    wider = client.get(reverse("tickets_at_risk"), {"at_risk": 240})
    assert far.reference in [line["ref"] for line in wider.context["tickets"]]
    # The queue takes the same parameter.
    queue = client.get(reverse("queue"), {"group": "all", "at_risk": 60, "order": "due"})
    assert [line["ref"] for line in queue.context["tickets"]] == refs


def test_at_risk_window_comes_from_the_setting(client, settings):
    settings.NETDESK_AT_RISK_MINUTES = 240
    operator = f.user()
    client.force_login(operator)
    ticket = f.ticket(operator)
    due_in(ticket, 180)
    page = client.get(reverse("tickets_at_risk"))
    assert page.context["minutes"] == 240
    assert [line["ref"] for line in page.context["tickets"]] == [ticket.reference]


def test_at_risk_costs_the_same_queries_for_one_ticket_and_many(client):
    operator = f.user()
    client.force_login(operator)
    noc = f.group(TierKind.SECOND_LINE)
    due_in(f.ticket(operator), 5)
    client.get(reverse("tickets_at_risk"))
    with CaptureQueriesContext(connection) as one:
        assert len(client.get(reverse("tickets_at_risk")).context["tickets"]) == 1
    for n in range(20):
        due_in(f.ticket(operator, group=noc if n % 2 else None), n)
    with CaptureQueriesContext(connection) as many:
        assert len(client.get(reverse("tickets_at_risk")).context["tickets"]) == 21
    assert len(many.captured_queries) == len(one.captured_queries)


def test_a_bad_at_risk_value_is_said_not_crashed(client):
    client.force_login(f.user())
    page = client.get(reverse("tickets_at_risk"), {"at_risk": "soon"})
    assert page.status_code == 200
    assert "at_risk='soon' is not accepted" in html.unescape(page.content.decode())


# --- saved views: services and permissions ------------------------------------------------


def test_views_are_private_or_shared_with_a_group_only():
    hotline = f.group()
    noc = f.group(TierKind.SECOND_LINE)
    owner = f.user(groups=[hotline])
    colleague = f.user(groups=[hotline])
    stranger = f.user(groups=[noc])
    private = saved_view_create(actor=owner, name="Mine", query={"channel": ["email"]})
    shared = saved_view_create(
        actor=owner, name="Team", query={"sla_state": ["warning"]}, shared_with=hotline
    )

    assert list(saved_views_visible_to(owner)) == [private, shared]
    assert list(saved_views_visible_to(colleague)) == [shared]
    assert list(saved_views_visible_to(stranger)) == []
    with pytest.raises(NotFound):
        saved_view_get(user=colleague, view_id=private.pk)
    with pytest.raises(PermissionDenied):
        saved_view_create(actor=stranger, name="Theirs", query={}, shared_with=hotline)


def test_a_view_with_a_bad_parameter_is_refused_naming_it():
    owner = f.user()
    with pytest.raises(ValidationFailed) as bad:
        saved_view_create(actor=owner, name="Odd", query={"hour": ["25"]})
    assert bad.value.field == "hour"
    with pytest.raises(ValidationFailed) as columns:
        saved_view_create(actor=owner, name="Odd", query={}, columns=["ref", "mood"])
    assert columns.value.field == "columns"
    saved_view_create(actor=owner, name="Same", query={})
    with pytest.raises(ValidationFailed) as twice:
        saved_view_create(actor=owner, name="Same", query={})
    assert twice.value.field == "name"


def test_only_the_owner_changes_a_view_and_the_lead_may_delete_a_shared_one():
    hotline = f.group()
    owner = f.user(groups=[hotline])
    colleague = f.user(groups=[hotline])
    lead = f.user(Role.TEAM_LEAD, groups=[hotline])
    hotline.supervisor = lead
    hotline.save(update_fields=["supervisor"])
    shared = saved_view_create(actor=owner, name="Team", query={}, shared_with=hotline)
    private = saved_view_create(actor=owner, name="Mine", query={})

    with pytest.raises(PermissionDenied):
        saved_view_update(actor=colleague, view_id=shared.pk, changes={"name": "Ours"})
    with pytest.raises(PermissionDenied):
        saved_view_delete(actor=colleague, view_id=shared.pk)
    with pytest.raises(PermissionDenied):
        saved_view_delete(actor=lead, view_id=private.pk)
    saved_view_update(actor=owner, view_id=shared.pk, changes={"order": "due"})
    assert SavedView.objects.get(pk=shared.pk).order == "due"

    saved_view_delete(actor=lead, view_id=shared.pk)
    assert not SavedView.objects.filter(pk=shared.pk).exists()


# --- saved views in the queue -------------------------------------------------------------


def test_save_a_view_reopen_it_and_open_the_queue_on_it(client):
    operator = f.user()
    client.force_login(operator)
    email = f.ticket(operator, channel="email", title="By mail")
    f.ticket(operator, channel="phone", title="By phone")

    saved = client.post(
        reverse("saved_view_save"),
        {
            "name": "Mail",
            "query": "group=all&channel=email&order=-created",
            "columns": ["ref", "title", "channel", "due"],
            "make_default": "on",
        },
    )
    view = SavedView.objects.get(owner=operator, name="Mail")
    assert saved["Location"] == f"/?view={view.pk}"
    assert view.query == {"group": ["all"], "channel": ["email"]}
    assert view.order == "-created"
    assert view.columns == ["ref", "title", "due", "channel"]

    opened = client.get(reverse("queue"), {"view": view.pk})
    assert [line["ref"] for line in opened.context["tickets"]] == [email.reference]
    assert opened.context["columns"] == ["ref", "title", "due", "channel"]
    assert "<th>Customer</th>" not in opened.content.decode()

    # No parameters: the queue opens on the default view.
    plain = client.get(reverse("queue"))
    assert plain.context["view"] == view
    assert [line["ref"] for line in plain.context["tickets"]] == [email.reference]
    # Any filter given: the plain queue, not the default.
    filtered = client.get(reverse("queue"), {"group": "all"})
    assert filtered.context["view"] is None
    assert len(filtered.context["tickets"]) == 2


def test_someone_elses_private_view_is_not_found_in_the_queue(client):
    owner = f.user()
    view = saved_view_create(actor=owner, name="Mine", query={})
    other = f.user()
    client.force_login(other)
    assert client.get(reverse("queue"), {"view": view.pk}).status_code == 404
    assert client.get(reverse("queue"), {"view": "abc"}).status_code == 404
    with pytest.raises(NotFound):
        queue_default_set(actor=other, view_id=view.pk)


def test_queue_on_a_view_costs_a_fixed_number_of_queries(client):
    operator = f.user()
    client.force_login(operator)
    view = saved_view_create(
        actor=operator, name="All", query={"group": ["all"]}, order="due", make_default=True
    )
    f.ticket(operator)
    client.get(reverse("queue"))
    with CaptureQueriesContext(connection) as one:
        assert len(client.get(reverse("queue"), {"view": view.pk}).context["tickets"]) == 1
    for _ in range(12):
        f.ticket(operator)
    with CaptureQueriesContext(connection) as many:
        assert len(client.get(reverse("queue"), {"view": view.pk}).context["tickets"]) == 13
    assert len(many.captured_queries) == len(one.captured_queries)


# --- the API ----------------------------------------------------------------------------------


def test_ticket_views_api_create_list_patch_delete_and_list_by_view():
    hotline = f.group()
    operator = f.user(groups=[hotline])
    colleague = f.user(groups=[hotline])
    outsider = f.user(groups=[f.group(TierKind.SECOND_LINE)])
    email = f.ticket(operator, channel="email")
    f.ticket(operator, channel="phone")
    client = api(operator)

    created = client.post(
        "/api/v1/ticket-views",
        {
            "name": "Mail",
            "query": {"channel": ["email"]},
            "order": "due",
            "shared_with_id": hotline.pk,
            "make_default": True,
        },
        content_type="application/json",
    )
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["is_default"] is True
    assert body["shared_with"] == {"id": hotline.pk, "name": hotline.name}
    view_id = body["id"]

    listed = api(colleague).get(f"/api/v1/tickets?view={view_id}").json()["items"]
    assert [t["ref"] for t in listed] == [email.reference]
    assert [v["name"] for v in api(colleague).get("/api/v1/ticket-views").json()["items"]] == [
        "Mail"
    ]
    assert api(outsider).get(f"/api/v1/tickets?view={view_id}").status_code == 404
    assert api(outsider).get("/api/v1/ticket-views").json()["items"] == []
    assert (
        api(outsider)
        .patch(f"/api/v1/ticket-views/{view_id}", {"name": "x"}, content_type="application/json")
        .status_code
        == 404
    )
    refused = api(colleague).patch(
        f"/api/v1/ticket-views/{view_id}", {"name": "Ours"}, content_type="application/json"
    )
    assert refused.status_code == 403

    bad = client.patch(
        f"/api/v1/ticket-views/{view_id}",
        {"query": {"sla_state": ["late"]}},
        content_type="application/json",
    )
    assert bad.status_code == 422
    assert bad.json()["errors"][0]["field"] == "sla_state"

    changed = client.patch(
        f"/api/v1/ticket-views/{view_id}",
        {"shared_with_id": None, "make_default": False},
        content_type="application/json",
    ).json()
    assert changed["shared_with"] is None
    assert changed["is_default"] is False
    assert not QueueDefault.objects.filter(user=operator).exists()
    assert api(colleague).get(f"/api/v1/tickets?view={view_id}").status_code == 404

    assert client.delete(f"/api/v1/ticket-views/{view_id}").status_code == 204
    assert not SavedView.objects.filter(pk=view_id).exists()


def test_ticket_views_list_costs_a_fixed_number_of_queries():
    hotline = f.group()
    operator = f.user(groups=[hotline])
    client = api(operator)
    saved_view_create(actor=operator, name="View 0", query={}, shared_with=hotline)
    client.get("/api/v1/ticket-views")
    with CaptureQueriesContext(connection) as one:
        assert len(client.get("/api/v1/ticket-views").json()["items"]) == 1
    for n in range(1, 8):
        owner = f.user(groups=[hotline])
        saved_view_create(actor=owner, name=f"View {n}", query={}, shared_with=hotline)
    with CaptureQueriesContext(connection) as many:
        assert len(client.get("/api/v1/ticket-views").json()["items"]) == 8
    assert len(many.captured_queries) == len(one.captured_queries)
