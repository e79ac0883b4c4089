"""Inbound mail throughput: N mixed messages (plain, HTML, attachments,
replies to earlier ones) through `netdesk mail ingest` and through IMAP
(`netdesk mail fetch` from a Dovecot on 127.0.0.1), each into a fresh
database: a SQLite file, or with NETDESK_DATABASE_URL set a new database on
that PostgreSQL server.

    .venv/bin/python bench/mail_ingest.py                      # SQLite
    scripts/with-postgres.sh .venv/bin/python bench/mail_ingest.py
    .venv/bin/python bench/mail_ingest.py --messages 500 --profile 200
    scripts/with-postgres.sh .venv/bin/python bench/mail_ingest.py \
        --messages 2000 --only ingest --jobs 1,2,4

`--profile N` also runs N messages through the pipeline inside this process
under cProfile and prints where the time goes and the queries per message
(`--only profile`: that alone). `--jobs 1,2,4` runs the ingest once per
number with that many `netdesk mail ingest` pipes at once, each over its
share of the files, into a fresh database each time.
Needs dovecot-imapd for the IMAP half (skipped with a message otherwise).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import shlex
import struct
import subprocess
import sys
import tempfile
import time
import zlib
from collections import Counter
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from netdesk.channels.tests.fetch_crashes import fresh_database  # noqa: E402
from tests import mailservers  # noqa: E402

NETDESK = [sys.executable, "-m", "netdesk"]
MAILBOX = "support@isp.example"
# Files per `netdesk mail ingest` run: an MTA pipe would start one per mail,
# which measures Python's start-up, not the pipeline (measured apart).
INGEST_BATCH = 2000
KINDS = {"plain": 40, "html": 20, "attachment": 15, "reply": 25}
FIRST_NAMES = ["anna", "ben", "chen", "dara", "emil", "fatma", "goran", "hana", "ivo", "jana"]
PROBLEMS = [
    "No internet since this morning",
    "Router light is red",
    "Very slow connection in the evening",
    "TV channels freeze",
    "Phone line crackles",
    "Bill higher than agreed",
    "Moving house next month",
    "Wi-Fi drops every few minutes",
]


def png(width: int, height: int, draw: random.Random) -> bytes:
    """A valid PNG of random grey noise (what a customer's photo costs)."""
    rows = b"".join(b"\x00" + draw.randbytes(width) for _ in range(height))

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


def mixed_messages(count: int, *, seed: int = 7) -> list[bytes]:
    """`count` messages from 2,000 senders; a quarter answer an earlier
    message of the same sender (In-Reply-To, "Re:" subject, quoted text)."""
    draw = random.Random(seed)
    senders = [f"{draw.choice(FIRST_NAMES)}.{n}@customers.example" for n in range(2000)]
    sent: list[tuple[str, str, str]] = []
    start = datetime(2026, 11, 1, 8, tzinfo=UTC)
    out = []
    for n in range(count):
        kind = draw.choices(list(KINDS), weights=list(KINDS.values()))[0]
        message = EmailMessage()
        message["To"] = MAILBOX
        message["Date"] = format_datetime(start + timedelta(seconds=37 * n))
        message["Message-ID"] = make_msgid(f"m{n}", "customers.example")
        text = f"Hello,\n\n{draw.choice(PROBLEMS)} at my address ({n}).\n\nRegards\n"
        if kind == "reply" and sent:
            original_id, subject, sender = draw.choice(sent[-400:])
            message["From"] = sender
            message["Subject"] = f"Re: {subject}"
            message["In-Reply-To"] = original_id
            message["References"] = original_id
            quoted = "".join(f"> {line}\n" for line in text.splitlines())
            message.set_content(f"Still not working.\n\nOn Monday you wrote:\n{quoted}")
        else:
            sender = draw.choice(senders)
            subject = f"{draw.choice(PROBLEMS)} ({n})"
            message["From"] = sender
            message["Subject"] = subject
            message.set_content(text)
            if kind == "html":
                html = f"<p>Hello,</p><p><b>{subject}</b></p><ul><li>line {n}</li></ul>"
                message.add_alternative(f"<html><body>{html}</body></html>", subtype="html")
            elif kind == "attachment":
                photo = png(96, 64, draw)
                message.add_attachment(photo, maintype="image", subtype="png", filename="led.png")
                log = "\n".join(f"{i} sync lost" for i in range(40)).encode()
                message.add_attachment(log, maintype="text", subtype="plain", filename="modem.log")
            sent.append((message["Message-ID"], subject, sender))
        out.append(message.as_bytes())
    return out


def netdesk(env: dict[str, str], *args: str) -> str:
    done = subprocess.run(
        [*NETDESK, *args], cwd=ROOT, env=env, capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        raise RuntimeError(f"netdesk {args[:2]} failed ({done.returncode}):\n{done.stderr[-3000:]}")
    return done.stdout


def prepare(env: dict[str, str], imap: mailservers.DovecotServer | None) -> None:
    netdesk(env, "migrate", "--no-input", "-v", "0")
    settings = ""
    if imap is not None:
        settings = (
            f", imap_host='{imap.host}', imap_port={imap.port}, imap_security='none',"
            f" imap_user='{MAILBOX}', imap_password='{mailservers.MAILBOX_PASSWORD}',"
            " done_folder='Done'"
        )
    netdesk(
        env,
        *("shell", "-v", "0", "-c"),
        "from netdesk.channels.models import Mailbox\n"
        f"Mailbox.objects.create(name='support', address='{MAILBOX}'{settings})",
    )


def counts(env: dict[str, str]) -> dict[str, Any]:
    probe = (
        "import json\n"
        "from django.db.models import Count\n"
        "from netdesk.channels.models import InboundMessage\n"
        "from netdesk.tickets.models import Ticket\n"
        "rows = InboundMessage.objects\n"
        "print(json.dumps({'stored': rows.count(), 'tickets': Ticket.objects.count(),"
        " 'outcomes': dict(rows.values_list('outcome').annotate(n=Count('pk')))}))"
    )
    answer: dict[str, Any] = json.loads(netdesk(env, "shell", "-v", "0", "-c", probe))
    return answer


def ingest_batches(env: dict[str, str], files: list[str]) -> subprocess.Popen[bytes]:
    """One ingest pipe: `netdesk mail ingest` over `files`, INGEST_BATCH at a
    time, one run after the other (a shell loop, so the pipes of several
    jobs start together and each runs on its own)."""
    runs = []
    for first in range(0, len(files), INGEST_BATCH):
        argv = [
            *NETDESK,
            "mail",
            "ingest",
            "--mailbox",
            "support",
            *files[first : first + INGEST_BATCH],
        ]
        runs.append(" ".join(map(shlex.quote, argv)) + " >/dev/null")
    return subprocess.Popen(
        ["bash", "-ec", "\n".join(runs) or "true"], cwd=ROOT, env=env, stderr=subprocess.PIPE
    )


def server_cpu_seconds() -> float | None:
    """CPU seconds of the PostgreSQL server's ended processes (its exited
    backends), read from the postmaster's /proc entry; None on SQLite or
    where it cannot be read (another machine, no rights)."""
    url = os.environ.get("NETDESK_DATABASE_URL", "")
    if not url.startswith("postgres"):
        return None
    try:
        import psycopg

        with psycopg.connect(url) as connection:
            row = connection.execute("SHOW data_directory").fetchone()
        assert row is not None
        pid = (Path(row[0]) / "postmaster.pid").read_text().split()[0]
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        # cutime and cstime: fields 16 and 17 of stat, 14 and 15 after the name.
        return (int(fields[13]) + int(fields[14])) / os.sysconf("SC_CLK_TCK")
    except Exception:  # a figure left out, not a failed run
        return None


def through_ingest(messages: list[bytes], work: Path, *, jobs: int = 1) -> dict[str, Any]:
    """The messages through `jobs` ingest pipes at once (what an MTA does
    when mail arrives faster than one pipe takes it), each over its own
    files: message n goes to pipe n mod jobs, so every pipe sees the same mix."""
    files = []
    for n, raw in enumerate(messages):
        path = work / f"{n:06d}.eml"
        path.write_bytes(raw)
        files.append(str(path))
    with fresh_database(work / f"ingest-db-{jobs}") as env:
        prepare(env, None)
        server_before = server_cpu_seconds()
        client_before = resource.getrusage(resource.RUSAGE_CHILDREN)
        started = time.monotonic()
        pipes = [ingest_batches(env, files[job::jobs]) for job in range(jobs)]
        try:
            failures = [pipe.communicate()[1] for pipe in pipes if pipe.wait() != 0]
        finally:
            for pipe in pipes:  # stopped part way (Ctrl-C): no pipe left running
                if pipe.poll() is None:
                    pipe.kill()
        seconds = time.monotonic() - started
        client_after = resource.getrusage(resource.RUSAGE_CHILDREN)
        server_after = server_cpu_seconds()
        if failures:
            raise RuntimeError(f"netdesk mail ingest failed:\n{failures[0].decode()[-3000:]}")
        client = (client_after.ru_utime + client_after.ru_stime) - (
            client_before.ru_utime + client_before.ru_stime
        )
        server = (
            server_after - server_before
            if server_before is not None and server_after is not None
            else None
        )
        return {
            "jobs": jobs,
            "seconds": round(seconds, 1),
            "per_second": round(len(messages) / seconds, 1),
            # CPU time per message, which the load of other work changes
            # far less than the wall time: the ingest processes', and the
            # PostgreSQL server's (its backends, reaped when each pipe ends).
            "client_cpu_ms_per_message": round(1000 * client / len(messages), 2),
            "server_cpu_ms_per_message": None
            if server is None
            else round(1000 * server / len(messages), 2),
            "load_average": [round(load, 2) for load in os.getloadavg()],
            **counts(env),
        }


def through_imap(messages: list[bytes], work: Path) -> dict[str, Any]:
    if mailservers.dovecot_binary() is None:
        return {"skipped": "dovecot is not installed (apt-get install dovecot-imapd)"}
    users = {MAILBOX: mailservers.MAILBOX_PASSWORD}
    with mailservers.dovecot_server(users) as dovecot:
        for first in range(0, len(messages), 1000):
            dovecot.deliver_many(MAILBOX, messages[first : first + 1000])
        with fresh_database(work / "imap-db") as env:
            prepare(env, dovecot)
            started = time.monotonic()
            out = netdesk(env, "mail", "fetch", "--mailbox", "support")
            seconds = time.monotonic() - started
            left = len(dovecot.messages(MAILBOX))
            return {
                "seconds": round(seconds, 1),
                "per_second": round(len(messages) / seconds, 1),
                "left_in_inbox": left,
                "fetch_said": out.strip(),
                **counts(env),
            }


def start_cost(work: Path) -> float:
    """Seconds for one `netdesk` process to start and touch the database."""
    env = {k: v for k, v in os.environ.items() if k != "NETDESK_DATA_DIR"}
    env["NETDESK_DATA_DIR"] = str(work)
    started = time.monotonic()
    netdesk(
        env,
        "shell",
        "-v",
        "0",
        "-c",
        "from django.db import connection; connection.ensure_connection()",
    )
    return round(time.monotonic() - started, 2)


def profile(messages: list[bytes], work: Path) -> None:
    """The pipeline in this process: time per step and queries per message."""
    import cProfile
    import pstats

    with fresh_database(work / "profile-db") as env:
        os.environ.update(env)
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "netdesk.settings")
        import django

        django.setup()
        from django.core.management import call_command
        from django.db import connection

        from netdesk.channels.models import Mailbox, Source
        from netdesk.channels.services.inbound import mail_take

        call_command("migrate", verbosity=0, interactive=False)
        mailbox = Mailbox.objects.create(name="support", address=MAILBOX)
        warm, measured = messages[:50], messages[50:]
        for raw in warm:
            mail_take(raw=raw, mailbox=mailbox, source=Source.PIPE)
        profiler = cProfile.Profile()
        started = time.monotonic()
        statements: Counter[str] = Counter()

        def counted(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
            statements[sql.split(" WHERE")[0][:110]] += 1
            return execute(sql, params, many, context)

        with connection.execute_wrapper(counted):
            profiler.enable()
            for raw in measured:
                mail_take(raw=raw, mailbox=mailbox, source=Source.PIPE)
            profiler.disable()
        seconds = time.monotonic() - started
        queries = sum(statements.values())
        print(
            f"profile: {len(measured)} messages in {seconds:.1f} s under cProfile "
            f"({len(measured) / seconds:.1f}/s), {queries / len(measured):.1f} queries each"
        )
        for statement, n in statements.most_common(15):
            print(f"  {n / len(measured):5.1f} x {statement}")
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(r"netdesk/", 30)
        # Where the time is spent itself: the database driver, Django
        # building statements and models, the mail parser.
        pstats.Stats(profiler).sort_stats("tottime").print_stats(20)
        connection.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--messages", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--only", choices=["ingest", "imap", "profile"], help="one way in only, or the profile"
    )
    parser.add_argument("--profile", type=int, default=0, help="also profile N messages")
    parser.add_argument(
        "--jobs",
        type=lambda value: [int(n) for n in value.split(",")],
        default=[1],
        help="ingest pipes at once, one run per number: 1,2,4 (default 1)",
    )
    args = parser.parse_args()
    if any(jobs < 1 for jobs in args.jobs):
        parser.error(f"--jobs {args.jobs}: each number of pipes must be 1 or more")
    messages = mixed_messages(args.messages, seed=args.seed)
    database = "postgresql" if os.environ.get("NETDESK_DATABASE_URL") else "sqlite"
    with tempfile.TemporaryDirectory(prefix="netdesk-mail-bench-") as temp:
        work = Path(temp)
        result: dict[str, Any] = {
            "database": database,
            "messages": args.messages,
            "bytes": sum(map(len, messages)),
            "load_average": os.getloadavg(),
            "process_start_seconds": start_cost(work / "start"),
        }
        if args.only in (None, "ingest"):
            for jobs in args.jobs:
                key = "ingest" if jobs == 1 else f"ingest_{jobs}_jobs"
                result[key] = through_ingest(messages, work, jobs=jobs)
                print(f"{key}: {result[key]}", flush=True)
        if args.only in (None, "imap"):
            result["imap"] = through_imap(messages, work)
            print(f"imap: {result['imap']}", flush=True)
        print(json.dumps(result))
        if args.profile:
            profile(mixed_messages(args.profile + 50, seed=args.seed + 1), work)


if __name__ == "__main__":
    main()
