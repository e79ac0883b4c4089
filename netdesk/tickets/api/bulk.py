"""POST /tickets/bulk: one change to many tickets, all or nothing."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse
from ninja import Field, Router, Status

from netdesk.accounts.permissions import Action, require, user_of
from netdesk.core.idempotency import run_once
from netdesk.core.refusals import PROBLEM, problem_body
from netdesk.core.schemas import (
    ERROR_CODES,
    MAX_ID,
    InputSchema,
    IsoDateTime,
    OutputSchema,
    Problem,
)
from netdesk.tickets.services.bulk import BULK_MAX_TICKETS, NOTE_LIMIT, tickets_bulk_apply

router = Router()


class BulkIn(InputSchema):
    refs: list[str] = Field(..., description=f"references of the tickets (1 to {BULK_MAX_TICKETS})")
    action: str = Field(..., description="assign, group, priority, status, incident, merge or note")
    assignee: str | int | None = Field(
        None, description="assign: the agent's user name or id, or 'none'"
    )
    group: int | None = Field(
        None, ge=1, le=MAX_ID, description="group (and optionally assign): the group's id"
    )
    reason: str | None = Field(
        None, max_length=NOTE_LIMIT, description="group: why, when it goes to another tier"
    )
    impact: int | None = Field(None, description="priority: 1 (high), 2 or 3 (low)")
    urgency: int | None = Field(None, description="priority: 1 (high), 2 or 3 (low)")
    status: str | None = Field(None, description="status: the new working status")
    incident: str | None = Field(
        None, max_length=30, description="incident: the network incident's reference"
    )
    into: str | None = Field(None, max_length=30, description="merge: the ticket that carries on")
    note: str | None = Field(
        None, max_length=NOTE_LIMIT, description="note: the internal note; status: its note"
    )
    seen_at: IsoDateTime | None = Field(
        None, description="refuse tickets changed after this time (the list's time)"
    )


class BulkTicketOut(OutputSchema):
    ref: str
    changes: list[str]


class BulkOut(OutputSchema):
    action: str
    applied: bool
    summary: str
    changed: int
    tickets: list[BulkTicketOut]
    lines: list[str]


class BulkRefusalOut(OutputSchema):
    # The refused ticket; absent when the request itself names a bad field.
    ref: str | None = None
    message: str
    field: str | None = None
    value: Any = None
    accepted: Any = None


class BulkRefusedOut(OutputSchema):
    """The problem document of a refused bulk change, one error per ticket."""

    type: str
    title: str
    status: int
    detail: str
    instance: str
    errors: list[BulkRefusalOut]


RESPONSES: dict[int, Any] = {
    200: BulkOut,
    **dict.fromkeys(ERROR_CODES, Problem),
    # A ticket that cannot take the change; a bad parameter answers the
    # usual problem document naming that field.
    422: BulkRefusedOut,
}


@router.post(
    "/bulk",
    response=RESPONSES,
    summary="Change many tickets at once (all or nothing; Idempotency-Key supported)",
)
def bulk_apply(request: HttpRequest, payload: BulkIn) -> Status[Any] | HttpResponse:
    """200 with what changed on each ticket, or 422 naming each ticket that
    cannot take the change (nothing is written)."""
    user = user_of(request)
    require(user, Action.TICKET_BULK)
    params = payload.dict(exclude={"refs", "action"}, exclude_none=True)

    def apply() -> tuple[int, Any]:
        result = tickets_bulk_apply(
            actor=user, refs=payload.refs, action=payload.action, params=params
        )
        if result.applied:
            return 200, result.as_dict()
        body = problem_body(
            request,
            status=422,
            title="Some tickets cannot take this change; nothing was changed",
            detail=result.summary(),
            kind="bulk-refused",
            errors=[refusal.as_dict() for refusal in result.refused],
        )
        return 422, body

    status, body = run_once(
        user=user,
        key=request.headers.get("Idempotency-Key"),
        endpoint="tickets.bulk",
        payload=payload.dict(),
        create=apply,
    )
    if status == 422:
        return JsonResponse(body, status=422, content_type=PROBLEM)
    return Status(status, body)
