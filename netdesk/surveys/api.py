"""A ticket's satisfaction survey in the API."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.http import HttpRequest
from ninja import Router

from netdesk.accounts.models import User
from netdesk.accounts.permissions import Action, can, require, user_of
from netdesk.core.errors import NotFound
from netdesk.core.schemas import OutputSchema, answers
from netdesk.surveys.models import Survey, SurveyState
from netdesk.surveys.selectors import survey_of_ticket
from netdesk.surveys.services import survey_url
from netdesk.tickets.selectors import ticket_get

router = Router(tags=["surveys"])


class SurveyOut(OutputSchema):
    ticket: str
    state: str
    url: str | None
    reason: str
    rating: int | None
    nps: int | None
    asks_nps: bool
    comment: str
    scheduled_for: datetime | None
    sent_at: datetime | None
    expires_at: datetime | None
    answered_at: datetime | None
    editable_until: datetime | None
    incident: str | None
    follow_up: str | None


def may_see_link(user: User) -> bool:
    """The link lets anyone answer: given to those who talk to the
    customer about the ticket (every role that replies to customers)."""
    return can(user, Action.REPLY_ADD)


def survey_out(reference: str, survey: Survey, *, with_url: bool) -> dict[str, Any]:
    # A suppressed survey is never answered: no link to give.
    has_link = with_url and survey.state != SurveyState.SUPPRESSED
    follow_up = getattr(survey, "follow_up", None)
    return {
        "ticket": reference,
        "state": survey.state,
        "url": survey_url(survey) if has_link else None,
        "reason": survey.reason,
        "rating": survey.rating,
        "nps": survey.nps,
        "asks_nps": survey.asks_nps,
        "comment": survey.comment,
        "scheduled_for": survey.scheduled_for,
        "sent_at": survey.sent_at,
        "expires_at": survey.expires_at,
        "answered_at": survey.answered_at,
        "editable_until": survey.editable_until,
        "incident": survey.incident_ref or None,
        "follow_up": follow_up.state if follow_up is not None else None,
    }


@router.get(
    "/tickets/{ref}/survey",
    response=answers(SurveyOut),
    summary="The ticket's satisfaction survey: its state, link and answer",
)
def ticket_survey(request: HttpRequest, ref: str) -> dict[str, Any]:
    """`url` (the public page, `/survey/<token>/`) is given to roles that
    reply to customers, and never for a suppressed survey; `reason` says why
    a survey was suppressed."""
    user = user_of(request)
    require(user, Action.TICKET_VIEW)
    ticket = ticket_get(user=user, ref=ref)
    survey = survey_of_ticket(ticket)
    if survey is None:
        raise NotFound(
            f"{ticket.reference} has no survey: a ticket gets one when it is resolved "
            "(never an internal one).",
            field="ref",
            value=ref,
        )
    return survey_out(ticket.reference, survey, with_url=may_see_link(user))
