"""Syslog message parsing: RFC 5424 and the BSD format of RFC 3164, as sent by
routers, switches, servers and Python's SysLogHandler. Pure functions, no I/O."""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta, timezone, tzinfo

from netdesk.core.text import replace_unstorable

NILVALUE = "-"
BOM = "\ufeff"

# RFC 5424 section 6 limits; longer fields are cut rather than refused, as
# real devices overrun them and the rest of the message is still useful.
HOSTNAME_MAX = 255
APP_NAME_MAX = 48
PROCID_MAX = 128
MSGID_MAX = 32

_PRI = re.compile(r"<(\d{1,3})>")
_VERSION = re.compile(r"(\d{1,2}) ")
_RFC3339 = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?([Zz]|[+-]\d{2}:\d{2})"
)
_MONTHS = {
    name: number
    for number, name in enumerate(
        ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"), 1
    )
}
# The BSD header as devices really send it: Cisco prefixes a sequence number
# (and with `logging origin-id`, its name), marks an unsynchronised clock with
# '*', and may add a year, milliseconds or a zone before the colon that ends
# its timestamp.
_BSD_TIMESTAMP = re.compile(
    r"""
    (?:\d+:\ +)?
    (?:(?P<origin>[A-Za-z0-9_.-]+):\ +)?
    (?P<unsynced>\*)?\.?
    (?P<mon>[A-Za-z]{3})\ +(?P<day>\d{1,2})\ +
    (?:(?P<year>\d{4})\ +)?
    (?P<hour>\d{2}):(?P<minute>\d{2}):(?P<second>\d{2})(?:\.(?P<frac>\d{1,6}))?
    (?:\ (?P<zone>[A-Z]{2,5})(?=:))?
    :?(?:\ +|$)
    """,
    re.VERBOSE,
)
_ISO_TIMESTAMP = re.compile(r"(?P<iso>\d{4}-\d{2}-\d{2}[Tt]\S+)(?:\ +|$)")
_TAG = re.compile(r"(?P<tag>[A-Za-z0-9_./-]{1,48})(?:\[(?P<pid>[^\]\s]{1,128})\])?: ?")
_ZONES_AS_UTC = {"UTC", "GMT", "Z", "UT"}


class SyslogParseError(ValueError):
    """The input is not a syslog message. `reason` is a short fixed phrase
    (rejections are counted per reason); `detail` says what exactly was wrong."""

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason
        self.detail = detail


@dataclass(frozen=True)
class SyslogMessage:
    """One syslog message, whichever format it came in."""

    format: str  # "rfc5424" or "rfc3164"
    facility: int  # 0-23
    severity: int  # 0 emergency … 7 debug
    # Aware; None when the message carried none (NILVALUE, or a BSD message
    # without a usable timestamp or from a clock the device marks as unset).
    timestamp: datetime | None
    hostname: str = ""
    app_name: str = ""
    procid: str = ""
    msgid: str = ""
    structured_data: dict[str, dict[str, str]] = field(default_factory=dict)
    message: str = ""
    replaced: int = 0  # characters the desk cannot store (NUL), replaced by U+FFFD


def parse_syslog(
    data: bytes, *, received_at: datetime, legacy_timezone: tzinfo = UTC
) -> SyslogMessage:
    """Parse one message (one datagram or one TCP frame).

    `received_at` (aware) resolves the year an RFC 3164 timestamp leaves out;
    `legacy_timezone` is the zone of RFC 3164 timestamps, which carry none.
    Raises SyslogParseError when the input is not syslog.
    """
    # Undecodable bytes become U+FFFD: a message from a device with a legacy
    # character set is still worth an alarm, and we never guess its encoding.
    text = data.decode("utf-8", errors="replace").rstrip("\r\n\x00")
    # A NUL inside a message cannot be stored; the alarm must not be lost for
    # it, so it is replaced, and the alarm says how many were (nul_replaced).
    text, replaced = replace_unstorable(text)
    if not text.strip():
        raise SyslogParseError("empty message")
    pri_match = _PRI.match(text)
    if pri_match is None:
        raise SyslogParseError("missing PRI", "a message starts with <PRI>, e.g. <34>")
    pri = int(pri_match.group(1))
    if pri > 191:
        raise SyslogParseError("bad PRI", f"{pri} is not between 0 and 191")
    facility, severity = divmod(pri, 8)
    rest = text[pri_match.end() :]
    version_match = _VERSION.match(rest)
    if version_match is not None:
        if version_match.group(1) != "1":
            raise SyslogParseError("unsupported version", f"version {version_match.group(1)}")
        message = _parse_rfc5424(rest[version_match.end() :], facility, severity)
    else:
        message = _parse_rfc3164(rest, facility, severity, received_at, legacy_timezone)
    return replace(message, replaced=replaced) if replaced else message


# RFC 5424 ---------------------------------------------------------------------


def _parse_rfc5424(rest: str, facility: int, severity: int) -> SyslogMessage:
    fields: list[str] = []
    for name in ("TIMESTAMP", "HOSTNAME", "APP-NAME", "PROCID", "MSGID"):
        end = rest.find(" ")
        if end <= 0:
            raise SyslogParseError("missing header field", f"no {name} or nothing after it")
        fields.append(rest[:end])
        rest = rest[end + 1 :]
    timestamp_text, hostname, app_name, procid, msgid = fields
    if not rest:
        raise SyslogParseError("missing header field", "no STRUCTURED-DATA")
    structured_data, position = _parse_structured_data(rest)
    message = ""
    if position < len(rest):
        if rest[position] != " ":
            raise SyslogParseError(
                "bad structured data", f"unexpected {rest[position]!r} after the last element"
            )
        message = rest[position + 1 :]
    if message.startswith(BOM):
        message = message[len(BOM) :]
    return SyslogMessage(
        format="rfc5424",
        facility=facility,
        severity=severity,
        timestamp=_parse_rfc3339(timestamp_text),
        hostname=_nil(hostname)[:HOSTNAME_MAX],
        app_name=_nil(app_name)[:APP_NAME_MAX],
        procid=_nil(procid)[:PROCID_MAX],
        msgid=_nil(msgid)[:MSGID_MAX],
        structured_data=structured_data,
        message=message,
    )


def _nil(value: str) -> str:
    return "" if value == NILVALUE else value


def _parse_rfc3339(text: str) -> datetime | None:
    if text == NILVALUE:
        return None
    match = _RFC3339.fullmatch(text)
    if match is None:
        raise SyslogParseError("bad timestamp", f"{text[:40]!r} is not an RFC 3339 time")
    year, month, day, hour, minute, second = (int(part) for part in match.groups()[:6])
    fraction, offset = match.group(7), match.group(8)
    # A leap second (…:60) is the last instant of its minute for our purposes.
    second = min(second, 59)
    microsecond = int((fraction or "0")[:6].ljust(6, "0"))
    if offset in ("Z", "z"):
        zone: tzinfo = UTC
    else:
        sign = 1 if offset[0] == "+" else -1
        hours, minutes = int(offset[1:3]), int(offset[4:6])
        if hours > 23 or minutes > 59:
            raise SyslogParseError("bad timestamp", f"offset {offset!r}")
        zone = timezone(sign * timedelta(hours=hours, minutes=minutes))
    try:
        return datetime(year, month, day, hour, minute, second, microsecond, tzinfo=zone)
    except ValueError as exc:
        raise SyslogParseError("bad timestamp", f"{text[:40]!r}: {exc}") from exc


def _parse_structured_data(text: str) -> tuple[dict[str, dict[str, str]], int]:
    """Parse STRUCTURED-DATA at the start of `text`; return it and where it ends."""
    if text[0] == NILVALUE:
        return {}, 1
    if text[0] != "[":
        raise SyslogParseError(
            "bad structured data", f"starts with {text[0]!r}, expected '[' or '-'"
        )
    elements: dict[str, dict[str, str]] = {}
    position = 0
    length = len(text)
    while position < length and text[position] == "[":
        position += 1
        sd_id, position = _read_name(text, position, "SD-ID")
        params = elements.setdefault(sd_id, {})
        while True:
            if position >= length:
                raise SyslogParseError("bad structured data", f"element {sd_id!r} is not closed")
            if text[position] == "]":
                position += 1
                break
            if text[position] != " ":
                raise SyslogParseError(
                    "bad structured data", f"unexpected {text[position]!r} in element {sd_id!r}"
                )
            position += 1
            name, position = _read_name(text, position, "PARAM-NAME")
            if text[position : position + 2] != '="':
                raise SyslogParseError(
                    "bad structured data", f"parameter {name!r} has no quoted value"
                )
            value, position = _read_param_value(text, position + 2)
            params[name] = value
    return elements, position


def _read_name(text: str, position: int, what: str) -> tuple[str, int]:
    start = position
    while position < len(text) and text[position] not in ' =]"':
        position += 1
    name = text[start:position]
    if not name or len(name) > 32:
        raise SyslogParseError("bad structured data", f"{what} {name!r} is empty or too long")
    if position >= len(text):
        raise SyslogParseError("bad structured data", f"ends inside {what} {name!r}")
    return name, position


def _read_param_value(text: str, position: int) -> tuple[str, int]:
    """Read a PARAM-VALUE up to its closing quote, undoing the escapes of RFC
    5424 6.3.3: only \\", \\\\ and \\] are escapes; any other backslash is kept."""
    chars: list[str] = []
    length = len(text)
    while position < length:
        char = text[position]
        if char == "\\" and position + 1 < length and text[position + 1] in '"\\]':
            chars.append(text[position + 1])
            position += 2
            continue
        if char == '"':
            return "".join(chars), position + 1
        chars.append(char)
        position += 1
    raise SyslogParseError("bad structured data", "a parameter value is not closed")


# RFC 3164 ---------------------------------------------------------------------


def _parse_rfc3164(
    rest: str, facility: int, severity: int, received_at: datetime, zone: tzinfo
) -> SyslogMessage:
    timestamp: datetime | None = None
    hostname = ""
    content = rest
    header_found = False
    bsd = _BSD_TIMESTAMP.match(rest)
    if bsd is not None:
        header_found = True
        content = rest[bsd.end() :]
        hostname = (bsd.group("origin") or "")[:HOSTNAME_MAX]
        if not bsd.group("unsynced"):
            timestamp = _bsd_time(bsd, received_at, zone)
    else:
        iso = _ISO_TIMESTAMP.match(rest)
        if iso is not None:
            try:
                timestamp = _parse_rfc3339(iso.group("iso"))
            except SyslogParseError:
                timestamp = None
            else:
                header_found = True
                content = rest[iso.end() :]
    if header_found and not hostname:
        # HOSTNAME follows the timestamp, unless the device left it out and the
        # next word is already the tag ("su:", "sshd[42]:") or a Cisco mnemonic.
        word, _, after = content.partition(" ")
        if word and not (word.endswith(":") or "[" in word or word.startswith("%")):
            hostname, content = word[:HOSTNAME_MAX], after
    # RFC 3164 4.3.2: without a valid header, all of it is the message.
    app_name = procid = ""
    tag = _TAG.match(content)
    if tag is not None:
        app_name, procid = tag.group("tag"), tag.group("pid") or ""
        content = content[tag.end() :]
    if content.startswith(BOM):
        content = content[len(BOM) :]
    if not content.strip() and not app_name:
        raise SyslogParseError("empty message", "nothing after the header")
    return SyslogMessage(
        format="rfc3164",
        facility=facility,
        severity=severity,
        timestamp=timestamp,
        hostname=hostname,
        app_name=app_name[:APP_NAME_MAX],
        procid=procid[:PROCID_MAX],
        message=content,
    )


def _bsd_time(match: re.Match[str], received_at: datetime, zone: tzinfo) -> datetime | None:
    month = _MONTHS.get(match.group("mon").lower())
    if month is None:
        return None
    named_zone = match.group("zone")
    if named_zone in _ZONES_AS_UTC:
        zone = UTC
    day, hour, minute = (
        int(match.group("day")),
        int(match.group("hour")),
        int(match.group("minute")),
    )
    second = min(int(match.group("second")), 59)
    microsecond = int((match.group("frac") or "0").ljust(6, "0"))
    if match.group("year"):
        years = [int(match.group("year"))]
    else:
        # No year: the latest that does not put the message more than a day
        # after its receipt. "Dec 31 23:59:58" received on 1 January belongs
        # to the old year; "Jan  1 00:00:01" from a clock a little ahead, on
        # 31 December, to the new one.
        here = received_at.astimezone(zone)
        years = [here.year + 1, here.year, here.year - 1]
    latest_allowed = received_at + timedelta(days=1)
    for year in years:
        try:
            moment = datetime(year, month, day, hour, minute, second, microsecond, tzinfo=zone)
        except ValueError:  # 29 February outside a leap year, 31 April …
            continue
        if moment <= latest_allowed or len(years) == 1:
            return moment
    return None
