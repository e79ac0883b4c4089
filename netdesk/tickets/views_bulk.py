"""The queue's bulk change: the tickets ticked in the queue, one action for
all of them, then back to the queue with what changed (or, when any ticket
cannot take it, with why, and nothing changed)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from netdesk.accounts.permissions import Action, require, user_of
from netdesk.core.errors import PermissionDenied, ServiceError
from netdesk.customers.views import desk_view
from netdesk.tickets.services.bulk import BulkResult, tickets_bulk_apply

# The parameters each action reads from the form; the status change's note
# has its own field name, as the form shows both note boxes without script.
FORM_PARAMS = {
    "assign": ("assignee",),
    "group": ("group", "reason"),
    "priority": ("impact", "urgency"),
    "status": ("status", "status_note"),
    "incident": ("incident",),
    "merge": ("into",),
    "note": ("note",),
}
# A summary longer than this lists the first lines and counts the rest.
SHOWN_LINES = 25


def _params(request: HttpRequest, action: str) -> dict[str, Any]:
    params: dict[str, Any] = {"seen_at": request.POST.get("seen_at", "")}
    for name in FORM_PARAMS.get(action, ()):
        params["note" if name == "status_note" else name] = request.POST.get(name, "")
    return params


def _back(request: HttpRequest) -> HttpResponse:
    """To the queue the form was posted from, with its filters."""
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return redirect(target)
    return redirect("queue")


def _tell(request: HttpRequest, result: BulkResult) -> None:
    if result.applied:
        messages.success(request, result.summary())
        lines = [ticket.line() for ticket in result.tickets]
        for line in lines[:SHOWN_LINES]:
            messages.info(request, line)
        if len(lines) > SHOWN_LINES:
            messages.info(request, f"… and {len(lines) - SHOWN_LINES} more tickets.")
        return
    messages.error(request, result.summary())
    for refusal in result.refused[:SHOWN_LINES]:
        named = refusal.message.startswith(refusal.ref)
        messages.error(request, refusal.message if named else f"{refusal.ref}: {refusal.message}")
    if len(result.refused) > SHOWN_LINES:
        messages.error(request, f"… and {len(result.refused) - SHOWN_LINES} more tickets.")


@require_POST
@desk_view
def tickets_bulk_view(request: HttpRequest) -> HttpResponse:
    user = user_of(request)
    require(user, Action.TICKET_BULK)
    action = request.POST.get("action", "")
    refs = request.POST.getlist("ref")
    try:
        result = tickets_bulk_apply(
            actor=user, refs=refs, action=action, params=_params(request, action)
        )
    except PermissionDenied:
        raise  # the 403 page
    except ServiceError as error:
        accepted = f" Accepted: {error.accepted}." if error.accepted is not None else ""
        messages.error(request, f"Nothing was changed. {error.message}{accepted}")
    else:
        _tell(request, result)
    return _back(request)
