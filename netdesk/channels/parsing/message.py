"""parse_message: raw bytes to a ParsedMail, whatever state the mail is in.

The standard library reads the structure with policy.default; when that
fails on broken header fields (or the MIME fields are too long for it, see
STANDARD_PARSER_MIME_BYTES) the mail is read with compat32, and when that
fails too, as text. Header values are decoded here (headers.py), leniently,
whichever policy read the structure."""

from __future__ import annotations

import dataclasses
import enum
import re
from email import policy as email_policy
from email.message import Message
from email.parser import BytesParser
from email.policy import Policy
from typing import Any, TypeVar

from netdesk.channels.parsing.charsets import decode_bytes, is_known
from netdesk.channels.parsing.headers import (
    HeaderBlock,
    addresses,
    message_ids,
    sent_date,
    text_header,
)
from netdesk.channels.parsing.markup import html_to_text, sanitise_html
from netdesk.channels.parsing.parsed import AutoKind, ParsedMail, Problems, UnparseableMail
from netdesk.channels.parsing.parts import mime_fields, walk_body
from netdesk.channels.parsing.quotes import fold_reply
from netdesk.channels.parsing.reports import auto_kind, find_bounce, sent_by_daemon
from netdesk.core.text import replace_unstorable

_FORWARD_SUBJECT = re.compile(r"^\s*(fwd?|fw|wg|tr|rv|enc|i)\s*:", re.IGNORECASE)
_HEADER_LINE = re.compile(rb"^(From |[!-9;-~]+[ \t]*:)")
_Dataclass = TypeVar("_Dataclass")
# policy.default parses MIME parameters some 30 to 50 times slower than
# compat32, and quadratically: 20 parts with 2 KB Content-Type fields take
# it 10 s, compat32 0.2 s. It reads mail whose Content-* fields (all parts
# together) stay within this many bytes, which ordinary mail does; larger
# ones go to compat32 straight away. Both give the same result.
STANDARD_PARSER_MIME_BYTES = 4096
MIME_FIELD_MAX = 4096
# A Content-* field with its continuation lines, at the start of any line.
_MIME_FIELD = re.compile(rb"^(content-[a-z0-9-]*)[ \t]*:(?:[^\n]*\n[ \t])*[^\n]*", re.I | re.M)


def parse_message(raw: bytes) -> ParsedMail:
    """Read one mail. Raises UnparseableMail only when `raw` is no mail at
    all (empty, or not starting with header fields); every defect worked
    around is named in `problems`."""
    if not raw.strip():
        raise UnparseableMail("the input is empty")
    if not _HEADER_LINE.match(raw.lstrip(b"\r\n")):
        raise UnparseableMail("the input does not start with header fields: not a mail")
    raw, cut, mime_bytes = _shorten_mime_fields(raw)
    if mime_bytes > STANDARD_PARSER_MIME_BYTES:
        return _parse_with(raw, (email_policy.compat32,), said=cut)
    return _parse_with(raw, (email_policy.default, email_policy.compat32), said=cut)


def _parse_with(raw: bytes, policies: tuple[Policy, ...], *, said: list[str]) -> ParsedMail:
    """The first reading that succeeds; each failure named in problems."""
    failures: list[str] = []
    for policy in policies:
        problems = Problems()
        for problem in (*said, *failures):
            problems.add(problem)
        try:
            message = BytesParser(policy=policy).parsebytes(raw)
            return _storable(_read(message, problems), problems)
        except UnparseableMail:
            raise
        except (Exception, RecursionError) as error:  # the stdlib meets what it cannot read
            name = "lenient (compat32)" if policy is email_policy.compat32 else "standard"
            failures.append(f"the {name} parser failed ({type(error).__name__}: {error})"[:300])
    problems = Problems()
    for problem in (*said, *failures):
        problems.add(problem)
    return _storable(_read_as_text(raw, problems), problems)


def _shorten_mime_fields(raw: bytes) -> tuple[bytes, list[str], int]:
    """`raw` with each Content-* header field (of any part) longer than
    MIME_FIELD_MAX cut to that length, what was cut, and how many bytes of
    such fields remain. Real ones are a few hundred bytes; longer ones only
    cost the parser time (the stored raw mail keeps them whole)."""
    cut: list[str] = []
    total = 0

    def shorten(match: re.Match[bytes]) -> bytes:
        nonlocal total
        field = match.group()
        total += min(len(field), MIME_FIELD_MAX)
        if len(field) <= MIME_FIELD_MAX:
            return field
        name = match.group(1).decode("ascii").lower()
        cut.append(f"a {name} header field of {len(field)} bytes cut to {MIME_FIELD_MAX}")
        return field[:MIME_FIELD_MAX]

    shortened = _MIME_FIELD.sub(shorten, raw)
    return shortened, cut, total


def _charset_hint(message: Message) -> str | None:
    """The charset of the first text the mail declares one for: software that
    writes raw 8-bit header fields wrote them in it (RFC 6532 aside)."""
    parts = [message]
    for _ in range(50):
        if not parts:
            break
        part = parts.pop(0)
        charset = mime_fields(part).get_content_charset()
        if is_known(charset):
            return charset
        payload = part.get_payload()
        if part.get_content_maintype() == "multipart" and isinstance(payload, list):
            parts.extend(child for child in payload if isinstance(child, Message))
    return None


def _read(message: Message, problems: Problems) -> ParsedMail:
    hint = _charset_hint(message)
    headers = HeaderBlock(message, fallback_charset=hint, problems=problems)
    if not headers:
        raise UnparseableMail("no header fields: not a mail")
    senders = addresses(headers, "from", problems=problems) or addresses(
        headers, "sender", problems=problems
    )
    if not senders:
        problems.add("no sender address (From)")
    from_name, from_address = senders[0] if senders else ("", "")
    subject = text_header(headers, "subject", problems=problems)
    body = walk_body(message, charset_hint=hint, problems=problems)
    html = sanitise_html(_clean("\n".join(body.html), problems)) if body.html else ""
    plain = "\n".join(body.plain).strip("\n")
    # Some programs send an empty plain part beside the HTML one.
    text = plain if plain.strip() or not html else html_to_text(html)
    message_id = next(iter(message_ids(headers.first("message-id"))), "")
    if not message_id:
        problems.add("no Message-ID header")
    auto = auto_kind(headers, sender=from_address)
    daemon = sent_by_daemon(headers, sender=from_address)
    bounce = find_bounce(body, sender=from_address, daemon=daemon, subject=subject, text=text)
    if bounce is not None and auto is None:
        auto = AutoKind.AUTO_GENERATED
    return ParsedMail(
        message_id=message_id,
        in_reply_to=message_ids(headers.first("in-reply-to")),
        references=[mid for value in headers.all("references") for mid in message_ids(value)],
        from_address=from_address,
        from_name=from_name,
        to=[address for _, address in addresses(headers, "to", problems=problems)],
        cc=[address for _, address in addresses(headers, "cc", problems=problems)],
        reply_to=[address for _, address in addresses(headers, "reply-to", problems=problems)],
        subject=subject,
        date=sent_date(headers.first("date"), problems=problems),
        text=text,
        html=html,
        reply_text=fold_reply(text, forwarded=bool(_FORWARD_SUBJECT.match(subject))),
        attachments=body.attachments,
        auto=auto,
        bounce=bounce,
        problems=[],
    )


def _read_as_text(raw: bytes, problems: Problems) -> ParsedMail:
    """The last resort: the whole mail as text, nothing taken from it."""
    text = decode_bytes(raw, None, where="in the mail", problems=problems)
    text = text.replace("\r\n", "\n").replace("\r", "\n").strip("\n")
    problems.add("read as plain text: no sender, subject or attachments taken")
    return ParsedMail(
        message_id="",
        in_reply_to=[],
        references=[],
        from_address="",
        from_name="",
        to=[],
        cc=[],
        reply_to=[],
        subject="",
        date=None,
        text=text,
        html="",
        reply_text=text,
    )


def _clean(text: str, problems: Problems) -> str:
    """`text` the database can store: NULs removed, unpaired surrogates
    replaced (each said once in problems)."""
    if "\x00" in text:
        problems.add("NUL characters removed (the database cannot store them)")
        text = text.replace("\x00", "")
    text, replaced = replace_unstorable(text)
    if replaced:
        problems.add("unpaired surrogate characters replaced by U+FFFD")
    return text


def _clean_value(value: Any, problems: Problems) -> Any:
    if isinstance(value, enum.Enum):
        return value
    if isinstance(value, str):
        return _clean(value, problems)
    if isinstance(value, list):
        return [_clean_value(item, problems) for item in value]
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return _clean_fields(value, problems)
    return value


def _clean_fields(record: _Dataclass, problems: Problems) -> _Dataclass:
    changes = {
        item.name: _clean_value(getattr(record, item.name), problems)
        for item in dataclasses.fields(record)  # type: ignore[arg-type]
        if item.name != "problems"
    }
    return dataclasses.replace(record, **changes)  # type: ignore[type-var]


def _storable(mail: ParsedMail, problems: Problems) -> ParsedMail:
    # Every string of the result passes here, nested ones included: one
    # place, so that no field can carry a NUL into PostgreSQL.
    cleaned = _clean_fields(mail, problems)
    return dataclasses.replace(
        cleaned, problems=[_clean(p, Problems()) for p in problems.as_list()]
    )
