"""Who else has a ticket open: each ticket page says every ~20 s that its
agent is viewing or replying (a live event of kind "presence" on the
ticket's stream, so every web process hears it), and the other agents'
pages show "Anna is also replying (since 2 min)". What a page sees at load
is read from the same rows: the last word of each agent within the window.
An agent who closes the page says "left"; one whose browser died simply
stops being seen after PRESENCE_SECONDS."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from django.utils import timezone
from django.utils.dateparse import parse_datetime

from netdesk.accounts.models import User
from netdesk.core.errors import ValidationFailed
from netdesk.core.live import live_publish
from netdesk.core.models import LiveEvent
from netdesk.tickets.events.live import ticket_stream
from netdesk.tickets.models import Ticket

PRESENCE_KIND = "presence"
# Pages re-send every 20 s; two missed beats and the agent is gone.
PRESENCE_SECONDS = 45
# A "since" older than this is not believed (a page left open overnight
# starts again).
SINCE_MAX = timedelta(hours=12)


class PresenceState(StrEnum):
    VIEWING = "viewing"
    REPLYING = "replying"
    LEFT = "left"


@dataclass(frozen=True)
class Presence:
    user_id: int
    name: str
    state: str
    since: datetime
    at: datetime

    def as_dict(self) -> dict[str, Any]:
        return {
            "user_id": self.user_id,
            "name": self.name,
            "state": self.state,
            "since": self.since.isoformat(),
            "at": self.at.isoformat(),
        }


def _since(raw: str, now: datetime) -> datetime:
    """When the agent began this state, as their page remembers it (echoed
    from an earlier answer), or now."""
    told = parse_datetime(raw) if raw else None
    if told is None or timezone.is_naive(told) or told > now or now - told > SINCE_MAX:
        return now
    return told


def presence_announce(*, user: User, ticket: Ticket, state: str, since: str = "") -> Presence:
    """The agent is viewing, replying to or has left the ticket's page; the
    answer carries the `since` their page sends back next time."""
    if state not in PresenceState.__members__.values():
        raise ValidationFailed(
            f"{state!r} is not a presence state.",
            field="state",
            value=state,
            accepted=", ".join(PresenceState),
        )
    now = timezone.now()
    presence = Presence(
        user_id=user.pk,
        name=user.get_full_name() or user.get_username(),
        state=state,
        since=_since(since, now),
        at=now,
    )
    live_publish(stream=ticket_stream(ticket.pk), kind=PRESENCE_KIND, payload=presence.as_dict())
    return presence


def presence_on(*, ticket: Ticket, now: datetime | None = None) -> list[Presence]:
    """The agents on the ticket's page now (their last word within the
    window, unless it was "left"), longest there first; one query."""
    now = now or timezone.now()
    rows = LiveEvent.objects.filter(
        stream=ticket_stream(ticket.pk),
        kind=PRESENCE_KIND,
        created_at__gte=now - timedelta(seconds=PRESENCE_SECONDS),
    ).order_by("pk")
    last: dict[int, Presence] = {}
    for row in rows:
        payload = row.payload
        since = parse_datetime(str(payload.get("since", ""))) or row.created_at
        last[int(payload["user_id"])] = Presence(
            user_id=int(payload["user_id"]),
            name=str(payload.get("name", "")),
            state=str(payload.get("state", "")),
            since=since,
            at=row.created_at,
        )
    here = [p for p in last.values() if p.state != PresenceState.LEFT]
    return sorted(here, key=lambda p: p.since)
