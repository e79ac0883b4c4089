"""parse_message: raw bytes to a ParsedMail, whatever state the mail is in.

The standard library reads the structure with policy.default; when that
fails on broken header fields the mail is read again with compat32, and
when that fails too, as header lines and text. Header values are decoded
here (headers.py), leniently, in every case."""

from __future__ import annotations

import dataclasses
import re
from email import policy as email_policy
from email.message import Message
from email.parser import BytesParser
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
from netdesk.channels.parsing.parts import walk_body
from netdesk.channels.parsing.quotes import fold_reply
from netdesk.channels.parsing.reports import auto_kind, find_bounce
from netdesk.core.text import replace_unstorable

_FORWARD_SUBJECT = re.compile(r"^\s*(fwd?|fw|wg|tr|rv|enc|i)\s*:", re.IGNORECASE)
_HEADER_LINE = re.compile(rb"^(From |[!-9;-~]+[ \t]*:)")
_Dataclass = TypeVar("_Dataclass")


def parse_message(raw: bytes) -> ParsedMail:
    """Read one mail. Raises UnparseableMail only when `raw` is no mail at
    all (empty, or not starting with header fields); every defect worked
    around is named in `problems`."""
    if not raw.strip():
        raise UnparseableMail("the input is empty")
    if not _HEADER_LINE.match(raw.lstrip(b"\r\n")):
        raise UnparseableMail("the input does not start with header fields: not a mail")
    problems = Problems()
    for policy in (email_policy.default, email_policy.compat32):
        try:
            message = BytesParser(policy=policy).parsebytes(raw)
            return _storable(_read(message, problems), problems)
        except UnparseableMail:
            raise
        except (Exception, RecursionError) as error:  # the stdlib meets what it cannot read
            problems.add(f"the {policy_name(policy)} parser failed ({type(error).__name__})")
    return _storable(_read_as_text(raw, problems), problems)


def policy_name(policy: object) -> str:
    return "lenient (compat32)" if policy is email_policy.compat32 else "standard"


def _read(message: Message, problems: Problems) -> ParsedMail:
    charset = message.get_content_charset()
    hint = charset if is_known(charset) else None
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
    html = "\n".join(body.html)
    text = "\n".join(body.plain) if body.plain else html_to_text(_clean(html, problems))
    text = text.strip("\n")
    message_id = next(iter(message_ids(headers.first("message-id"))), "")
    if not message_id:
        problems.add("no Message-ID header")
    auto = auto_kind(headers, sender=from_address)
    bounce = find_bounce(body, sender=from_address, subject=subject, text=text)
    if bounce is not None and auto is None:
        auto = AutoKind.AUTO_GENERATED
    return ParsedMail(
        message_id=message_id,
        in_reply_to=message_ids(headers.first("in-reply-to"))[-1:],
        references=[mid for value in headers.all("references") for mid in message_ids(value)],
        from_address=from_address,
        from_name=from_name,
        to=[address for _, address in addresses(headers, "to", problems=problems)],
        cc=[address for _, address in addresses(headers, "cc", problems=problems)],
        reply_to=[address for _, address in addresses(headers, "reply-to", problems=problems)],
        subject=subject,
        date=sent_date(headers.first("date"), problems=problems),
        text=text,
        html=sanitise_html(_clean(html, problems)) if html else "",
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
