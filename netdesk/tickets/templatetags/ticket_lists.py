"""The queue's bulk change form and export links: `{% queue_bulk %}` in the
queue page renders them for the people allowed to use them, with what their
selects offer (actions, agents, groups, statuses, impact and urgency)."""

from __future__ import annotations

from collections.abc import Iterable
from html import escape
from typing import Any

from django import template
from django.http import QueryDict
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe

from netdesk.accounts.models import SupportGroup, User
from netdesk.accounts.permissions import Action, can
from netdesk.tickets.choices import Level, Status
from netdesk.tickets.services.bulk import BULK_MAX_TICKETS, bulk_actions

register = template.Library()

# The working statuses a bulk change may set: resolving and closing ask for
# details per ticket (resolution code, root cause) and stay on the ticket page.
BULK_STATUSES = [
    (value, label)
    for value, label in Status.choices
    if value not in (Status.RESOLVED, Status.CLOSED)
]


def _export_query(params: QueryDict, selected_group: int | None, view_id: int | None) -> str:
    """The queue's own parameters, so the file holds the list on screen: the
    saved view it opened on (the user's default names none in the address)
    and the group it chose by default are named, the page cursor dropped."""
    params.pop("cursor", None)
    if view_id is not None and "view" not in params:
        params["view"] = str(view_id)
    if "group" not in params:
        params["group"] = str(selected_group) if selected_group else "all"
    return params.urlencode()


def _options(values: Iterable[str]) -> SafeString:
    """`<option>`s whose value is their text, escaped."""
    return mark_safe(  # noqa: S308 - every value escaped
        "".join(f'<option value="{text}">{text}</option>' for text in map(escape, values))
    )


@register.inclusion_tag("tickets/_queue_bulk_form.html", takes_context=True)
def queue_bulk(context: template.Context) -> dict[str, Any]:
    request = context["request"]
    user = request.user
    may_change = can(user, Action.TICKET_BULK)
    view = context.get("view")
    query = _export_query(
        request.GET.copy(), context.get("selected_group"), view.pk if view is not None else None
    )
    answer: dict[str, Any] = {
        "request": request,
        "csrf_token": context.get("csrf_token"),
        "may_change": may_change,
        "may_export": can(user, Action.TICKET_EXPORT),
        "export_query": f"?{query}",
    }
    if may_change:
        groups = context.get("groups")
        answer |= {
            "actions": [(name, action.label) for name, action in bulk_actions().items()],
            # Every agent of the desk, a hundred or more: their options are
            # joined here, not looped over in the template on every queue load.
            "agent_options": _options(
                User.objects.filter(is_active=True, support_groups__is_active=True)
                .distinct()
                .order_by("username")
                .values_list("username", flat=True)
            ),
            "bulk_groups": groups
            if groups is not None
            else SupportGroup.objects.filter(is_active=True),
            "statuses": BULK_STATUSES,
            "levels": Level.choices,
            "seen_at": timezone.now().isoformat(),
            "limit": BULK_MAX_TICKETS,
            "next": request.get_full_path(),
        }
    return answer
