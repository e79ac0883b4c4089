"""Who and what a mail is: its content hash, a sender's matching key, the
ticket references in a subject and the desk's own Message-IDs."""

from __future__ import annotations

import hashlib
import re
import secrets

from netdesk.customers.models import email_key
from netdesk.tickets.models.ticket import REFERENCE_PREFIX, reference_for

# Header fields that relays, filters and the final delivery add or rewrite:
# the same mail delivered by two paths differs only in these. DKIM-Signature
# is among them because forwarders and lists sign again on the way.
TRACE_HEADERS = frozenset(
    {
        "received", "x-received", "return-path", "delivered-to", "x-original-to",
        "envelope-to", "x-envelope-to", "x-envelope-from", "x-delivered-to",
        "received-spf", "authentication-results", "dkim-signature", "x-google-dkim-signature",
        "x-virus-scanned", "x-uid", "status", "x-status", "x-keywords", "lines",
        "content-length",
    }
)  # fmt: skip
TRACE_PREFIXES = ("arc-", "x-spam-", "x-ms-exchange-organization-", "x-forefront-antispam-")
_FIELD_NAME = re.compile(rb"^([!-9;-~]+)[ \t]*:")
_REFERENCE = re.compile(rf"\[\s*{re.escape(REFERENCE_PREFIX)}\s*0*(\d{{1,12}})\s*\]", re.IGNORECASE)
_OWN_ID = re.compile(r"^<?ndk\.(\d{1,18})\.([0-9a-f]{8,64})@([^<>\s]+?)>?$", re.IGNORECASE)


def _is_trace(name: bytes) -> bool:
    lowered = name.decode("ascii", errors="replace").lower()
    return lowered in TRACE_HEADERS or lowered.startswith(TRACE_PREFIXES)


def content_hash(raw: bytes) -> str:
    """sha256 hex of the mail without its trace header fields (TRACE_HEADERS,
    TRACE_PREFIXES), an mbox "From " line, line-ending differences (CRLF or
    LF) and trailing empty lines, so that one mail taken by IMAP and by a
    pipe hashes the same."""
    text = raw.replace(b"\r\n", b"\n").replace(b"\r", b"\n")
    head, separator, body = text.partition(b"\n\n")
    kept: list[bytes] = []
    keeping = True
    for index, line in enumerate(head.split(b"\n")):
        if index == 0 and line.startswith(b"From "):
            continue
        if line[:1] in {b" ", b"\t"} and index:
            if keeping:
                kept.append(line)
            continue
        match = _FIELD_NAME.match(line)
        keeping = not (match and _is_trace(match.group(1)))
        if keeping:
            kept.append(line)
    digest = hashlib.sha256(b"\n".join(kept))
    digest.update(separator)
    digest.update(body.rstrip(b"\n"))
    return digest.hexdigest()


def address_key(address: str) -> str:
    """The form two spellings of one mailbox share: lowercased, without the
    plus tag (alice+isp@example.net is alice@example.net): the key contacts
    are indexed by."""
    return email_key(address)


def subject_references(subject: str) -> list[str]:
    """The ticket references in a subject, as the desk writes them
    ("[TT-000123]" gives "TT-000123"), each once, in order."""
    found = [reference_for(int(number)) for number in _REFERENCE.findall(subject)]
    return list(dict.fromkeys(found))


def reference_ticket_pk(reference: str) -> int:
    """The ticket pk a reference from `subject_references` names."""
    return int(reference.removeprefix(REFERENCE_PREFIX))


def make_message_id(ticket_pk: int | None, domain: str) -> str:
    """A new Message-ID (without <>) that names its ticket (0: none), so a
    reply that quotes it threads even when its subject was changed."""
    return f"ndk.{ticket_pk or 0}.{secrets.token_hex(8)}@{domain}"


def message_id_ticket(message_id: str, domain: str) -> int | None:
    """The ticket pk in one of the desk's own Message-IDs (0 when it was made
    for no ticket); None when the id is not the desk's, for this domain."""
    match = _OWN_ID.match(message_id.strip())
    if match is None or match.group(3).lower() != domain.strip().lower():
        return None
    return int(match.group(1))
