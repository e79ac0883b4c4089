"""Trying the mail servers a mailbox depends on, for the administrator's
"Test connection" and `netdesk mail test`: the IMAP folder it reads (when
it reads one) and the SMTP server answers leave through. Each check says
what it did, step by step, and where it stopped."""

from __future__ import annotations

import smtplib
from dataclasses import dataclass, field

from django.conf import settings

from netdesk.channels.imap import mailbox_test
from netdesk.channels.models import Mailbox
from netdesk.channels.services.delivery import Session


@dataclass
class ConnectionCheck:
    """One server tried: what was done, and whether it all worked."""

    server: str
    ok: bool = True
    steps: list[str] = field(default_factory=list)


def smtp_check() -> ConnectionCheck:
    """Open the SMTP connection exactly as delivery does (TLS, STARTTLS and
    sign-in as configured), then NOOP; nothing is sent."""
    host, port = settings.EMAIL_HOST, settings.EMAIL_PORT
    check = ConnectionCheck(server=f"SMTP {host or '(none)'}:{port}")
    if not host:
        check.ok = False
        check.steps.append(
            "No SMTP server is configured: set NETDESK_EMAIL_HOST (and NETDESK_EMAIL_PORT, "
            "NETDESK_EMAIL_USER, NETDESK_EMAIL_PASSWORD, NETDESK_EMAIL_STARTTLS)."
        )
        return check
    session = Session()
    try:
        smtp = session.connection()
        check.steps.append(f"Connected to {host}:{port} ({_security()}).")
        if settings.EMAIL_HOST_USER:
            check.steps.append(f"Signed in as {settings.EMAIL_HOST_USER}.")
        code, answer = smtp.noop()
        check.steps.append(f"NOOP: {code} {_first_line(answer)}")
        check.ok = 200 <= code < 300
    except (OSError, smtplib.SMTPException) as error:
        check.ok = False
        check.steps.append(f"Failed: {_described(error)}")
    finally:
        session.drop()
    return check


def _security() -> str:
    if settings.EMAIL_USE_SSL:
        return "TLS from the start"
    return "STARTTLS" if settings.EMAIL_USE_TLS else "unencrypted"


def imap_check(mailbox: Mailbox) -> ConnectionCheck:
    """Sign in to the mailbox's IMAP server and open its folders."""
    check = ConnectionCheck(server=f"IMAP {mailbox.imap_host}:{mailbox.imap_port}")
    check.steps = mailbox_test(mailbox)
    # mailbox_test stops at the first failed step and says so on its last line.
    check.ok = not any(step.startswith("Failed:") for step in check.steps)
    return check


def connections_test(mailbox: Mailbox) -> list[ConnectionCheck]:
    """The IMAP check where the mailbox reads IMAP, then the SMTP check."""
    checks = [imap_check(mailbox)] if mailbox.imap_host else []
    return [*checks, smtp_check()]


def _first_line(answer: bytes) -> str:
    return answer.decode("utf-8", "replace").splitlines()[0] if answer else ""


def _described(error: BaseException) -> str:
    text = str(error) or "no details"
    return f"{type(error).__name__}: {text}"[:500]
