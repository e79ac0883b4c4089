"""Held resolution on hand-made cases: a resolution held when the customer did
not come back about the same service, and the ticket was not reopened, within
the window (7 days by default) after it."""

from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from netdesk.accounts.models import Role
from netdesk.reports.kpis import KpiScope, held_resolution, kpi_report
from netdesk.tickets import services
from netdesk.tickets.models import Category, Ticket, TicketEvent
from netdesk.tickets.models.timeline import EventKind
from tests import factories as f

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
NOW = datetime(2026, 4, 1, 9, 0, tzinfo=UTC)
PERIOD = KpiScope(start=T0 - timedelta(days=1), end=T0 + timedelta(days=1))


def resolved(agent, owner, *, at=T0, **extra):
    ticket = f.ticket(agent, owner, **extra)
    Ticket.objects.filter(pk=ticket.pk).update(created_at=at - timedelta(hours=2))
    ticket.refresh_from_db()
    return services.ticket_resolve(
        actor=agent, ticket=ticket, resolution_code="fixed", root_cause="unknown", at=at
    )


def opened(agent, owner, *, at, **extra):
    ticket = f.ticket(agent, owner, **extra)
    Ticket.objects.filter(pk=ticket.pk).update(created_at=at)
    return ticket


def held(scope=PERIOD, now=NOW):
    return held_resolution(scope, now=now)


def test_a_quiet_customer_holds():
    agent = f.user()
    owner = f.customer()
    resolved(agent, owner, service=f.service(owner))
    assert held() == {"window_days": 7, "settled": 1, "held": 1, "pending": 0, "rate": 1.0}


def test_a_new_ticket_about_the_same_service_within_the_window_does_not_hold():
    agent = f.user()
    owner = f.customer()
    line = f.service(owner)
    resolved(agent, owner, service=line)
    opened(agent, owner, at=T0 + timedelta(days=3), service=line)
    figures = held()
    assert (figures["settled"], figures["held"], figures["rate"]) == (1, 0, 0.0)


def test_a_new_ticket_about_another_service_holds():
    agent = f.user()
    owner = f.customer()
    resolved(agent, owner, service=f.service(owner))
    opened(agent, owner, at=T0 + timedelta(days=3), service=f.service(owner))
    # Another customer about their own line is not this customer coming back.
    other = f.customer()
    opened(agent, other, at=T0 + timedelta(days=1), service=f.service(other))
    assert held()["held"] == 1


def test_the_desks_own_tickets_are_not_the_customer_coming_back():
    agent = f.user()
    owner = f.customer()
    line = f.service(owner)
    resolved_ticket = resolved(agent, owner, service=line)
    # Work the desk opens between its groups, and a child of the resolved ticket.
    opened(agent, owner, at=T0 + timedelta(days=1), service=line, channel="internal")
    child = opened(agent, owner, at=T0 + timedelta(days=2), service=line)
    Ticket.objects.filter(pk=child.pk).update(parent=resolved_ticket)
    assert held()["held"] == 1


def test_a_new_ticket_after_the_window_holds():
    agent = f.user()
    owner = f.customer()
    line = f.service(owner)
    resolved(agent, owner, service=line)
    opened(agent, owner, at=T0 + timedelta(days=7, minutes=1), service=line)
    assert held()["held"] == 1


def test_the_window_follows_the_setting(settings):
    settings.NETDESK_HELD_RESOLUTION_DAYS = 14
    agent = f.user()
    owner = f.customer()
    line = f.service(owner)
    resolved(agent, owner, service=line)
    opened(agent, owner, at=T0 + timedelta(days=10), service=line)
    assert held() == {"window_days": 14, "settled": 1, "held": 0, "pending": 0, "rate": 0.0}


def test_without_a_service_the_category_decides():
    agent = f.user()
    owner = f.customer()
    slow = Category.objects.create(name="Slow line", ticket_type="fault")
    noisy = Category.objects.create(name="Noisy phone line", ticket_type="fault")
    resolved(agent, owner, category=slow)
    opened(agent, owner, at=T0 + timedelta(days=2), category=noisy)
    assert held()["held"] == 1
    opened(agent, owner, at=T0 + timedelta(days=2), category=slow)
    assert held()["held"] == 0


def test_a_reopen_within_the_window_does_not_hold_even_when_solved_again():
    agent = f.user()
    owner = f.customer()
    ticket = resolved(agent, owner, at=T0 - timedelta(days=5), service=f.service(owner))
    services.ticket_reopen(actor=agent, ticket=ticket, reason="still slow")
    TicketEvent.objects.filter(ticket=ticket, kind=EventKind.REOPENED).update(
        at=T0 - timedelta(days=2)
    )
    services.ticket_resolve(
        actor=agent, ticket=ticket, resolution_code="fixed", root_cause="capacity", at=T0
    )
    assert held()["held"] == 0


def test_a_reopen_long_after_the_first_resolution_does_not_count_against_the_last():
    agent = f.user()
    owner = f.customer()
    ticket = resolved(agent, owner, at=T0 - timedelta(days=30), service=f.service(owner))
    services.ticket_reopen(actor=agent, ticket=ticket, reason="came back a month later")
    TicketEvent.objects.filter(ticket=ticket, kind=EventKind.REOPENED).update(
        at=T0 - timedelta(days=2)
    )
    services.ticket_resolve(
        actor=agent, ticket=ticket, resolution_code="fixed", root_cause="capacity", at=T0
    )
    assert held()["held"] == 1


def test_a_ticket_resolved_less_than_the_window_ago_is_pending():
    agent = f.user()
    owner = f.customer()
    resolved(agent, owner, service=f.service(owner))
    figures = held(now=T0 + timedelta(days=3))
    assert figures == {"window_days": 7, "settled": 0, "held": 0, "pending": 1, "rate": None}


def test_per_agent_and_per_group_like_first_contact():
    alice = f.user()
    bob = f.user()
    owner = f.customer()
    line = f.service(owner)
    resolved(alice, owner, service=line)
    resolved(bob, f.customer(), service=None)
    opened(alice, owner, at=T0 + timedelta(days=1), service=line)
    by_alice = held(KpiScope(start=PERIOD.start, end=PERIOD.end, agent_id=alice.pk))
    by_bob = held(KpiScope(start=PERIOD.start, end=PERIOD.end, agent_id=bob.pk))
    assert (by_alice["settled"], by_alice["held"]) == (1, 0)
    assert (by_bob["settled"], by_bob["held"]) == (1, 1)
    group = held(KpiScope(start=PERIOD.start, end=PERIOD.end, group_id=f.group().pk))
    assert (group["settled"], group["held"], group["rate"]) == (2, 1, 0.5)


def test_the_kpi_report_and_api_carry_it_in_one_query(client):
    lead = f.user(Role.TEAM_LEAD)
    owner = f.customer()
    line = f.service(owner)
    now = datetime.now(UTC)
    recent = KpiScope(start=now - timedelta(days=20), end=now)
    resolved(lead, owner, service=line, at=now - timedelta(days=10))
    with CaptureQueriesContext(connection) as one:
        held_resolution(recent)
    opened(lead, owner, at=now - timedelta(days=8), service=line)
    for _ in range(5):
        resolved(lead, f.customer(), at=now - timedelta(days=9))
    with CaptureQueriesContext(connection) as many:
        figures = held_resolution(recent)
    assert len(one) == len(many) == 1
    assert (figures["settled"], figures["held"]) == (6, 5)
    assert kpi_report(recent)["held_resolution"] == figures
    client.force_login(lead)
    answer = client.get("/api/v1/kpis", {"start": recent.start.isoformat()})
    assert answer.status_code == 200, answer.content
    assert answer.json()["held_resolution"] == {
        "window_days": 7,
        "settled": 6,
        "held": 5,
        "pending": 0,
        "rate": round(5 / 6, 4),
    }
    page = client.get("/reports/kpis/")
    assert page.status_code == 200
    assert "5 of 6 held 7 days" in page.content.decode()
