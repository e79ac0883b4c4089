"""A ticket's triage suggestion in the API."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db import transaction
from django.http import HttpRequest
from ninja import Router
from pydantic import Field

from netdesk.accounts.permissions import Action, require, user_of
from netdesk.core.errors import NotFound
from netdesk.core.schemas import InputSchema, OutputSchema, answers
from netdesk.tickets.selectors import ticket_get
from netdesk.triage.models import TriageSuggestion
from netdesk.triage.selectors import suggestion_for
from netdesk.triage.services import TARGETS, suggestion_apply

router = Router(tags=["triage"])


class GuessOut(OutputSchema):
    value: str | int | None
    label: str | None
    confidence: float


class SuggestionOut(OutputSchema):
    ticket: str
    method: str
    model_trained_at: datetime | None
    ticket_type: GuessOut
    category: GuessOut
    group: GuessOut
    network_fault: bool
    network_fault_confidence: float
    evidence: list[str]
    created_at: datetime
    applied_at: datetime | None
    applied_by: str | None
    applied_automatically: bool


def suggestion_out(reference: str, suggestion: TriageSuggestion) -> dict[str, Any]:
    category, group = suggestion.category, suggestion.group
    return {
        "ticket": reference,
        "method": suggestion.method,
        "model_trained_at": suggestion.model.trained_at if suggestion.model else None,
        "ticket_type": {
            "value": suggestion.ticket_type,
            "label": suggestion.get_ticket_type_display(),
            "confidence": suggestion.type_confidence,
        },
        "category": {
            "value": category.pk if category else None,
            "label": category.name if category else None,
            "confidence": suggestion.category_confidence,
        },
        "group": {
            "value": group.pk if group else None,
            "label": group.name if group else None,
            "confidence": suggestion.group_confidence,
        },
        "network_fault": suggestion.network_fault,
        "network_fault_confidence": suggestion.network_fault_confidence,
        "evidence": [str(word) for word in suggestion.evidence],
        "created_at": suggestion.created_at,
        "applied_at": suggestion.applied_at,
        "applied_by": suggestion.applied_by.username if suggestion.applied_by else None,
        "applied_automatically": suggestion.applied_automatically,
    }


@router.get(
    "/tickets/{ref}/triage",
    response=answers(SuggestionOut),
    summary="What triage made of the ticket's words",
)
def ticket_triage(request: HttpRequest, ref: str) -> dict[str, Any]:
    user = user_of(request)
    require(user, Action.TICKET_VIEW)
    ticket = ticket_get(user=user, ref=ref)
    suggestion = suggestion_for(ticket.pk)
    if suggestion is None:
        raise NotFound(f"{ticket.reference} has no triage suggestion.", field="ref", value=ref)
    return suggestion_out(ticket.reference, suggestion)


class ApplyIn(InputSchema):
    targets: list[str] = Field(
        min_length=1, max_length=len(TARGETS), description=f"among {', '.join(TARGETS)}"
    )


@router.post(
    "/tickets/{ref}/triage/apply",
    response=answers(SuggestionOut),
    summary="Apply what triage suggested for these targets (type, category, group)",
)
def ticket_triage_apply(request: HttpRequest, ref: str, payload: ApplyIn) -> dict[str, Any]:
    user = user_of(request)
    require(user, Action.TICKET_UPDATE)
    with transaction.atomic():
        ticket = ticket_get(user=user, ref=ref, for_update=True)
        suggestion_apply(actor=user, ticket=ticket, targets=payload.targets)
    found = suggestion_for(ticket.pk)
    assert found is not None  # suggestion_apply refuses a ticket without one
    return suggestion_out(ticket.reference, found)
