"""A call's report on a ticket, and the callback list. The report's start,
duration, direction and agent come from the call's events, never from a
form: the agent gives only what was said and the outcome."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone

from netdesk.accounts.models import User
from netdesk.accounts.permissions import Action, require
from netdesk.core.errors import ValidationFailed
from netdesk.core.locking import locked
from netdesk.customers.models import Contact
from netdesk.phone.models import Call, CallDirection, CallOutcome
from netdesk.tickets.choices import Channel, Direction
from netdesk.tickets.models import Interaction, Ticket
from netdesk.tickets.services import ticket_create, ticket_interaction_log

# Calls nobody spoke on: they go on the callback list until someone calls back.
CALLBACK_OUTCOMES = (CallOutcome.MISSED, CallOutcome.ABANDONED)
DIRECTIONS: dict[str, str] = {
    CallDirection.INBOUND: Direction.INBOUND,
    CallDirection.OUTBOUND: Direction.OUTBOUND,
}


def call_report_facts(call: Call, *, now: datetime | None = None) -> dict[str, Any]:
    """What the events say about the conversation: its direction, when it
    started (answered, else rang) and how long it lasted. A call still going
    on when it is logged counts up to now."""
    started_at = call.answered_at or call.started_at
    if call.duration_seconds is not None:
        duration = call.duration_seconds
    elif call.ended_at is not None:
        duration = max(0, int((call.ended_at - started_at).total_seconds()))
    else:
        duration = max(0, int(((now or timezone.now()) - started_at).total_seconds()))
    return {
        "direction": DIRECTIONS.get(call.direction, Direction.INBOUND),
        "started_at": started_at,
        "duration_seconds": duration,
    }


def _check_loggable(call: Call) -> None:
    """Refuse a call logged before (a call has one report) or never answered."""
    if call.interaction_id is not None or call.ticket_id is not None:
        logged_on = Ticket(pk=call.ticket_id).reference if call.ticket_id else "a ticket"
        raise ValidationFailed(
            f"Call {call.call_id} is already logged on {logged_on}; a call is logged once.",
            field="call",
            value=call.call_id,
            accepted="a call not yet logged on a ticket",
        )
    if call.answered_at is None:
        raise ValidationFailed(
            f"Call {call.call_id} was not answered ({call.outcome or 'still ringing'}): "
            "there is no conversation to report; call back from the callback list.",
            field="call",
            value=call.call_id,
            accepted="an answered call",
        )


def _contact_for(call: Call, ticket: Ticket) -> Contact | None:
    """The caller's contact when they belong to the ticket's customer, else
    the ticket's own contact."""
    if call.contact is not None and call.contact.customer_id == ticket.customer_id:
        return call.contact
    return ticket.contact


def _settle(call: Call, *, ticket: Ticket, interaction: Interaction) -> None:
    """Tie the call to its report; the report's agent is who answered."""
    if call.answered_by_id is not None and interaction.agent_id != call.answered_by_id:
        Interaction.objects.filter(pk=interaction.pk).update(agent_id=call.answered_by_id)
        interaction.agent_id = call.answered_by_id
    call.ticket = ticket
    call.interaction = interaction
    call.save(update_fields=["ticket", "interaction"])


@transaction.atomic
def call_report_log(
    *,
    actor: User,
    call: Call,
    ticket: Ticket,
    summary: str,
    outcome: str,
    resolution_code: str = "",
    root_cause: str = "",
) -> Interaction:
    """Log an answered call on an existing ticket as its call report. The
    ticket services check the summary, the outcome, the resolution and that
    the ticket is the caller's customer's."""
    require(actor, Action.INTERACTION_LOG)
    call = locked(call, what="call")
    _check_loggable(call)
    report = {
        "channel": Channel.PHONE,
        **call_report_facts(call),
        "summary": summary,
        "outcome": outcome,
        "resolution_code": resolution_code,
        "root_cause": root_cause,
    }
    interaction = ticket_interaction_log(
        actor=actor, ticket=ticket, contact=_contact_for(call, ticket), call=report
    )
    _settle(call, ticket=ticket, interaction=interaction)
    return interaction


@transaction.atomic
def call_ticket_create(
    *, actor: User, call: Call, ticket: dict[str, Any], report: dict[str, Any]
) -> Ticket:
    """Open a ticket from an answered call: `ticket` holds ticket_create's
    ticket arguments (customer, type, title, …), `report` the agent's summary,
    outcome (and resolution); the rest of the call report comes from the call."""
    require(actor, Action.INTERACTION_LOG)
    call = locked(call, what="call")
    _check_loggable(call)
    arguments = {**ticket, "channel": Channel.PHONE}
    facts = call_report_facts(call)
    arguments["call"] = {
        "summary": report.get("summary", ""),
        "outcome": report.get("outcome", ""),
        "resolution_code": report.get("resolution_code", ""),
        "root_cause": report.get("root_cause", ""),
        **facts,
    }
    created = ticket_create(actor=actor, **arguments)
    interaction = Interaction.objects.filter(ticket=created).order_by("pk").first()
    if interaction is None:  # ticket_create logs the call it is given
        raise RuntimeError(f"{created.reference} was created without its call report.")
    _settle(call, ticket=created, interaction=interaction)
    return created


@transaction.atomic
def call_callback_done(*, actor: User, call: Call) -> Call:
    """Take a missed or abandoned call off the callback list: someone called
    back. Marking it again keeps the first callback's time and agent."""
    require(actor, Action.CALL_VIEW)
    call = locked(call, what="call")
    if call.outcome not in CALLBACK_OUTCOMES:
        raise ValidationFailed(
            f"Call {call.call_id} is {call.get_outcome_display() or 'not ended'}: "
            "only missed and abandoned calls wait for a callback.",
            field="call",
            value=call.call_id,
            accepted=[str(outcome) for outcome in CALLBACK_OUTCOMES],
        )
    if call.called_back_at is None:
        call.called_back_at = timezone.now()
        call.called_back_by = actor
        call.save(update_fields=["called_back_at", "called_back_by"])
    return call
