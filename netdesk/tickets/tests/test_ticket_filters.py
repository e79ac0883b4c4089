"""One parser for every ticket list: the queue page, the API list and exports
read the same parameter names and refuse a bad one with the same error."""

from datetime import UTC, datetime, timedelta

import pytest
from django.http import QueryDict
from django.test import Client
from django.utils import timezone

from netdesk.accounts.models import Role, TierKind
from netdesk.core.errors import ValidationFailed
from netdesk.tickets.models import Ticket
from netdesk.tickets.selectors import (
    TicketFilter,
    ticket_filter_from_query,
    tickets_filtered,
)
from tests import factories as f

pytestmark = pytest.mark.django_db


def parse(user, text: str) -> TicketFilter:
    return ticket_filter_from_query(user=user, params=QueryDict(text))


def test_every_parameter_is_read_under_its_name():
    operator = f.user()
    other = f.user(username="jdoe")
    filters = parse(
        operator,
        "group=all&status=new&status=in_progress&open=1&priority=1&priority=2&type=fault"
        "&assignee=jdoe&customer=7&channel=email&channel=chat&category=3&root_cause=power"
        "&segment=business&created_after=2026-03-01&created_before=2026-03-02T08:00:00%2B01:00"
        "&resolved_after=2026-02-01&resolved_before=2026-02-08&fcr=0&sla_state=warning"
        "&sla_state=breached&weekday=1&weekday=7&hour=0&hour=23&at_risk=60&order=due",
    )
    assert filters.group is None
    assert filters.status == ["new", "in_progress"]
    assert filters.open_only is True
    assert filters.priority == [1, 2]
    assert filters.ticket_type == ["fault"]
    assert filters.assignee == other.pk
    assert filters.customer == 7
    assert filters.channel == ["email", "chat"]
    assert filters.category == 3
    assert filters.root_cause == ["power"]
    assert filters.segment == ["business"]
    assert filters.created_after == datetime(2026, 3, 1, tzinfo=UTC)  # desk time zone: UTC
    assert filters.created_before == datetime(2026, 3, 2, 7, 0, tzinfo=UTC)
    assert filters.resolved_before == datetime(2026, 2, 8, tzinfo=UTC)
    assert filters.first_contact_resolved is False
    assert filters.sla_state == ["warning", "breached"]
    assert filters.weekday == [1, 7]
    assert filters.hour == [0, 23]
    assert filters.at_risk == 60
    assert filters.order == "due"


def test_mine_unassigned_and_group_defaults():
    operator = f.user()
    assert parse(operator, "mine=1").assignee == operator.pk
    assert parse(operator, "assignee=none").unassigned is True
    assert parse(operator, "unassigned=on").unassigned is True
    # No group given: the caller's default (the queue passes the agent's group).
    default = ticket_filter_from_query(user=operator, params={}, default_group=5)
    assert default.group == 5
    assert (
        ticket_filter_from_query(user=operator, params={"group": "all"}, default_group=5).group
        is None
    )
    # Plain mappings work too (saved views store lists of strings).
    assert ticket_filter_from_query(user=operator, params={"status": ["new"]}).status == ["new"]


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("status=lost", "status"),
        ("priority=9", "priority"),
        ("priority=one", "priority"),
        ("type=outage", "type"),
        ("group=first", "group"),
        ("assignee=nobody-here", "assignee"),
        ("customer=-3", "customer"),
        ("channel=pigeon", "channel"),
        ("segment=vip", "segment"),
        ("created_after=yesterday", "created_after"),
        ("created_after=0001-01-01", "created_after"),
        ("resolved_before=2026-13-01", "resolved_before"),
        ("fcr=maybe", "fcr"),
        ("open=2", "open"),
        ("sla_state=late", "sla_state"),
        ("weekday=0", "weekday"),
        ("hour=24", "hour"),
        ("at_risk=-5", "at_risk"),
        ("order=random", "order"),
        ("view=abc", "view"),
    ],
)
def test_a_bad_parameter_is_refused_by_name(query, field):
    operator = f.user()
    with pytest.raises(ValidationFailed) as refused:
        parse(operator, query)
    assert refused.value.field == field
    assert refused.value.value == query.split("=", 1)[1]
    assert refused.value.accepted


def test_the_api_list_answers_a_bad_parameter_with_its_name():
    operator = f.user()
    client = Client(HTTP_AUTHORIZATION=f"Bearer {f.token_for(operator)}")
    for query, field in (("sla_state=late", "sla_state"), ("hour=25", "hour"), ("fcr=x", "fcr")):
        answer = client.get(f"/api/v1/tickets?{query}")
        assert answer.status_code == 422, query
        assert answer.json()["errors"][0]["field"] == field


def test_filters_narrow_the_list_in_the_desk_time_zone():
    operator = f.user()
    noc = f.group(TierKind.SECOND_LINE)
    business = f.customer("business")
    email = f.ticket(operator, business, channel="email")
    phone = f.ticket(operator, channel="phone", group=noc)
    monday_night = datetime(2026, 3, 2, 23, 30, tzinfo=UTC)  # a Monday
    Ticket.objects.filter(pk=email.pk).update(created_at=monday_night)

    def refs(text: str) -> set[int]:
        return {t.pk for t in tickets_filtered(user=operator, filters=parse(operator, text))}

    assert refs("channel=email") == {email.pk}
    assert refs("segment=business") == {email.pk}
    assert refs(f"group={noc.pk}") == {phone.pk}
    assert refs("weekday=1&hour=23") == {email.pk}
    assert refs("created_before=2026-03-03") == {email.pk}
    assert refs("fcr=1") == set()
    with timezone.override("Europe/Berlin"):
        # 23:30 UTC is 00:30 on Tuesday in Berlin.
        assert refs("weekday=2&hour=0") == {email.pk}
        assert refs("weekday=1") == set()


def test_tickets_filtered_keeps_the_object_scope():
    manager = f.user(Role.ACCOUNT_MANAGER, groups=[f.group(TierKind.ACCOUNT_MANAGEMENT)])
    operator = f.user()
    mine = f.ticket(operator, f.customer("key_account", account_manager=manager))
    f.ticket(operator)
    listed = tickets_filtered(user=manager, filters=parse(manager, "open=1"))
    assert [t.pk for t in listed] == [mine.pk]


def test_sla_state_and_at_risk_filters_follow_the_time():
    operator = f.user()
    ticket = f.ticket(operator, channel="email")
    now = timezone.now()
    Ticket.objects.filter(pk=ticket.pk).update(
        sla_next_due_at=now + timedelta(minutes=30),
        sla_warn_at=now + timedelta(minutes=10),
        sla_paused=False,
        sla_breached=False,
    )

    def states(at: datetime, text: str) -> list[int]:
        filters = parse(operator, text)
        return [
            t.pk
            for t in tickets_filtered(
                user=operator, filters=TicketFilter(**{**filters.__dict__, "now": at})
            )
        ]

    assert states(now, "sla_state=ok") == [ticket.pk]
    assert states(now + timedelta(minutes=15), "sla_state=warning") == [ticket.pk]
    assert states(now + timedelta(minutes=31), "sla_state=breached") == [ticket.pk]
    assert states(now + timedelta(minutes=31), "sla_state=ok&sla_state=warning") == []
    assert states(now, "at_risk=20") == []
    assert states(now, "at_risk=60") == [ticket.pk]
