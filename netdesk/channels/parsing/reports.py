"""Mail sent by machines: automatic replies and bulk mail (never answered
automatically, RFC 3834) and delivery reports (bounces, RFC 3464 and the
common non-standard forms)."""

from __future__ import annotations

import re
from email.message import Message
from email.parser import Parser

from netdesk.channels.parsing.headers import HeaderBlock, message_ids
from netdesk.channels.parsing.parsed import AutoKind, BounceInfo
from netdesk.channels.parsing.parts import Body

_DAEMONS = {"mailer-daemon", "postmaster", "mail-daemon", "mailerdaemon"}
# "From: MAILER-DAEMON" without a domain is no address, but still a daemon.
_DAEMON_FIELD = re.compile(
    r"(^|<)\s*(mailer-daemon|postmaster|mail-daemon|mailerdaemon)\s*(>|$|\()", re.IGNORECASE
)
_BULK_PRECEDENCE = {"bulk", "junk", "list"}
_BOUNCE_SUBJECT = re.compile(
    r"(undeliver|undelivered mail|delivery status notification \((failure|delay)|"
    r"mail delivery failed|returned mail|failure notice|delivery failure|"
    r"nondeliverable|unzustellbar|non remis|non recapitabile|no se puede entregar)",
    re.IGNORECASE,
)
_STATUS = re.compile(r"\b([245]\.\d{1,3}\.\d{1,3})\b")
_SMTP_REPLY = re.compile(r"\b(5\d\d[ -].{3,300})$", re.MULTILINE)
# Bounded parts: a long run of letters must not cost quadratic time.
_ADDRESS = re.compile(
    r"([A-Za-z0-9._%+=!#$&'*/?^`{|}~-]{1,64}@[A-Za-z0-9-]{1,63}(?:\.[A-Za-z0-9-]{1,63}){1,8})"
)
# Bounce notices are short; the rest is the returned mail.
_NOTICE_MAX = 20_000
_INLINE_ORIGINAL = re.compile(
    r"^(--- Below this line is a copy of the message\.|-{3,} ?(The )?original message.*"
    r"|-{3,} ?This is a copy of the message.*)$",
    re.IGNORECASE | re.MULTILINE,
)
_MESSAGE_ID_LINE = re.compile(r"^Message-ID:\s*(.+)$", re.IGNORECASE | re.MULTILINE)


def is_daemon(address: str) -> bool:
    return address.partition("@")[0].lower() in _DAEMONS


def sent_by_daemon(headers: HeaderBlock, *, sender: str) -> bool:
    return is_daemon(sender) or bool(_DAEMON_FIELD.search(headers.first("from")))


def auto_kind(headers: HeaderBlock, *, sender: str) -> AutoKind | None:
    """Why the mail came from a machine, or None for a person's mail. The
    first rule that applies wins: sender, Auto-Submitted, X-Autoreply and
    X-Autorespond, X-Auto-Response-Suppress, Precedence and List-Id, and a
    null Return-Path (RFC 3834 asks auto-responders to send with one)."""
    if sent_by_daemon(headers, sender=sender):
        return AutoKind.MAILER_DAEMON
    submitted = headers.first("auto-submitted").split(";", 1)[0].strip().lower()
    if submitted == "auto-replied" or headers.has("x-autoreply") or headers.has("x-autorespond"):
        return AutoKind.AUTO_REPLIED
    if submitted and submitted != "no":
        return AutoKind.AUTO_GENERATED
    suppress = headers.first("x-auto-response-suppress").strip().lower()
    if suppress and suppress != "none":
        return AutoKind.SUPPRESS
    precedence = headers.first("precedence").strip().lower()
    if precedence in _BULK_PRECEDENCE or headers.has("list-id"):
        return AutoKind.BULK
    if headers.has("return-path") and headers.first("return-path").strip() in {"<>", ""}:
        return AutoKind.AUTO_GENERATED
    return None


def _typed_value(value: str) -> str:
    # "rfc822; alice@example.net" and "smtp; 550 5.1.1 ..." carry a type.
    return value.split(";", 1)[1].strip() if ";" in value else value.strip()


def _report_blocks(part: Message) -> list[Message]:
    payload = part.get_payload()
    if isinstance(payload, list):
        return [block for block in payload if isinstance(block, Message)]
    text = str(payload or "")
    return [Parser().parsestr(chunk) for chunk in re.split(r"\n\s*\n", text) if chunk.strip()]


def _field(block: Message, name: str) -> str:
    value = block.get(name)
    return " ".join(str(value).split()) if value is not None else ""


def _from_report(report: Message) -> tuple[str, str, str] | None:
    """(recipient, status, diagnostic) of the first recipient the report
    says failed; None when every recipient was only delayed or delivered."""
    for block in _report_blocks(report)[1:] or _report_blocks(report):
        action = _field(block, "action").lower()
        status = _field(block, "status")
        failed = action == "failed" or (not action and status.startswith("5"))
        if not failed:
            continue
        recipient = _typed_value(
            _field(block, "final-recipient") or _field(block, "original-recipient")
        )
        return recipient.strip("<>").lower(), status, _typed_value(_field(block, "diagnostic-code"))
    return None


def _original_id(body: Body, text: str) -> str:
    for headers in body.returned_headers:
        ids = message_ids(headers.first("message-id"))
        if ids:
            return ids[0]
    marker = _INLINE_ORIGINAL.search(text)
    match = _MESSAGE_ID_LINE.search(text, marker.end() if marker else 0)
    ids = message_ids(match.group(1)) if match else []
    return ids[0] if ids else ""


def _from_text(text: str, *, sender: str) -> tuple[str, str, str]:
    """What a bounce written for people says: the first address that is not
    the daemon's, the first enhanced status code, the server's reply."""
    marker = _INLINE_ORIGINAL.search(text)
    notice = (text[: marker.start()] if marker else text)[:_NOTICE_MAX]
    recipient = next(
        (
            found.lower()
            for found in _ADDRESS.findall(notice)
            if found.lower() != sender and not is_daemon(found)
        ),
        "",
    )
    status = _STATUS.search(notice)
    reply = _SMTP_REPLY.search(notice)
    return recipient, status.group(1) if status else "", reply.group(1).strip() if reply else ""


def find_bounce(
    body: Body, *, sender: str, daemon: bool, subject: str, text: str
) -> BounceInfo | None:
    """The delivery failure this mail reports, or None. A standard report
    (message/delivery-status) decides alone; otherwise a mail from a mailer
    daemon, or with a bounce's subject, that carries the returned mail or
    its headers, or a status code, counts."""
    for report in body.delivery_reports:
        failure = _from_report(report)
        if failure is not None:
            return BounceInfo(_original_id(body, text), *failure)
    if body.delivery_reports:
        return None
    if not (daemon or _BOUNCE_SUBJECT.search(subject)):
        return None
    recipient, status, diagnostic = _from_text(text, sender=sender)
    original = _original_id(body, text)
    if not (original or status or diagnostic or body.returned_headers):
        return None
    return BounceInfo(original, recipient, status, diagnostic)
