"""Shapes of tickets in the REST API."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Literal

from ninja import Field

from netdesk.core.schemas import InputSchema, IsoDateTime, OutputSchema
from netdesk.tickets.choices import (
    Channel,
    Direction,
    LinkKind,
    Outcome,
    ResolutionCode,
    RootCause,
    Status,
    TicketType,
    Visibility,
)
from netdesk.tickets.listing import SLA_STATES

if TYPE_CHECKING:
    TicketTypeName = str
    ChannelName = str
    StatusName = str
    DirectionName = str
    OutcomeName = str
    ResolutionName = str
    RootCauseName = str
    LinkKindName = str
    VisibilityName = str
    SlaStateName = str
else:
    TicketTypeName = Literal[tuple(TicketType.values)]
    ChannelName = Literal[tuple(Channel.values)]
    StatusName = Literal[tuple(Status.values)]
    DirectionName = Literal[tuple(Direction.values)]
    OutcomeName = Literal[tuple(Outcome.values)]
    ResolutionName = Literal[tuple(ResolutionCode.values)]
    RootCauseName = Literal[tuple(RootCause.values)]
    LinkKindName = Literal[tuple(LinkKind.values)]
    VisibilityName = Literal[tuple(Visibility.values)]
    SlaStateName = Literal[SLA_STATES]
LevelNumber = Literal[1, 2, 3]
# An int rather than a Literal: a Literal of ints never matches the text of
# a query string ("1"), so a filter by priority could never be used.
PriorityNumber = Annotated[int, Field(ge=1, le=5, description="1 (critical) to 5 (planning)")]

# The longest free text each field of a ticket takes, in characters: the
# API's schemas and the agent UI's forms both read them from here. Long
# enough for a pasted log or mail; short enough to read on one page.
TEXT_LIMITS = {
    "title": 200,
    "description": 20_000,
    "summary": 10_000,
    "notes": 10_000,
    "comment": 20_000,
    "note": 5_000,
    "reason": 5_000,
}


class Ref(OutputSchema):
    id: int
    name: str


class TicketOut(OutputSchema):
    ref: str
    public_id: str
    ticket_type: str
    channel: str
    status: str
    title: str
    priority: int
    impact: int
    urgency: int
    customer_id: int
    customer_name: str
    service_id: str | None
    category: str | None
    group: Ref
    assignee: str | None
    hierarchical_level: int
    functional_escalations: int
    first_contact_resolved: bool
    created_at: datetime
    updated_at: datetime
    first_response_at: datetime | None
    resolved_at: datetime | None
    sla_state: SlaStateName = Field(
        ..., description="ok, warning, breached, paused or none (no running target)"
    )
    next_due_at: datetime | None = Field(
        ..., description="the earliest due time of the targets running now"
    )


class TicketPage(OutputSchema):
    items: list[TicketOut]
    next_cursor: str | None


RESOLVED_ON_THE_CALL = (
    "with the outcome 'resolved' (and only then): how the call resolved the ticket, "
    "which is resolved in the same step; faults and complaints need a root_cause too"
)


class CallReportIn(InputSchema):
    direction: DirectionName = "inbound"
    started_at: IsoDateTime | None = None
    duration_seconds: int = Field(0, ge=0, le=86400)
    summary: str = Field(..., min_length=1, max_length=TEXT_LIMITS["summary"])
    outcome: OutcomeName = "ticket_created"
    resolution_code: ResolutionName | None = Field(None, description=RESOLVED_ON_THE_CALL)
    root_cause: RootCauseName | None = None


class TicketCreateIn(InputSchema):
    customer_id: int = Field(..., ge=1, le=2**62)
    ticket_type: TicketTypeName
    channel: ChannelName
    title: str = Field(..., min_length=1, max_length=TEXT_LIMITS["title"])
    description: str = Field("", max_length=TEXT_LIMITS["description"])
    category_id: int | None = Field(None, ge=1, le=2**62)
    service_id: str | None = Field(None, max_length=40)
    contact_id: int | None = Field(None, ge=1, le=2**62)
    impact: LevelNumber = 2
    urgency: LevelNumber = 2
    group_id: int | None = Field(None, ge=1, le=2**62)
    call: CallReportIn | None = None


class TicketPatchIn(InputSchema):
    title: str | None = Field(None, min_length=1, max_length=TEXT_LIMITS["title"])
    description: str | None = Field(None, max_length=TEXT_LIMITS["description"])
    category_id: int | None = Field(None, ge=1, le=2**62)
    service_id: str | None = Field(None, max_length=40)
    impact: LevelNumber | None = None
    urgency: LevelNumber | None = None
    status: StatusName | None = None
    assignee: str | None = Field(None, max_length=150, description="user name; '' unassigns")
    note: str = Field("", max_length=TEXT_LIMITS["note"])


class InteractionIn(InputSchema):
    channel: ChannelName
    direction: DirectionName
    started_at: IsoDateTime | None = None
    duration_seconds: int = Field(0, ge=0, le=86400)
    summary: str = Field(..., min_length=1, max_length=TEXT_LIMITS["summary"])
    outcome: OutcomeName
    contact_id: int | None = Field(None, ge=1, le=2**62)
    resolution_code: ResolutionName | None = Field(None, description=RESOLVED_ON_THE_CALL)
    root_cause: RootCauseName | None = None


class InteractionOut(OutputSchema):
    id: int
    channel: str
    direction: str
    started_at: datetime
    duration_seconds: int
    summary: str
    outcome: str
    agent: str | None


class EscalateIn(InputSchema):
    kind: Literal["functional", "hierarchical"]
    reason: str = Field(..., min_length=1, max_length=TEXT_LIMITS["reason"])
    group_id: int | None = Field(None, ge=1, le=2**62)


class ResolveIn(InputSchema):
    resolution_code: ResolutionName
    root_cause: RootCauseName | None = None
    notes: str = Field("", max_length=TEXT_LIMITS["notes"])


class CommentIn(InputSchema):
    visibility: VisibilityName
    body: str = Field(..., min_length=1, max_length=TEXT_LIMITS["comment"])


class EventOut(OutputSchema):
    at: datetime
    actor: str | None
    kind: str
    field: str
    old_value: str
    new_value: str
    message: str


class TicketDetailOut(TicketOut):
    description: str
    resolution_code: str
    root_cause: str
    resolution_notes: str
    reopen_count: int
    interactions: list[InteractionOut]
    events: list[EventOut]
