"""Text the desk can store, checked once at every way in.

PostgreSQL stores no NUL (U+0000) in text or JSON, and neither PostgreSQL nor
SQLite can store a lone surrogate (U+D800 to U+DFFF, which a JSON escape such
as \\ud800 can carry): one such character fails the whole statement, and with
it every row written in the same transaction. Request bodies, query strings
and forms are refused; importers report the row and field; alarm listeners,
which must not lose a device's alarm, replace the character and say so.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")
REPLACEMENT = "\ufffd"
# How importers count a row skipped for it.
UNSTORABLE_REASON = "text the desk cannot store"
ACCEPTED = "text without NUL (U+0000) or unpaired surrogate (U+D800 to U+DFFF) characters"
# A body full of NULs is refused naming this many places, not all of them.
FINDINGS_MAX = 20
EXCERPT_MAX = 200


def unstorable_problem(text: str) -> str | None:
    """What is wrong with `text`, or None when the desk can store it."""
    match = _UNSTORABLE.search(text)
    if match is None:
        return None
    char = match.group()
    what = "a NUL character" if char == "\x00" else "an unpaired surrogate"
    return f"contains {what} (U+{ord(char):04X}) at position {match.start()}; remove it"


def replace_unstorable(text: str) -> tuple[str, int]:
    """`text` with each character the desk cannot store replaced by U+FFFD,
    and how many were replaced."""
    return _UNSTORABLE.subn(REPLACEMENT, text)


def printable_excerpt(text: str, *, limit: int = EXCERPT_MAX) -> str:
    """The start of `text` with unstorable characters written as escapes
    (\\u0000), so that an error message can show the value it refuses."""
    return _UNSTORABLE.sub(lambda m: f"\\u{ord(m.group()):04x}", text[:limit])


@dataclass(frozen=True)
class UnstorableText:
    """One string inside a nested value that the desk cannot store. `path`
    leads to it: keys and list indexes; a key that is itself at fault ends
    the path with that key."""

    path: tuple[str | int, ...]
    problem: str
    excerpt: str


def find_unstorable(value: Any, *, limit: int = FINDINGS_MAX) -> list[UnstorableText]:
    """Every string in `value` (nested dicts, lists and tuples; keys too) that
    the desk cannot store, in document order, at most `limit`."""
    found: list[UnstorableText] = []
    for path, text in _strings(value):
        problem = unstorable_problem(text)
        if problem is not None:
            shown = tuple(printable_excerpt(p) if isinstance(p, str) else p for p in path)
            found.append(UnstorableText(shown, problem, printable_excerpt(text)))
            if len(found) >= limit:
                break
    return found


def unstorable_in_row(row: Mapping[str, Any]) -> str | None:
    """For importers: the first field of a row (column → value, values may
    be nested) that the desk cannot store and why, e.g. "description
    contains a NUL character (U+0000) at position 4; remove it"; else None."""
    found = find_unstorable(row, limit=1)
    if not found:
        return None
    return f"{'.'.join(str(part) for part in found[0].path)} {found[0].problem}"


def _strings(value: Any) -> Iterator[tuple[tuple[str | int, ...], str]]:
    # An explicit stack: a deeply nested body must not hit the recursion limit.
    stack: list[tuple[tuple[str | int, ...], Any]] = [((), value)]
    while stack:
        path, current = stack.pop()
        if isinstance(current, str):
            yield path, current
        elif isinstance(current, dict):
            children: list[tuple[tuple[str | int, ...], Any]] = []
            for key, child in current.items():
                if isinstance(key, str):
                    children.append(((*path, key), key))
                children.append(((*path, key), child))
            stack.extend(reversed(children))
        elif isinstance(current, list | tuple):
            stack.extend(reversed([((*path, index), item) for index, item in enumerate(current)]))
