"""Bytes to text in whatever charset a mail declares, and when the label is
wrong or unknown, the most likely one, never an exception."""

from __future__ import annotations

import codecs

from netdesk.channels.parsing.parsed import Problems

# Labels mail software writes, mapped to the codecs that read what those
# programs really send: the Windows supersets (a mail labelled ISO-8859-1 or
# Shift_JIS is nearly always windows-1252 or cp932), tried in order.
_ALIASES: dict[str, tuple[str, ...]] = {
    "us-ascii": ("ascii",),
    "ascii": ("ascii",),
    "ansi_x3.4-1968": ("ascii",),
    "iso-8859-1": ("cp1252",),
    "iso8859-1": ("cp1252",),
    "latin1": ("cp1252",),
    "latin-1": ("cp1252",),
    "x-user-defined": ("cp1252",),
    "iso-8859-8-i": ("iso-8859-8",),
    "iso-8859-6-i": ("iso-8859-6",),
    "tis-620": ("cp874",),
    "windows-874": ("cp874",),
    "ks_c_5601-1987": ("cp949",),
    "ks_c_5601": ("cp949",),
    "ksc5601": ("cp949",),
    "euc-kr": ("cp949",),
    "x-windows-949": ("cp949",),
    "gb2312": ("gb18030",),
    "gbk": ("gb18030",),
    "x-gbk": ("gb18030",),
    "euc-cn": ("gb18030",),
    "cp936": ("gb18030",),
    "shift_jis": ("cp932", "shift_jis_2004"),
    "shift-jis": ("cp932", "shift_jis_2004"),
    "sjis": ("cp932", "shift_jis_2004"),
    "x-sjis": ("cp932", "shift_jis_2004"),
    "windows-31j": ("cp932",),
    # ISO-2022-JP mail often carries NEC and IBM extensions (circled digits).
    "iso-2022-jp": ("iso2022_jp_2", "iso2022_jp_2004", "iso2022_jp_ext"),
    "big5": ("big5hkscs",),
    "x-mac-roman": ("mac_roman",),
    "macintosh": ("mac_roman",),
    "unicode-1-1-utf-7": ("utf-7",),
    "utf8": ("utf-8",),
}
# Python codecs that are not text a mail can be written in.
_NOT_MAIL_CHARSETS = ("escape", "idna", "punycode", "undefined", "mbcs", "oem", "_codec")
LAST_RESORT = "windows-1252"


def _codecs_for(label: str) -> tuple[str, ...] | None:
    """The codecs that read `label`, or None when it names none."""
    if label in _ALIASES:
        return _ALIASES[label]
    try:
        name = codecs.lookup(label).name
    except LookupError:
        return None
    if any(part in name for part in _NOT_MAIL_CHARSETS) or name in {"base64", "hex", "rot-13"}:
        return None
    if not getattr(codecs.lookup(label), "_is_text_encoding", True):
        return None
    return (name,)


def normalise_label(label: str | None) -> str:
    return (label or "").strip().strip("\"'").strip().lower()


def is_known(label: str | None) -> bool:
    return _codecs_for(normalise_label(label)) is not None


def decode_bytes(
    data: bytes, label: str | None, *, where: str, problems: Problems, default: str = "us-ascii"
) -> str:
    """`data` as text. Read with the declared charset; when the label is
    unknown or the bytes are not in it, UTF-8 is tried, then windows-1252,
    and `problems` says so (naming `where`)."""
    declared = normalise_label(label) or default
    candidates = _codecs_for(declared)
    if candidates is None:
        problems.add(f"unknown charset {declared!r} {where}; read as UTF-8 or {LAST_RESORT}")
        return _guess(data)
    for codec in candidates:
        try:
            return data.decode(codec)
        except (UnicodeDecodeError, LookupError):
            continue
    if declared in {"us-ascii", "ascii", "ansi_x3.4-1968"}:
        problems.add(f"8-bit text declared as {declared} {where}; read as UTF-8 or {LAST_RESORT}")
        return _guess(data)
    problems.add(f"bytes that are not {declared} {where}; undecodable ones replaced")
    return _decode_replacing(data, candidates[0])


def _guess(data: bytes) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")


def _decode_replacing(data: bytes, codec: str) -> str:
    try:
        return data.decode(codec, errors="replace")
    except (LookupError, UnicodeError):
        return data.decode("cp1252", errors="replace")


def repair_8bit(value: str, *, fallback: str | None, where: str, problems: Problems) -> str:
    """A header value as the parser hands it over: raw 8-bit bytes arrive as
    surrogate escapes. RFC 6532 makes them UTF-8; older software wrote the
    body's charset (`fallback`) into headers, so that comes next."""
    if not any("\udc80" <= char <= "\udcff" for char in value):
        return value
    try:
        data = value.encode("utf-8", errors="surrogateescape")
    except UnicodeEncodeError:
        data = value.encode("utf-8", errors="replace")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    label = normalise_label(fallback)
    if label and label not in {"us-ascii", "ascii", "utf-8", "utf8"}:
        for codec in _codecs_for(label) or ():
            try:
                return data.decode(codec)
            except UnicodeDecodeError:
                continue
    problems.add(f"8-bit bytes in {where} that are not UTF-8; read as {LAST_RESORT}")
    return data.decode("cp1252", errors="replace")
