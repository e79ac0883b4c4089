"""Raw syslog messages between the sockets and the parser thread. The event
loop only puts bytes here; a queue bounded in messages and in octets keeps a
flood from taking the machine's memory, and what does not fit is counted."""

from __future__ import annotations

import threading
from collections import deque
from dataclasses import dataclass
from datetime import datetime

# Enough for seconds of a busy network's messages while the parser catches
# up; 10,000 full-size datagrams would be 640 MiB, hence the octet bound.
INBOX_MESSAGES_MAX = 10_000
INBOX_OCTETS_MAX = 32 * 1024 * 1024


@dataclass(frozen=True)
class Received:
    """One datagram or TCP frame, as it came off the socket."""

    data: bytes
    peer: str
    received_at: datetime


class Inbox:
    """A thread-safe FIFO: `offer` never blocks (the socket side), `take`
    waits (the parser side) and returns None once closed and drained."""

    def __init__(
        self, *, max_messages: int = INBOX_MESSAGES_MAX, max_octets: int = INBOX_OCTETS_MAX
    ) -> None:
        self.max_messages = max_messages
        self.max_octets = max_octets
        self._items: deque[Received] = deque()
        self._octets = 0
        self._closed = False
        self._ready = threading.Condition()

    def offer(self, item: Received) -> bool:
        """Queue `item`; False when it does not fit (or the inbox is closed)."""
        with self._ready:
            if self._closed or self._full(len(item.data)):
                return False
            self._items.append(item)
            self._octets += len(item.data)
            self._ready.notify()
            return True

    def is_full(self, octets: int) -> bool:
        """Whether a message of `octets` would be refused now."""
        with self._ready:
            return self._full(octets)

    def _full(self, octets: int) -> bool:
        # An empty inbox takes any message, however long: the listener's own
        # limit on a message's length is what bounds it.
        return bool(self._items) and (
            len(self._items) >= self.max_messages or self._octets + octets > self.max_octets
        )

    @property
    def closed(self) -> bool:
        with self._ready:
            return self._closed

    def take(self) -> Received | None:
        with self._ready:
            while not self._items and not self._closed:
                self._ready.wait()
            if not self._items:
                return None
            item = self._items.popleft()
            self._octets -= len(item.data)
            return item

    def close(self) -> None:
        """No more offers; `take` hands out what is left, then None."""
        with self._ready:
            self._closed = True
            self._ready.notify_all()

    def __len__(self) -> int:
        with self._ready:
            return len(self._items)
