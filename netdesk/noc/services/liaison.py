"""The liaison between the NOC and customer service: the NOC is asked for
remote troubleshooting and answers on the ticket, and every exchange is
recorded as an interaction between the two groups."""

from __future__ import annotations

import logging
from datetime import datetime

from django.db import transaction
from django.utils import timezone

from netdesk.accounts.models import SupportGroup, TierKind, User
from netdesk.accounts.permissions import Action, require
from netdesk.accounts.selectors import line_group
from netdesk.core.errors import ValidationFailed
from netdesk.core.locking import locked
from netdesk.noc.models import LiaisonKind, LiaisonRecord, NetworkIncident
from netdesk.tickets.events import (
    event_troubleshooting_answered,
    event_troubleshooting_closed,
    event_troubleshooting_requested,
)
from netdesk.tickets.models import Ticket

logger = logging.getLogger("netdesk.noc")
# The liaison runs between two lines of support, whatever their groups are
# called: the NOC owns network incidents, customer service takes the calls.
NOC_LINE = TierKind.SECOND_LINE
CUSTOMER_SERVICE_LINE = TierKind.FIRST_LINE


def ticket_resolved(*, ticket: Ticket, actor: User | None) -> None:
    """Called by ticket resolution (NETDESK_HOOKS["ticket_resolved"]): a
    resolved ticket needs no remote test, so its requests the NOC has not
    answered are closed, each on the liaison record and the ticket's timeline."""
    requests = (
        LiaisonRecord.objects.select_for_update(of=("self",))
        .filter(ticket=ticket, kind=LiaisonKind.TROUBLESHOOTING_REQUEST, answered_by__isnull=True)
        .select_related("from_group", "to_group")
        .order_by("at", "id")
    )
    now = timezone.now()
    for request in requests:
        closing = _record(
            kind=LiaisonKind.REQUEST_CLOSED,
            from_group=request.from_group,
            to_group=request.to_group,
            author=actor,
            body=f"No longer needed: {ticket.reference} was resolved "
            f"({ticket.get_resolution_code_display().lower()}).",
            at=now,
            ticket=ticket,
            answers=request,
        )
        event_troubleshooting_closed(
            ticket=ticket,
            actor=closing.author,
            liaison_kind=closing.kind,
            body=closing.body,
            at=closing.at,
        )


def _record(
    *,
    kind: str,
    from_group: SupportGroup,
    to_group: SupportGroup,
    author: User | None,
    body: str,
    at: datetime,
    incident: NetworkIncident | None = None,
    ticket: Ticket | None = None,
    answers: LiaisonRecord | None = None,
) -> LiaisonRecord:
    return LiaisonRecord.objects.create(
        kind=kind,
        from_group=from_group,
        to_group=to_group,
        author=author,
        body=body,
        at=at,
        incident=incident,
        ticket=ticket,
        answers=answers,
    )


def liaison_status_update(
    *, incident: NetworkIncident, actor: User | None, body: str, at: datetime
) -> LiaisonRecord | None:
    """The NOC telling customer service about an incident."""
    noc, desk = line_group(NOC_LINE), line_group(CUSTOMER_SERVICE_LINE)
    if noc is None or desk is None:
        # The incident goes on without the record; the update still reaches
        # the tickets and the customers.
        logger.warning(
            "no active %s group; incident %s update not recorded",
            (NOC_LINE if noc is None else CUSTOMER_SERVICE_LINE).label,
            incident.pk,
        )
        return None
    return _record(
        kind=LiaisonKind.STATUS_UPDATE,
        from_group=noc,
        to_group=desk,
        author=actor,
        body=body,
        at=at,
        incident=incident,
    )


def _check_body(body: str) -> str:
    body = body.strip()
    if not body or len(body) > 5000:
        raise ValidationFailed(
            "The message must be 1 to 5,000 characters.",
            field="body",
            value=body[:100],
            accepted="1 to 5,000 characters",
        )
    return body


def _line_group_or_fail(line: TierKind) -> SupportGroup:
    group = line_group(line)
    if group is None:
        named = line.label[0].lower() + line.label[1:]
        raise ValidationFailed(
            f"The desk has no active group of the {named}: activate one or create one.",
            field="group",
            value=None,
            accepted=f"an active support group of the {named}",
        )
    return group


def _groups_or_fail() -> tuple[SupportGroup, SupportGroup]:
    return _line_group_or_fail(NOC_LINE), _line_group_or_fail(CUSTOMER_SERVICE_LINE)


@transaction.atomic
def troubleshooting_request(*, actor: User, ticket: Ticket, body: str) -> LiaisonRecord:
    """Customer service asks the NOC to test the customer's line remotely."""
    require(actor, Action.LIAISON_RECORD)
    body = _check_body(body)
    noc, desk = _groups_or_fail()
    now = timezone.now()
    record = _record(
        kind=LiaisonKind.TROUBLESHOOTING_REQUEST,
        from_group=desk,
        to_group=noc,
        author=actor,
        body=body,
        at=now,
        ticket=ticket,
    )
    event_troubleshooting_requested(
        ticket=ticket, actor=record.author, liaison_kind=record.kind, body=record.body, at=record.at
    )
    return record


@transaction.atomic
def troubleshooting_result(
    *, actor: User, ticket: Ticket, body: str, request: LiaisonRecord | None = None
) -> LiaisonRecord:
    """The NOC records what its remote tests found, on the ticket."""
    require(actor, Action.INCIDENT_MANAGE)
    body = _check_body(body)
    if request is not None:
        locked(request, what="troubleshooting request")
    if request is not None and (
        request.ticket_id != ticket.pk or request.kind != LiaisonKind.TROUBLESHOOTING_REQUEST
    ):
        raise ValidationFailed(
            "That request is not a troubleshooting request on this ticket.",
            field="request",
            value=request.pk,
            accepted=f"a troubleshooting request on {ticket.reference}",
        )
    noc, desk = _groups_or_fail()
    now = timezone.now()
    record = _record(
        kind=LiaisonKind.TROUBLESHOOTING_RESULT,
        from_group=noc,
        to_group=desk,
        author=actor,
        body=body,
        at=now,
        ticket=ticket,
        answers=request,
    )
    event_troubleshooting_answered(
        ticket=ticket, actor=record.author, liaison_kind=record.kind, body=record.body, at=record.at
    )
    return record
