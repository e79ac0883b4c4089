"""Triage on new tickets: the suggestion, applied by itself to mail and
portal tickets above the desk's threshold, and an agent's "Apply"."""

import pytest

from netdesk.accounts.models import Role, TierKind
from netdesk.accounts.permissions import ROLE_ACTIONS, Action
from netdesk.core.errors import NotFound, PermissionDenied, ValidationFailed
from netdesk.tickets.models import Category, TicketEvent
from netdesk.tickets.services import ticket_create
from netdesk.triage.models import TriagePolicy, TriageSuggestion
from netdesk.triage.selectors import is_network_fault, policy
from netdesk.triage.services import policy_update, suggestion_apply
from tests import factories as f

pytestmark = pytest.mark.django_db


@pytest.fixture
def no_internet():
    return Category.objects.get_or_create(name="No internet", ticket_type="fault")[0]


@pytest.fixture
def invoice():
    return Category.objects.get_or_create(name="Invoice dispute", ticket_type="billing_inquiry")[0]


@pytest.fixture
def noc():
    return f.group(TierKind.SECOND_LINE)


def _suggestion(ticket):
    return TriageSuggestion.objects.get(ticket=ticket)


def _mail_ticket(channel="email", ticket_type="information_request", **extra):
    return ticket_create(
        actor=None,
        customer=f.customer(),
        ticket_type=ticket_type,
        channel=channel,
        title=extra.pop("title", "Internet down since this morning"),
        description=extra.pop("description", "The router shows a red light."),
        **extra,
    )


@pytest.mark.parametrize("channel", ["email", "web"])
def test_mail_and_portal_tickets_take_what_is_above_the_threshold(
    classifier, no_internet, noc, channel
):
    classifier.say(("fault", 0.93), (str(no_internet.pk), 0.88), (str(noc.pk), 0.6), ("yes", 0.95))
    ticket = _mail_ticket(channel)
    ticket.refresh_from_db()
    # Type and category reached 0.85; the group did not, so it stays.
    assert (ticket.ticket_type, ticket.category_id) == ("fault", no_internet.pk)
    assert ticket.group_id != noc.pk
    suggestion = _suggestion(ticket)
    assert suggestion.applied_automatically
    assert suggestion.applied_at is not None
    assert suggestion.group == noc
    assert suggestion.group_confidence == 0.6
    assert suggestion.network_fault
    assert suggestion.evidence == ["no internet"]
    assert classifier.texts == ["Internet down since this morning\nThe router shows a red light."]
    changed = TicketEvent.objects.filter(ticket=ticket, kind="field_changed")
    assert {event.field for event in changed} == {"ticket_type", "category"}
    assert all("triage" in event.message for event in changed)


def test_a_confident_group_moves_the_ticket_before_routing(classifier, noc):
    classifier.say(("fault", 0.99), group=(str(noc.pk), 0.9))
    ticket = _mail_ticket()
    ticket.refresh_from_db()
    assert ticket.group == noc
    assert ticket.highest_tier_level == noc.tier.level


def test_below_the_threshold_it_is_only_a_suggestion(classifier, no_internet):
    classifier.say(("fault", 0.84), (str(no_internet.pk), 0.84))
    ticket = _mail_ticket()
    ticket.refresh_from_db()
    assert (ticket.ticket_type, ticket.category_id) == ("information_request", None)
    suggestion = _suggestion(ticket)
    assert suggestion.ticket_type == "fault"
    assert suggestion.applied_at is None
    assert not TicketEvent.objects.filter(ticket=ticket, kind="field_changed").exists()


@pytest.mark.parametrize("channel", ["phone", "chat", "api"])
def test_tickets_an_agent_opened_are_never_changed(classifier, no_internet, channel):
    classifier.say(("fault", 0.99), (str(no_internet.pk), 0.99))
    ticket = _mail_ticket(channel)
    ticket.refresh_from_db()
    assert ticket.ticket_type == "information_request"
    assert _suggestion(ticket).applied_at is None


def test_auto_apply_off_leaves_every_ticket_as_it_came(classifier):
    policy_update(actor=f.user(Role.SERVICE_DESK_MANAGER), changes={"auto_apply": False})
    classifier.say(("fault", 0.99))
    ticket = _mail_ticket()
    ticket.refresh_from_db()
    assert ticket.ticket_type == "information_request"
    assert _suggestion(ticket).applied_at is None


def test_the_threshold_is_the_desks(classifier):
    policy_update(actor=f.user(Role.SERVICE_DESK_MANAGER), changes={"threshold": 0.7})
    classifier.say(("fault", 0.72))
    ticket = _mail_ticket()
    ticket.refresh_from_db()
    assert ticket.ticket_type == "fault"


def test_a_category_of_another_type_is_not_applied_without_its_type(classifier, invoice):
    classifier.say(("fault", 0.7), (str(invoice.pk), 0.95))
    ticket = _mail_ticket()
    ticket.refresh_from_db()
    assert (ticket.ticket_type, ticket.category_id) == ("information_request", None)


def test_inactive_or_unknown_labels_are_no_suggestion(classifier, no_internet, noc):
    no_internet.is_active = False
    no_internet.save()
    classifier.say(("fault", 0.99), (str(no_internet.pk), 0.99), ("999999", 0.99))
    ticket = _mail_ticket()
    suggestion = _suggestion(ticket)
    assert (suggestion.category, suggestion.group) == (None, None)
    assert suggestion.category_confidence == suggestion.group_confidence == 0.0


def test_a_failing_classifier_never_fails_the_ticket(monkeypatch, caplog):
    def broken():
        raise RuntimeError("model file corrupt")

    monkeypatch.setattr("netdesk.triage.services.active_classifier", broken)
    ticket = _mail_ticket()
    assert ticket.pk is not None
    assert not TriageSuggestion.objects.filter(ticket=ticket).exists()
    assert "Triage of" in caplog.text
    assert "model file corrupt" in caplog.text


def test_cold_start_keyword_rules_read_the_words():
    ticket = _mail_ticket(
        ticket_type="complaint", title="Kein Internet seit heute Morgen", description=""
    )
    suggestion = _suggestion(ticket)
    assert suggestion.method == "keywords"
    assert suggestion.model is None
    assert suggestion.network_fault
    assert suggestion.network_fault_confidence >= 0.5
    assert is_network_fault(ticket)


def test_network_fault_by_type_or_by_words(classifier):
    classifier.say(("billing_inquiry", 0.6), network_fault=("no", 0.9))
    billing = _mail_ticket(ticket_type="billing_inquiry", title="Invoice too high")
    assert not is_network_fault(billing)
    fault = _mail_ticket(ticket_type="fault", title="Invoice too high")
    assert is_network_fault(fault)
    classifier.say(("complaint", 0.6), network_fault=("yes", 0.7))
    complaint = _mail_ticket(ticket_type="complaint", title="Slow again, third time")
    assert is_network_fault(complaint)
    classifier.say(("complaint", 0.6), network_fault=("yes", 0.4))
    unsure = _mail_ticket(ticket_type="complaint", title="Hmm")
    assert not is_network_fault(unsure)


# --- an agent's Apply -------------------------------------------------------------------


def test_an_agent_applies_the_suggestion(classifier, no_internet, noc):
    classifier.say(("fault", 0.7), (str(no_internet.pk), 0.6), (str(noc.pk), 0.5))
    agent = f.user()
    ticket = f.ticket(agent, ticket_type="complaint")
    assert _suggestion(ticket).applied_at is None  # phone: never by itself
    applied = suggestion_apply(actor=agent, ticket=ticket, targets=["type", "category"])
    assert applied == ["type", "category"]
    ticket.refresh_from_db()
    assert (ticket.ticket_type, ticket.category_id) == ("fault", no_internet.pk)
    assert ticket.group_id != noc.pk
    suggestion = _suggestion(ticket)
    assert suggestion.applied_by == agent
    assert not suggestion.applied_automatically
    event = TicketEvent.objects.filter(ticket=ticket, field="category").get()
    assert event.actor == agent
    # Applying again changes nothing.
    assert suggestion_apply(actor=agent, ticket=ticket, targets=["type"]) == []


def test_apply_says_what_is_wrong(classifier, invoice):
    classifier.say(("fault", 0.7), (str(invoice.pk), 0.6))
    agent = f.user()
    ticket = f.ticket(agent, ticket_type="complaint")
    with pytest.raises(ValidationFailed) as unknown:
        suggestion_apply(actor=agent, ticket=ticket, targets=["priority"])
    assert unknown.value.field == "targets"
    assert unknown.value.value == ["priority"]
    assert unknown.value.accepted == ["type", "category", "group"]
    with pytest.raises(ValidationFailed) as mismatch:
        suggestion_apply(actor=agent, ticket=ticket, targets=["category"])
    assert "billing_inquiry" in mismatch.value.message
    TriageSuggestion.objects.all().delete()
    with pytest.raises(NotFound):
        suggestion_apply(actor=agent, ticket=ticket, targets=["type"])


def test_a_role_without_ticket_update_cannot_apply(classifier, monkeypatch):
    classifier.say(("fault", 0.7))
    ticket = f.ticket(f.user(), ticket_type="complaint")
    monkeypatch.setitem(
        ROLE_ACTIONS,
        Role.FIELD_ENGINEER,
        ROLE_ACTIONS[Role.FIELD_ENGINEER] - {Action.TICKET_UPDATE},
    )
    engineer = f.user(Role.FIELD_ENGINEER)
    with pytest.raises(PermissionDenied):
        suggestion_apply(actor=engineer, ticket=ticket, targets=["type"])
    ticket.refresh_from_db()
    assert ticket.ticket_type == "complaint"


# --- policy -----------------------------------------------------------------------------


def test_policy_is_created_with_the_defaults_once():
    first = policy()
    assert (first.auto_apply, first.threshold, first.retrain_hours, first.min_tickets) == (
        True,
        0.85,
        24,
        200,
    )
    assert policy().pk == first.pk
    # Reading the policy writes nothing; the first setting writes its row.
    assert not TriagePolicy.objects.exists()
    policy_update(actor=f.user(Role.SERVICE_DESK_MANAGER), changes={"threshold": 0.9})
    assert TriagePolicy.objects.get().threshold == 0.9
    assert policy().threshold == 0.9


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"threshold": 1.5}, "threshold"),
        ({"threshold": 0.2}, "threshold"),
        ({"retrain_hours": 0}, "retrain_hours"),
        ({"min_tickets": 5}, "min_tickets"),
        ({"auto_apply": "yes"}, "auto_apply"),
        ({"colour": "red"}, "colour"),
    ],
)
def test_policy_errors_name_field_value_and_what_is_accepted(changes, field):
    with pytest.raises(ValidationFailed) as error:
        policy_update(actor=f.user(Role.SERVICE_DESK_MANAGER), changes=changes)
    assert error.value.field == field
    assert error.value.value == changes[field]
    assert error.value.accepted


def test_only_managers_set_the_policy():
    with pytest.raises(PermissionDenied):
        policy_update(actor=f.user(Role.TEAM_LEAD), changes={"threshold": 0.9})
