"""Agent UI: the queue (filters, order, due times, columns, saved views) and
the at-risk view. Thin: read the parameters with the list's one parser,
call a selector or service, render."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.timesince import timesince
from django.views.decorators.http import require_POST

from netdesk.accounts.models import SupportGroup, User
from netdesk.accounts.permissions import Action, require, user_of
from netdesk.core.errors import NotFound, ServiceError
from netdesk.customers.views import desk_view, is_htmx
from netdesk.tickets import forms
from netdesk.tickets.choices import Channel, Priority, Status
from netdesk.tickets.due import due_cell
from netdesk.tickets.listing import FILTER_PARAMETERS, TicketFilter, merged_params
from netdesk.tickets.models import SavedView
from netdesk.tickets.models.ticket import reference_for
from netdesk.tickets.models.views import DEFAULT_COLUMNS, QUEUE_COLUMNS
from netdesk.tickets.queue_cells import age_strings, with_cells
from netdesk.tickets.saved_view_selectors import (
    queue_default_of,
    saved_view_get,
    saved_views_visible_to,
)
from netdesk.tickets.selectors import at_risk_counts, ticket_filter_from_query, ticket_rows
from netdesk.tickets.services.saved_views import (
    queue_default_set,
    saved_view_create,
    saved_view_delete,
)

QUEUE_PAGE_SIZE = 50
MAX_ID_DIGITS = 18  # a bigint's
QUEUE_POLL_SECONDS = 15
STATUS_LABELS = dict(Status.choices)
PRIORITY_LABELS = dict(Priority.choices)
CHANNEL_LABELS = dict(Channel.choices)
COLUMN_LABELS = {
    "ref": "Ref",
    "prio": "Prio",
    "title": "Title",
    "customer": "Customer",
    "status": "Status",
    "group": "Group",
    "assignee": "Assignee",
    "age": "Age",
    "due": "Due",
    "channel": "Channel",
    "category": "Category",
}
# Columns whose header sorts the list, and by which order.
SORTS = {"prio": "priority", "age": "-created", "due": "due"}


def _default_group(user: User) -> int | None:
    first = user.support_groups.filter(is_active=True).order_by("tier__level", "name").first()
    return first.pk if first else None


def queue_lines(rows: list[dict[str, Any]], *, now: datetime) -> list[dict[str, Any]]:
    """What each queue line shows, prepared here: the queue is the busiest
    page of the desk, and labels, links and ages formatted in Python cost a
    fraction of doing it per cell in the template."""
    ages = age_strings()
    return [
        {
            "ref": reference_for(row["pk"]),
            "url": f"/tickets/{reference_for(row['pk'])}/",
            "priority": row["priority"],
            "priority_label": PRIORITY_LABELS.get(row["priority"], ""),
            "title": row["title"],
            "customer_url": f"/customers/{row['customer_id']}/",
            "customer_name": row["customer__name"],
            "status": row["status"],
            "status_label": STATUS_LABELS.get(row["status"], row["status"]),
            "group_name": row["group__name"],
            "assignee": row["assignee__username"] or "—",
            "created_at": row["created_at"],
            "age": timesince(row["created_at"], now, time_strings=ages),
            "channel": CHANNEL_LABELS.get(row["channel"], row["channel"]),
            "category": row["category__name"] or "—",
            "due": due_cell(
                next_due_at=row["sla_next_due_at"],
                warn_at=row["sla_warn_at"],
                paused=row["sla_paused"],
                breached=row["sla_breached"],
                now=now,
            ),
        }
        for row in rows
    ]


def _opened_view(request: HttpRequest, user: User) -> SavedView | None:
    """The view the queue shows: ?view=<id>, or the user's default when the
    request names no filter at all."""
    given = request.GET.get("view", "").strip()
    if given:
        if not given.isdigit() or len(given) > MAX_ID_DIGITS:
            raise NotFound(f"{given!r} is not a saved view.", field="view", value=given)
        return saved_view_get(user=user, view_id=int(given))
    if any(name in request.GET for name in FILTER_PARAMETERS):
        return None
    return queue_default_of(user)


def _effective(request: HttpRequest, view: SavedView | None) -> QueryDict:
    """The parameters the page lists by: the view's, overridden by the
    request's own. Keeps `view` so the next page opens the same view."""
    params = request.GET.copy()
    if view is None:
        return params
    merged = merged_params({**view.query, "order": [view.order]}, request.GET)
    effective = QueryDict(mutable=True)
    for name, values in merged.items():
        effective.setlist(name, values)
    effective["view"] = str(view.pk)
    if "cursor" in request.GET:
        effective["cursor"] = request.GET["cursor"]
    return effective


def _without(params: QueryDict, *names: str) -> str:
    query = params.copy()
    for name in names:
        query.pop(name, None)
    return query.urlencode()


def _link(params: QueryDict, **changes: str) -> str:
    query = params.copy()
    query.pop("cursor", None)
    for name, value in changes.items():
        query[name] = value
    return query.urlencode()


def _open_unless_asked(filters: TicketFilter, params: QueryDict) -> TicketFilter:
    """The queue is the work still to do: open tickets, unless the page asks
    for a status, for resolution dates or says `open` itself. (Listing the
    closed ones too would also sort every ticket the group ever had.)"""
    asked = (
        "open" in params
        or filters.status
        or filters.resolved_after is not None
        or filters.resolved_before is not None
    )
    return filters if asked else replace(filters, open_only=True)


def _page(
    user: User, params: QueryDict, *, default_group: int | None, default_order: str, limit: int
) -> tuple[TicketFilter, list[dict[str, Any]], str | None, str]:
    """The filter, a page of lines, the next cursor and the error to show."""
    filters = TicketFilter(group=default_group, order=default_order, open_only=True)
    try:
        filters = _open_unless_asked(
            ticket_filter_from_query(
                user=user,
                params={k: params.getlist(k) for k in params if k != "view"},
                default_group=default_group,
                default_order=default_order,
            ),
            params,
        )
        rows, next_cursor = ticket_rows(
            user=user, filters=filters, cursor=params.get("cursor") or None, limit=limit
        )
    except ServiceError as error:
        return filters, [], None, forms.error_text(error)
    return filters, queue_lines(rows, now=timezone.now()), next_cursor, ""


def _next_query(params: QueryDict, next_cursor: str | None, group: int | None) -> str:
    if not next_cursor:
        return ""
    query = params.copy()
    query["cursor"] = next_cursor
    if "group" not in query:
        query["group"] = str(group) if group else "all"
    return query.urlencode()


@desk_view
def queue(request: HttpRequest) -> HttpResponse:
    """Open tickets of the agent's group, by priority then age (or as the
    opened saved view says), a page at a time."""
    user = user_of(request)
    require(user, Action.TICKET_VIEW)
    view = _opened_view(request, user)
    params = _effective(request, view)
    default_group = _default_group(user) if view is None and "group" not in params else None
    filters, tickets, next_cursor, page_error = _page(
        user, params, default_group=default_group, default_order="priority", limit=QUEUE_PAGE_SIZE
    )
    columns = list(view.columns) if view is not None else list(DEFAULT_COLUMNS)
    context = {
        "tickets": with_cells(tickets, columns),
        "columns": columns,
        "headers": [
            {
                "name": c,
                "label": COLUMN_LABELS[c],
                "sort": _link(params, order=SORTS[c]) if c in SORTS else "",
                "sorted": SORTS.get(c) == filters.order,
            }
            for c in columns
        ],
        "next_query": _next_query(params, next_cursor, filters.group),
        "page_error": page_error,
        "poll_seconds": QUEUE_POLL_SECONDS,
    }
    if is_htmx(request):
        # The table alone, polled by every open queue every few seconds:
        # nothing of the page around it (filters, groups, saved views) is
        # read for it.
        return render(request, "tickets/_queue_table.html", context)
    context |= {
        "filter_form": forms.QueueFilterForm(params),
        "selected_group": filters.group,
        "groups": SupportGroup.objects.filter(is_active=True).select_related("tier"),
        "my_groups": list(user.support_groups.filter(is_active=True).order_by("name")),
        "views": list(saved_views_visible_to(user)),
        "view": view,
        "view_query": _without(params, "cursor", "view"),
        "all_columns": [(c, COLUMN_LABELS[c]) for c in QUEUE_COLUMNS],
        "now": timezone.now(),
    }
    return render(request, "tickets/queue.html", context)


@desk_view
def at_risk_view(request: HttpRequest) -> HttpResponse:
    """Open tickets breaching within the next N minutes (or breached), by
    due time, for one group or the whole desk, with the count per group."""
    user = user_of(request)
    require(user, Action.TICKET_VIEW)
    params = request.GET.copy()
    if not params.get("at_risk"):
        params["at_risk"] = str(settings.NETDESK_AT_RISK_MINUTES)
    params.setdefault("group", "all")
    filters, tickets, next_cursor, page_error = _page(
        user, params, default_group=None, default_order="due", limit=QUEUE_PAGE_SIZE
    )
    minutes = filters.at_risk if filters.at_risk is not None else settings.NETDESK_AT_RISK_MINUTES
    columns = ["ref", "prio", "title", "customer", "status", "group", "assignee", "due"]
    context = {
        "tickets": with_cells(tickets, columns),
        "columns": columns,
        "headers": [{"name": c, "label": COLUMN_LABELS[c]} for c in columns],
        "counts": [
            {**count, "link": _link(params, group=str(count["group_id"]))}
            for count in at_risk_counts(user=user, minutes=minutes, now=timezone.now())
        ],
        "desk_link": _link(params, group="all"),
        "minutes": minutes,
        "selected_group": filters.group,
        "next_query": _next_query(params, next_cursor, filters.group),
        "page_error": page_error,
        "poll_seconds": QUEUE_POLL_SECONDS,
    }
    if is_htmx(request):
        return render(request, "tickets/_queue_table.html", context)
    return render(request, "tickets/at_risk.html", context)


@desk_view
@require_POST
def saved_view_save(request: HttpRequest) -> HttpResponse:
    """Save the queue's current filters, order and chosen columns as a view."""
    user = user_of(request)
    query = QueryDict(request.POST.get("query", ""))
    group_id = request.POST.get("shared_with", "")
    shared = (
        SupportGroup.objects.filter(pk=int(group_id)).first()
        if group_id.isdigit() and len(group_id) <= MAX_ID_DIGITS  # a bigint's digits
        else None
    )
    try:
        view = saved_view_create(
            actor=user,
            name=request.POST.get("name", ""),
            query={name: query.getlist(name) for name in query},
            order=query.get("order") or "priority",
            columns=request.POST.getlist("columns") or list(DEFAULT_COLUMNS),
            shared_with=shared,
            make_default=request.POST.get("make_default") == "on",
        )
    except ServiceError as error:
        messages.error(request, forms.error_text(error))
        return redirect(f"/?{query.urlencode()}")
    messages.success(request, f"Saved the view “{view.name}”.")
    return redirect(f"/?view={view.pk}")


@desk_view
@require_POST
def saved_view_action(request: HttpRequest, view_id: int, action: str) -> HttpResponse:
    """Make a view the default, clear the default, or delete a view."""
    user = user_of(request)
    try:
        if action == "default":
            queue_default_set(actor=user, view_id=view_id)
            messages.success(request, "The queue now opens on this view.")
            return redirect(f"/?view={view_id}")
        if action == "undefault":
            queue_default_set(actor=user, view_id=None)
            messages.success(request, "The queue opens on your group again.")
            return redirect("queue")
        if action != "delete":
            raise Http404(f"No view action {action!r}.")
        saved_view_delete(actor=user, view_id=view_id)
    except ServiceError as error:
        messages.error(request, forms.error_text(error))
        return redirect(f"/?view={view_id}")
    messages.success(request, "View deleted.")
    return redirect("queue")
