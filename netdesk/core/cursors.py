"""Keyset page cursors on (a time, a primary key), opaque to the client:
the chat and call lists page newest first by when the row started."""

from __future__ import annotations

import base64
import binascii
from datetime import datetime

from netdesk.core.errors import ValidationFailed


def time_cursor_read(cursor: str) -> tuple[datetime, int]:
    """The (time, primary key) a cursor from `time_cursor_write` holds."""
    try:
        text = base64.urlsafe_b64decode(cursor.encode() + b"==").decode()
        started, _, pk = text.rpartition("|")
        return datetime.fromisoformat(started), int(pk)
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise ValidationFailed(
            f"cursor {cursor!r} is not one the desk gave out.",
            field="cursor",
            value=cursor,
            accepted="the 'next' value of the previous page, unchanged",
        ) from None


def time_cursor_write(at: datetime, pk: int) -> str:
    text = f"{at.isoformat()}|{pk}"
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")
