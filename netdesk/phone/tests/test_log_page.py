"""The call log page: every call's facts, filters, the callback list, pages
newest first and a fixed number of queries however many calls it shows."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from netdesk.accounts.models import Role
from netdesk.core.errors import ValidationFailed
from netdesk.phone.models import CallDirection, CallOutcome
from netdesk.phone.selectors_log import CallFilter, call_log_page
from netdesk.phone.tests import calls_made
from tests import factories as f

pytestmark = pytest.mark.django_db


@pytest.fixture
def operator(client):
    agent = f.user(username="anna")
    client.force_login(agent)
    return agent


def test_the_log_shows_each_calls_facts(client, operator):
    caller = f.customer(name="Fibre Bakery GmbH")
    call = calls_made.call(customer=caller, answered_by=operator, talk_seconds=185)
    ticket = f.ticket(operator, caller)
    call.ticket = ticket
    call.save(update_fields=["ticket"])

    response = client.get(reverse("calls_log"))

    assert response.status_code == 200
    page = response.content.decode()
    for shown in (
        call.call_id,
        call.from_number,
        call.to_number,
        "Inbound",
        "Fibre Bakery GmbH",
        "anna",
        "185 s",
        "Answered",
        ticket.reference,
        f"{timezone.localtime(call.started_at):%Y-%m-%d %H:%M:%S}",
        f"{timezone.localtime(call.answered_at):%H:%M:%S}",
        f"{timezone.localtime(call.ended_at):%H:%M:%S}",
    ):
        assert shown in page


def test_a_page_costs_the_same_queries_for_few_and_many_calls(
    client, operator, django_assert_num_queries
):
    # The session, the agent, the callbacks' count, the page of calls.
    page_queries = 4
    caller = f.customer()
    for _ in range(3):
        calls_made.call(customer=caller, answered_by=operator)
    with django_assert_num_queries(page_queries):
        assert len(client.get(reverse("calls_log")).context["lines"]) == 3
    for _ in range(20):
        calls_made.call(customer=f.customer(), answered_by=f.user())
        calls_made.call(outcome=CallOutcome.MISSED)
    with django_assert_num_queries(page_queries):
        assert len(client.get(reverse("calls_log")).context["lines"]) == 43
    with django_assert_num_queries(page_queries):
        response = client.get(reverse("calls_log"), {"tab": "callbacks"})
        assert len(response.context["lines"]) == 20


def test_the_selector_reads_a_page_in_one_query(operator, django_assert_num_queries):
    for _ in range(12):
        calls_made.call(customer=f.customer(), answered_by=f.user())
    with django_assert_num_queries(1):
        calls, _ = call_log_page(user=operator, filters=CallFilter(), limit=10)
        for call in calls:
            assert call.customer is not None
            assert call.answered_by is not None


def test_pages_go_newest_first_without_gaps_or_repeats(operator):
    now = timezone.now()
    same_moment = now - timedelta(hours=2)
    made = [calls_made.call(started_at=same_moment) for _ in range(3)]
    made += [calls_made.call(started_at=now - timedelta(minutes=m)) for m in range(1, 5)]
    seen, cursor = [], ""
    while True:
        calls, cursor = call_log_page(user=operator, filters=CallFilter(), cursor=cursor, limit=2)
        seen += [c.pk for c in calls]
        if not cursor:
            break
    expected = sorted(made, key=lambda c: (c.started_at, c.pk), reverse=True)
    assert seen == [c.pk for c in expected]


def test_a_cursor_not_given_out_is_refused_naming_it(client, operator):
    with pytest.raises(ValidationFailed) as refused:
        call_log_page(user=operator, filters=CallFilter(), cursor="garbage")
    assert refused.value.field == "cursor"
    for cursor in ("garbage", "99999999999999999999_1", "'; drop table"):
        response = client.get(reverse("calls_log"), {"cursor": cursor})
        assert response.status_code == 200
    assert "cursor" in response.content.decode()


def test_filters_outcome_direction_mine_and_day(client, operator):
    other = f.user()
    mine = calls_made.call(answered_by=operator)
    theirs = calls_made.call(answered_by=other)
    missed = calls_made.call(outcome=CallOutcome.MISSED)
    outbound = calls_made.call(answered_by=operator, direction=CallDirection.OUTBOUND)
    old = calls_made.call(answered_by=operator, started_at=timezone.now() - timedelta(days=3))

    def shown(**params: str) -> set[int]:
        response = client.get(reverse("calls_log"), params)
        assert response.status_code == 200
        return {line["call"].pk for line in response.context["lines"]}

    assert shown(outcome="missed") == {missed.pk}
    assert shown(direction="out") == {outbound.pk}
    assert shown(mine="on") == {mine.pk, outbound.pk, old.pk}
    day = timezone.localdate(old.started_at).isoformat()
    assert shown(day=day) == {old.pk}
    assert theirs.pk in shown()
    # A filter given wrong shows every call, and says what was wrong.
    assert shown(outcome="lost", day="not-a-day") == shown()


def test_the_callbacks_tab_lists_calls_nobody_called_back_newest_first(client, operator):
    now = timezone.now()
    older = calls_made.call(outcome=CallOutcome.MISSED, started_at=now - timedelta(hours=3))
    newer = calls_made.call(outcome=CallOutcome.ABANDONED, started_at=now - timedelta(hours=1))
    done = calls_made.call(outcome=CallOutcome.MISSED, called_back_at=now)
    calls_made.call(answered_by=operator)
    calls_made.call(outcome=CallOutcome.BUSY)

    response = client.get(reverse("calls_log"), {"tab": "callbacks"})

    listed = [line["call"].pk for line in response.context["lines"]]
    assert listed == [newer.pk, older.pk]
    assert done.pk not in listed
    assert response.context["callbacks_waiting"] == 2
    assert "Called back" in response.content.decode()


def test_who_may_not_see_calls_gets_403(client):
    client.force_login(f.user(Role.FIELD_ENGINEER))
    assert client.get(reverse("calls_log")).status_code == 403


def test_signed_out_goes_to_sign_in(client):
    response = client.get(reverse("calls_log"))
    assert response.status_code == 302
    assert "/login/" in response["Location"]


def test_account_managers_see_only_their_customers_calls():
    manager = f.user(Role.ACCOUNT_MANAGER, groups=[])
    own = calls_made.call(customer=f.customer(account_manager=manager), answered_by=f.user())
    calls_made.call(customer=f.customer(), answered_by=f.user())
    calls_made.call(outcome=CallOutcome.MISSED)
    calls, _ = call_log_page(user=manager, filters=CallFilter())
    assert [c.pk for c in calls] == [own.pk]
