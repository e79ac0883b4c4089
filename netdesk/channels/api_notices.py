"""Notifying an incident's affected customers, served under the NOC's
incidents (/api/v1/noc/incidents/{ref}/notify)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.http import HttpRequest
from ninja import Field, Router, Status

from netdesk.accounts.models import User
from netdesk.accounts.permissions import Action, require, user_of
from netdesk.channels.models import NotifyOrder
from netdesk.channels.selectors_notices import last_notify_order
from netdesk.channels.tasks import incident_notify_start
from netdesk.core.errors import NotFound
from netdesk.core.schemas import InputSchema, OutputSchema, answers
from netdesk.noc.models import NetworkIncident
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
    order: int = Field(description="The notify order; its progress: GET …/notify.")
    state: str = Field(
        description="pending (waiting for a worker), running (queuing notices), done, or "
        "failed (stopped, see problem). The counts below are final once done."
    )
    affected: int = Field(
        description="Customers the incident affects: the impact count when ordered, the "
        "customers gone through once done."
    )
    to_notify: int = Field(
        description="Affected customers without this update's notice when ordered: at most "
        "this many notices will be queued (the not reachable get none)."
    )
    customers_done: int = Field(description="Affected customers gone through so far.")
    queued: int = Field(description="Notices queued so far by this order.")
    already_notified: int = Field(
        description="Customers gone through who already had this update's notice."
    )
    not_reachable: int = Field(
        description="Customers gone through with no verified, not bouncing e-mail address."
    )
    not_reachable_accounts: list[str] = Field(
        description="Account numbers of the first 100 customers not reachable."
    )
    problem: str = Field(description="Why the order stopped (state failed), else empty.")
    created_at: datetime
    finished_at: datetime | None


def order_answer(order: NotifyOrder) -> dict[str, Any]:
    return {
        "incident": order.incident.reference,
        "update_id": order.incident_update_id,
        "order": order.pk,
        "state": order.state,
        "affected": order.affected,
        "to_notify": order.to_notify,
        "customers_done": order.customers_done,
        "queued": order.queued,
        "already_notified": order.already_notified,
        "not_reachable": order.not_reachable,
        "not_reachable_accounts": order.not_reachable_accounts,
        "problem": order.problem,
        "created_at": order.created_at,
        "finished_at": order.finished_at,
    }


def _incident(ref: str, user: User) -> NetworkIncident:
    require(user, Action.CUSTOMERS_NOTIFY)
    incident = incident_detail(ref, user=user)
    if incident is None:
        raise NotFound(f"No incident {ref}.", field="ref", value=ref, accepted="NI-<number>")
    return incident


@router.post(
    "/incidents/{ref}/notify",
    response=answers(NotifyOut, 202),
    summary="Notify the affected customers of the latest update",
)
def incident_notify_customers(
    request: HttpRequest, ref: str, payload: NotifyIn
) -> Status[dict[str, Any]]:
    """Order a notice of the incident's latest update to each affected
    customer that has none yet, answered at once (202): a background task
    queues the notices, which leave at NETDESK_NOTICE_RATE. While an order
    of the same update is under way, that order is answered."""
    user = user_of(request)
    incident = _incident(ref, user)
    order = incident_notify_start(actor=user, incident=incident, confirm=payload.confirm)
    return Status(202, order_answer(order))


@router.get(
    "/incidents/{ref}/notify",
    response=answers(NotifyOut),
    summary="The progress of the latest order to notify the affected customers",
)
def incident_notify_progress(request: HttpRequest, ref: str) -> dict[str, Any]:
    user = user_of(request)
    incident = _incident(ref, user)
    order = last_notify_order(incident)
    if order is None:
        raise NotFound(
            f"{incident.reference}'s customers were never notified.",
            field="ref",
            value=ref,
            accepted="an incident whose customers were notified",
        )
    order.incident = incident
    return order_answer(order)
