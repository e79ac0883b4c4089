"""Links between tickets: duplicate of, related to, parent/child, and merging."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from netdesk.accounts.models import User
from netdesk.accounts.permissions import Action, require
from netdesk.core.errors import TransitionNotAllowed, ValidationFailed
from netdesk.core.locking import locked
from netdesk.tickets.choices import LinkKind, ResolutionCode, Status, Visibility
from netdesk.tickets.events import event_linked, event_merged, event_parent_set, event_unlinked
from netdesk.tickets.models import Comment, Ticket, TicketLink
from netdesk.tickets.services.changes import fields_set, ticket_changed


def _not_self(source: Ticket, target: Ticket, field: str) -> None:
    if source.pk == target.pk:
        raise ValidationFailed(
            f"{source.reference} cannot be linked to itself.",
            field=field,
            value=target.reference,
            accepted="another ticket's reference",
        )


@transaction.atomic
def ticket_link(*, actor: User | None, source: Ticket, target: Ticket, kind: str) -> TicketLink:
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
        event_linked(
            source=source,
            target=target,
            actor=actor,
            link_kind=kind,
            label=LinkKind(kind).label.lower(),
        )
    return link


@transaction.atomic
def ticket_unlink(*, actor: User, link: TicketLink, reason: str = "") -> None:
    require(actor, Action.TICKET_LINK)
    link = locked(link, what="ticket link")
    for ticket, other in ((link.source, link.target), (link.target, link.source)):
        event_unlinked(ticket=ticket, other=other, actor=actor, link_kind=link.kind, reason=reason)
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
    old_parent = child.parent
    changes = fields_set(ticket=child, changes={"parent_id": parent.pk if parent else None})
    event_parent_set(
        child=child, parent=parent, old_parent=old_parent, actor=actor, changes=changes
    )
    child.parent = parent
    child.updated_at = timezone.now()
    child.save(update_fields=["parent", "updated_at"])
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
    changes = fields_set(
        ticket=duplicate,
        changes={
            "merged_into_id": into.pk,
            "status": Status.CLOSED,
            "resolution_code": ResolutionCode.DUPLICATE,
        },
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
    ticket_changed(duplicate)
    Comment.objects.create(
        ticket=into,
        author=actor,
        visibility=Visibility.INTERNAL,
        body=f"Merged {duplicate.reference}: {duplicate.title}\n\n{duplicate.description}",
    )
    event_merged(duplicate=duplicate, into=into, actor=actor, changes=changes, at=now)
    return into
