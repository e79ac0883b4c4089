"""Linking many tickets to one network incident from the queue's bulk
change. Tickets sit below the NOC, so the bulk change learns of this action
through the answered hook `ticket_bulk_actions` rather than importing it;
each ticket is linked by the NOC's own `incident_link_ticket`."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from netdesk.accounts.models import User
from netdesk.accounts.permissions import Action
from netdesk.core.errors import ValidationFailed
from netdesk.noc.models import IncidentTicket, NetworkIncident
from netdesk.noc.services.incidents import incident_link_ticket
from netdesk.tickets.models import Ticket
from netdesk.tickets.services.bulk import BulkAction, Prepared

ACCEPTED = "the reference of an active network incident, like NI-000042"


def _prepare(actor: User, params: Mapping[str, Any]) -> Prepared:  # noqa: ARG001 (the action's signature)
    text = str(params.get("incident") or "").strip()
    number = text.upper().removeprefix("NI-")
    incident = None
    if number.isascii() and number.isdigit() and len(number) <= 18:
        incident = NetworkIncident.objects.filter(pk=int(number)).first()
    if incident is None:
        raise ValidationFailed(
            f"No network incident {text!r}.", field="incident", value=text, accepted=ACCEPTED
        )
    return Prepared(incident)


def _apply(actor: User, ticket: Ticket, incident: NetworkIncident) -> list[str]:
    already = IncidentTicket.objects.filter(
        incident=incident, ticket=ticket, unlinked_at__isnull=True
    ).exists()
    incident_link_ticket(actor=actor, incident=incident, ticket=ticket)
    return [] if already else [f"linked to {incident.reference}"]


def bulk_actions() -> dict[str, BulkAction]:
    """The answer to `ticket_bulk_actions`: the NOC's action."""
    return {
        "incident": BulkAction(
            label="Link to a network incident",
            permission=Action.TICKET_LINK,
            prepare=_prepare,
            apply=_apply,
        )
    }
