"""Kill the mail fetcher with SIGKILL at random points and start it again,
then count what the desk holds: shared by the crash test and
bench/mail_crash.py.

    python -m netdesk.channels.tests.fetch_crashes --port P --messages N --kills K

runs in an environment naming a database of its own (`fresh_database`, or
a copy of a migrated one); it migrates it, sets up the mailbox, then forks
a worker that runs `netdesk mail fetch` and kills it with SIGKILL after a
random delay, K times, spreading the kills over the messages still
waiting; a last worker runs to its end. It prints one JSON line: what was
stored and how the kills fell. With `--together N` it kills nothing: N
fetchers start at the same moment, and the line says what each printed."""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
import traceback
from typing import Any

from netdesk.core.forking import connections_close_before_fork
from tests.databases import REPOSITORY, fresh_database

__all__ = ["fresh_database", "main", "run"]
# The desk's models are imported inside the functions: the test and the
# benchmark import this module for fresh_database/run without Django set up
# for the database the driver uses, which is chosen at run time. (Closing
# connections before a fork needs no set-up: it is imported above.)


def run(env: dict[str, str], *args: str, timeout: float = 3600) -> dict[str, Any]:
    """Run this module in `env` with `args`; its JSON answer."""
    done = subprocess.run(
        [sys.executable, "-m", "netdesk.channels.tests.fetch_crashes", *args],
        cwd=REPOSITORY,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"fetch_crashes failed ({done.returncode}):\n{done.stderr}")
    answer: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return answer


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--user", default="support@isp.example")
    parser.add_argument("--password", default="mailbox-secret")
    parser.add_argument("--messages", type=int, required=True, help="messages in the inbox")
    parser.add_argument("--kills", type=int, default=10)
    parser.add_argument("--seed", type=int, default=12)
    parser.add_argument(
        "--together",
        type=int,
        default=0,
        help="instead of killing: start this many fetchers at the same moment",
    )
    args = parser.parse_args(argv)

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "netdesk.settings")
    import django

    django.setup()
    from django.core.management import call_command

    from netdesk.channels.models import Mailbox

    # Nothing to do on a copy of a migrated database; all of it on a new one.
    call_command("migrate", verbosity=0, interactive=False)
    mailbox = Mailbox.objects.create(
        name="support",
        address=args.user,
        imap_host=args.host,
        imap_port=args.port,
        imap_security="none",
        imap_user=args.user,
        imap_password=args.password,
        done_folder="Done",
    )
    connections_close_before_fork()
    started = time.monotonic()
    if args.together:
        answer: dict[str, Any] = {"runs": _fetch_together(args.together)}
    else:
        kills = _kill_repeatedly(mailbox.pk, args.messages, args.kills, random.Random(args.seed))
        answer = {"kills": kills, "last_run_status": _fetch_until_done(mailbox.pk)}
    answer.update(_counts(), seconds=round(time.monotonic() - started, 1))
    print(json.dumps(answer))


def _kill_repeatedly(
    mailbox_pk: int, messages: int, kills: int, draw: random.Random
) -> list[dict[str, Any]]:
    done: list[dict[str, Any]] = []
    while len(done) < kills:
        before = _stored()
        waiting = messages - before
        if waiting <= 0:
            break
        # Spread the kills left over the messages left: each falls once a
        # random number of them is stored (none: while it signs in), a
        # random moment later, wherever the worker then is.
        target = before + min(draw.randint(0, 2 * waiting // (kills - len(done))), waiting - 1)
        grace = draw.uniform(0.0, 0.05)
        _wait_until_free(mailbox_pk)
        started = time.monotonic()
        worker = _fork_fetch()
        status = _wait_for_stored(worker, target)
        if status is None:
            time.sleep(grace)
            os.kill(worker, signal.SIGKILL)
            _, status = os.waitpid(worker, 0)
        killed = os.WIFSIGNALED(status)
        done.append(
            {
                "after_seconds": round(time.monotonic() - started, 2),
                "stored_before": before,
                "stored_after": _stored(),
                "killed": killed,
            }
        )
        if not killed:
            break
    return done


def _wait_for_stored(worker: int, target: int) -> int | None:
    """Wait until `target` messages are stored; the worker's wait status
    when it ended first, else None."""
    from netdesk.channels.models import InboundMessage

    try:
        while InboundMessage.objects.count() < target:
            pid, status = os.waitpid(worker, os.WNOHANG)
            if pid:
                return status
            time.sleep(0.005)
        return None
    finally:
        connections_close_before_fork()


def _fetch_until_done(mailbox_pk: int) -> int:
    _wait_until_free(mailbox_pk)
    _, status = os.waitpid(_fork_fetch(), 0)
    return os.waitstatus_to_exitcode(status)


def _fetch_together(count: int) -> list[dict[str, Any]]:
    """Fork `count` fetchers that wait at a gate, open it for all at once;
    each one's exit status and what it printed."""
    gate_out, gate_in = os.pipe()
    with contextlib.ExitStack() as files:
        outputs = [files.enter_context(tempfile.TemporaryFile()) for _ in range(count)]
        workers = [_fork_fetch(gate=gate_out, output=output.fileno()) for output in outputs]
        os.write(gate_in, b"go" * count)
        runs = []
        for worker, output in zip(workers, outputs, strict=True):
            _, status = os.waitpid(worker, 0)
            output.seek(0)
            runs.append(
                {
                    "status": os.waitstatus_to_exitcode(status),
                    "output": output.read().decode(errors="replace"),
                }
            )
    return runs


def _wait_until_free(mailbox_pk: int) -> None:
    """A killed fetcher's lock ends with it, on PostgreSQL when the server
    notices its session is gone a moment later: wait for that, so that the
    next fetcher takes mail instead of leaving it to the dead one."""
    from netdesk.channels.fetch_lock import mailbox_fetch_lock

    deadline = time.monotonic() + 30
    try:
        while True:
            with mailbox_fetch_lock(mailbox_pk) as free:
                if free:
                    return
            if time.monotonic() > deadline:
                raise RuntimeError(f"mailbox {mailbox_pk} stayed locked for 30 s")
            time.sleep(0.02)
    finally:
        connections_close_before_fork()


def _fork_fetch(*, gate: int | None = None, output: int | None = None) -> int:
    """A worker process running `netdesk mail fetch`, with connections of
    its own; it starts when two bytes can be read from `gate`, and prints
    to `output` (a file descriptor) when given."""
    pid = os.fork()
    if pid:
        return pid
    code = 0
    try:
        from django.core.management import CommandError, call_command

        if gate is not None:
            os.read(gate, 2)
        stdout = os.fdopen(output, "w") if output is not None else sys.stdout
        try:
            call_command("mail", "fetch", verbosity=0, stdout=stdout, stderr=stdout)
        except CommandError as error:
            stdout.write(f"CommandError: {error}\n")
            code = error.returncode
        stdout.flush()
    except BaseException:  # the parent reads the exit code
        traceback.print_exc()
        code = 1
    finally:
        os._exit(code)


def _stored() -> int:
    from netdesk.channels.models import InboundMessage

    try:
        return InboundMessage.objects.count()
    finally:
        connections_close_before_fork()


def _counts() -> dict[str, int]:
    from netdesk.channels.models import InboundMessage, InboundState
    from netdesk.tickets.models import Ticket

    rows = InboundMessage.objects
    try:
        return {
            "stored": rows.count(),
            "message_ids": rows.values("message_id").distinct().count(),
            "uids": rows.values("imap_uid").distinct().count(),
            "unprocessed": rows.filter(state=InboundState.RECEIVED).count(),
            "without_ticket": rows.filter(ticket__isnull=True).count(),
            "tickets": Ticket.objects.count(),
            "tickets_without_mail": Ticket.objects.filter(inbound_mail__isnull=True).count(),
        }
    finally:
        connections_close_before_fork()


if __name__ == "__main__":
    main()
