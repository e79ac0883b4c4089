"""Reading triage: a ticket's suggestion, whether a ticket is a network
fault, the classifier in use and the desk's policy."""

from __future__ import annotations

import copy
import logging

from netdesk.core.memo import Memo
from netdesk.tickets.choices import TicketType
from netdesk.tickets.models import Ticket
from netdesk.triage import engine
from netdesk.triage.models import TriageModel, TriagePolicy, TriageSuggestion

logger = logging.getLogger("netdesk.triage")

# A suggestion counts a ticket as a network fault from this confidence on:
# below it the words say as much against as for.
NETWORK_FAULT_CONFIDENCE = 0.5


class KeywordRules:
    """The cold-start classifier: the engine's keyword rules, answering
    like a learned model so callers need not tell them apart."""

    method = "keywords"

    def predict(self, text: str) -> engine.Prediction:
        return engine.keyword_predict(text)


Predictor = engine.Classifier | KeywordRules


def suggestion_for(ticket_id: int) -> TriageSuggestion | None:
    """The ticket's suggestion with the category and group it names."""
    return (
        TriageSuggestion.objects.select_related("category", "group", "applied_by", "model")
        .filter(ticket_id=ticket_id)
        .first()
    )


def is_network_fault(ticket: Ticket) -> bool:
    """Whether the ticket reports a loss or degradation of network service:
    its type is fault, or its words say so with confidence. A ticket whose
    suggestion was loaded with it (select_related "triage") costs no query."""
    if ticket.ticket_type == TicketType.FAULT:
        return True
    try:
        suggestion = ticket.triage
    except TriageSuggestion.DoesNotExist:
        return False
    return (
        suggestion.network_fault and suggestion.network_fault_confidence >= NETWORK_FAULT_CONFIDENCE
    )


def active_model() -> TriageModel | None:
    """The newest active trained model, or None while keywords answer."""
    return TriageModel.objects.filter(is_active=True).order_by("-trained_at", "-id").first()


def _classifier_build() -> tuple[TriageModel | None, Predictor]:
    model = active_model()
    if model is None or model.method == KeywordRules.method:
        return model, KeywordRules()
    try:
        return model, engine.Classifier.from_json(model.parameters)
    except (ValueError, KeyError, TypeError):
        # A model this version cannot read (stored by another one): the
        # keyword rules answer until the next training.
        logger.exception("Triage model %s is unreadable; keyword rules answer.", model.pk)
        return None, KeywordRules()


# Rebuilt in every process when a model is trained or (de)activated.
_classifier: Memo[tuple[TriageModel | None, Predictor]] = Memo(
    _classifier_build, depends_on=[TriageModel]
)


def active_classifier() -> tuple[TriageModel | None, Predictor]:
    """The model row in use (None for the keyword rules) and its classifier."""
    return _classifier.get()


def _policy_read() -> TriagePolicy:
    # The oldest row answers: two first settings at once leave a second
    # row that is never read.
    found = TriagePolicy.objects.order_by("id").first()
    return found if found is not None else TriagePolicy()


# Read by every new ticket; changed by a manager now and then
# (`services.policy_update` and the admin mark the table changed).
_policy: Memo[TriagePolicy] = Memo(_policy_read, depends_on=[TriagePolicy])


def policy() -> TriagePolicy:
    """The desk's triage policy: the defaults (unsaved) until a manager
    sets it (`services.policy_update` writes the row)."""
    # A copy: the memo's instance is shared by every thread, and the
    # caller may change and save what it is given.
    return copy.copy(_policy.get())
