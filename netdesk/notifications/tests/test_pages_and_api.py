"""The bell, the list page and the API: a user reads and marks only their
own notifications, unread first, at a fixed number of queries."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from netdesk.accounts.models import Role
from netdesk.notifications.models import Notification, NotificationKind
from netdesk.notifications.services import notify
from netdesk.notifications.tasks import notifications_tick
from tests import factories as f

pytestmark = pytest.mark.django_db


def api(user) -> Client:
    return Client(HTTP_AUTHORIZATION=f"Bearer {f.token_for(user)}")


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def notes_for(user, count: int, ticket=None) -> list[Notification]:
    made = []
    for n in range(count):
        row = notify(
            recipient=user, kind=NotificationKind.ASSIGNED, title=f"Note {n}", ticket=ticket
        )
        assert row is not None
        made.append(row)
    return made


def test_notify_refuses_an_unknown_kind_and_skips_the_actor_and_the_inactive():
    agent = f.user()
    assert notify(recipient=agent, actor=agent, kind="assigned", title="x") is None
    agent.is_active = False
    agent.save()
    assert notify(recipient=agent, kind="assigned", title="x") is None
    with pytest.raises(Exception, match="not a kind of notification"):
        notify(recipient=f.user(), kind="gossip", title="x")
    assert Notification.objects.count() == 0


def test_the_api_lists_unread_first_then_newest_and_pages():
    agent = f.user()
    first, second, third = notes_for(agent, 3)
    api(agent).post(
        "/api/v1/notifications/read", {"ids": [third.pk]}, content_type="application/json"
    )

    body = api(agent).get("/api/v1/notifications?size=2").json()

    assert [item["id"] for item in body["items"]] == [second.pk, first.pk]
    assert body["has_next"] is True
    assert body["unread"] == 2
    rest = api(agent).get("/api/v1/notifications?size=2&page=2").json()
    assert [item["id"] for item in rest["items"]] == [third.pk]
    assert rest["items"][0]["read_at"] is not None
    assert rest["has_next"] is False


def test_marking_read_by_ids_and_all_touches_only_the_callers_own():
    agent, other = f.user(), f.user()
    mine = notes_for(agent, 2)
    theirs = notes_for(other, 1)

    answer = api(agent).post(
        "/api/v1/notifications/read",
        {"ids": [mine[0].pk, theirs[0].pk]},
        content_type="application/json",
    )
    assert answer.json() == {"marked": 1, "unread": 1}
    assert api(agent).post(
        "/api/v1/notifications/read", {"all": True}, content_type="application/json"
    ).json() == {"marked": 1, "unread": 0}
    assert Notification.objects.get(pk=theirs[0].pk).read_at is None


def test_marking_read_without_ids_or_all_is_a_422_naming_the_field():
    agent = f.user()
    answer = api(agent).post("/api/v1/notifications/read", {}, content_type="application/json")
    assert answer.status_code == 422
    assert "ids" in answer.content.decode()


def test_someone_elses_notification_is_not_found_in_the_api_and_on_the_page():
    agent, other = f.user(), f.user()
    [theirs] = notes_for(other, 1)

    assert api(agent).post(f"/api/v1/notifications/{theirs.pk}/read").status_code == 404
    assert signed_in(agent).post(f"/notifications/{theirs.pk}/open/").status_code == 404
    assert Notification.objects.get(pk=theirs.pk).read_at is None
    assert api(other).post(f"/api/v1/notifications/{theirs.pk}/read").json()["marked"] == 1


def test_opening_a_notification_marks_it_read_and_goes_to_its_ticket():
    lead, agent = f.user(Role.TEAM_LEAD), f.user()
    ticket = f.ticket(lead)
    [row] = notes_for(agent, 1, ticket=ticket)

    answer = signed_in(agent).post(f"/notifications/{row.pk}/open/")

    assert answer.status_code == 302
    assert answer["Location"] == f"/tickets/{ticket.reference}/"
    row.refresh_from_db()
    assert row.read_at is not None


def test_the_bell_counts_unread_and_mark_all_read_clears_it():
    agent = f.user()
    notes_for(agent, 3)
    notes_for(f.user(), 2)
    client = signed_in(agent)

    bell = client.get("/notifications/bell/").content.decode()
    assert 'data-bell-count="3"' in bell
    assert client.post("/notifications/read-all/").status_code == 302
    assert 'data-bell-count="0"' in client.get("/notifications/bell/").content.decode()


def test_the_list_page_shows_unread_first_with_its_link(django_assert_num_queries: Any):
    agent = f.user()
    older, newer = notes_for(agent, 2)
    signed_in(agent).post(f"/notifications/{newer.pk}/open/")

    page = signed_in(agent).get("/notifications/").content.decode()

    assert page.index("Note 0") < page.index("Note 1")
    assert f"/notifications/{older.pk}/open/" in page
    assert "Mark all read (1)" in page


@pytest.mark.parametrize("count", [1, 30])
def test_the_bell_and_the_list_cost_the_same_queries_for_1_or_30(
    count: int, django_assert_num_queries: Any
):
    lead, agent = f.user(Role.TEAM_LEAD), f.user()
    ticket = f.ticket(lead)
    notes_for(agent, count, ticket=ticket)
    client = signed_in(agent)
    client.get("/notifications/bell/")  # the session and user, read once warm

    # Session and user, then the count.
    with django_assert_num_queries(3):
        client.get("/notifications/bell/")
    # Session and user, the page with its tickets, the unread count.
    with django_assert_num_queries(4):
        page = client.get("/notifications/")
    assert page.content.decode().count('class="notification unread"') == count
    caller = api(agent)
    caller.get("/api/v1/notifications")
    # The token, the rate count, the page with its tickets, the unread count.
    with django_assert_num_queries(4):
        listed = caller.get("/api/v1/notifications")
    assert len(listed.json()["items"]) == count


def test_the_tick_prunes_read_notifications_past_their_days_and_keeps_unread_ones():
    agent = f.user()
    old_read, old_unread, new_read = notes_for(agent, 3)
    long_ago = timezone.now() - timedelta(days=91)
    Notification.objects.filter(pk__in=[old_read.pk, old_unread.pk]).update(created_at=long_ago)
    Notification.objects.filter(pk=old_read.pk).update(read_at=long_ago)
    Notification.objects.filter(pk=new_read.pk).update(read_at=timezone.now())

    assert notifications_tick.call() == 1

    assert set(Notification.objects.values_list("pk", flat=True)) == {old_unread.pk, new_read.pk}
