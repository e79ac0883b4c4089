"""Reading an agent's notifications: the bell's unread count and the list,
unread first, newest first within each; each a fixed number of queries."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Case, IntegerField, Value, When

from netdesk.accounts.models import User
from netdesk.notifications.models import Notification

PAGE_SIZE = 50
PAGE_SIZE_MAX = 200
UNREAD_FIRST = Case(
    When(read_at__isnull=True, then=Value(0)), default=Value(1), output_field=IntegerField()
)


@dataclass(frozen=True)
class NotificationPage:
    items: list[Notification]
    page: int
    has_next: bool
    unread: int


def notifications_unread_count(*, user: User) -> int:
    """One query on the inbox index (recipient, read_at, id)."""
    return Notification.objects.filter(recipient=user, read_at__isnull=True).count()


def notifications_page(*, user: User, page: int = 1, size: int = PAGE_SIZE) -> NotificationPage:
    """A page of the user's notifications, unread first; two queries (the
    page with its tickets, and the unread count) whatever the page holds."""
    page = max(page, 1)
    size = min(max(size, 1), PAGE_SIZE_MAX)
    start = (page - 1) * size
    rows = list(
        Notification.objects.filter(recipient=user)
        .select_related("ticket")
        .order_by(UNREAD_FIRST, "-id")[start : start + size + 1]
    )
    return NotificationPage(
        items=rows[:size],
        page=page,
        has_next=len(rows) > size,
        unread=notifications_unread_count(user=user),
    )


def notification_of(*, user: User, notification_id: int) -> Notification | None:
    """The user's own notification, or None (someone else's is not found)."""
    return Notification.objects.filter(recipient=user, pk=notification_id).first()
