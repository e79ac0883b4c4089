"""What the two ends of a chat hear (netdesk.core.live). The visitor's
widget listens on the chat's own stream; the agent who took the chat hears
it on their agent stream (GET /live/); every agent hears only that the
queue changed, and fetches it with their own permissions."""

from __future__ import annotations

from typing import Any

from netdesk.chat.models import Chat
from netdesk.core.live import live_publish
from netdesk.core.views_live import EVERY_AGENT, agent_stream

QUEUE_CHANGED = "chat_queue"


def visitor_stream(chat: Chat) -> str:
    return f"chat:{chat.public_id}"


def chat_event_publish(*, chat: Chat, kind: str, payload: dict[str, Any]) -> None:
    """Tell both ends: the visitor (`kind`, payload as given) and the agent
    who holds the chat, if any (`chat_<kind>`, with the chat's id added).
    Heard when the caller's transaction commits."""
    live_publish(stream=visitor_stream(chat), kind=kind, payload=payload)
    if chat.agent_id is not None:
        live_publish(
            stream=agent_stream(chat.agent_id),
            kind=f"chat_{kind}",
            payload={"chat": chat.public_id, **payload},
        )


def chat_queue_changed() -> None:
    """Every agent's chat menu and console re-read the queue."""
    live_publish(stream=EVERY_AGENT, kind=QUEUE_CHANGED, payload={})
