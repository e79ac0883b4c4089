"""Reads for the mailbox administration: mailboxes with their health and
the quarantine. Each list costs a fixed number of queries."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count, Q, QuerySet

from netdesk.channels.models import InboundMessage, InboundState, Mailbox, MessageTemplate

# The most quarantined messages one page (or API answer) lists.
QUARANTINE_PAGE = 200
# What a quarantine list reads: never the raw bytes or the bodies.
QUARANTINE_FIELDS = (
    "pk",
    "mailbox__name",
    "mailbox__address",
    "source",
    "message_id",
    "sender",
    "sender_name",
    "subject",
    "received_at",
    "state",
    "outcome",
    "reason",
    "attempts",
    "size",
    "ticket",
)


def mailboxes_with_health() -> list[Mailbox]:
    """Every mailbox with `quarantined` and `waiting` (received, not yet
    processed) counts, in one query."""
    return list(
        Mailbox.objects.select_related("group", "category").annotate(
            quarantined=Count("inbound", filter=Q(inbound__state=InboundState.QUARANTINED)),
            waiting=Count("inbound", filter=Q(inbound__state=InboundState.RECEIVED)),
        )
    )


def mail_without_mailbox_quarantined() -> int:
    """Quarantined mail that came by a pipe naming no mailbox."""
    return InboundMessage.objects.filter(
        mailbox__isnull=True, state=InboundState.QUARANTINED
    ).count()


@dataclass(frozen=True)
class QuarantinePage:
    """Quarantined mail, newest first, and where the next (older) page starts."""

    messages: list[InboundMessage]
    next_before: int | None


def quarantined_mail(mailbox: Mailbox | None = None) -> QuerySet[InboundMessage]:
    """Quarantined mail, of one mailbox or of all, newest (last stored) first."""
    found = InboundMessage.objects.filter(state=InboundState.QUARANTINED)
    if mailbox is not None:
        found = found.filter(mailbox=mailbox)
    return found.order_by("-pk")


def quarantine_page(
    *, mailbox: Mailbox | None = None, before: int | None = None, limit: int = QUARANTINE_PAGE
) -> QuarantinePage:
    """One page: messages stored before the message `before` (keyset, so a
    message quarantined meanwhile does not shift the pages)."""
    found = quarantined_mail(mailbox)
    if before is not None:
        found = found.filter(pk__lt=before)
    listed = list(found.select_related("mailbox").only(*QUARANTINE_FIELDS)[: limit + 1])
    more = len(listed) > limit
    listed = listed[:limit]
    return QuarantinePage(messages=listed, next_before=listed[-1].pk if more else None)


def templates_by_event() -> dict[str, list[MessageTemplate]]:
    """Every message template, grouped by event, languages in order."""
    grouped: dict[str, list[MessageTemplate]] = {}
    for template in MessageTemplate.objects.order_by("event", "language"):
        grouped.setdefault(template.event, []).append(template)
    return grouped
