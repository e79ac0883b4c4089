"""Header values read tolerantly: encoded words (also malformed ones),
raw UTF-8 (RFC 6532), addresses, Message-IDs and dates."""

from __future__ import annotations

import base64
import binascii
import re
from datetime import UTC, datetime, timedelta, timezone
from email.message import Message
from email.utils import getaddresses, parsedate_to_datetime

from netdesk.channels.parsing.charsets import decode_bytes, repair_8bit
from netdesk.channels.parsing.parsed import Problems
from netdesk.core.dates import AFTER_LAST_MOMENT, FIRST_MOMENT

# Lenient: a charset with an RFC 2231 language, either case of the encoding,
# spaces inside the encoded text (broken encoders write them).
_ENCODED_WORD = re.compile(r"=\?([^?\s]+)\?([QqBb])\?([^?]*?)\?=")
_BETWEEN_WORDS = re.compile(r"[ \t]*")
_Q_ESCAPE = re.compile(rb"=([0-9A-Fa-f]{2})")
_MESSAGE_ID = re.compile(r"<([^<>\s]+)>")
_FOLD = re.compile(r"\r?\n|\r")
# Zones written by name that RFC 5322 does not know but mail software does.
_ZONE_NAMES = {
    "CET": 1, "MET": 1, "MEZ": 1, "CEST": 2, "MEST": 2, "MESZ": 2, "BST": 1,
    "EET": 2, "EEST": 3, "WET": 0, "WEST": 1, "JST": 9, "KST": 9, "HKT": 8,
    "SGT": 8, "IST": 5.5, "AEST": 10, "AEDT": 11,
}  # fmt: skip
_NAMED_ZONE = re.compile(r"\s+\(?([A-Z]{3,4})\)?\s*$")
_UNKNOWN_ZONE = re.compile(r"-0000(\s|$)")
# "+01:00" is not RFC 5322 but common; "+0100" is.
_COLON_OFFSET = re.compile(r"\s([+-]\d\d):(\d\d)(\s*(?:\([^()]*\))?\s*)$")


class HeaderBlock:
    """The header fields of one part, by lowercased name, each value
    unfolded and with raw 8-bit bytes decoded."""

    def __init__(self, message: Message, *, fallback_charset: str | None, problems: Problems):
        self._fields: dict[str, list[str]] = {}
        for name, value in message.raw_items():
            key = str(name).strip().lower()
            text = _FOLD.sub("", str(value)).strip()
            where = f"the {key} header"
            text = repair_8bit(text, fallback=fallback_charset, where=where, problems=problems)
            self._fields.setdefault(key, []).append(text)

    def __bool__(self) -> bool:
        return bool(self._fields)

    def first(self, name: str) -> str:
        values = self._fields.get(name, [])
        return values[0] if values else ""

    def all(self, name: str) -> list[str]:
        return self._fields.get(name, [])

    def has(self, name: str) -> bool:
        return name in self._fields


def decode_words(value: str, *, where: str, problems: Problems) -> str:
    """`value` with its RFC 2047 encoded words decoded. Adjacent words in
    one charset are joined before decoding, so a character split between
    two words (a common encoder bug) comes out whole."""
    if "=?" not in value:
        return value
    pieces: list[str] = []
    pending: list[bytes] = []
    pending_charset = ""
    position = 0

    def flush() -> None:
        if pending:
            pieces.append(
                decode_bytes(
                    b"".join(pending),
                    pending_charset,
                    where=f"in an encoded word of {where}",
                    problems=problems,
                )
            )
            pending.clear()

    for match in _ENCODED_WORD.finditer(value):
        between = value[position : match.start()]
        if not (pending and _BETWEEN_WORDS.fullmatch(between)):
            flush()
            pieces.append(between)
        charset = match.group(1).split("*", 1)[0].lower()
        if pending and charset != pending_charset:
            flush()
        pending_charset = charset
        pending.append(_word_bytes(match.group(2), match.group(3)))
        position = match.end()
    flush()
    pieces.append(value[position:])
    return "".join(pieces)


def _word_bytes(encoding: str, text: str) -> bytes:
    data = text.encode("ascii", errors="replace")
    if encoding in "Qq":
        # Broken encoders leave spaces in; they meant spaces.
        return _Q_ESCAPE.sub(lambda m: bytes([int(m.group(1), 16)]), data.replace(b"_", b" "))
    data = re.sub(rb"[^A-Za-z0-9+/]", b"", data)
    data += b"=" * (-len(data) % 4)
    try:
        return base64.b64decode(data)
    except binascii.Error:
        # One character too many for whole bytes: drop it.
        return base64.b64decode(data[: len(data) // 4 * 4 - 4] or b"")


def text_header(headers: HeaderBlock, name: str, *, problems: Problems) -> str:
    value = decode_words(headers.first(name), where=f"the {name} header", problems=problems)
    return " ".join(value.split())


def addresses(headers: HeaderBlock, name: str, *, problems: Problems) -> list[tuple[str, str]]:
    """(display name, lowercased address) for each mailbox in the header
    fields called `name`; what is not an address is left out and said."""
    found: list[tuple[str, str]] = []
    for value in headers.all(name):
        try:
            pairs = getaddresses([value])
        except (RecursionError, ValueError, IndexError):
            problems.add(f"the {name} header could not be read as addresses; left out")
            continue
        for display, address in pairs:
            address = address.strip().strip("<>").strip()
            if not address:
                continue
            if "@" not in address or address.startswith("@") or address.endswith("@"):
                problems.add(f"{address!r} in the {name} header is not an address; left out")
                continue
            display = decode_words(display, where=f"the {name} header", problems=problems)
            found.append((" ".join(display.split()).strip("\"' "), address.lower()))
    return found


def message_ids(value: str) -> list[str]:
    """The Message-IDs in a header value, without <>. Software that forgets
    the brackets writes one bare id."""
    ids = _MESSAGE_ID.findall(value)
    if ids:
        return ids
    bare = value.strip()
    return [bare] if bare and " " not in bare and "@" in bare else []


def sent_date(value: str, *, problems: Problems) -> datetime | None:
    """The Date header as aware UTC, or None (said in `problems`) when it is
    missing, not a date, or outside the range the desk accepts. A time
    without a zone the desk can read is taken as UTC, and said."""
    if not value:
        problems.add("no Date header")
        return None
    moment = _read_date(_COLON_OFFSET.sub(r" \1\2\3", value))
    if moment is None:
        problems.add(f"Date header {value[:80]!r} is not a date; left empty")
        return None
    if moment.tzinfo is None:
        named = _NAMED_ZONE.search(value)
        if named and named.group(1) in _ZONE_NAMES:
            hours = _ZONE_NAMES[named.group(1)]
        else:
            hours = 0
            # -0000 says "UTC, the sender's zone unknown" (RFC 5322): no defect.
            if not _UNKNOWN_ZONE.search(value):
                problems.add(f"Date header {value[:80]!r} names no time zone; read as UTC")
        moment = moment.replace(tzinfo=timezone(timedelta(hours=hours)))
    try:
        moment = moment.astimezone(UTC)
    except OverflowError:
        moment = datetime.max.replace(tzinfo=UTC)
    if not FIRST_MOMENT <= moment < AFTER_LAST_MOMENT:
        problems.add(f"Date header {value[:80]!r} lies outside 1970 to 2099; left empty")
        return None
    return moment


def _read_date(value: str) -> datetime | None:
    try:
        return parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError, OverflowError):
        pass
    try:
        return datetime.fromisoformat(value.strip())
    except ValueError:
        return None
