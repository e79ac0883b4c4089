"""Sending the outbound queue over SMTP: due rows are claimed (SKIP LOCKED,
with a lease), sent over one connection per batch, and each row records the
server's exact answer. A temporary refusal (4xx, a lost connection) is tried
again later, one minute doubling up to an hour; a permanent one (5xx), or
the tenth temporary one, fails the row for good."""

from __future__ import annotations

import logging
import smtplib
import ssl
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.charset import QP, Charset
from email.encoders import encode_base64
from email.header import Header
from email.mime.base import MIMEBase
from email.mime.multipart import MIMEMultipart
from email.mime.nonmultipart import MIMENonMultipart
from email.policy import compat32
from email.utils import format_datetime, formataddr, getaddresses, parseaddr
from typing import cast

from django.conf import settings
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from netdesk.channels.models import OutboundMessage, OutboundState
from netdesk.sla.services import escalation_notice_delivered

logger = logging.getLogger("netdesk.channels")

NO_SERVER = "not sent: no mail server configured (set NETDESK_EMAIL_HOST)"
MAX_ATTEMPTS = 10
FIRST_RETRY = timedelta(minutes=1)
LONGEST_RETRY = timedelta(hours=1)
# A claimed row is the claimer's for this long per row of its batch (each
# send may take up to EMAIL_TIMEOUT per SMTP step); a worker that died
# mid-batch gives its rows back when the lease ends.
LEASE_BASE = timedelta(minutes=1)
LEASE_STEPS_PER_ROW = 4
# CRLF and 7 bits: the desk does not ask servers for 8BITMIME or SMTPUTF8, so
# a text in any language goes quoted-printable.
WIRE = compat32.clone(linesep="\r\n")
UTF8_QUOTED_PRINTABLE = Charset("utf-8")
UTF8_QUOTED_PRINTABLE.body_encoding = QP


@dataclass(frozen=True)
class Answer:
    """What became of one message: sent, to try again, or given up."""

    state: str  # "sent", "temporary" or "permanent"
    text: str


def retry_delay(attempts: int) -> timedelta:
    """How long to wait after the `attempts`-th failed try."""
    return min(FIRST_RETRY * 2 ** max(attempts - 1, 0), LONGEST_RETRY)


def _due(now: datetime) -> Q:
    waiting = Q(state=OutboundState.QUEUED, next_attempt_at__lte=now) & (
        Q(claimed_until__isnull=True) | Q(claimed_until__lte=now)
    )
    # A row whose deliverer died while sending: its lease has run out.
    abandoned = Q(state=OutboundState.SENDING, claimed_until__lte=now)
    return waiting | abandoned


def outbound_due(*, now: datetime | None = None) -> QuerySet[OutboundMessage]:
    """The messages a deliverer would claim now."""
    return OutboundMessage.objects.filter(_due(now or timezone.now()))


def _claim(now: datetime, limit: int) -> tuple[list[OutboundMessage], datetime]:
    """Take up to `limit` due rows for this deliverer: locked rows are
    skipped, the taken ones marked sending with a lease, then committed, so
    no other deliverer takes them while they are sent."""
    with transaction.atomic():
        rows = list(
            OutboundMessage.objects.select_for_update(skip_locked=True)
            .filter(_due(now))
            .order_by("next_attempt_at", "pk")[:limit]
        )
        lease = (
            now
            + LEASE_BASE
            + len(rows) * LEASE_STEPS_PER_ROW * timedelta(seconds=settings.EMAIL_TIMEOUT or 60)
        )
        if rows:
            OutboundMessage.objects.filter(pk__in=[row.pk for row in rows]).update(
                state=OutboundState.SENDING, claimed_until=lease
            )
    return rows, lease


def _addresses(text: str) -> list[str]:
    return [address for _name, address in getaddresses([text]) if address]


def _encoded(text: str) -> str | Header:
    # An ASCII header as written; any other as RFC 2047 encoded words.
    return text if text.isascii() else Header(text, "utf-8")


def _address(text: str) -> str:
    name, address = parseaddr(text)
    return formataddr((name, address), charset="utf-8") if address else text


def _with_files(text: MIMENonMultipart, row: OutboundMessage) -> MIMEBase:
    """The text alone, or with the row's files (base64) after it."""
    if not row.attachment_count:
        return text
    message = MIMEMultipart("mixed")
    message.attach(text)
    for file in row.attachments.all():
        main, _slash, sub = file.content_type.partition("/")
        part = MIMEBase(main or "application", sub or "octet-stream")
        part.set_payload(bytes(file.content))
        encode_base64(part)
        part.add_header("Content-Disposition", "attachment", filename=file.filename)
        message.attach(part)
    return message


def message_bytes(row: OutboundMessage, at: datetime) -> bytes:
    """The mail of a row as it goes over the wire: CRLF, 7 bits (the body
    quoted-printable unless it is short-lined ASCII), headers encoded, its
    files (if any) attached. Built with the classic email API: the modern
    one costs a few times as much, and building the message was most of
    what sending one took."""
    plain = row.body.isascii() and all(len(line) <= 998 for line in row.body.splitlines())
    text = MIMENonMultipart("text", "plain")
    text.set_payload(row.body, "us-ascii" if plain else UTF8_QUOTED_PRINTABLE)
    message = _with_files(text, row)
    message["Message-ID"] = f"<{row.message_id}>"
    if row.in_reply_to:
        message["In-Reply-To"] = f"<{row.in_reply_to}>"
    if row.references:
        message["References"] = " ".join(f"<{ref}>" for ref in row.references.split())
    if row.automatic:
        message["Auto-Submitted"] = "auto-generated"
        # Exchange's own out-of-office replies honour only this header.
        message["X-Auto-Response-Suppress"] = "All"
    message["Date"] = format_datetime(at)
    message["From"] = message["Reply-To"] = _address(row.from_address)
    message["To"] = ", ".join(_addresses(row.to_addresses))
    if row.cc_addresses:
        message["Cc"] = ", ".join(_addresses(row.cc_addresses))
    # The classic API folds a Header itself (typeshed only knows str here).
    message["Subject"] = cast(str, _encoded(row.subject))
    return message.as_bytes(policy=WIRE)


def _answer(code: int, text: bytes | str) -> str:
    words = text.decode("utf-8", errors="replace") if isinstance(text, bytes) else text
    return f"{code} {' '.join(words.split())}"


def _judged(code: int, text: str) -> Answer:
    if 200 <= code < 300:
        return Answer("sent", text)
    return Answer("permanent" if 500 <= code < 600 else "temporary", text)


class Session:
    """One SMTP connection for a batch, opened on first use. When it cannot
    be opened, every row of the batch gets that answer without trying again."""

    def __init__(self) -> None:
        self.smtp: smtplib.SMTP | None = None
        self.refused: str = ""

    def connection(self) -> smtplib.SMTP:
        if self.smtp is None:
            self.smtp = self._open()
        return self.smtp

    def _open(self) -> smtplib.SMTP:
        host, port = settings.EMAIL_HOST, settings.EMAIL_PORT
        timeout = settings.EMAIL_TIMEOUT
        smtp: smtplib.SMTP
        if settings.EMAIL_USE_SSL:
            smtp = smtplib.SMTP_SSL(
                host, port, timeout=timeout, context=ssl.create_default_context()
            )
        else:
            smtp = smtplib.SMTP(host, port, timeout=timeout)
            if settings.EMAIL_USE_TLS:
                smtp.starttls(context=ssl.create_default_context())
        if settings.EMAIL_HOST_USER:
            smtp.login(settings.EMAIL_HOST_USER, settings.EMAIL_HOST_PASSWORD)
        return smtp

    def drop(self) -> None:
        smtp, self.smtp = self.smtp, None
        if smtp is not None:
            try:
                smtp.quit()
            except (smtplib.SMTPException, OSError):
                smtp.close()

    def send(self, row: OutboundMessage, at: datetime) -> Answer:
        if self.refused:
            return Answer("temporary", self.refused)
        try:
            smtp = self.connection()
        except (smtplib.SMTPException, OSError) as error:
            where = f"{settings.EMAIL_HOST}:{settings.EMAIL_PORT}"
            self.refused = f"cannot connect to {where}: {type(error).__name__}: {error}"
            if isinstance(error, smtplib.SMTPResponseException):
                # A refused login or STARTTLS says so with a code.
                self.refused = f"{where}: {_answer(error.smtp_code, error.smtp_error)}"
                self.drop()
                return _judged(error.smtp_code, self.refused)
            return Answer("temporary", self.refused)
        try:
            return _transaction(smtp, row, at)
        except smtplib.SMTPResponseException as error:
            self._reset()
            return _judged(error.smtp_code, _answer(error.smtp_code, error.smtp_error))
        except (smtplib.SMTPException, OSError) as error:
            # The connection is gone: the next row opens a new one.
            self.drop()
            return Answer("temporary", f"connection lost: {type(error).__name__}: {error}")

    def _reset(self) -> None:
        try:
            self.connection().rset()
        except (smtplib.SMTPException, OSError):
            self.drop()


def _transaction(smtp: smtplib.SMTP, row: OutboundMessage, at: datetime) -> Answer:
    """MAIL, RCPT for each recipient, DATA: each step's answer as the server
    gave it. Recipients refused while others were taken are named in the
    sent row's answer."""
    try:
        content = message_bytes(row, at)
        sender = parseaddr(row.from_address)[1]
        smtp.ehlo_or_helo_if_needed()
        code, text = smtp.mail(sender)
        if code != 250:
            smtp.rset()
            return _judged(code, "MAIL FROM: " + _answer(code, text))
        taken: list[str] = []
        refused: list[tuple[str, int, str]] = []
        for recipient in _addresses(row.to_addresses) + _addresses(row.cc_addresses):
            code, text = smtp.rcpt(recipient)
            if code in (250, 251):
                taken.append(recipient)
            else:
                refused.append((recipient, code, _answer(code, text)))
    except UnicodeError as error:
        smtp.rset()
        return Answer("permanent", f"an address needs SMTPUTF8, which is not used: {error}")
    refusals = "; ".join(f"RCPT TO {address}: {answer}" for address, _c, answer in refused)
    if not taken:
        smtp.rset()
        temporary = any(400 <= code < 500 for _a, code, _t in refused)
        return Answer("temporary" if temporary else "permanent", refusals)
    code, text = smtp.data(content)
    answer = _answer(code, text) + (f" (refused: {refusals})" if refusals else "")
    return _judged(code, answer)


def _record(row: OutboundMessage, lease: datetime, answer: Answer, now: datetime) -> bool:
    """Write what became of a row, if it is still this deliverer's (its
    lease unchanged). Returns whether it was sent."""
    attempts = row.attempts + 1
    changes: dict[str, object] = {
        "attempts": attempts,
        "server_answer": answer.text,
        "claimed_until": None,
    }
    sent_at = timezone.now()
    if answer.state == "sent":
        changes |= {"state": OutboundState.SENT, "sent_at": sent_at}
    elif answer.state == "temporary" and attempts < MAX_ATTEMPTS:
        changes |= {"state": OutboundState.QUEUED, "next_attempt_at": now + retry_delay(attempts)}
    else:
        if answer.state == "temporary":
            changes["server_answer"] = f"{answer.text} (gave up after {attempts} attempts)"
        changes["state"] = OutboundState.FAILED
    with transaction.atomic():
        mine = OutboundMessage.objects.filter(
            pk=row.pk, state=OutboundState.SENDING, claimed_until=lease
        ).update(**changes)
        if mine and answer.state == "sent" and row.escalation_notice_id is not None:
            escalation_notice_delivered(notice_id=row.escalation_notice_id, at=sent_at)
    return bool(mine) and answer.state == "sent"


def outbound_deliver_due(*, now: datetime | None = None, limit: int = 100) -> int:
    """Send up to `limit` due messages over one SMTP connection; returns how
    many the server took. Safe with many workers at once: a row is claimed
    by one of them only. Without a mail server (NETDESK_EMAIL_HOST unset)
    nothing is tried: due rows stay queued and say why."""
    now = now or timezone.now()
    if not settings.EMAIL_HOST:
        OutboundMessage.objects.filter(
            state=OutboundState.QUEUED, next_attempt_at__lte=now
        ).exclude(server_answer=NO_SERVER).update(server_answer=NO_SERVER)
        return 0
    rows, lease = _claim(now, limit)
    if not rows:
        return 0
    session = Session()
    sent = 0
    try:
        for row in rows:
            answer = session.send(row, timezone.now())
            sent += _record(row, lease, answer, now)
    finally:
        session.drop()
    logger.info("outbound mail: %d sent, %d not sent", sent, len(rows) - sent)
    return sent
