import pytest

from netdesk.accounts.models import Role, TierKind
from netdesk.core.errors import TransitionNotAllowed, ValidationFailed
from netdesk.tickets import services
from netdesk.tickets.choices import Status
from netdesk.tickets.models.timeline import EventKind
from tests import factories as f

pytestmark = pytest.mark.django_db


def test_ticket_from_a_call_gets_priority_from_the_matrix_and_a_call_report():
    operator = f.user()
    owner = f.customer()
    ticket = services.ticket_create(
        actor=operator,
        customer=owner,
        ticket_type="fault",
        channel="phone",
        title="No internet",
        impact=1,
        urgency=1,
        call={
            "direction": "inbound",
            "duration_seconds": 240,
            "summary": "Router red light",
            "outcome": "ticket_created",
        },
    )
    assert ticket.priority == 1
    assert ticket.reference == f"TT-{ticket.pk:06d}"
    assert ticket.interactions.count() == 1
    assert ticket.first_response_at is not None
    kinds = list(ticket.events.values_list("kind", flat=True))
    assert kinds == [EventKind.CREATED, EventKind.INTERACTION_LOGGED]


def test_resolving_on_first_contact_marks_fcr():
    operator = f.user()
    ticket = f.ticket(
        operator,
        call={
            "direction": "inbound",
            "summary": "Reboot fixed it",
            "outcome": "resolved",
            "duration_seconds": 100,
            "resolution_code": "fixed",
            "root_cause": "customer_side",
        },
    )
    assert ticket.status == Status.RESOLVED
    assert ticket.first_contact_resolved is True


def test_escalated_ticket_is_not_fcr_and_records_reason():
    operator = f.user()
    noc = f.user(Role.NOC_ENGINEER, groups=[f.group(TierKind.SECOND_LINE)])
    ticket = f.ticket(operator)
    services.ticket_escalate_functional(
        actor=operator, ticket=ticket, group=f.group(TierKind.SECOND_LINE), reason="Line test fails"
    )
    assert ticket.highest_tier_level == 2
    event = ticket.events.get(kind=EventKind.ESCALATED_FUNCTIONAL)
    assert "Line test fails" in event.message
    services.ticket_resolve(
        actor=noc, ticket=ticket, resolution_code="fixed", root_cause="hardware"
    )
    assert ticket.first_contact_resolved is False


def test_fault_needs_root_cause():
    operator = f.user()
    ticket = f.ticket(operator)
    with pytest.raises(ValidationFailed) as err:
        services.ticket_resolve(actor=operator, ticket=ticket, resolution_code="fixed")
    assert err.value.field == "root_cause"
    ticket.refresh_from_db()
    assert ticket.status == Status.NEW


def test_invalid_transition_is_refused_with_allowed_states():
    operator = f.user()
    ticket = f.ticket(operator)
    services.ticket_resolve(
        actor=operator, ticket=ticket, resolution_code="fixed", root_cause="unknown"
    )
    with pytest.raises(TransitionNotAllowed) as err:
        services.ticket_change_status(actor=operator, ticket=ticket, status="pending_customer")
    assert err.value.accepted == ["closed", "in_progress"]


def test_reopen_counts_and_clears_fcr():
    operator = f.user()
    ticket = f.ticket(operator)
    services.ticket_resolve(
        actor=operator, ticket=ticket, resolution_code="fixed", root_cause="unknown"
    )
    services.ticket_reopen(actor=operator, ticket=ticket, reason="Still down")
    assert ticket.status == Status.IN_PROGRESS
    assert ticket.reopen_count == 1
    assert ticket.first_contact_resolved is False


def test_hierarchical_escalation_stops_at_level_four():
    operator = f.user()
    ticket = f.ticket(operator)
    for _ in range(4):
        services.ticket_escalate_hierarchical(actor=operator, ticket=ticket, reason="VIP")
    with pytest.raises(TransitionNotAllowed):
        services.ticket_escalate_hierarchical(actor=operator, ticket=ticket, reason="VIP")
    assert ticket.hierarchical_level == 4


def test_merge_closes_duplicate_and_links_it():
    lead = f.user(Role.TEAM_LEAD)
    owner = f.customer()
    first = f.ticket(lead, owner)
    second = f.ticket(lead, owner)
    services.ticket_merge(actor=lead, duplicate=second, into=first)
    second.refresh_from_db()
    assert second.status == Status.CLOSED
    assert second.merged_into_id == first.pk
    assert second.links_out.get().kind == "duplicate_of"
