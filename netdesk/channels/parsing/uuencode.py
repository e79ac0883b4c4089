"""Uuencoded files inside a plain-text body ("begin 644 name" ... "end"),
as old mail programs and some scanners still send them."""

from __future__ import annotations

import binascii
import re

_BLOCK = re.compile(r"^begin [0-7]{3,4} ([^\n]+?)\s*\n(.*?)^end\s*$\n?", re.MULTILINE | re.DOTALL)


def decode_uu_lines(lines: list[str]) -> bytes:
    decoded = bytearray()
    for text in lines:
        # Characters outside ASCII cannot be uuencoded data: noise, dropped.
        line = text.encode("ascii", errors="ignore")
        if not line or line == b"`":
            continue
        try:
            decoded += binascii.a2b_uu(line)
        except binascii.Error:
            # Encoders that pad lines wrongly: cut to the length the first
            # character announces (the stdlib's own workaround).
            length = (((line[0] - 32) & 63) * 4 + 5) // 3
            try:
                decoded += binascii.a2b_uu(line[:length])
            except binascii.Error:
                continue
    return bytes(decoded)


def take_uuencoded(text: str) -> tuple[str, list[tuple[str, bytes]]]:
    """`text` without its uuencoded blocks, and each block's (name, bytes)."""
    if "begin " not in text:
        return text, []
    files: list[tuple[str, bytes]] = []

    def take(match: re.Match[str]) -> str:
        files.append((match.group(1).strip(), decode_uu_lines(match.group(2).splitlines())))
        return ""

    return _BLOCK.sub(take, text), files
