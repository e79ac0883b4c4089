"""Writing triage: a new ticket's suggestion (applied by itself to mail and
portal tickets above the desk's threshold), an agent applying it, and the
desk's policy. Training is in `netdesk.triage.learning`, which only the
worker and commands import."""

from __future__ import annotations

import logging
from collections.abc import Callable, Collection
from functools import partial
from typing import Any, TypeVar

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from netdesk.accounts.models import SupportGroup, User
from netdesk.accounts.permissions import Action, require
from netdesk.core.compiled import CompiledInsert
from netdesk.core.errors import NotFound, ValidationFailed
from netdesk.core.locking import locked
from netdesk.core.memo import data_changed
from netdesk.tickets.choices import Channel, TicketType
from netdesk.tickets.models import Category, Ticket
from netdesk.tickets.services.classification import ticket_reclassify
from netdesk.triage import engine
from netdesk.triage.models import TriageModel, TriagePolicy, TriageSuggestion
from netdesk.triage.selectors import active_classifier, policy

logger = logging.getLogger("netdesk.triage")

# Only requests that arrive as text alone are reclassified by the desk:
# on the phone and in chat an agent already asked what it is.
AUTO_CHANNELS = frozenset({Channel.EMAIL, Channel.WEB})
TARGETS = ("type", "category", "group")
# A ticket's text as the classifier reads it: long mails are cut, their
# first lines say what they are about.
TEXT_LIMIT = 4000

_Labelled = TypeVar("_Labelled", Category, SupportGroup)
# Every new ticket gets one: the statement is built once from the model's _meta.
_SUGGESTION_INSERT = CompiledInsert(TriageSuggestion)


def ticket_text(title: str, description: str) -> str:
    return f"{title}\n{description}"[:TEXT_LIMIT]


def _record(model: type[_Labelled], key: str) -> _Labelled | None:
    """The active category or group a label names: its id (what trained
    models answer) or its name (what keyword rules may answer)."""
    if not key:
        return None
    rows = model.objects.filter(is_active=True)
    found = rows.filter(pk=int(key)).first() if key.isdigit() else None
    return found or rows.filter(name__iexact=key).order_by("id").first()


Labels = tuple[Category | None, SupportGroup | None]


def _labels(guess: engine.Prediction) -> Labels:
    """The desk's active category and group that the guess names."""
    return _record(Category, guess.category.value), _record(SupportGroup, guess.group.value)


def _suggestion(
    ticket: Ticket, model: TriageModel | None, guess: engine.Prediction, labels: Labels
) -> TriageSuggestion:
    """The suggestion row (not saved) for a ticket, with the category and
    group its guess names (`_labels`)."""
    known_type = guess.ticket_type.value in TicketType.values
    category, group = labels
    return TriageSuggestion(
        ticket=ticket,
        model=model,
        method=guess.method,
        ticket_type=guess.ticket_type.value if known_type else ticket.ticket_type,
        type_confidence=guess.ticket_type.confidence if known_type else 0.0,
        category=category,
        category_confidence=guess.category.confidence if category else 0.0,
        group=group,
        group_confidence=guess.group.confidence if group else 0.0,
        network_fault=guess.network_fault.value == "yes",
        network_fault_confidence=guess.network_fault.confidence,
        evidence=list(guess.evidence),
        created_at=timezone.now(),
    )


def _changes(
    ticket: Ticket, suggestion: TriageSuggestion, targets: Collection[str]
) -> dict[str, Any]:
    """What applying these targets changes on the ticket. A category goes
    with the type it belongs to, so one of another type is left out."""
    changes: dict[str, Any] = {}
    if "type" in targets and suggestion.ticket_type != ticket.ticket_type:
        changes["ticket_type"] = suggestion.ticket_type
    ticket_type = changes.get("ticket_type", ticket.ticket_type)
    category = suggestion.category
    if (
        "category" in targets
        and category is not None
        and category.pk != ticket.category_id
        and category.ticket_type == ticket_type
    ):
        changes["category"] = category
    group = suggestion.group
    if "group" in targets and group is not None and group.pk != ticket.group_id:
        changes["group"] = group
    return changes


def confident_targets(suggestion: TriageSuggestion, threshold: float) -> list[str]:
    confidences = {
        "type": suggestion.type_confidence,
        "category": suggestion.category_confidence,
        "group": suggestion.group_confidence,
    }
    return [target for target in TARGETS if confidences[target] >= threshold]


def _auto_apply(
    ticket: Ticket, suggestion: TriageSuggestion, desk: TriagePolicy, changes: dict[str, Any]
) -> None:
    ticket_reclassify(
        actor=None,
        ticket=ticket,
        changes=changes,
        message=f"Applied the triage suggestion (confidence ≥ {desk.threshold:.0%})",
    )
    suggestion.applied_at = timezone.now()
    suggestion.applied_automatically = True
    suggestion.save(update_fields=["applied_at", "applied_automatically"])


def ticket_preparing(*, title: str, description: str) -> Callable[[Ticket], None]:
    """NETDESK_HOOKS["ticket_preparing"]: a new ticket's words read before
    its transaction begins. The classifier and the lookup of the labels it
    names are reads, and on SQLite all that runs inside the transaction
    holds the database's one writer turn: read here, a create holds it for
    a third less time. Answers the step that writes the suggestion once the
    ticket exists (in its transaction, before the `ticket_created` hooks:
    the NOC counts network faults by the suggestion, routing sees the group
    it applied). A label deactivated in between is at worst suggested once
    more; applying it checks the ticket again. Never fails the ticket: a
    classifier error is logged by the step and the ticket stays as it came."""
    try:
        model, classifier = active_classifier()
        guess = classifier.predict(ticket_text(title, description))
        labels = _labels(guess)
    except Exception as error:  # the ticket matters more than its suggestion
        return partial(_triage_failed, error=error)
    return partial(_suggestion_write, model=model, guess=guess, labels=labels)


def _triage_failed(ticket: Ticket, *, error: Exception) -> None:
    logger.error("Triage of %s failed; it has no suggestion.", ticket.reference, exc_info=error)


def _suggestion_write(
    ticket: Ticket, *, model: TriageModel | None, guess: engine.Prediction, labels: Labels
) -> None:
    """The suggestion of a new ticket, applied by itself to a mail or portal
    ticket above the threshold (in its own savepoint: an apply error is
    logged and the ticket stays as it came in)."""
    suggestion = _suggestion(ticket, model, guess, labels)
    # The row fits its columns by construction (a new ticket's one
    # suggestion, a known type, confidences), so its INSERT needs no
    # savepoint: two statements fewer on every new ticket.
    _SUGGESTION_INSERT.insert([suggestion])
    desk = policy()
    if not desk.auto_apply or ticket.channel not in AUTO_CHANNELS:
        return
    changes = _changes(ticket, suggestion, confident_targets(suggestion, desk.threshold))
    if not changes:
        return  # nothing sure enough: no savepoint spent on it
    try:
        with transaction.atomic():
            _auto_apply(ticket, suggestion, desk, changes)
    except Exception:
        logger.exception(
            "Applying the triage of %s failed; left as a suggestion.", ticket.reference
        )
        ticket.refresh_from_db()


@transaction.atomic
def suggestion_apply(*, actor: User, ticket: Ticket, targets: Collection[str]) -> list[str]:
    """An agent applies what triage suggested for `targets` ("type",
    "category", "group"); the targets that changed the ticket."""
    require(actor, Action.TICKET_UPDATE)
    unknown = sorted(set(targets) - set(TARGETS))
    if unknown or not targets:
        raise ValidationFailed(
            f"Choose what to apply among {', '.join(TARGETS)}.",
            field="targets",
            value=unknown or list(targets),
            accepted=list(TARGETS),
        )
    suggestion = (
        TriageSuggestion.objects.select_for_update(of=("self",))
        .select_related("category", "group__tier")
        .filter(ticket_id=ticket.pk)
        .first()
    )
    if suggestion is None:
        raise NotFound(
            f"{ticket.reference} has no triage suggestion.", field="ticket", value=ticket.reference
        )
    ticket = locked(ticket)
    changes = _changes(ticket, suggestion, targets)
    category = suggestion.category
    if (
        "category" in targets
        and category is not None
        and "category" not in changes
        and category.pk != ticket.category_id
    ):
        raise ValidationFailed(
            f"The suggested category {category.name!r} is for "
            f"{category.ticket_type} tickets; apply the type with it.",
            field="targets",
            value=sorted(targets),
            accepted="type and category together",
        )
    if not changes:
        return []
    ticket_reclassify(
        actor=actor, ticket=ticket, changes=changes, message="Applied the triage suggestion"
    )
    suggestion.applied_at = timezone.now()
    suggestion.applied_by = actor
    suggestion.applied_automatically = False
    suggestion.save(update_fields=["applied_at", "applied_by", "applied_automatically"])
    applied = {"ticket_type": "type", "category": "category", "group": "group"}
    return [applied[name] for name in changes]


def suggestions_fill(*, tickets: QuerySet[Ticket], batch: int = 500) -> int:
    """Suggestions for these tickets where they have none, as the hook
    would have made them but never applied: tickets loaded in bulk (the
    demo's history, an import) that no hook saw. The number made."""
    model, classifier = active_classifier()
    categories: dict[str, Category | None] = {}
    groups: dict[str, SupportGroup | None] = {}

    def labels(guess: engine.Prediction) -> Labels:
        # Each label looked up once for the whole fill.
        category, group = guess.category.value, guess.group.value
        if category not in categories:
            categories[category] = _record(Category, category)
        if group not in groups:
            groups[group] = _record(SupportGroup, group)
        return categories[category], groups[group]

    def suggestion(ticket: Ticket) -> TriageSuggestion:
        guess = classifier.predict(ticket_text(ticket.title, ticket.description))
        return _suggestion(ticket, model, guess, labels(guess))

    waiting = tickets.filter(triage__isnull=True).only("id", "title", "description", "ticket_type")
    made = 0
    while rows := list(waiting.order_by("id")[:batch]):
        TriageSuggestion.objects.bulk_create([suggestion(ticket) for ticket in rows])
        made += len(rows)
    return made


# --- policy ---------------------------------------------------------------------------

POLICY_FIELDS = ("auto_apply", "threshold", "retrain_hours", "min_tickets")


def _check_policy(changes: dict[str, Any]) -> None:
    unknown = sorted(set(changes) - set(POLICY_FIELDS))
    if unknown:
        raise ValidationFailed(
            f"These settings do not exist: {unknown}.",
            field=unknown[0],
            value=changes[unknown[0]],
            accepted=list(POLICY_FIELDS),
        )
    checks: dict[str, tuple[float, float, str]] = {
        "threshold": (0.5, 1.0, "a confidence from 0.5 to 1 (0.85 = 85 %)"),
        "retrain_hours": (1, 24 * 30, "1 to 720 hours"),
        "min_tickets": (20, 1_000_000, "20 to 1,000,000 resolved tickets"),
    }
    for field, (low, high, accepted) in checks.items():
        if field not in changes:
            continue
        value = changes[field]
        if (
            isinstance(value, bool)
            or not isinstance(value, int | float)
            or not low <= value <= high
        ):
            raise ValidationFailed(
                f"{field} {value!r} is out of range.", field=field, value=value, accepted=accepted
            )
    if "auto_apply" in changes and not isinstance(changes["auto_apply"], bool):
        raise ValidationFailed(
            "auto_apply is on or off.",
            field="auto_apply",
            value=changes["auto_apply"],
            accepted=[True, False],
        )


@transaction.atomic
def policy_update(*, actor: User, changes: dict[str, Any]) -> TriagePolicy:
    """Change the desk's triage settings (managers)."""
    require(actor, Action.CONFIGURE)
    _check_policy(changes)
    desk = policy()
    desk = locked(desk) if desk.pk is not None else desk
    for field, value in changes.items():
        setattr(desk, field, value)
    desk.updated_by = actor
    data_changed(TriagePolicy)  # every process reads the policy again
    if desk.pk is None:
        desk.save()  # the desk's first setting writes its row
    else:
        desk.save(update_fields=[*changes, "updated_by", "updated_at"])
    return desk
