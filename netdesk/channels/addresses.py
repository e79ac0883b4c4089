"""The one rule for a list of mail addresses, typed by an agent (the reply
composer) or handed to the outbound queue by the desk: how they are split,
which are accepted, and how many."""

from __future__ import annotations

import re
from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.core.validators import validate_email

from netdesk.core.errors import ValidationFailed

# At most this many addresses in one field of one message.
MAX_RECIPIENTS = 50
ACCEPTED_ADDRESSES = (
    "e-mail addresses such as name@example.net or Name <name@example.net>, "
    "separated by commas, semicolons or line breaks"
)
# Addresses are pasted from anywhere: commas, semicolons and line breaks all
# separate them, except inside a quoted name ("Doe, Jane" <jane@example.net>).
_PIECE = re.compile(r'(?:"[^"]*"|[^,;\r\n"])+')
_NAMED = re.compile(r"^(?:.*?)<([^<>]*)>\s*$", re.DOTALL)


def _bare(piece: str) -> str:
    named = _NAMED.match(piece)
    return (named.group(1) if named else piece).strip()


def _is_address(address: str) -> bool:
    try:
        validate_email(address)
    except ValidationError:
        return False
    return True


def addresses_checked(given: str | Iterable[str], *, field: str) -> list[str]:
    """The bare addresses of `given` (text, or items each holding one or
    more), each once whatever its case, in the order given. One that is not
    an address is refused naming `field`, the piece as given and what is
    accepted; so are more than MAX_RECIPIENTS."""
    items = [given] if isinstance(given, str) else list(given)
    found: list[str] = []
    seen: set[str] = set()
    for item in items:
        for piece in _PIECE.findall(item):
            if not piece.strip():
                continue
            address = _bare(piece)
            if not _is_address(address):
                raise ValidationFailed(
                    f"{field}: {piece.strip()!r} is not an e-mail address. "
                    f"Accepted: {ACCEPTED_ADDRESSES}.",
                    field=field,
                    value=piece.strip(),
                    accepted=ACCEPTED_ADDRESSES,
                )
            if address.lower() not in seen:
                seen.add(address.lower())
                found.append(address)
    if len(found) > MAX_RECIPIENTS:
        raise ValidationFailed(
            f"{field}: {len(found)} addresses; at most {MAX_RECIPIENTS} are accepted.",
            field=field,
            value=len(found),
            accepted=f"at most {MAX_RECIPIENTS} addresses",
        )
    return found
