"""Taking a mail in, whichever way it came (MTA pipe, IMAP, the demo): the
raw bytes are committed first, then the mail is processed in a transaction
of its own. A mail that cannot be processed is quarantined with the reason
and the next one goes on; a quarantined mail can be processed again."""

from __future__ import annotations

import logging
import re
from datetime import timedelta

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from netdesk.accounts.models import User
from netdesk.accounts.permissions import Action, require
from netdesk.channels.models import InboundMessage, InboundState, Mailbox, Outcome
from netdesk.channels.parsing import ParsedMail, UnparseableMail, content_hash, parse_message
from netdesk.channels.parsing.headers import message_ids
from netdesk.channels.services.intake import Taken, acknowledge, mail_intake
from netdesk.core.errors import ValidationFailed
from netdesk.core.memo import data_versions_per_request
from netdesk.core.text import replace_unstorable

logger = logging.getLogger(__name__)

MESSAGE_ID_MAX = 998
REASON_MAX = 4000
# What processing writes on the stored row.
PROCESSED_FIELDS = [
    *("sender", "sender_name", "subject", "to_addresses", "cc_addresses", "sent_at"),
    *("text", "html", "reply_text", "problems", "contact", "attempts"),
    *("state", "outcome", "reason", "ticket", "duplicate_of", "processed_at"),
]
_HEADER_END = re.compile(rb"\r?\n\r?\n")
_MESSAGE_ID_FIELD = re.compile(rb"^message-id[ \t]*:(.*(?:\r?\n[ \t].*)*)", re.I | re.M)


def mail_take(
    *,
    raw: bytes,
    mailbox: Mailbox | None,
    source: str,
    imap_uid: int | None = None,
    imap_uidvalidity: int | None = None,
) -> InboundMessage:
    """Store the mail, then process it. A mail already taken from this IMAP
    mailbox under the same UID is not stored again: its row is returned
    (processed now if an earlier run stopped between storing and processing)."""
    message = mail_store(
        raw=raw,
        mailbox=mailbox,
        source=source,
        imap_uid=imap_uid,
        imap_uidvalidity=imap_uidvalidity,
    )
    if message.state != InboundState.RECEIVED:
        return message
    return mail_process(message=message)


def mail_store(
    *,
    raw: bytes,
    mailbox: Mailbox | None,
    source: str,
    imap_uid: int | None = None,
    imap_uidvalidity: int | None = None,
) -> InboundMessage:
    """Commit the raw bytes before anything reads them, with what identifies
    the mail (mailbox, UID, Message-ID, content hash)."""
    row = InboundMessage(
        mailbox=mailbox,
        source=source,
        imap_uid=imap_uid,
        imap_uidvalidity=imap_uidvalidity,
        message_id=header_message_id(raw),
        content_hash=content_hash(raw),
        raw=raw,
        size=len(raw),
        received_at=timezone.now(),
    )
    if imap_uid is None:
        with transaction.atomic():
            row.save(force_insert=True)
        return row
    stored = _stored_uid(mailbox, imap_uidvalidity, imap_uid)
    if stored is not None:
        return stored
    try:
        with transaction.atomic():
            row.save(force_insert=True)
    except IntegrityError:
        # Another fetcher stored this UID a moment ago: its row is the one.
        stored = _stored_uid(mailbox, imap_uidvalidity, imap_uid)
        if stored is None:
            raise
        return stored
    return row


def _stored_uid(
    mailbox: Mailbox | None, uidvalidity: int | None, uid: int
) -> InboundMessage | None:
    return InboundMessage.objects.filter(
        mailbox=mailbox, imap_uidvalidity=uidvalidity, imap_uid=uid
    ).first()


def header_message_id(raw: bytes) -> str:
    """The Message-ID (without <>) read straight from the header bytes, so a
    mail the parser cannot read is still stored with it; "" when missing."""
    end = _HEADER_END.search(raw)
    head = raw[: end.start()] if end else raw
    match = _MESSAGE_ID_FIELD.search(head)
    if match is None:
        return ""
    value = re.sub(r"\r?\n", "", match.group(1).decode("utf-8", errors="replace"))
    found = message_ids(value)
    if not found:
        return ""
    storable, _ = replace_unstorable(found[0])
    return storable[:MESSAGE_ID_MAX]


def mail_process(*, message: InboundMessage, rate_limited: bool = True) -> InboundMessage:
    """Process a stored mail in one transaction. Whatever goes wrong rolls
    that transaction back and quarantines the mail with the reason, in a
    write of its own; the caller goes on with the next mail."""
    try:
        # The memos' version tokens (service levels, routing) are read once
        # per mail, not once per use.
        with data_versions_per_request(), transaction.atomic():
            return _process(message, rate_limited=rate_limited)
    except UnparseableMail as error:
        # Not a mail at all: the reason says it, a stack trace would not help.
        logger.warning("Mail %s quarantined: %s", message.pk, error)
        _quarantine(message.pk, f"{type(error).__name__}: {error}")
    except Exception as error:
        # Any failure of any step: the mail must not block the ones after it.
        logger.exception("Mail %s quarantined", message.pk)
        _quarantine(message.pk, f"{type(error).__name__}: {error}")
    return InboundMessage.objects.select_related("ticket").defer("raw").get(pk=message.pk)


def _process(stored: InboundMessage, *, rate_limited: bool) -> InboundMessage:
    """The processed row, as written (its ticket with it)."""
    # A row keeps the identity it was stored with. Copies of one mail are
    # locked together in pk order, so two processes taking two copies at
    # once cannot both find no earlier one processed.
    # The row itself comes whole (with its mailbox) in the same statement;
    # the other copies without their raw bytes, which are not read.
    identity = {"message_id": stored.message_id, "content_hash": stored.content_hash}
    copies = list(
        InboundMessage.objects.select_for_update(of=("self",))
        .filter(**identity)
        .select_related("mailbox__group__tier", "mailbox__category")
        .defer("raw")
        .order_by("pk")
    )
    message = next((copy for copy in copies if copy.pk == stored.pk), None)
    if message is None:
        # Stored under another identity than it was handed with: its own row.
        message = InboundMessage.objects.select_related(
            "mailbox__group__tier", "mailbox__category"
        ).get(pk=stored.pk)
    if message.state == InboundState.PROCESSED:
        return message
    message.attempts += 1
    original = next(
        (
            copy.pk
            for copy in copies
            if copy.state == InboundState.PROCESSED
            and copy.outcome != Outcome.DUPLICATE
            and copy.pk != stored.pk
        ),
        None,
    )
    if original is not None:
        message.duplicate_of = (
            InboundMessage.objects.select_related("ticket").defer("raw").get(pk=original)
        )
        # The copy reads as its original did (it is not parsed again).
        for field in ("sender", "sender_name", "subject", "to_addresses", "cc_addresses"):
            setattr(message, field, getattr(message.duplicate_of, field))
        message.sent_at = message.duplicate_of.sent_at
        reason = f"same mail as message {original}"
        _finish(message, Taken(Outcome.DUPLICATE, reason, message.duplicate_of.ticket))
        return message
    mail = parse_message(_raw_of(stored, message))
    _read_into(message, mail)
    taken = mail_intake(message=message, mail=mail, rate_limited=rate_limited)
    _finish(message, taken)
    acknowledge(message=message, mail=mail, taken=taken)
    return message


def _raw_of(stored: InboundMessage, message: InboundMessage) -> bytes:
    """The mail's bytes: as the caller stored them when it holds them (they
    are never written twice), else read now."""
    if "raw" not in stored.get_deferred_fields() and stored.raw is not None:
        return bytes(stored.raw)
    return bytes(message.raw)


def mail_process_stranded(*, older_than: timedelta, limit: int) -> int:
    """Process mail left stored but unprocessed for longer than `older_than`
    (a process killed between storing and processing): at most `limit`,
    oldest first; how many were taken. Each is claimed with a row lock that
    other workers skip, so two workers never take the same one, and each is
    processed in a transaction of its own."""
    taken = 0
    waiting = InboundMessage.objects.select_for_update(skip_locked=True).filter(
        state=InboundState.RECEIVED, received_at__lt=timezone.now() - older_than
    )
    while taken < limit:
        with transaction.atomic():
            stranded = waiting.order_by("received_at", "pk").defer("raw").first()
            if stranded is None:
                break
            logger.warning("Mail %s was stored but not processed; processing it now", stranded.pk)
            mail_process(message=stranded)
        taken += 1
    return taken


def _read_into(message: InboundMessage, mail: ParsedMail) -> None:
    message.sender = mail.from_address[:320]
    message.sender_name = mail.from_name[:200]
    message.subject = mail.subject
    message.to_addresses = ", ".join(mail.to)
    message.cc_addresses = ", ".join(mail.cc)
    message.sent_at = mail.date
    message.text = mail.text
    message.html = mail.html
    message.reply_text = mail.reply_text
    message.problems = "\n".join(mail.problems)


def _finish(message: InboundMessage, taken: Taken) -> None:
    if taken.refused_files:
        message.problems = "\n".join([*filter(None, [message.problems]), *taken.refused_files])
    reasons = [taken.reason, *taken.refused_files]
    message.state = InboundState.QUARANTINED if taken.quarantined else InboundState.PROCESSED
    message.outcome = taken.outcome
    message.reason = "; ".join(filter(None, reasons))[:REASON_MAX]
    message.ticket = taken.ticket
    message.processed_at = timezone.now()
    # Everything but the raw bytes, which are never written twice.
    message.save(update_fields=PROCESSED_FIELDS)


def _quarantine(pk: int, reason: str) -> None:
    """Record the failure on the stored mail, with what can be read of its
    sender and subject for the quarantine list."""
    headline: dict[str, str] = {}
    raw = InboundMessage.objects.values_list("raw", flat=True).get(pk=pk)
    try:
        mail = parse_message(bytes(raw))
        headline = {"sender": mail.from_address[:320], "subject": mail.subject}
    except Exception:  # noqa: S110 - the reason below already says what failed
        pass
    InboundMessage.objects.filter(pk=pk).update(
        state=InboundState.QUARANTINED,
        outcome=Outcome.QUARANTINED,
        reason=replace_unstorable(reason)[0][:REASON_MAX],
        attempts=F("attempts") + 1,
        processed_at=timezone.now(),
        **headline,
    )


def mail_reprocess(*, actor: User | None, message: InboundMessage) -> InboundMessage:
    """Process a quarantined mail again (or one stored but never processed).
    A person asking for it overrides the sender's rate limit."""
    require(actor, Action.MAIL_QUARANTINE)
    if message.state == InboundState.PROCESSED:
        raise ValidationFailed(
            f"Message {message.pk} was processed already ({message.outcome}).",
            field="message",
            value=message.pk,
            accepted="a quarantined message",
        )
    return mail_process(message=message, rate_limited=False)
