"""Asterisk's AMI call events (Asterisk 13 and later) turned into the desk's
CTI events (newCall, answer, hangup): one call per Linkedid, the id Asterisk
gives every channel of one call. Pure bookkeeping, no network: the bridge
(netdesk.phone.ami_bridge) feeds it events and posts what it returns."""

from __future__ import annotations

import re
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

# A CTI event as posted to the desk (form fields of the Zammad generic CTI).
CtiFields = dict[str, str]

# Q.850 causes of the caller's Hangup that say on their own why an
# unanswered call failed. 16 (normal clearing) and 0 say nothing: the
# caller or the dial plan simply hung up; the last DialEnd then tells.
Q850_CAUSES: dict[int, str] = {
    1: "notFound",  # unallocated (unassigned) number
    3: "notFound",  # no route to destination
    17: "busy",  # user busy
    18: "noAnswer",  # no user responding
    19: "noAnswer",  # no answer from user (user alerted)
    21: "rejected",  # call rejected
    27: "congestion",  # destination out of order
    28: "notFound",  # invalid number format
    34: "congestion",  # no circuit/channel available
    38: "congestion",  # network out of order
    41: "congestion",  # temporary failure
    42: "congestion",  # switching equipment congestion
}

# DialEnd's DialStatus of the last ring attempt, for an unanswered call.
DIAL_STATUSES: dict[str, str] = {
    "BUSY": "busy",
    "NOANSWER": "noAnswer",
    "CANCEL": "cancel",
    "CONGESTION": "congestion",
    "CHANUNAVAIL": "notFound",
}

# Technology/resource-sequence, e.g. PJSIP/201-0000001a, SIP/provider-00000003,
# Local/201@from-queue-00000005;1.
CHANNEL_NAME = re.compile(r"^(?P<tech>[^/]+)/(?P<resource>.+)-[0-9a-fA-F]+(?:;[12])?$")

DEFAULT_EXTENSION_PATTERN = r"\d{2,6}"
DEFAULT_QUEUE_CONTEXTS = ("from-queue",)
# A call whose last Hangup never arrived (the bridge was disconnected
# meanwhile) is forgotten after this long, so memory stays bounded.
STALE_CALL_SECONDS = 12 * 3600
MAX_OPEN_CALLS = 10_000


def _text(event: Mapping[str, Any], name: str) -> str:
    # AMI repeats a header for several values; the last one is current.
    value = event.get(name, "")
    if isinstance(value, list):
        value = value[-1] if value else ""
    return str(value or "").strip()


@dataclass
class TrackedCall:
    """What the bridge knows of one call (one Linkedid) while it lasts."""

    call_id: str
    first_channel: str
    direction: str
    from_number: str
    to_number: str
    started: float
    caller_extension: str = ""
    live_channels: set[str] = field(default_factory=set)
    queue: str = ""
    rung_channel: str = ""
    last_dial_status: str = ""
    caller_cause: int | None = None
    answered: bool = False
    answering_number: str = ""

    def fields(self, event: str) -> CtiFields:
        posted = {
            "event": event,
            "callId": self.call_id,
            "from": self.from_number,
            "to": self.to_number,
            "direction": self.direction,
        }
        if self.queue:
            posted["queue"] = self.queue
        if self.answering_number:
            posted["answeringNumber"] = self.answering_number
        return posted

    def hangup_cause(self) -> str:
        if self.answered:
            return "normalClearing"
        if self.caller_cause in Q850_CAUSES:
            return Q850_CAUSES[self.caller_cause]
        return DIAL_STATUSES.get(self.last_dial_status, "cancel")


class CallTracker:
    """Follows the channels of each call and says which CTI events to post.

    Direction: the first channel of a Linkedid (Uniqueid == Linkedid) is
    the caller's. When it is a
    local extension (its device name, PJSIP/201, matches the extension
    pattern) the call is outbound, otherwise inbound (a trunk).
    Answer: the first DialEnd with DialStatus ANSWER, or the first BridgeEnter
    that puts two channels together. Hangup: when the last channel of the
    Linkedid hangs up."""

    def __init__(
        self,
        *,
        extension_pattern: str = DEFAULT_EXTENSION_PATTERN,
        queue_contexts: Iterable[str] = DEFAULT_QUEUE_CONTEXTS,
        clock: Any = time.monotonic,
    ) -> None:
        self.extension = re.compile(extension_pattern)
        self.queue_contexts = frozenset(queue_contexts)
        self.clock = clock
        self.calls: dict[str, TrackedCall] = {}
        self.forgotten = 0

    def extension_of(self, channel: str) -> str:
        """The agent extension a channel belongs to, or "": PJSIP/201-… is
        201; Local/201@<queue context>-…;1 is 201 (a queue member)."""
        match = CHANNEL_NAME.match(channel)
        if match is None:
            return ""
        resource = match["resource"]
        if match["tech"].lower() == "local":
            number, _, context = resource.partition("@")
            if context not in self.queue_contexts:
                return ""
            resource = number
        return resource if self.extension.fullmatch(resource) else ""

    def handle(self, event: Mapping[str, Any]) -> list[CtiFields]:
        """The CTI events this AMI event completes (often none)."""
        name = _text(event, "Event").lower()
        handler = {
            "newchannel": self._new_channel,
            "queuecallerjoin": self._queue_join,
            "dialbegin": self._dial_begin,
            "dialend": self._dial_end,
            "bridgeenter": self._bridge_enter,
            "hangup": self._hangup,
        }.get(name)
        if handler is None:
            return []
        linked_id = _text(event, "Linkedid")
        if not linked_id:
            return []
        return handler(linked_id, event)

    def _new_channel(self, linked_id: str, event: Mapping[str, Any]) -> list[CtiFields]:
        unique_id = _text(event, "Uniqueid")
        call = self.calls.get(linked_id)
        if call is not None:
            call.live_channels.add(unique_id)
            return []
        if unique_id != linked_id:
            # Only a call's first channel has its own Uniqueid as Linkedid;
            # a later one of a call begun before the bridge signed in is
            # ignored, like the rest of that call.
            return []
        self._forget_stale()
        channel = _text(event, "Channel")
        caller_number = _text(event, "CallerIDNum")
        exten = _text(event, "Exten")
        # "s" is the dial plan's start extension, not a number anyone dialled.
        dialled = "" if exten == "s" else exten
        extension = self.extension_of(channel)
        call = TrackedCall(
            call_id=linked_id,
            first_channel=unique_id,
            direction="out" if extension else "in",
            from_number=(caller_number or extension) if extension else caller_number,
            to_number=dialled,
            started=self.clock(),
            caller_extension=extension,
            live_channels={unique_id},
        )
        self.calls[linked_id] = call
        return [call.fields("newCall")]

    def _queue_join(self, linked_id: str, event: Mapping[str, Any]) -> list[CtiFields]:
        call = self.calls.get(linked_id)
        if call is not None and not call.queue:
            call.queue = _text(event, "Queue")
        return []

    def _dial_begin(self, linked_id: str, event: Mapping[str, Any]) -> list[CtiFields]:
        call = self.calls.get(linked_id)
        if call is not None:
            call.rung_channel = _text(event, "DestChannel")
        return []

    def _dial_end(self, linked_id: str, event: Mapping[str, Any]) -> list[CtiFields]:
        call = self.calls.get(linked_id)
        if call is None:
            return []
        status = _text(event, "DialStatus").upper()
        call.last_dial_status = status
        if status == "ANSWER":
            return self._answer(call, _text(event, "DestChannel"))
        return []

    def _bridge_enter(self, linked_id: str, event: Mapping[str, Any]) -> list[CtiFields]:
        call = self.calls.get(linked_id)
        if call is None:
            return []
        try:
            together = int(_text(event, "BridgeNumChannels") or 0)
        except ValueError:
            together = 0
        if together < 2:
            return []  # alone in a bridge: on hold, parked, in a conference
        channel = _text(event, "Channel")
        if _text(event, "Uniqueid") == call.first_channel:
            channel = call.rung_channel  # the other side entered first
        return self._answer(call, channel)

    def _answer(self, call: TrackedCall, agent_channel: str) -> list[CtiFields]:
        if call.answered:
            return []  # a transfer or a second bridge: answered once
        call.answered = True
        if call.direction == "out":
            call.answering_number = call.caller_extension
        else:
            call.answering_number = self.extension_of(agent_channel)
        return [call.fields("answer")]

    def _hangup(self, linked_id: str, event: Mapping[str, Any]) -> list[CtiFields]:
        call = self.calls.get(linked_id)
        if call is None:
            return []
        unique_id = _text(event, "Uniqueid")
        if unique_id == call.first_channel:
            try:
                call.caller_cause = int(_text(event, "Cause"))
            except ValueError:
                call.caller_cause = None
        call.live_channels.discard(unique_id)
        if call.live_channels:
            return []
        del self.calls[linked_id]
        posted = call.fields("hangup")
        posted["cause"] = call.hangup_cause()
        return [posted]

    def _forget_stale(self) -> None:
        """Calls whose end the bridge missed (it was disconnected) are dropped
        after STALE_CALL_SECONDS, or the oldest when too many are open; the
        desk hears nothing for them (no invented hangup)."""
        now = self.clock()
        for call_id, call in list(self.calls.items()):
            if now - call.started > STALE_CALL_SECONDS:
                del self.calls[call_id]
                self.forgotten += 1
        while len(self.calls) >= MAX_OPEN_CALLS:
            del self.calls[next(iter(self.calls))]
            self.forgotten += 1
