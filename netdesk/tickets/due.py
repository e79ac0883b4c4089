"""How a line shows its service level: the countdown text, an icon and a
label beside the colour, so the state reads without colour too. The same
wording is kept by static/netdesk/countdown.js between polls."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from netdesk.tickets.listing import sla_state_of

ICONS = {"ok": "◷", "warning": "⚠", "breached": "✗", "paused": "⏸", "none": ""}
LABELS = {
    "ok": "On time",
    "warning": "Due soon",
    "breached": "Breached",
    "paused": "Paused",
    "none": "No running target",
}
MINUTE = 60
HOUR = 60 * MINUTE
TWO_DAYS = 48 * HOUR


def span_text(seconds: float) -> str:
    """23 min, 3 h 05 min, 4 d: minutes rounded, as countdown.js writes it."""
    minutes = round(abs(seconds) / MINUTE)
    if minutes < MINUTE:
        return f"{minutes} min"
    if minutes * MINUTE < TWO_DAYS:
        return f"{minutes // 60} h {minutes % 60:02d} min"
    return f"{minutes // (24 * 60)} d"


def due_text(next_due_at: datetime | None, paused: bool, now: datetime) -> str:
    if next_due_at is None:
        return "paused" if paused else "—"
    seconds = (next_due_at - now).total_seconds()
    if seconds <= 0:
        return f"{span_text(seconds)} late"
    return f"in {span_text(seconds)}"


def due_cell(
    *,
    next_due_at: datetime | None,
    warn_at: datetime | None,
    paused: bool,
    breached: bool,
    now: datetime,
) -> dict[str, Any]:
    """What the Due column shows: state, icon, label and text, and the
    times countdown.js ticks from."""
    state = sla_state_of(
        next_due_at=next_due_at, warn_at=warn_at, paused=paused, breached=breached, now=now
    )
    return {
        "state": state,
        "icon": ICONS[state],
        "label": LABELS[state],
        "text": due_text(next_due_at, paused, now),
        "due_iso": next_due_at.isoformat() if next_due_at else "",
        "warn_iso": warn_at.isoformat() if warn_at else "",
        "breached": breached,
        "due_at": next_due_at,
    }
