"""The bell and the notification list, and the ticket page's presence
beat. A user only ever reads and marks their own notifications."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST, require_safe

from netdesk.accounts.permissions import Action, require, user_of
from netdesk.core.errors import ValidationFailed
from netdesk.customers.views import desk_view
from netdesk.notifications.presence import presence_announce, presence_on
from netdesk.notifications.selectors import (
    notification_of,
    notifications_page,
    notifications_unread_count,
)
from netdesk.notifications.services import notifications_mark_read
from netdesk.tickets.selectors import ticket_get


@never_cache
@require_safe
@desk_view
def notification_bell(request: HttpRequest) -> HttpResponse:
    """The bell's count, fetched by htmx when a notification is heard and
    every 30 s; one query."""
    unread = notifications_unread_count(user=user_of(request))
    return render(request, "notifications/_bell.html", {"unread": unread})


@require_safe
@desk_view
def notification_list(request: HttpRequest) -> HttpResponse:
    try:
        page = int(request.GET.get("page", "1"))
    except ValueError:
        page = 1
    found = notifications_page(user=user_of(request), page=page)
    return render(request, "notifications/list.html", {"found": found})


@require_POST
@desk_view
def notification_open(request: HttpRequest, notification_id: int) -> HttpResponse:
    """Mark it read and go where it points (its ticket)."""
    user = user_of(request)
    row = notification_of(user=user, notification_id=notification_id)
    if row is None:
        raise Http404(f"You have no notification {notification_id}.")
    notifications_mark_read(user=user, ids=[row.pk])
    if row.url and url_has_allowed_host_and_scheme(row.url, allowed_hosts=None):
        return redirect(row.url)
    return redirect("notification_list")


@require_POST
@desk_view
def notification_read_all(request: HttpRequest) -> HttpResponse:
    notifications_mark_read(user=user_of(request), every=True)
    return redirect("notification_list")


@never_cache
@require_POST
@desk_view
def ticket_presence(request: HttpRequest, ref: str) -> JsonResponse:
    """The ticket page's beat: `state` viewing, replying or left, and the
    `since` of the last answer. Answers with the agent's own `since` and who
    else is there."""
    user = user_of(request)
    require(user, Action.TICKET_VIEW)
    ticket = ticket_get(user=user, ref=ref)
    try:
        mine = presence_announce(
            user=user,
            ticket=ticket,
            state=request.POST.get("state", ""),
            since=request.POST.get("since", ""),
        )
    except ValidationFailed as error:
        return JsonResponse({"detail": error.message, "field": error.field}, status=400)
    others = [p.as_dict() for p in presence_on(ticket=ticket) if p.user_id != user.pk]
    return JsonResponse({"since": mine.since.isoformat(), "others": others})
