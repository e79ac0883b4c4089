"""Notifying an incident's affected customers, served under the NOC's
incidents (/api/v1/noc/incidents/{ref}/notify)."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from django.http import HttpRequest
from ninja import Field, Router, Status

from netdesk.accounts.permissions import Action, require, user_of
from netdesk.channels.services.incident_notices import incident_notify
from netdesk.core.errors import NotFound
from netdesk.core.schemas import InputSchema, OutputSchema, answers
from netdesk.noc.selectors import incident_detail

router = Router()


class NotifyIn(InputSchema):
    confirm: bool = Field(
        default=False,
        description="Notify although more customers are affected than NETDESK_NOTICE_CAP; "
        "without it such a notice is answered 409 confirmation-needed, naming the count "
        "and the cap.",
    )


class NotifyOut(OutputSchema):
    incident: str
    update_id: int
    affected: int
    queued: int
    already_notified: int = Field(description="Customers who already had this update's notice.")
    not_reachable: int = Field(
        description="Customers with no verified, not bouncing e-mail address."
    )
    not_reachable_accounts: list[str] = Field(
        description="Account numbers of the first 100 customers not reachable."
    )


@router.post(
    "/incidents/{ref}/notify",
    response=answers(NotifyOut, 202),
    summary="Notify the affected customers of the latest update",
)
def incident_notify_customers(
    request: HttpRequest, ref: str, payload: NotifyIn
) -> Status[dict[str, Any]]:
    """Queue a notice of the incident's latest update to each affected
    customer that has none yet; the messages leave at NETDESK_NOTICE_RATE."""
    user = user_of(request)
    require(user, Action.CUSTOMERS_NOTIFY)
    incident = incident_detail(ref, user=user)
    if incident is None:
        raise NotFound(f"No incident {ref}.", field="ref", value=ref, accepted="NI-<number>")
    result = incident_notify(actor=user, incident=incident, confirm=payload.confirm)
    return Status(202, asdict(result))
