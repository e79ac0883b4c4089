"""`netdesk mail SUBCOMMAND`: the email channel from the command line.

`netdesk mail ingest [--mailbox NAME] [FILE ...]` takes raw mails from an MTA
pipe or alias (standard input when no file is named) and prints one JSON
line per mail. It exits 0 when every mail was stored, whatever became of
it, and 75 (EX_TEMPFAIL) when one could not be stored, so the MTA keeps
the mail and tries again. `netdesk mail reprocess [--all | ID ...]`
processes quarantined mail again. `netdesk mail fetch [--mailbox NAME]
[--limit N]` takes new mail from the IMAP mailboxes now and says per
mailbox what it took. `netdesk mail test [--mailbox NAME]` tries the IMAP
servers and the SMTP server step by step, sending nothing. `netdesk mail
send [--limit N]` sends the outbound messages that are due now.

Each subcommand is a pair of functions: `<name>_arguments(parser)` and
`<name>_run(command, options)`, listed in SUBCOMMANDS."""

from __future__ import annotations

import json
import sys
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import InterfaceError, OperationalError

from netdesk.channels.connection_test import imap_check, smtp_check
from netdesk.channels.imap import FetchReport, mailbox_fetch
from netdesk.channels.models import (
    InboundMessage,
    InboundState,
    Mailbox,
    OutboundMessage,
    OutboundState,
    Source,
)
from netdesk.channels.services.delivery import NO_SERVER, outbound_deliver_due, outbound_due
from netdesk.channels.services.inbound import mail_process, mail_reprocess, mail_store
from netdesk.tickets.models.ticket import reference_for

EX_USAGE = 64
EX_NOINPUT = 66
EX_TEMPFAIL = 75
# A database that cannot be reached: the mail stays with the MTA.
UNREACHABLE = (OperationalError, InterfaceError)


def ingest_arguments(parser: CommandParser) -> None:
    parser.add_argument("--mailbox", default="", help="the mailbox the mail was sent to (its name)")
    parser.add_argument(
        "files", nargs="*", metavar="FILE", help="one raw RFC 5322 mail per file (default: stdin)"
    )


def ingest_run(command: BaseCommand, options: dict[str, Any]) -> None:
    try:
        mailbox = _mailbox(options["mailbox"])
    except UNREACHABLE as error:
        raise CommandError(
            f"The database cannot be reached: {error}", returncode=EX_TEMPFAIL
        ) from error
    # Every mail is committed before the first is processed: a run stopped
    # part way leaves the rest stored, and the mail tick processes them.
    stored = [_ingest_store(name, mailbox) for name in options["files"] or ["-"]]
    worst = max((code for _, _, code in stored), default=0)
    for name, taken, _ in stored:
        _print(command, taken if isinstance(taken, dict) else _ingest_process(taken, name))
    if worst == EX_TEMPFAIL:
        raise CommandError("Some mail could not be stored; try again later.", returncode=worst)
    if worst:
        raise CommandError("Some files could not be read.", returncode=worst)


def _ingest_store(
    name: str, mailbox: Mailbox | None
) -> tuple[str, InboundMessage | dict[str, Any], int]:
    """The file's stored row, or the line saying why it was not stored with
    the exit code that goes with it."""
    try:
        raw = sys.stdin.buffer.read() if name == "-" else Path(name).read_bytes()
    except OSError as error:
        return name, {"file": name, "reason": f"cannot read the file: {error}"}, EX_NOINPUT
    try:
        return name, mail_store(raw=raw, mailbox=mailbox, source=Source.PIPE), 0
    except UNREACHABLE as error:
        return name, {"file": name, "reason": f"not stored: {error}".strip()}, EX_TEMPFAIL


def _ingest_process(message: InboundMessage, name: str) -> dict[str, Any]:
    try:
        message = mail_process(message=message)
    except UNREACHABLE as error:
        # Stored, so the MTA may forget it: the mail tick takes it later.
        line = _line(message, file=name)
        line["reason"] = f"stored, not processed yet: {error}".strip()
        return line
    return _line(message, file=name)


def _mailbox(name: str) -> Mailbox | None:
    if not name:
        return None
    mailbox = Mailbox.objects.filter(name=name).first()
    if mailbox is None:
        names = list(Mailbox.objects.values_list("name", flat=True))
        raise CommandError(
            f"--mailbox {name!r} is not a mailbox; accepted: {', '.join(names) or 'none set up'}.",
            returncode=EX_USAGE,
        )
    return mailbox


def reprocess_arguments(parser: CommandParser) -> None:
    parser.add_argument("--all", action="store_true", help="every quarantined or unprocessed mail")
    parser.add_argument("ids", nargs="*", type=int, metavar="ID", help="inbound message ids")


def reprocess_run(command: BaseCommand, options: dict[str, Any]) -> None:
    ids: list[int] = options["ids"]
    if options["all"] == bool(ids):
        raise CommandError("Name message ids or --all (not both).", returncode=EX_USAGE)
    waiting = InboundMessage.objects.exclude(state=InboundState.PROCESSED)
    if not options["all"]:
        found = set(waiting.filter(pk__in=ids).values_list("pk", flat=True))
        missing = [pk for pk in ids if pk not in found]
        if missing:
            raise CommandError(
                f"No quarantined or unprocessed message has the id {missing[0]}; "
                "accepted: the ids `netdesk mail reprocess --all` would take.",
                returncode=EX_USAGE,
            )
        waiting = waiting.filter(pk__in=ids)
    for message in waiting.order_by("pk").defer("raw"):
        _print(command, _line(mail_reprocess(actor=None, message=message), id=message.pk))


def fetch_arguments(parser: CommandParser) -> None:
    parser.add_argument(
        "--mailbox", default="", help="only this mailbox (default: every active IMAP mailbox)"
    )
    parser.add_argument("--limit", type=int, default=None, help="at most this many per mailbox")


def fetch_run(command: BaseCommand, options: dict[str, Any]) -> None:
    """Fetch now, whatever the schedule says; one summary line per mailbox
    (and one per message with -v 2). Exits 75 when a mailbox failed."""
    mailboxes = Mailbox.objects.filter(active=True).exclude(imap_host="")
    named = _mailbox(options["mailbox"])
    if named is not None:
        if not named.imap_host:
            raise CommandError(
                f"--mailbox {named.name!r} has no IMAP host: it is fed by an MTA pipe only.",
                returncode=EX_USAGE,
            )
        mailboxes = Mailbox.objects.filter(pk=named.pk)
    failed = []
    for mailbox in mailboxes.order_by("name"):
        try:
            report = mailbox_fetch(mailbox, limit=options["limit"])
        except UNREACHABLE as error:
            raise CommandError(
                f"The database cannot be reached: {error}", returncode=EX_TEMPFAIL
            ) from error
        command.stdout.write(_fetched(report))
        if options["verbosity"] >= 2:
            for mail in report.taken:
                ticket = reference_for(mail.ticket_id) if mail.ticket_id else "no ticket"
                command.stdout.write(f"  UID {mail.uid}: {mail.outcome} {ticket} {mail.reason}")
        if not report.ok:
            failed.append(mailbox.name)
    if failed:
        raise CommandError(f"Fetching failed for {', '.join(failed)}.", returncode=EX_TEMPFAIL)


def _fetched(report: FetchReport) -> str:
    if report.busy:
        return f"{report.mailbox}: being fetched by another process; left to it."
    if not report.ok:
        return f"{report.mailbox}: failed: {report.error}"
    outcomes = Counter(mail.outcome for mail in report.taken)
    line = f"{report.mailbox}: took {len(report.taken)} messages"
    if outcomes:
        line += " (" + ", ".join(f"{n} {outcome}" for outcome, n in sorted(outcomes.items())) + ")"
    if report.uidvalidity_changed:
        line += "; the folder was renumbered, read from the start"
    if report.more_waiting:
        line += "; more are waiting"
    return line + "."


def test_arguments(parser: CommandParser) -> None:
    parser.add_argument(
        "--mailbox", default="", help="only this mailbox (default: every active IMAP mailbox)"
    )


def test_run(command: BaseCommand, options: dict[str, Any]) -> None:
    """Try the IMAP servers of the mailboxes, then the SMTP server, step by
    step, sending nothing. Exits 1 when a check failed."""
    named = _mailbox(options["mailbox"])
    if named is not None:
        mailboxes = [named]
    else:
        mailboxes = list(Mailbox.objects.filter(active=True).exclude(imap_host="").order_by("name"))
    checks = []
    for mailbox in mailboxes:
        if not mailbox.imap_host:
            command.stdout.write(f"{mailbox.name}: fed by an MTA pipe; no IMAP server to try.")
            continue
        checks.append((f"{mailbox.name}: ", imap_check(mailbox)))
    checks.append(("", smtp_check()))
    for prefix, check in checks:
        command.stdout.write(f"{prefix}{check.server}: {'works' if check.ok else 'FAILED'}")
        for step in check.steps:
            command.stdout.write(f"  {step}")
    failed = [f"{prefix}{check.server}" for prefix, check in checks if not check.ok]
    if failed:
        raise CommandError(f"Failed: {'; '.join(failed)}.", returncode=1)


SEND_BATCH = 100


def send_arguments(parser: CommandParser) -> None:
    parser.add_argument(
        "--limit", type=int, default=None, help="at most this many (default: every due message)"
    )


def send_run(command: BaseCommand, options: dict[str, Any]) -> None:
    """Send what is due now, batch after batch over one SMTP connection
    each, and say how many went and how many wait for a retry. Exits 75
    when no mail server is configured (the messages stay queued)."""
    limit: int | None = options["limit"]
    if limit is not None and limit < 1:
        raise CommandError(f"--limit {limit}: give a number from 1.", returncode=EX_USAGE)
    if not settings.EMAIL_HOST:
        outbound_deliver_due()  # the queued rows say why they wait
        raise CommandError(NO_SERVER, returncode=EX_TEMPFAIL)
    sent = tried = 0
    # Each batch moves what it claimed out of the due rows (sent, failed, or
    # queued again for later), so this ends.
    while (limit is None or tried < limit) and outbound_due().exists():
        size = SEND_BATCH if limit is None else min(SEND_BATCH, limit - tried)
        sent += outbound_deliver_due(limit=size)
        tried += size
    waiting = OutboundMessage.objects.filter(state=OutboundState.QUEUED).count()
    command.stdout.write(f"Sent {sent} messages; {waiting} queued for later.")


@dataclass(frozen=True)
class Subcommand:
    help: str
    arguments: Callable[[CommandParser], None]
    run: Callable[[BaseCommand, dict[str, Any]], None]


SUBCOMMANDS = {
    "ingest": Subcommand("take raw mails from an MTA pipe or files", ingest_arguments, ingest_run),
    "reprocess": Subcommand("process quarantined mail again", reprocess_arguments, reprocess_run),
    "fetch": Subcommand("take new mail from the IMAP mailboxes now", fetch_arguments, fetch_run),
    "test": Subcommand("try the IMAP and SMTP servers, sending nothing", test_arguments, test_run),
    "send": Subcommand("send the outbound messages that are due now", send_arguments, send_run),
}


def _line(message: InboundMessage, **where: Any) -> dict[str, Any]:
    return {
        **where,
        "message_id": message.message_id,
        "from": message.sender,
        "subject": message.subject,
        "outcome": message.outcome,
        "ticket": message.ticket.reference if message.ticket else None,
        "reason": message.reason,
    }


def _print(command: BaseCommand, line: dict[str, Any]) -> None:
    where = {key: value for key, value in line.items() if key in {"file", "id"}}
    blank = {"message_id": None, "from": None, "subject": None, "outcome": None, "ticket": None}
    command.stdout.write(json.dumps({**where, **blank, **line}, ensure_ascii=False))


class Command(BaseCommand):
    help = "The email channel: " + "; ".join(f"{n} ({s.help})" for n, s in SUBCOMMANDS.items())

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="subcommand", required=True)
        for name, subcommand in SUBCOMMANDS.items():
            subcommand.arguments(sub.add_parser(name, help=subcommand.help))

    def handle(self, *args: Any, **options: Any) -> None:
        SUBCOMMANDS[options["subcommand"]].run(self, options)
