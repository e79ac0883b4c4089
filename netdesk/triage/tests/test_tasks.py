"""Training on the desk's resolved tickets: the keyword rules until there
are enough, then a learned model every process switches to; the worker's
schedule and `netdesk triage train`."""

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from netdesk.accounts.models import Role, TierKind
from netdesk.tickets.models import Ticket
from netdesk.tickets.services import ticket_resolve
from netdesk.triage.learning import triage_bootstrap, triage_train
from netdesk.triage.models import TriageModel, TriageSuggestion
from netdesk.triage.selectors import active_classifier
from netdesk.triage.services import policy_update, suggestions_fill
from netdesk.triage.tasks import ensure_triage_retrain, triage_retrain, triage_train_soon
from tests import factories as f

pytestmark = pytest.mark.django_db

WORDS = {
    "fault": ["No internet since {n} o'clock", "Line down, router red, outage {n}"],
    "billing_inquiry": ["Invoice {n} too high, charged twice", "Refund of bill {n}"],
    "service_request": ["Please move my line to street {n}", "Change my tariff to plan {n}"],
}


@pytest.fixture
def lead():
    return f.user(Role.TEAM_LEAD)


def _resolved(lead, count_per_type):
    billing = f.group(TierKind.BILLING)
    for ticket_type, phrases in WORDS.items():
        group = billing if ticket_type == "billing_inquiry" else f.group()
        for n in range(count_per_type):
            ticket = f.ticket(
                lead,
                ticket_type=ticket_type,
                title=phrases[n % 2].format(n=n),
                channel="phone",
                group=group,
            )
            ticket_resolve(
                actor=lead, ticket=ticket, resolution_code="fixed", root_cause="customer_side"
            )


def _minimum(count):
    policy_update(actor=f.user(Role.SERVICE_DESK_MANAGER), changes={"min_tickets": count})


def test_too_few_tickets_keep_the_keyword_rules(lead):
    _resolved(lead, 3)
    training = triage_train(now=timezone.now())
    assert training.model is None
    assert "9 resolved tickets, fewer than the 200 needed" in training.note
    assert not TriageModel.objects.exists()
    model, classifier = active_classifier()
    assert model is None
    assert classifier.method == "keywords"


def test_training_makes_a_model_every_new_ticket_uses(lead):
    _resolved(lead, 10)
    _minimum(20)
    first = triage_train(now=timezone.now() - timedelta(days=1)).model
    second = triage_train(now=timezone.now()).model
    assert first is not None
    assert second is not None
    assert second.method == "tfidf-logreg"
    assert second.tickets == 30
    figures = second.figures["targets"]["ticket_type"]
    assert 0 <= figures["accuracy"] <= 1
    assert "baseline_accuracy" in figures
    first.refresh_from_db()
    assert not first.is_active
    assert active_classifier()[0] == second
    ticket = f.ticket(lead, ticket_type="fault", title="Invoice 77 too high, charged twice")
    suggestion = TriageSuggestion.objects.get(ticket=ticket)
    assert suggestion.model == second
    assert suggestion.method == "tfidf-logreg"
    assert suggestion.ticket_type == "billing_inquiry"
    assert suggestion.group == f.group(TierKind.BILLING)
    assert suggestion.group_confidence > 0.5


def test_only_the_newest_models_are_kept(lead, monkeypatch):
    _resolved(lead, 10)
    _minimum(20)
    monkeypatch.setattr("netdesk.triage.learning.MODELS_KEPT", 1)
    now = timezone.now()
    for hours in (3, 2, 1):
        triage_train(now=now - timedelta(hours=hours))
    assert TriageModel.objects.count() == 2
    assert TriageModel.objects.filter(is_active=True).count() == 1


def test_worker_start_queues_one_training_and_each_run_the_next(lead):
    ensure_triage_retrain()
    ensure_triage_retrain()
    waiting = DBTaskResult.objects.filter(task_path=triage_retrain.module_path, status="READY")
    assert waiting.count() == 1
    waiting.delete()
    assert triage_retrain.call() == 0
    queued = DBTaskResult.objects.get(task_path=triage_retrain.module_path, status="READY")
    hours = (queued.run_after - timezone.now()).total_seconds() / 3600
    assert 23.9 < hours <= 24


def test_train_now_runs_beside_the_schedule():
    ensure_triage_retrain()
    triage_train_soon()
    assert DBTaskResult.objects.filter(task_path=triage_retrain.module_path).count() == 2


def test_the_command_prints_the_figures(lead):
    out = StringIO()
    call_command("triage", "train", stdout=out)
    assert "Keyword rules kept: 0 resolved tickets" in out.getvalue()
    _resolved(lead, 10)
    _minimum(20)
    out = StringIO()
    call_command("triage", "train", stdout=out)
    lines = out.getvalue().splitlines()
    assert lines[0] == "Trained tfidf-logreg on 30 tickets."
    assert lines[1].split()[:3] == ["target", "tickets", "accuracy"]
    assert any(line.startswith("ticket_type") for line in lines)


def test_bulk_loaded_open_tickets_get_their_suggestion(lead):
    _resolved(lead, 10)
    _minimum(20)
    # Tickets no hook saw (a bulk load): open ones get a suggestion, never applied.
    waiting = [f.ticket(lead, ticket_type="fault", title=f"Refund of bill {n}") for n in range(3)]
    TriageSuggestion.objects.all().delete()
    training = triage_bootstrap(now=timezone.now(), tickets=Ticket.objects.all())
    assert training.model is not None
    made = TriageSuggestion.objects.select_related("ticket")
    assert sorted(s.ticket_id for s in made) == sorted(t.pk for t in waiting)
    assert {s.ticket_type for s in made} == {"billing_inquiry"}
    assert all(s.model == training.model and s.applied_at is None for s in made)
    assert {t.ticket_type for t in Ticket.objects.filter(pk__in=[t.pk for t in waiting])} == {
        "fault"
    }
    assert suggestions_fill(tickets=Ticket.objects.filter(is_open=True)) == 0


def test_one_kind_of_ticket_teaches_nothing_and_says_why(lead):
    for n in range(22):
        ticket = f.ticket(lead, ticket_type="fault", title=f"No internet {n}")
        ticket_resolve(actor=lead, ticket=ticket, resolution_code="fixed", root_cause="hardware")
    _minimum(20)
    training = triage_train(now=timezone.now())
    assert training.model is None
    assert training.note.startswith("Keyword rules kept: ")
    assert "at least two types" in training.note
    assert not TriageModel.objects.exists()
