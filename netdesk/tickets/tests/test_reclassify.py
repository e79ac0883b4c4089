"""ticket_reclassify: what a ticket is (type, category) and which group
takes it, changed after it was opened, as one timeline entry."""

import pytest

from netdesk.accounts.models import Role, TierKind
from netdesk.core.errors import TransitionNotAllowed, ValidationFailed
from netdesk.tickets.models import Category, TicketEvent
from netdesk.tickets.services import ticket_assign, ticket_resolve
from netdesk.tickets.services.classification import ticket_reclassify
from tests import factories as f

pytestmark = pytest.mark.django_db


def _category(name, ticket_type):
    return Category.objects.get_or_create(name=name, ticket_type=ticket_type)[0]


def test_type_and_category_change_as_one_entry():
    agent = f.user()
    ticket = f.ticket(agent, ticket_type="complaint")
    no_internet = _category("No internet", "fault")
    ticket_reclassify(
        actor=agent,
        ticket=ticket,
        changes={"ticket_type": "fault", "category": no_internet},
        message="as the words say",
    )
    ticket.refresh_from_db()
    assert (ticket.ticket_type, ticket.category) == ("fault", no_internet)
    events = TicketEvent.objects.filter(ticket=ticket, kind="field_changed")
    assert {(e.field, e.old_value, e.new_value) for e in events} == {
        ("ticket_type", "complaint", "fault"),
        ("category", "", "No internet"),
    }
    assert {e.message for e in events} == {"as the words say"}


def test_a_new_type_drops_the_category_of_the_old_one():
    agent = f.user()
    billing = _category("Invoice dispute", "billing_inquiry")
    ticket = f.ticket(agent, ticket_type="billing_inquiry", category=billing)
    ticket_reclassify(actor=agent, ticket=ticket, changes={"ticket_type": "fault"})
    ticket.refresh_from_db()
    assert ticket.category is None


def test_another_group_drops_an_assignee_who_is_not_in_it():
    agent = f.user()
    ticket = f.ticket(agent)
    ticket_assign(actor=agent, ticket=ticket, assignee=agent)
    noc = f.group(TierKind.SECOND_LINE)
    ticket_reclassify(actor=agent, ticket=ticket, changes={"group": noc})
    ticket.refresh_from_db()
    assert (ticket.group, ticket.assignee, ticket.status) == (noc, None, "new")
    assert ticket.highest_tier_level == noc.tier.level
    assert TicketEvent.objects.filter(ticket=ticket, kind="status_changed", new_value="new")


def test_nothing_to_change_writes_nothing():
    agent = f.user()
    ticket = f.ticket(agent)
    before = TicketEvent.objects.filter(ticket=ticket).count()
    ticket_reclassify(actor=agent, ticket=ticket, changes={"ticket_type": ticket.ticket_type})
    assert TicketEvent.objects.filter(ticket=ticket).count() == before


def test_errors_name_the_field_and_what_is_accepted():
    agent = f.user()
    ticket = f.ticket(agent)
    billing = _category("Invoice dispute", "billing_inquiry")
    with pytest.raises(ValidationFailed) as mismatch:
        ticket_reclassify(actor=agent, ticket=ticket, changes={"category": billing})
    assert mismatch.value.field == "category"
    assert mismatch.value.accepted == "a category of type fault"
    with pytest.raises(ValidationFailed) as kind:
        ticket_reclassify(actor=agent, ticket=ticket, changes={"ticket_type": "outage"})
    assert kind.value.field == "ticket_type"
    with pytest.raises(ValidationFailed) as other:
        ticket_reclassify(actor=agent, ticket=ticket, changes={"priority": 1})
    assert other.value.field == "priority"
    noc = f.group(TierKind.SECOND_LINE)
    noc.is_active = False
    noc.save()
    with pytest.raises(ValidationFailed) as group:
        ticket_reclassify(actor=agent, ticket=ticket, changes={"group": noc})
    assert group.value.field == "group"


def test_a_resolved_ticket_is_not_reclassified():
    lead = f.user(Role.TEAM_LEAD)
    ticket = f.ticket(lead)
    ticket_resolve(actor=lead, ticket=ticket, resolution_code="fixed", root_cause="customer_side")
    with pytest.raises(TransitionNotAllowed):
        ticket_reclassify(actor=lead, ticket=ticket, changes={"ticket_type": "complaint"})
