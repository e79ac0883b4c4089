"""Training triage on the desk's resolved tickets: the model stored as the
one in use, with its cross-validated figures. Learning loads scikit-learn
(about 1.5 s and tens of megabytes), so only the worker's retraining, the
`triage` and `demo` commands and the bench import this module; a web
process answers with the stored model alone (`netdesk.triage.selectors`)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from django.db import transaction
from django.db.models import Q, QuerySet

from netdesk.core.memo import data_changed
from netdesk.tickets.choices import Status
from netdesk.tickets.models import Ticket
from netdesk.triage.evaluation import cross_validate
from netdesk.triage.labels import Sample
from netdesk.triage.models import TriageModel
from netdesk.triage.selectors import policy
from netdesk.triage.services import suggestions_fill, ticket_text
from netdesk.triage.training import train

# Training reads the newest resolved tickets; the cross-validation behind
# the figures (five trainings) the newest of those.
TRAIN_LIMIT = 50_000
CV_LIMIT = 5_000
# Trained models kept besides the active one (older suggestions name them).
MODELS_KEPT = 5


def training_samples(limit: int = TRAIN_LIMIT) -> list[Sample]:
    """The newest resolved and closed tickets, as the classifier learns
    from them: category and group as their ids."""
    rows = (
        Ticket.objects.filter(Q(status=Status.RESOLVED) | Q(status=Status.CLOSED))
        .order_by("-id")
        .values_list(
            "title", "description", "ticket_type", "category_id", "group_id", "customer__language"
        )[:limit]
    )
    return [
        Sample(
            text=ticket_text(title, description),
            ticket_type=ticket_type,
            category=str(category_id) if category_id else "",
            group=str(group_id) if group_id else "",
            language=language or "",
        )
        for title, description, ticket_type, category_id, group_id, language in rows
    ]


@dataclass(frozen=True)
class Training:
    """What a training run did: the model it stored (None when the keyword
    rules stay) and why."""

    model: TriageModel | None
    tickets: int
    note: str


def triage_train(*, now: datetime, samples: Sequence[Sample] | None = None) -> Training:
    """Train on the desk's resolved tickets and make the model the one in
    use, with its cross-validated figures. With fewer tickets than the
    policy's minimum, or too few kinds of them, the keyword rules stay."""
    desk = policy()
    samples = training_samples() if samples is None else samples
    if len(samples) < desk.min_tickets:
        note = f"{len(samples)} resolved tickets, fewer than the {desk.min_tickets} needed"
        return Training(None, len(samples), f"Keyword rules kept: {note}.")
    try:
        classifier = train(samples)
        figures = cross_validate(samples[:CV_LIMIT], folds=5, seed=0)
    except ValueError as error:
        return Training(None, len(samples), f"Keyword rules kept: {error}")
    with transaction.atomic():
        model = TriageModel.objects.create(
            trained_at=now,
            method=classifier.method,
            tickets=len(samples),
            parameters=classifier.to_json(),
            figures={**figures, "cv_tickets": min(len(samples), CV_LIMIT)},
        )
        TriageModel.objects.exclude(pk=model.pk).filter(is_active=True).update(is_active=False)
        old = TriageModel.objects.order_by("-trained_at", "-id").values_list("pk", flat=True)
        TriageModel.objects.filter(pk__in=list(old[MODELS_KEPT + 1 :])).delete()
        data_changed(TriageModel)
    return Training(model, len(samples), f"Trained {classifier.method} on {len(samples)} tickets.")


def triage_bootstrap(
    *, now: datetime, tickets: QuerySet[Ticket], limit: int = TRAIN_LIMIT
) -> Training:
    """Train on the newest `limit` resolved tickets, then give the open ones
    of `tickets` their suggestion: what a desk loaded in bulk (the demo's
    history) shows agents from its first page."""
    training = triage_train(now=now, samples=training_samples(limit))
    suggestions_fill(tickets=tickets.filter(is_open=True))
    return training
