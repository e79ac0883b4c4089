"""Demo saved queue views: the team lead shares two views with their group
(what breaches within the hour, what has breached) and opens the queue on
the first; the hotline operator sees both in the View menu."""

from __future__ import annotations

from typing import Any

from netdesk.accounts.models import User
from netdesk.tickets.models import SavedView
from netdesk.tickets.services.saved_views import saved_view_create

# (name, filters, order, columns, the owner's default)
DEMO_VIEWS: list[tuple[str, dict[str, list[str]], str, list[str], bool]] = [
    (
        "Due within the hour",
        {"at_risk": ["60"]},
        "due",
        ["ref", "prio", "title", "customer", "status", "assignee", "due"],
        True,
    ),
    (
        "Breached",
        {"sla_state": ["breached"], "open": ["1"]},
        "due",
        ["ref", "prio", "title", "customer", "status", "group", "assignee", "age", "due"],
        False,
    ),
]


def build_floor_views(created: dict[str, Any]) -> dict[str, int]:
    """The team lead's shared views (once: a name they already use is kept)."""
    lead = User.objects.filter(username="teamlead", is_active=True).first()
    group = lead.support_groups.filter(is_active=True).order_by("name").first() if lead else None
    if lead is None or group is None:
        return {"views": 0}
    made = 0
    for name, query, order, columns, default in DEMO_VIEWS:
        if SavedView.objects.filter(owner=lead, name=name).exists():
            continue
        view = saved_view_create(
            actor=lead,
            name=name,
            query={"group": [str(group.pk)], **query},
            order=order,
            columns=columns,
            shared_with=group,
            make_default=default,
        )
        created.setdefault("tickets.SavedView", []).append(view.pk)
        made += 1
    return {"views": made}
