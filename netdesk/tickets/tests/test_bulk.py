"""Bulk changes of ticket lists: each ticket through its own service, all or nothing."""

from datetime import timedelta

import pytest
from django.utils import timezone

from netdesk.accounts.models import Role, TierKind
from netdesk.core.errors import PermissionDenied, ValidationFailed
from netdesk.noc.models import IncidentTicket
from netdesk.noc.services.incidents import incident_create
from netdesk.tickets.choices import Status
from netdesk.tickets.models import Comment, Ticket, TicketEvent
from netdesk.tickets.services import ticket_resolve
from netdesk.tickets.services.bulk import BULK_MAX_TICKETS, tickets_bulk_apply
from tests import factories as f

pytestmark = pytest.mark.django_db


def _lead():
    return f.user(Role.TEAM_LEAD)


def test_assign_gives_every_ticket_to_the_agent_and_says_what_changed():
    lead = _lead()
    agent = f.user(username="mira")
    first, second = f.ticket(lead), f.ticket(lead)

    result = tickets_bulk_apply(
        actor=lead,
        refs=[first.reference, second.reference],
        action="assign",
        params={"assignee": "mira"},
    )

    assert result.applied
    assert result.changed == 2
    for ticket in (first, second):
        ticket.refresh_from_db()
        assert ticket.assignee_id == agent.pk
        assert ticket.status == Status.ASSIGNED
        assert TicketEvent.objects.filter(ticket=ticket, kind="assigned").exists()
    assert result.as_dict()["lines"][0] == (
        f"{first.reference} status new → assigned, assignee none → mira"
    )


def test_one_refused_ticket_changes_nothing_and_is_named_with_its_reason():
    lead = _lead()
    open_ticket = f.ticket(lead)
    done = f.ticket(lead, ticket_type="information_request")
    ticket_resolve(actor=lead, ticket=done, resolution_code="information_given")
    events_before = TicketEvent.objects.count()

    result = tickets_bulk_apply(
        actor=lead,
        refs=[open_ticket.reference, done.reference],
        action="status",
        params={"status": Status.PENDING_CUSTOMER},
    )

    assert not result.applied
    assert [r.ref for r in result.refused] == [done.reference]
    refusal = result.refused[0]
    assert refusal.field == "status"
    assert refusal.value == Status.PENDING_CUSTOMER
    open_ticket.refresh_from_db()
    assert open_ticket.status == Status.NEW
    assert TicketEvent.objects.count() == events_before
    assert result.as_dict()["tickets"] == []


def test_a_ticket_already_in_the_status_is_unchanged_not_refused():
    lead = _lead()
    ticket = f.ticket(lead)
    result = tickets_bulk_apply(
        actor=lead, refs=[ticket.reference], action="status", params={"status": Status.NEW}
    )
    assert result.applied
    assert result.as_dict()["lines"] == [f"{ticket.reference} unchanged"]
    assert result.summary() == "0 tickets changed, 1 already so."


def test_priority_follows_the_matrix_through_impact_and_urgency():
    lead = _lead()
    ticket = f.ticket(lead, impact=3, urgency=3)
    assert ticket.priority == 5

    result = tickets_bulk_apply(
        actor=lead, refs=[ticket.reference], action="priority", params={"impact": "1", "urgency": 2}
    )

    ticket.refresh_from_db()
    assert ticket.priority == 2
    assert result.tickets[0].changes == ["priority 5 → 2"]


def test_group_within_the_tier_keeps_a_member_and_another_tier_needs_a_reason():
    lead = _lead()
    hotline = f.group()
    billing = f.group(TierKind.BILLING)
    noc = f.group(TierKind.SECOND_LINE)
    ticket = f.ticket(lead)
    assert ticket.group_id == hotline.pk

    refused = tickets_bulk_apply(
        actor=lead, refs=[ticket.reference], action="group", params={"group": noc.pk}
    )
    assert not refused.applied
    assert refused.refused[0].field == "reason"

    moved = tickets_bulk_apply(
        actor=lead,
        refs=[ticket.reference],
        action="group",
        params={"group": noc.pk, "reason": "Line faults go to the NOC"},
    )
    assert moved.applied
    ticket.refresh_from_db()
    assert ticket.group_id == noc.pk
    assert moved.tickets[0].changes == [f"group {hotline.name} → {noc.name}"]
    assert billing.pk != noc.pk  # a tier of its own


def test_merge_closes_the_duplicates_into_the_target():
    lead = _lead()
    target, dup1, dup2 = f.ticket(lead), f.ticket(lead), f.ticket(lead)

    result = tickets_bulk_apply(
        actor=lead,
        refs=[target.reference, dup1.reference, dup2.reference],
        action="merge",
        params={"into": target.reference},
    )

    assert result.applied
    for dup in (dup1, dup2):
        dup.refresh_from_db()
        assert dup.merged_into_id == target.pk
        assert dup.status == Status.CLOSED
    assert Comment.objects.filter(ticket=target).count() == 2
    lines = result.as_dict()["lines"]
    assert f"{target.reference} unchanged" in lines
    assert f"{dup1.reference} status new → closed, merged into {target.reference}" in lines


def test_note_is_added_to_every_ticket_as_internal():
    lead = _lead()
    tickets = [f.ticket(lead) for _ in range(3)]
    result = tickets_bulk_apply(
        actor=lead, refs=[t.reference for t in tickets], action="note", params={"note": "Checked"}
    )
    assert result.applied
    assert Comment.objects.filter(body="Checked", visibility="internal").count() == 3


def test_incident_link_comes_from_the_noc_through_the_hook():
    lead = _lead()
    incident = incident_create(actor=lead, title="OLT down", detected_by="manual")
    tickets = [f.ticket(lead) for _ in range(2)]

    result = tickets_bulk_apply(
        actor=lead,
        refs=[t.reference for t in tickets],
        action="incident",
        params={"incident": incident.reference},
    )

    assert result.applied
    assert IncidentTicket.objects.filter(incident=incident).count() == 2
    assert result.tickets[0].changes == [f"linked to {incident.reference}"]


def test_tickets_another_person_cannot_see_are_refused_not_changed():
    owner_manager = f.user(Role.ACCOUNT_MANAGER)
    lead = _lead()
    own = f.ticket(lead, f.customer(account_manager=owner_manager))
    foreign = f.ticket(lead)
    # An account manager may not change in bulk at all...
    with pytest.raises(PermissionDenied):
        tickets_bulk_apply(
            actor=owner_manager, refs=[own.reference], action="note", params={"note": "x"}
        )
    # ... and a ticket that does not exist is named, the rest untouched.
    result = tickets_bulk_apply(
        actor=lead,
        refs=[foreign.reference, "TT-999999"],
        action="note",
        params={"note": "x"},
    )
    assert not result.applied
    assert result.refused[0].value == "TT-999999"
    assert not Comment.objects.exists()


def test_a_ticket_changed_after_the_list_was_seen_is_refused_as_stale():
    lead = _lead()
    ticket = f.ticket(lead)
    seen_at = timezone.now() - timedelta(minutes=5)
    result = tickets_bulk_apply(
        actor=lead,
        refs=[ticket.reference],
        action="note",
        params={"note": "x", "seen_at": seen_at.isoformat()},
    )
    assert not result.applied
    assert result.refused[0].field == "updated_at"


def test_the_whole_request_is_refused_for_a_bad_action_parameter_or_size():
    lead = _lead()
    ticket = f.ticket(lead)
    with pytest.raises(ValidationFailed) as bad_action:
        tickets_bulk_apply(actor=lead, refs=[ticket.reference], action="delete", params={})
    assert bad_action.value.field == "action"
    assert "incident" in bad_action.value.accepted
    with pytest.raises(ValidationFailed) as bad_user:
        tickets_bulk_apply(
            actor=lead, refs=[ticket.reference], action="assign", params={"assignee": "nobody"}
        )
    assert bad_user.value.field == "assignee"
    with pytest.raises(ValidationFailed) as too_many:
        tickets_bulk_apply(
            actor=lead,
            refs=[f"TT-{n}" for n in range(1, BULK_MAX_TICKETS + 2)],
            action="note",
            params={"note": "x"},
        )
    assert too_many.value.field == "refs"
    assert str(BULK_MAX_TICKETS) in too_many.value.accepted
    assert Ticket.objects.get(pk=ticket.pk).status == Status.NEW
