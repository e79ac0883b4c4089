"""What the desk reads out of a mail: plain values, no database records."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import datetime


class UnparseableMail(Exception):
    """The input is not a mail at all (empty, or no header fields). Anything
    that is a mail, however broken, parses, with its defects in `problems`."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class AutoKind(enum.StrEnum):
    """Why a mail was sent by a machine; such mail is never answered
    automatically (RFC 3834), so two desks cannot answer each other forever."""

    AUTO_REPLIED = "auto_replied"
    AUTO_GENERATED = "auto_generated"
    BULK = "bulk"
    SUPPRESS = "suppress"
    MAILER_DAEMON = "mailer_daemon"


@dataclass(frozen=True)
class ParsedAttachment:
    """A file carried by the mail. `content_id` (without <>) is what an HTML
    body's `cid:` image source names; `inline` parts are shown in the text."""

    filename: str
    content_type: str
    data: bytes
    content_id: str = ""
    inline: bool = False


@dataclass(frozen=True)
class BounceInfo:
    """A delivery report: which of the desk's messages did not arrive
    (`original_message_id`, without <>), for whom, and the server's words."""

    original_message_id: str
    recipient: str
    status: str
    diagnostic: str


@dataclass(frozen=True)
class ParsedMail:
    """One mail as the desk reads it. Addresses are lowercased, Message-IDs
    carry no angle brackets, `date` is aware UTC (None when missing or not a
    date), `text` is the whole plain text, `reply_text` the new part with the
    quoted history and the signature folded away, `html` is sanitised, and
    `problems` names each defect that was worked around."""

    message_id: str
    in_reply_to: list[str]
    references: list[str]
    from_address: str
    from_name: str
    to: list[str]
    cc: list[str]
    reply_to: list[str]
    subject: str
    date: datetime | None
    text: str
    html: str
    reply_text: str
    attachments: list[ParsedAttachment] = field(default_factory=list)
    auto: AutoKind | None = None
    bounce: BounceInfo | None = None
    problems: list[str] = field(default_factory=list)


class Problems:
    """The defects met while reading one mail, each said once, in order."""

    def __init__(self) -> None:
        self._seen: dict[str, None] = {}

    def add(self, problem: str) -> None:
        self._seen.setdefault(problem, None)

    def as_list(self) -> list[str]:
        return list(self._seen)
