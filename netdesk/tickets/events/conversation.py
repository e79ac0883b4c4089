"""Events of the conversation on a ticket and of links between tickets."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from netdesk.accounts.models import User
from netdesk.tickets.events.live import events_heard
from netdesk.tickets.events.rows import FieldChange, row, write, write_changes
from netdesk.tickets.models import Ticket, TicketEvent
from netdesk.tickets.models.timeline import EventKind


def event_interaction_logged(
    *, ticket: Ticket, actor: User | None, channel: str, direction: str, summary: str, at: datetime
) -> TicketEvent:
    return write(
        ticket=ticket,
        actor=actor,
        kind=EventKind.INTERACTION_LOGGED,
        new=f"{channel} {direction}",
        message=summary,
        at=at,
    )


# The timeline shows the comment itself; the event keeps a readable start.
COMMENT_EXCERPT = 500


def event_note_added(*, ticket: Ticket, actor: User, body: str) -> TicketEvent:
    return write(
        ticket=ticket, actor=actor, kind=EventKind.NOTE_ADDED, message=body[:COMMENT_EXCERPT]
    )


def event_reply_added(*, ticket: Ticket, actor: User, body: str) -> TicketEvent:
    return write(
        ticket=ticket, actor=actor, kind=EventKind.REPLY_ADDED, message=body[:COMMENT_EXCERPT]
    )


def event_attachment_added(
    *, ticket: Ticket, actor: User | None, filename: str, content_type: str, size: int
) -> TicketEvent:
    return write(
        ticket=ticket,
        actor=actor,
        kind=EventKind.ATTACHMENT_ADDED,
        new=filename,
        message=f"{content_type}, {size} bytes",
    )


def event_linked(
    *, source: Ticket, target: Ticket, actor: User | None, link_kind: str, label: str
) -> list[TicketEvent]:
    """Both ends of a new link; `label` reads "duplicate of", "related to"..."""
    written = TicketEvent.objects.bulk_create(
        [
            row(
                ticket=source,
                actor=actor,
                kind=EventKind.LINKED,
                field=link_kind,
                new=target.reference,
                message=f"{label} {target.reference}",
            ),
            row(
                ticket=target,
                actor=actor,
                kind=EventKind.LINKED,
                field=link_kind,
                new=source.reference,
                message=f"{source.reference} is {label} this",
            ),
        ]
    )
    events_heard(written)
    return written


def event_unlinked(
    *, ticket: Ticket, other: Ticket, actor: User, link_kind: str, reason: str
) -> TicketEvent:
    return write(
        ticket=ticket,
        actor=actor,
        kind=EventKind.UNLINKED,
        field=link_kind,
        old=other.reference,
        message=reason,
    )


def event_parent_set(
    *,
    child: Ticket,
    parent: Ticket | None,
    old_parent: Ticket | None,
    actor: User,
    changes: Sequence[FieldChange],
) -> list[TicketEvent]:
    """The child's new (or no) parent; a new parent records its child too."""
    shown = parent or old_parent
    events = write_changes(
        ticket=child,
        actor=actor,
        kind=EventKind.LINKED if parent else EventKind.UNLINKED,
        changes=changes,
        message=f"parent {shown.reference}" if shown else "",
    )
    if parent is not None:
        events.append(
            write(
                ticket=parent,
                actor=actor,
                kind=EventKind.LINKED,
                field="child",
                new=child.reference,
            )
        )
    return events


def event_merged(
    *,
    duplicate: Ticket,
    into: Ticket,
    actor: User,
    changes: Sequence[FieldChange],
    at: datetime,
) -> list[TicketEvent]:
    """The duplicate's fields as the merge set them, and the surviving
    ticket's note of what it took in."""
    events = write_changes(
        ticket=duplicate,
        actor=actor,
        kind=EventKind.MERGED,
        changes=changes,
        message=f"merged into {into.reference}",
        at=at,
    )
    events.append(
        write(
            ticket=into,
            actor=actor,
            kind=EventKind.MERGED,
            new=duplicate.reference,
            message=f"{duplicate.reference} merged into this ticket",
            at=at,
        )
    )
    return events
