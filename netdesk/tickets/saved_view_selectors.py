"""Reads of saved queue views: a user's own and those shared with their
groups; anyone else's private view does not exist for them."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from netdesk.accounts.models import User
from netdesk.core.errors import NotFound
from netdesk.tickets.models import QueueDefault, SavedView


def saved_views_visible_to(user: User) -> QuerySet[SavedView]:
    """Own views and views shared with a group the user belongs to, by name
    (one query, with the owner and group names joined)."""
    return (
        SavedView.objects.filter(
            Q(owner=user) | Q(shared_with__in=user.support_groups.values("pk"))
        )
        .select_related("owner", "shared_with")
        .order_by("name", "id")
    )


def saved_view_get(*, user: User, view_id: int) -> SavedView:
    view = saved_views_visible_to(user).filter(pk=view_id).first()
    if view is None:
        raise NotFound(
            f"Saved view {view_id} does not exist or is not visible to you.",
            field="view",
            value=view_id,
            accepted="the id of one of your views or one shared with your group",
        )
    return view


def queue_default_of(user: User) -> SavedView | None:
    """The user's default view, if it is still visible to them (a view
    shared with a group they have left is not)."""
    default = QueueDefault.objects.filter(user=user).only("view_id").first()
    if default is None:
        return None
    return saved_views_visible_to(user).filter(pk=default.view_id).first()
