"""Service levels react to tickets through the hooks tickets announce
(NETDESK_HOOKS): tickets import nothing from sla, yet every change moves the
ticket's clocks and the ticket page shows them."""

import pytest
from django.test import Client

from netdesk.accounts.models import Role
from netdesk.core import hooks
from netdesk.sla.models import BusinessCalendar, Metric, SlaPolicy, SlaTarget, SlaTimer
from netdesk.sla.selectors import policies_changed
from netdesk.tickets.services import ticket_change_status
from tests import factories as f

pytestmark = pytest.mark.django_db


@pytest.fixture
def always_policy() -> SlaPolicy:
    SlaPolicy.objects.all().delete()
    calendar = BusinessCalendar.objects.create(name="hooks 24×7", always_open=True)
    policy = SlaPolicy.objects.create(name="Everything", rank=1, calendar=calendar)
    SlaTarget.objects.create(policy=policy, metric=Metric.RESOLUTION, minutes=240)
    policies_changed()
    return policy


@pytest.fixture
def fresh_hooks():
    """The hook list is read once per process; a test that changes it reads it again."""
    hooks._hooks.cache_clear()
    yield
    hooks._hooks.cache_clear()


def test_ticket_changes_move_the_clocks_through_the_hook(always_policy, fresh_hooks):
    operator = f.user(role=Role.HOTLINE_OPERATOR)
    ticket = f.ticket(operator)
    timer = SlaTimer.objects.get(ticket=ticket, metric=Metric.RESOLUTION)
    assert timer.state == "running"

    ticket_change_status(actor=operator, ticket=ticket, status="pending_customer")

    timer.refresh_from_db()
    assert timer.state == "paused"


def test_without_the_hook_registered_tickets_leave_the_clocks_alone(
    always_policy, fresh_hooks, settings
):
    settings.NETDESK_HOOKS = {
        name: paths
        for name, paths in settings.NETDESK_HOOKS.items()
        if name not in ("ticket_changed", "ticket_opening")
    }
    hooks._hooks.cache_clear()
    operator = f.user(role=Role.HOTLINE_OPERATOR)

    ticket = f.ticket(operator)

    assert not SlaTimer.objects.filter(ticket=ticket).exists()


def test_the_ticket_page_shows_the_service_levels_the_hook_answers(always_policy):
    operator = f.user(role=Role.HOTLINE_OPERATOR)
    ticket = f.ticket(operator)
    client = Client()
    client.force_login(operator)

    page = client.get(f"/tickets/{ticket.reference}/").content.decode()

    assert 'aria-label="Service levels"' in page
    assert "SLA · Resolution" in page
    assert "Everything" in page
