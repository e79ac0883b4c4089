"""Reading mail: raw RFC 5322 bytes to plain values (no database records),
and the identities the desk threads by."""

from netdesk.channels.parsing.identity import (
    TRACE_HEADERS,
    address_key,
    content_hash,
    make_message_id,
    message_id_ticket,
    reference_ticket_pk,
    subject_references,
)
from netdesk.channels.parsing.message import parse_message
from netdesk.channels.parsing.parsed import (
    AutoKind,
    BounceInfo,
    ParsedAttachment,
    ParsedMail,
    UnparseableMail,
)
from netdesk.channels.parsing.quotes import fold_reply

__all__ = [
    "TRACE_HEADERS",
    "AutoKind",
    "BounceInfo",
    "ParsedAttachment",
    "ParsedMail",
    "UnparseableMail",
    "address_key",
    "content_hash",
    "fold_reply",
    "make_message_id",
    "message_id_ticket",
    "parse_message",
    "reference_ticket_pk",
    "subject_references",
]
