"""Real mail servers on 127.0.0.1 for tests: Dovecot (IMAP) and an aiosmtpd sink (SMTP).

`DovecotServer` runs Debian's dovecot (package dovecot-imapd, 2.3 or 2.4) with a
throwaway configuration (tests/dovecot_config.py), passwd-file users and maildir
storage in a temporary directory;
`SmtpSink` keeps every message it receives and refuses the ones it is told to.
The fixtures in the top-level conftest.py start them per test; tests skip, with a
message, where dovecot is not installed.
"""

from __future__ import annotations

import contextlib
import dataclasses
import grp
import imaplib
import os
import pwd
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any, cast

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session

from tests.dovecot_config import SUPPORTED_SERIES, DovecotSetup, dovecot_config, dovecot_series

HOST = "127.0.0.1"
START_TIMEOUT_SECONDS = 10.0
# The account the `dovecot` fixture creates.
MAILBOX_USER = "support@isp.example"
MAILBOX_PASSWORD = "mailbox-secret"


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        port: int = probe.getsockname()[1]
        return port


def dovecot_binary() -> str | None:
    """Dovecot's master binary, or None when the package is not installed."""
    found = shutil.which("dovecot") or "/usr/sbin/dovecot"
    return found if os.access(found, os.X_OK) else None


def dovecot_version(binary: str) -> str:
    """`2.3.19.1` from `dovecot --version` (`2.3.19.1 (9b53102964)`)."""
    answer = subprocess.run([binary, "--version"], capture_output=True, text=True, check=True)
    return answer.stdout.split()[0]


@dataclasses.dataclass(frozen=True)
class StoredMessage:
    """A message as the IMAP server holds it in a folder."""

    uid: int
    flags: tuple[str, ...]
    raw: bytes


class DovecotServer:
    """Dovecot on 127.0.0.1 with its configuration, users and maildirs in `root`.

    As root, mail is stored as `nobody` (Dovecot refuses mail access as UID 0);
    as any other user, every Dovecot process runs as that user.
    """

    def __init__(self, binary: str, root: Path, users: Mapping[str, str] | None = None) -> None:
        self.binary = binary
        self.version = dovecot_version(binary)
        self.root = root
        self.host = HOST
        self.port = 0
        self.passwords: dict[str, str] = {}
        self._process: subprocess.Popen[bytes] | None = None
        self._as_root = os.getuid() == 0
        account = pwd.getpwnam("nobody") if self._as_root else pwd.getpwuid(os.getuid())
        self._mail_uid, self._mail_gid = account.pw_uid, account.pw_gid
        for directory in ("run", "state", "home"):
            (root / directory).mkdir(parents=True, exist_ok=True)
        # Dovecot's unprivileged processes reach their homes through root.
        root.chmod(0o755)
        os.chown(root / "home", self._mail_uid, self._mail_gid)
        (root / "users").touch()
        for name, password in (users or {}).items():
            self.add_user(name, password)

    @property
    def log(self) -> str:
        """Dovecot's own log (it writes no syslog)."""
        path = self.root / "dovecot.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def add_user(self, name: str, password: str) -> None:
        """A mail account; Dovecot rereads the passwd-file when it changes."""
        for field, value in (("name", name), ("password", password)):
            if not value or re.search(r"[:\s]", value):
                raise ValueError(
                    f"user {field} {value!r}: give a non-empty value without ':' or spaces"
                )
        home = self.root / "home" / name
        line = f"{name}:{{PLAIN}}{password}:{self._mail_uid}:{self._mail_gid}::{home}::\n"
        with (self.root / "users").open("a") as passwd_file:
            passwd_file.write(line)
        self.passwords[name] = password

    def start(self) -> None:
        """Start Dovecot (again, on the same port and data, after `stop`)."""
        if self._process is not None:
            return
        for _attempt in range(3):
            self.port = self.port or free_port()
            self._write_config()
            self._process = subprocess.Popen(
                [self.binary, "-F", "-c", str(self.root / "dovecot.conf")],
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=(self.root / "dovecot.stderr").open("ab"),
                start_new_session=True,
            )
            if self._wait_until_listening():
                return
            self.stop()
            stderr = (self.root / "dovecot.stderr").read_text(errors="replace")
            if "in use" not in self.log + stderr:
                break
            self.port = 0  # someone took the port between probe and bind
        stderr = (self.root / "dovecot.stderr").read_text(errors="replace")
        raise RuntimeError(f"dovecot did not start on {HOST}:{self.port}:\n{stderr}\n{self.log}")

    def stop(self) -> None:
        """Stop Dovecot; its users and mail stay for a later `start`."""
        process, self._process = self._process, None
        if process is None:
            return
        # SIGTERM would cost a second per server (the master waits for its log
        # process); the whole process group goes at once, mail is on disk already.
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait()

    def connect(self, user: str) -> imaplib.IMAP4:
        """An imaplib connection, logged in as `user` (use it in a `with` block)."""
        imap = imaplib.IMAP4(self.host, self.port, timeout=10)
        imap.login(user, self.passwords[user])
        return imap

    def deliver(
        self, user: str, raw: bytes, folder: str = "INBOX", flags: Iterable[str] = ()
    ) -> int:
        """Append one message to `folder` (created when missing); returns its UID."""
        return self.deliver_many(user, [raw], folder, flags)[0]

    def deliver_many(
        self, user: str, raws: Iterable[bytes], folder: str = "INBOX", flags: Iterable[str] = ()
    ) -> list[int]:
        """Append messages over one connection; returns their UIDs in order."""
        flag_list = f"({' '.join(flags)})" if flags else None
        uids = []
        with self.connect(user) as imap:
            if folder.upper() != "INBOX":
                imap.create(_quoted(folder))  # answers NO when it exists: fine
            for raw in raws:
                status, answer = imap_append(imap, _quoted(folder), raw, flag_list)
                found = re.search(rb"APPENDUID \d+ (\d+)", answer[0] or b"")
                if status != "OK" or found is None:
                    raise RuntimeError(f"dovecot refused the message for {folder}: {answer!r}")
                uids.append(int(found.group(1)))
        return uids

    def messages(self, user: str, folder: str = "INBOX") -> list[StoredMessage]:
        """What `folder` holds, in UID order ([] when the folder does not exist)."""
        with self.connect(user) as imap:
            status, _ = imap.select(_quoted(folder), readonly=True)
            if status != "OK":
                return []
            status, answer = imap.uid("FETCH", "1:*", "(UID FLAGS BODY.PEEK[])")
        stored = []
        for part in answer:
            if not isinstance(part, tuple):
                continue
            uid = re.search(rb"UID (\d+)", part[0])
            flags = re.search(rb"FLAGS \(([^)]*)\)", part[0])
            if uid is None or flags is None:
                raise RuntimeError(f"unexpected FETCH answer from dovecot: {part[0]!r}")
            stored.append(
                StoredMessage(int(uid.group(1)), tuple(flags.group(1).decode().split()), part[1])
            )
        return sorted(stored, key=lambda message: message.uid)

    def uidvalidity(self, user: str, folder: str = "INBOX") -> int:
        """The folder's UIDVALIDITY."""
        with self.connect(user) as imap:
            status, answer = imap.status(_quoted(folder), "(UIDVALIDITY)")
        found = re.search(rb"UIDVALIDITY (\d+)", answer[0] or b"")
        if status != "OK" or found is None:
            raise RuntimeError(f"no UIDVALIDITY for {folder}: {answer!r}")
        return int(found.group(1))

    def renumber(self, user: str, folder: str = "INBOX") -> None:
        """Give `folder` a new UIDVALIDITY and new UIDs, its messages kept.

        This is what a client sees when a server's mailbox is rebuilt: Dovecot
        renumbers a maildir whose UID list and indexes are gone.
        """
        running = self._process is not None
        self.stop()
        maildir = self.root / "home" / user / "Maildir"
        if folder.upper() != "INBOX":
            maildir = maildir / f".{folder}"
        for index_file in [maildir / "dovecot-uidlist", *maildir.glob("dovecot.index*")]:
            index_file.unlink(missing_ok=True)
        if running:
            self.start()

    def _write_config(self) -> None:
        run_as = None
        if not self._as_root:
            run_as = (pwd.getpwuid(os.getuid()).pw_name, grp.getgrgid(os.getgid()).gr_name)
        setup = DovecotSetup(self.root, HOST, self.port, self._mail_uid, run_as)
        (self.root / "dovecot.conf").write_text(dovecot_config(self.version, setup))

    def _wait_until_listening(self) -> bool:
        deadline = time.monotonic() + START_TIMEOUT_SECONDS
        while time.monotonic() < deadline:
            if self._process is None or self._process.poll() is not None:
                return False
            with (
                contextlib.suppress(OSError),
                socket.create_connection((HOST, self.port), timeout=1) as probe,
            ):
                if probe.recv(64).startswith(b"* OK"):
                    return True
            time.sleep(0.02)
        return False


def imap_append(
    imap: imaplib.IMAP4, folder: str, raw: bytes, flags: str | None = None
) -> tuple[str, list[bytes]]:
    """imaplib's APPEND, typed as it answers (typeshed says it returns a str)."""
    answer: tuple[str, list[bytes]] = cast(Any, imap).append(folder, flags, None, raw)
    return answer


def _quoted(folder: str) -> str:
    """A folder name as an IMAP quoted string (imaplib sends arguments as given)."""
    escaped = folder.replace("\\", "\\\\").replace('"', '\\"')
    return f'"{escaped}"'


@contextlib.contextmanager
def dovecot_server(users: Mapping[str, str] | None = None) -> Iterator[DovecotServer]:
    """A running Dovecot in a fresh directory; skips the test where it is not installed."""
    binary = dovecot_binary()
    if binary is None:
        pytest.skip("dovecot is not installed (apt-get install dovecot-imapd): IMAP test skipped")
    version = dovecot_version(binary)
    if dovecot_series(version) not in SUPPORTED_SERIES:
        pytest.fail(
            f"dovecot {version} is installed; tests/dovecot_config.py knows the options "
            f"of Dovecot {' and '.join(SUPPORTED_SERIES)} only"
        )
    # Not pytest's tmp_path: its parents are private to the owner (Dovecot's
    # processes must reach the maildirs) and long (UNIX socket paths are short).
    root = Path(tempfile.mkdtemp(prefix="netdesk-dovecot-"))
    server = DovecotServer(binary, root, users)
    try:
        server.start()
        yield server
    finally:
        server.stop()
        shutil.rmtree(root, ignore_errors=True)


@dataclasses.dataclass(frozen=True)
class SinkMessage:
    """One message an SMTP client handed to the sink."""

    mail_from: str
    rcpt_tos: tuple[str, ...]
    raw: bytes
    answer: str


# `refuse(n, envelope)` answers an SMTP reply to refuse the n-th message
# (1-based, counting every DATA the sink saw), or None to take it.
Refusal = Callable[[int, Envelope], str | None]
TEMPORARY_REFUSAL = "451 4.3.0 Try again later"
PERMANENT_REFUSAL = "550 5.7.1 Message refused"


class SmtpSink:
    """An SMTP server on 127.0.0.1 that stores what it takes and refuses on demand.

    `refuse` decides per message; `refuse_recipient(address)` per RCPT TO
    (an SMTP reply refuses that recipient, None takes it). Both may be set at any
    time.
    """

    def __init__(
        self,
        refuse: Refusal | None = None,
        refuse_recipient: Callable[[str], str | None] | None = None,
    ) -> None:
        self.host = HOST
        self.port = free_port()
        self.refuse = refuse
        self.refuse_recipient = refuse_recipient
        self.messages: list[SinkMessage] = []
        self.refused: list[SinkMessage] = []
        self.attempts = 0
        self._controller: Controller | None = None

    def start(self) -> None:
        """Listen (again, on the same port, after `stop`)."""
        if self._controller is not None:
            return
        # A controller's event loop closes when it stops: a restart needs a new one.
        # server_hostname: aiosmtpd would otherwise ask DNS for this machine's name.
        self._controller = Controller(
            self, hostname=HOST, port=self.port, server_hostname="sink.test"
        )
        self._controller.start()

    def stop(self) -> None:
        """Stop listening; what was received stays."""
        controller, self._controller = self._controller, None
        if controller is not None:
            controller.stop()

    async def handle_RCPT(
        self,
        _server: SMTP,
        _session: Session,
        envelope: Envelope,
        address: str,
        _rcpt_options: list[str],
    ) -> str:
        answer = self.refuse_recipient(address) if self.refuse_recipient else None
        if answer is not None:
            return answer
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, _server: SMTP, _session: Session, envelope: Envelope) -> str:
        self.attempts += 1
        refusal = self.refuse(self.attempts, envelope) if self.refuse else None
        raw = envelope.original_content or b""
        message = SinkMessage(
            mail_from=envelope.mail_from or "",
            rcpt_tos=tuple(envelope.rcpt_tos),
            raw=raw,
            answer=refusal or "250 OK",
        )
        (self.refused if refusal else self.messages).append(message)
        return message.answer


@contextlib.contextmanager
def smtp_sink(refuse: Refusal | None = None) -> Iterator[SmtpSink]:
    """A running SMTP sink, stopped afterwards."""
    sink = SmtpSink(refuse)
    sink.start()
    try:
        yield sink
    finally:
        sink.stop()


def smtp_settings(sink: SmtpSink) -> dict[str, Any]:
    """Django's EMAIL_* settings that send through `sink`."""
    return {
        "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "EMAIL_HOST": sink.host,
        "EMAIL_PORT": sink.port,
        "EMAIL_HOST_USER": "",
        "EMAIL_HOST_PASSWORD": "",
        "EMAIL_USE_TLS": False,
        "EMAIL_USE_SSL": False,
        "EMAIL_TIMEOUT": 5,
    }
