"""Reading mailboxes over IMAP: which messages are new (UIDVALIDITY and the
last UID taken), taking each into the inbound pipeline, moving or flagging
what was taken, and backing off from a server that fails.

Order per batch: the rows are committed by `mail_take`, then the messages
are moved (or flagged), then `last_uid` advances. A crash anywhere only
makes the next fetch see some messages again; `mail_take` answers the row
it already holds for that UID, so nothing is taken twice and nothing is
moved off the server before its row exists. One process fetches a mailbox
at a time (fetch_lock); another that tries meanwhile takes nothing."""

from __future__ import annotations

import imaplib
import re
import ssl
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from datetime import timedelta

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from imap_tools import BaseMailBox, ImapToolsError, MailBox, MailBoxStartTls, MailBoxUnencrypted

from netdesk.channels.fetch_lock import mailbox_fetch_lock
from netdesk.channels.models import ImapSecurity, InboundMessage, Mailbox, Source
from netdesk.channels.services.inbound import mail_take

# The keyword set on taken mail when it stays in the folder (no done folder).
TAKEN_KEYWORD = "$NetDesk"
# Messages fetched per FETCH command: few round trips, bounded memory.
BATCH = 50
# A server that does not answer within this many seconds counts as down.
TIMEOUT_SECONDS = 30
MAX_BACKOFF_SECONDS = 3600
UID_IN_FETCH = re.compile(rb"UID (\d+)")
# What a server or the network can raise once connected (a full disk while
# storing an attachment is no IMAP failure and is not caught as one).
IMAP_FAILURES = (
    imaplib.IMAP4.error,
    ImapToolsError,
    ConnectionError,
    TimeoutError,
    ssl.SSLError,
)


class ImapTrouble(Exception):
    """A step with the IMAP server failed; the text says which, for the
    mailbox's last_error. It never contains the password."""


@dataclass(frozen=True)
class TakenMail:
    """One message taken from the server, as the pipeline stored it."""

    uid: int
    inbound_id: int
    outcome: str
    ticket_id: int | None
    reason: str


@dataclass
class FetchReport:
    """What one fetch of one mailbox did."""

    mailbox: str
    taken: list[TakenMail] = field(default_factory=list)
    # The folder was renumbered: reading started over at UID 0.
    uidvalidity_changed: bool = False
    # `limit` stopped the fetch with new messages still waiting.
    more_waiting: bool = False
    # Another process was fetching this mailbox: this fetch took nothing.
    busy: bool = False
    error: str = ""

    @property
    def ok(self) -> bool:
        return not self.error


def mailbox_fetch(mailbox: Mailbox, *, limit: int | None = None) -> FetchReport:
    """Take the messages that arrived in `mailbox`'s folder since the last
    fetch (at most `limit`), then schedule the next fetch: after
    fetch_every_seconds, at once when more are waiting, or after a growing
    backoff when the server failed. While another process fetches the same
    mailbox this takes nothing and says so (`busy`); that one schedules."""
    report = FetchReport(mailbox=mailbox.name)
    with mailbox_fetch_lock(mailbox.pk) as ours:
        if not ours:
            report.busy = True
            return report
        _fetch_locked(mailbox, report, limit)
    return report


def _fetch_locked(mailbox: Mailbox, report: FetchReport, limit: int | None) -> None:
    mailbox.refresh_from_db()
    report.mailbox = mailbox.name
    if not mailbox.imap_host:
        report.error = "No IMAP host is set: this mailbox is fed by an MTA pipe only."
        return
    try:
        with imap_session(mailbox) as imap:
            _take_new(imap, mailbox, report, limit)
    except ImapTrouble as trouble:
        report.error = _without_password(str(trouble), mailbox)
        _record_failure(mailbox, report.error)
        return
    _record_success(mailbox, more_waiting=report.more_waiting)


def mailboxes_claim_due(*, lease: timedelta) -> list[Mailbox]:
    """The IMAP mailboxes whose next fetch is due, each claimed for `lease`
    (their next_fetch_at moves past it) so that no other worker fetches
    them meanwhile; a worker that dies loses its claim when the lease ends.
    mailbox_fetch sets the real next time when it finishes."""
    now = timezone.now()
    due = (
        Mailbox.objects.filter(active=True)
        .exclude(imap_host="")
        .filter(Q(next_fetch_at__isnull=True) | Q(next_fetch_at__lte=now))
        .order_by("next_fetch_at", "pk")
    )
    claimed = []
    with transaction.atomic():
        for mailbox in due.select_for_update(skip_locked=True):
            # Compare-and-set: where row locks do not exist (SQLite), the
            # worker whose update finds the old time is the one that claims.
            won = Mailbox.objects.filter(pk=mailbox.pk, next_fetch_at=mailbox.next_fetch_at).update(
                next_fetch_at=now + lease
            )
            if won:
                claimed.append(mailbox)
    return claimed


def mailbox_test(mailbox: Mailbox) -> list[str]:
    """Try `mailbox`'s IMAP settings step by step: connect, sign in, open
    the folder, find (or create) the done folder. One readable line per
    step; a failed step's line starts with "Failed:" and is the last."""
    lines: list[str] = []
    if not mailbox.imap_host:
        return ["No IMAP host is set: this mailbox is fed by an MTA pipe only."]
    try:
        with imap_session(mailbox, lines=lines) as imap:
            uidvalidity = _select(imap, mailbox.imap_folder)
            status = imap.folder.status(mailbox.imap_folder, ["MESSAGES"])
            lines.append(
                f"Folder {mailbox.imap_folder!r} holds {status.get('MESSAGES', 0)} "
                f"messages (UIDVALIDITY {uidvalidity})."
            )
            lines.append(_done_folder_ready(imap, mailbox))
    except ImapTrouble as trouble:
        lines.append(f"Failed: {_without_password(str(trouble), mailbox)}")
    return lines


@contextmanager
def imap_session(mailbox: Mailbox, *, lines: list[str] | None = None) -> Iterator[BaseMailBox]:
    """A signed-in connection to `mailbox`'s server (no folder selected),
    logged out afterwards. Any failure of the server inside the block is
    raised as ImapTrouble naming the step."""
    where = f"{mailbox.imap_host}:{mailbox.imap_port}"
    try:
        imap = _connect(mailbox)
    except (OSError, imaplib.IMAP4.error, ImapToolsError, ValueError) as exc:
        raise ImapTrouble(
            f"Cannot connect to {where} ({mailbox.imap_security}): {_described(exc)}"
        ) from None
    try:
        if lines is not None:
            lines.append(f"Connected to {where} ({mailbox.get_imap_security_display()}).")
        try:
            imap.login(mailbox.imap_user, mailbox.imap_password, initial_folder=None)
        except (imaplib.IMAP4.error, ImapToolsError) as exc:
            raise ImapTrouble(
                f"{where} refused the sign-in as {mailbox.imap_user!r}: {_described(exc)}"
            ) from None
        if lines is not None:
            lines.append(f"Signed in as {mailbox.imap_user!r}.")
        yield imap
    except IMAP_FAILURES as exc:
        raise ImapTrouble(f"The connection to {where} failed: {_described(exc)}") from None
    finally:
        with suppress(Exception):
            imap.logout()


def _connect(mailbox: Mailbox) -> BaseMailBox:
    host, port = mailbox.imap_host, mailbox.imap_port
    if mailbox.imap_security == ImapSecurity.SSL:
        return MailBox(
            host, port, timeout=TIMEOUT_SECONDS, ssl_context=ssl.create_default_context()
        )
    if mailbox.imap_security == ImapSecurity.STARTTLS:
        return MailBoxStartTls(
            host, port, timeout=TIMEOUT_SECONDS, ssl_context=ssl.create_default_context()
        )
    return MailBoxUnencrypted(host, port, timeout=TIMEOUT_SECONDS)


def _take_new(imap: BaseMailBox, mailbox: Mailbox, report: FetchReport, limit: int | None) -> None:
    uidvalidity = _select(imap, mailbox.imap_folder)
    after = mailbox.last_uid
    if mailbox.uidvalidity != uidvalidity:
        # Old UIDs say nothing about the renumbered folder: start over. What
        # was taken before comes back as a duplicate (or, flagged, not at all).
        report.uidvalidity_changed = mailbox.uidvalidity is not None
        if not _restart_numbering(mailbox, uidvalidity):
            return
        after = 0
    uids = _new_uids(imap, mailbox, after=after)
    if limit is not None and len(uids) > limit:
        uids, report.more_waiting = uids[:limit], True
    if uids and mailbox.done_folder:
        _done_folder_ready(imap, mailbox)
    for start in range(0, len(uids), BATCH):
        batch = uids[start : start + BATCH]
        taken = [_take(mailbox, uidvalidity, uid, raw) for uid, raw in _fetch_raw(imap, batch)]
        report.taken.extend(taken)
        _mark_taken(imap, mailbox, [mail.uid for mail in taken])
        if not _advance(mailbox, uidvalidity, batch[-1]):
            # The mailbox was pointed elsewhere meanwhile: stop reading here.
            return


def _select(imap: BaseMailBox, folder: str) -> int:
    try:
        imap.folder.set(folder)
    except ImapToolsError as exc:
        raise ImapTrouble(f"The folder {folder!r} cannot be opened: {_described(exc)}") from None
    # SELECT's answer carries [UIDVALIDITY n]; imaplib keeps it by name.
    answer = imap.client.untagged_responses.get("UIDVALIDITY") or [b""]
    value = answer[-1]
    text = value.decode() if isinstance(value, bytes) else str(value)
    if not text.isdigit():
        raise ImapTrouble(f"The server gave no UIDVALIDITY for the folder {folder!r}.")
    return int(text)


def _new_uids(imap: BaseMailBox, mailbox: Mailbox, *, after: int) -> list[int]:
    criteria = f"UID {after + 1}:*"
    if not mailbox.done_folder:
        # Taken messages stay in the folder with the keyword: skip them even
        # when the folder was renumbered.
        criteria += f" UNKEYWORD {TAKEN_KEYWORD}"
    # "n:*" also matches the highest UID when it is below n: filter here.
    return sorted(uid for uid in map(int, imap.uids(criteria)) if uid > after)


def _fetch_raw(imap: BaseMailBox, uids: list[int]) -> list[tuple[int, bytes]]:
    """The raw bytes of `uids`, in UID order; BODY.PEEK leaves them unseen,
    so mail the desk failed to take still looks new to people. A UID
    expunged meanwhile is missing from the answer."""
    status, answer = imap.client.uid("FETCH", ",".join(map(str, uids)), "(UID BODY.PEEK[])")
    if status != "OK":
        raise ImapTrouble(f"Fetching messages {uids[0]}..{uids[-1]} failed: {answer!r:.200}")
    found = []
    for part in answer:
        if isinstance(part, tuple):
            uid = UID_IN_FETCH.search(part[0])
            if uid is not None:
                found.append((int(uid.group(1)), part[1]))
    return sorted(found)


def _take(mailbox: Mailbox, uidvalidity: int, uid: int, raw: bytes) -> TakenMail:
    message: InboundMessage = mail_take(
        raw=raw, mailbox=mailbox, source=Source.IMAP, imap_uid=uid, imap_uidvalidity=uidvalidity
    )
    return TakenMail(
        uid=uid,
        inbound_id=message.pk,
        outcome=message.outcome,
        ticket_id=message.ticket_id,
        reason=message.reason,
    )


def _mark_taken(imap: BaseMailBox, mailbox: Mailbox, uids: list[int]) -> None:
    """Move taken messages to the done folder, or flag them \\Seen and with
    the keyword. Only ever after their rows are committed."""
    if not uids:
        return
    uid_set = ",".join(map(str, uids))
    if mailbox.done_folder:
        # MOVE, or where the server lacks it COPY + \Deleted + EXPUNGE.
        imap.move(uid_set, mailbox.done_folder)
        return
    # Not imap-tools' flag(): it expunges the folder afterwards, which would
    # delete what someone else marked \Deleted there.
    status, answer = imap.client.uid("STORE", uid_set, "+FLAGS.SILENT", f"(\\Seen {TAKEN_KEYWORD})")
    if status != "OK":
        raise ImapTrouble(f"Flagging taken messages failed: {answer!r:.200}")


def _done_folder_ready(imap: BaseMailBox, mailbox: Mailbox) -> str:
    """The done folder, created when missing; a readable line saying which."""
    folder = mailbox.done_folder
    if not folder:
        return (
            f"No done folder: taken mail stays in {mailbox.imap_folder!r}, "
            f"flagged \\Seen and {TAKEN_KEYWORD}."
        )
    if imap.folder.exists(folder):
        return f"Taken mail moves to {folder!r}."
    try:
        imap.folder.create(folder)
    except ImapToolsError as exc:
        raise ImapTrouble(
            f"The done folder {folder!r} does not exist and cannot be created: {_described(exc)}"
        ) from None
    return f"Taken mail moves to {folder!r} (created it)."


def _restart_numbering(mailbox: Mailbox, uidvalidity: int) -> bool:
    """Record the folder's new UIDVALIDITY with last_uid 0; False when the
    mailbox changed meanwhile (another fetch, new settings)."""
    changed = Mailbox.objects.filter(pk=mailbox.pk, uidvalidity=mailbox.uidvalidity).update(
        uidvalidity=uidvalidity, last_uid=0
    )
    if changed:
        mailbox.uidvalidity, mailbox.last_uid = uidvalidity, 0
    return bool(changed)


def _advance(mailbox: Mailbox, uidvalidity: int, uid: int) -> bool:
    """Move last_uid forward to `uid` unless the mailbox now reads another
    folder (its settings reset uidvalidity); False then."""
    current = Mailbox.objects.filter(pk=mailbox.pk, uidvalidity=uidvalidity)
    current.filter(last_uid__lt=uid).update(last_uid=uid)
    mailbox.last_uid = max(mailbox.last_uid, uid)
    return current.exists()


def _record_success(mailbox: Mailbox, *, more_waiting: bool) -> None:
    now = timezone.now()
    wait = timedelta(0) if more_waiting else timedelta(seconds=mailbox.fetch_every_seconds)
    Mailbox.objects.filter(pk=mailbox.pk).update(
        failures=0, last_error="", last_fetch_at=now, next_fetch_at=now + wait
    )


def _record_failure(mailbox: Mailbox, error: str) -> None:
    """One more failure in a row: wait fetch_every_seconds doubled per
    failure, at most an hour, before trying again."""
    now = timezone.now()
    with transaction.atomic():
        row = Mailbox.objects.select_for_update().filter(pk=mailbox.pk).first()
        if row is None:
            return
        row.failures += 1
        doubled = row.fetch_every_seconds * 2 ** min(row.failures, 20)
        row.next_fetch_at = now + timedelta(seconds=min(doubled, MAX_BACKOFF_SECONDS))
        row.last_error = error
        row.last_fetch_at = now
        row.save(update_fields=["failures", "next_fetch_at", "last_error", "last_fetch_at"])


def _described(exc: BaseException) -> str:
    """The server's own words where it gave some, else the error."""
    if isinstance(exc, ImapToolsError) and hasattr(exc, "command_result"):
        data = exc.command_result[1]
        words = b" ".join(part for part in data if isinstance(part, bytes))
        if words:
            return words.decode(errors="replace")
    return f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__


def _without_password(text: str, mailbox: Mailbox) -> str:
    password = mailbox.imap_password
    return text.replace(password, "********") if password else text
