"""Links between tickets: duplicate of, related to, parent/child, and merging."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from netdesk.accounts.models import User
from netdesk.accounts.permissions import Action, require
from netdesk.core.errors import TransitionNotAllowed, ValidationFailed
from netdesk.core.locking import locked
from netdesk.sla.services import sla_refresh
from netdesk.tickets.choices import LinkKind, ResolutionCode, Status, Visibility
from netdesk.tickets.models import Comment, Ticket, TicketLink
from netdesk.tickets.models.timeline import EventKind
from netdesk.tickets.services.events import apply_changes, event_record


def _not_self(source: Ticket, target: Ticket, field: str) -> None:
    if source.pk == target.pk:
        raise ValidationFailed(
            f"{source.reference} cannot be linked to itself.",
            field=field,
            value=target.reference,
            accepted="another ticket's reference",
        )


@transaction.atomic
def ticket_link(*, actor: User, source: Ticket, target: Ticket, kind: str) -> TicketLink:
    require(actor, Action.TICKET_LINK)
    if kind not in LinkKind.values:
        raise ValidationFailed(
            f"Link kind {kind!r} is not accepted.",
            field="kind",
            value=kind,
            accepted=list(LinkKind.values),
        )
    _not_self(source, target, "target")
    link, created = TicketLink.objects.get_or_create(
        source=source, target=target, kind=kind, defaults={"created_by": actor}
    )
    if created:
        label = LinkKind(kind).label.lower()
        event_record(
            ticket=source,
            actor=actor,
            kind=EventKind.LINKED,
            field=kind,
            new=target.reference,
            message=f"{label} {target.reference}",
        )
        event_record(
            ticket=target,
            actor=actor,
            kind=EventKind.LINKED,
            field=kind,
            new=source.reference,
            message=f"{source.reference} is {label} this",
        )
    return link


@transaction.atomic
def ticket_unlink(*, actor: User, link: TicketLink, reason: str = "") -> None:
    require(actor, Action.TICKET_LINK)
    link = locked(link, what="ticket link")
    for ticket, other in ((link.source, link.target), (link.target, link.source)):
        event_record(
            ticket=ticket,
            actor=actor,
            kind=EventKind.UNLINKED,
            field=link.kind,
            old=other.reference,
            message=reason,
        )
    link.delete()


@transaction.atomic
def ticket_set_parent(*, actor: User, child: Ticket, parent: Ticket | None) -> Ticket:
    """Make `child` part of `parent` (e.g. one customer's ticket under a mass fault)."""
    require(actor, Action.TICKET_LINK)
    child = locked(child)
    if parent is not None:
        _not_self(child, parent, "parent")
        ancestor: Ticket | None = parent
        while ancestor is not None:
            if ancestor.pk == child.pk:
                raise ValidationFailed(
                    f"{parent.reference} is below {child.reference}; that would make a loop.",
                    field="parent",
                    value=parent.reference,
                    accepted="a ticket not below this one",
                )
            ancestor = ancestor.parent
    shown = parent or child.parent
    apply_changes(
        ticket=child,
        actor=actor,
        changes={"parent_id": parent.pk if parent else None},
        kind=EventKind.LINKED if parent else EventKind.UNLINKED,
        message=f"parent {shown.reference}" if shown else "",
    )
    child.parent = parent
    child.updated_at = timezone.now()
    child.save(update_fields=["parent", "updated_at"])
    if parent is not None:
        event_record(
            ticket=parent, actor=actor, kind=EventKind.LINKED, field="child", new=child.reference
        )
    return child


@transaction.atomic
def ticket_merge(*, actor: User, duplicate: Ticket, into: Ticket) -> Ticket:
    """Merge a duplicate into the ticket that carries on: the duplicate is
    linked, marked merged, resolved as a duplicate and closed; its open
    conversation moves to the surviving ticket as an internal note."""
    require(actor, Action.TICKET_MERGE)
    _not_self(duplicate, into, "into")
    # Both locked, in id order: two merges of the same pair either way round queue up.
    for ticket in sorted((duplicate, into), key=lambda each: each.pk):
        locked(ticket)
    if not duplicate.in_open_status:
        raise TransitionNotAllowed(
            f"{duplicate.reference} is already {duplicate.status}.",
            field="duplicate",
            value=duplicate.reference,
            accepted="an open ticket",
        )
    if into.status == Status.CLOSED:
        raise TransitionNotAllowed(
            f"{into.reference} is closed and cannot take merged tickets.",
            field="into",
            value=into.reference,
            accepted="a ticket that is not closed",
        )
    ticket_link(actor=actor, source=duplicate, target=into, kind=LinkKind.DUPLICATE_OF)
    now = timezone.now()
    apply_changes(
        ticket=duplicate,
        actor=actor,
        changes={
            "merged_into_id": into.pk,
            "status": Status.CLOSED,
            "resolution_code": ResolutionCode.DUPLICATE,
        },
        kind=EventKind.MERGED,
        message=f"merged into {into.reference}",
        at=now,
    )
    duplicate.merged_into = into
    duplicate.resolved_at = duplicate.resolved_at or now
    duplicate.closed_at = now
    duplicate.updated_at = now
    duplicate.save(
        update_fields=[
            "merged_into",
            "status",
            "resolution_code",
            "resolved_at",
            "closed_at",
            "updated_at",
        ]
    )
    sla_refresh(ticket=duplicate)
    Comment.objects.create(
        ticket=into,
        author=actor,
        visibility=Visibility.INTERNAL,
        body=f"Merged {duplicate.reference}: {duplicate.title}\n\n{duplicate.description}",
    )
    event_record(
        ticket=into,
        actor=actor,
        kind=EventKind.MERGED,
        new=duplicate.reference,
        message=f"{duplicate.reference} merged into this ticket",
        at=now,
    )
    return into
