"""The ticket page's timeline: the ticket's events, call reports and comments
in one list, oldest first, with stored ids and codes shown by name."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from netdesk.accounts.models import SupportGroup, User
from netdesk.tickets.choices import Level, Priority, ResolutionCode, RootCause, Status
from netdesk.tickets.models import Comment, Ticket, TicketEvent
from netdesk.tickets.models.timeline import EventKind


@dataclass(frozen=True)
class TimelineEntry:
    at: datetime
    kind: str
    label: str
    actor: Any
    text: str
    changes: str = ""
    detail: Any = None
    # The network incident the event is about, linked to its page.
    incident_ref: str = ""


# These events are shown as the full interaction or comment they announce.
SHOWN_IN_FULL = {EventKind.INTERACTION_LOGGED, EventKind.NOTE_ADDED, EventKind.REPLY_ADDED}


def _value_names(events: list[TicketEvent]) -> dict[str, dict[str, str]]:
    """Readable names for the ids and codes events store, in two queries at most."""
    ids: dict[str, set[int]] = {"assignee": set(), "group": set()}
    for event in events:
        if event.field in ids:
            ids[event.field] |= {int(v) for v in (event.old_value, event.new_value) if v.isdigit()}
    names: dict[str, dict[str, str]] = {
        "status": {value: str(label) for value, label in Status.choices},
        "priority": {str(value): str(label) for value, label in Priority.choices},
        "impact": {str(value): str(label) for value, label in Level.choices},
        "urgency": {str(value): str(label) for value, label in Level.choices},
        "resolution_code": {value: str(label) for value, label in ResolutionCode.choices},
        "root_cause": {value: str(label) for value, label in RootCause.choices},
        "first_contact_resolved": {"True": "yes", "False": "no"},
        "assignee": {},
        "group": {},
    }
    if ids["assignee"]:
        users = User.objects.filter(pk__in=ids["assignee"])
        names["assignee"] = {str(user.pk): str(user) for user in users}
    if ids["group"]:
        groups = SupportGroup.objects.filter(pk__in=ids["group"])
        names["group"] = {str(group.pk): group.name for group in groups}
    return names


def _change_text(event: TicketEvent, names: dict[str, dict[str, str]]) -> str:
    shown = names.get(event.field, {})
    old = shown.get(event.old_value, event.old_value)
    new = shown.get(event.new_value, event.new_value)
    if event.field == "assignee":
        old, new = old or "nobody", new or "nobody"
    label = event.field.replace("_", " ")
    values = f"{old} → {new}" if old and new else (old or new)
    return f"{label}: {values}" if label else values


# Long texts that the event's message already shows in full.
NOT_REPEATED = {"resolution_notes", "description"}
# Values the entry shows otherwise: the incident as a link, the liaison by its kind.
SHOWN_APART = {"incident", "liaison"}


def timeline_entries(ticket: Ticket) -> list[TimelineEntry]:
    """Events, call reports and comments in one list, oldest first."""
    events = [event for event in ticket.events.all() if event.kind not in SHOWN_IN_FULL]
    names = _value_names(events)
    entries: list[TimelineEntry] = []
    # One service call writes one event per changed field, all at the same
    # moment (a resolution sets status, code, root cause...): show them as one.
    grouped: list[list[TicketEvent]] = []
    for event in events:
        previous = grouped[-1][0] if grouped else None
        if previous and (previous.kind, previous.at, previous.actor_id) == (
            event.kind,
            event.at,
            event.actor_id,
        ):
            grouped[-1].append(event)
        else:
            grouped.append([event])
    for group in grouped:
        first = group[0]
        changes = [
            _change_text(e, names)
            for e in group
            if e.field not in NOT_REPEATED | SHOWN_APART and (e.old_value or e.new_value)
        ]
        entries.append(
            TimelineEntry(
                at=first.at,
                kind=first.kind,
                label=first.get_kind_display(),
                actor=first.actor,
                text=first.message,
                changes="; ".join(changes),
                detail=first,
                incident_ref=(first.new_value or first.old_value)
                if first.field == "incident"
                else "",
            )
        )
    entries += [
        TimelineEntry(
            at=interaction.started_at,
            kind="interaction",
            label=f"{interaction.get_channel_display()} · {interaction.get_direction_display()}",
            actor=interaction.agent,
            text=interaction.summary,
            detail=interaction,
        )
        for interaction in ticket.interactions.all()
    ]
    entries += [_comment_entry(comment) for comment in ticket.comments.all()]
    return sorted(entries, key=lambda entry: entry.at)


def _comment_entry(comment: Comment) -> TimelineEntry:
    """A note or reply by an agent; a customer's own words (portal, chat)
    as written by their contact."""
    label: str = comment.get_visibility_display()
    actor: Any = comment.author
    if comment.contact_id is not None and comment.contact is not None:
        label, actor = "From the customer", f"{comment.contact.name} (customer)"
    return TimelineEntry(
        at=comment.created_at,
        kind=f"comment-{comment.visibility}",
        label=label,
        actor=actor,
        text=comment.body,
        detail=comment,
    )
