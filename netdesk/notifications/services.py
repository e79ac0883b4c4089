"""Writing notifications: one for an agent when something of theirs needs
them, and marking them read. The bell hears of a new one at once through
the agent's live stream (announced after commit, like every live event)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

from django.urls import reverse
from django.utils import timezone

from netdesk.accounts.models import User
from netdesk.core.errors import ValidationFailed
from netdesk.core.live import live_publish_on_commit
from netdesk.core.views_live import agent_stream
from netdesk.notifications.models import Notification, NotificationKind
from netdesk.tickets.models import Ticket

TITLE_MAX = 200
URL_MAX = 300
# The live event that tells an agent's pages to fetch the bell again.
LIVE_KIND = "notification"


def _announce(recipient_id: int) -> None:
    # After commit, once per recipient and transaction however many it wrote.
    live_publish_on_commit(stream=agent_stream(recipient_id), kind=LIVE_KIND)


def notify(
    *,
    recipient: User,
    kind: str,
    title: str,
    url: str = "",
    ticket: Ticket | None = None,
    actor: User | None = None,
) -> Notification | None:
    """A notification for `recipient`, under their bell until read; none
    (None) when the recipient is the `actor` (their own action tells them
    nothing) or an inactive user. The url defaults to the ticket's page."""
    if kind not in NotificationKind.values:
        raise ValidationFailed(
            f"{kind!r} is not a kind of notification.",
            field="kind",
            value=kind,
            accepted=", ".join(NotificationKind.values),
        )
    if not recipient.is_active or (actor is not None and actor.pk == recipient.pk):
        return None
    if not url and ticket is not None:
        url = reverse("ticket_detail", args=[ticket.reference])
    row = Notification.objects.create(
        recipient=recipient,
        kind=kind,
        title=title[:TITLE_MAX],
        url=url[:URL_MAX],
        ticket=ticket,
        created_at=timezone.now(),
    )
    _announce(recipient.pk)
    return row


def notifications_mark_read(
    *, user: User, ids: Sequence[int] | None = None, every: bool = False
) -> int:
    """Mark the user's notifications read: those of `ids`, or every unread
    one with `every`. Someone else's ids are left alone (not an error: they
    are simply not the user's). Returns how many changed."""
    if every == (ids is not None):
        raise ValidationFailed(
            "Name the notifications to mark read, or all of them.",
            field="ids",
            value=list(ids) if ids is not None else None,
            accepted="a list of notification ids, or all",
        )
    unread = Notification.objects.filter(recipient=user, read_at__isnull=True)
    if ids is not None:
        unread = unread.filter(pk__in=list(ids))
    changed = unread.update(read_at=timezone.now())
    if changed:
        _announce(user.pk)
    return changed


def notifications_prune(*, older_than: timedelta) -> int:
    """Delete read notifications read longer ago than `older_than`; unread
    ones stay however old. Returns how many went."""
    deleted, _ = Notification.objects.filter(read_at__lt=timezone.now() - older_than).delete()
    return deleted
