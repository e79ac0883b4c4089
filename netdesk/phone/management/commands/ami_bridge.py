"""`netdesk ami_bridge`: the Asterisk bridge as a long-running process. It
signs in to Asterisk's AMI, posts each call's newCall, answer and hangup to
the desk's CTI endpoint, and on SIGTERM or SIGINT posts what it still holds
and exits. The AMI secret comes from a file or the environment, never from
the command line (where `ps` would show it). See docs/asterisk.md."""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import re
import signal
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from netdesk.phone.ami_bridge import (
    BridgeRefused,
    BridgeSettings,
    bridge_run,
    cti_url_problem,
)
from netdesk.phone.ami_calls import DEFAULT_EXTENSION_PATTERN, DEFAULT_QUEUE_CONTEXTS
from netdesk.phone.ami_post import DEFAULT_MAX_PENDING, DEFAULT_TIMEOUT

# The variable's name, not a secret.
ENV_SECRET = "NETDESK_AMI_SECRET"  # noqa: S105
SECRET_MAX = 1024


def read_secret(path: str | None) -> str:
    """The AMI secret: the first line of --ami-secret-file, else the
    environment variable; CommandError naming both when neither has one."""
    if path:
        try:
            text = Path(path).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise CommandError(f"--ami-secret-file {path!r} cannot be read: {exc}") from exc
        secret = text.splitlines()[0].strip() if text.strip() else ""
        if not secret:
            raise CommandError(
                f"--ami-secret-file {path!r} is empty; it must hold the AMI user's secret "
                "on its first line"
            )
    else:
        secret = os.environ.get(ENV_SECRET, "").strip()
        if not secret:
            raise CommandError(
                f"no AMI secret: give --ami-secret-file PATH (a file readable only by the "
                f"bridge) or set {ENV_SECRET}; the secret is never accepted on the command line"
            )
    if len(secret) > SECRET_MAX or "\r" in secret or "\n" in secret:
        raise CommandError(f"the AMI secret must be one line of at most {SECRET_MAX} characters")
    return secret


class Command(BaseCommand):
    help = "Bridge Asterisk's manager interface (AMI) to the desk's CTI endpoint."

    def create_parser(self, prog_name: str, subcommand: str, **kwargs: Any) -> CommandParser:
        parser = super().create_parser(prog_name, subcommand, **kwargs)
        # No abbreviations: "--ami-secret VALUE" must not pass for
        # --ami-secret-file (and end up in an error message).
        parser.allow_abbrev = False
        return parser

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--ami-host", default="127.0.0.1", help="Asterisk's address")
        parser.add_argument("--ami-port", type=int, default=5038, help="AMI port (5038)")
        parser.add_argument(
            "--ami-user", required=True, help="the manager.conf user (read=call,agent)"
        )
        parser.add_argument(
            "--ami-secret-file",
            help=f"file whose first line is the user's secret (else ${ENV_SECRET})",
        )
        # Accepted only to refuse it with a reason; its value is never shown.
        parser.add_argument("--ami-secret", help=argparse.SUPPRESS)
        parser.add_argument(
            "--cti-url",
            required=True,
            help="the CTI endpoint, https://desk/api/v1/cti/<token> "
            "(netdesk cti endpoint create prints its path)",
        )
        parser.add_argument(
            "--queue-context",
            action="append",
            dest="queue_contexts",
            metavar="CONTEXT",
            help="context of the Local channels through which queues ring their members "
            f"(Local/201@CONTEXT); repeat for several (default {DEFAULT_QUEUE_CONTEXTS[0]})",
        )
        parser.add_argument(
            "--extension-pattern",
            default=DEFAULT_EXTENSION_PATTERN,
            help="regular expression an agent phone's device name matches "
            f"(PJSIP/201: 201; default {DEFAULT_EXTENSION_PATTERN})",
        )
        parser.add_argument(
            "--post-timeout",
            type=float,
            default=DEFAULT_TIMEOUT,
            help="seconds to wait for the desk's answer to one event",
        )
        parser.add_argument(
            "--max-pending",
            type=int,
            default=DEFAULT_MAX_PENDING,
            help="events kept for retry while the desk cannot be reached (oldest dropped)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        settings = self._settings(options)
        if not logging.getLogger().handlers:
            logging.basicConfig(
                level=logging.DEBUG if options["verbosity"] > 1 else logging.INFO,
                format="%(asctime)s %(levelname)s %(message)s",
            )
        try:
            counts = asyncio.run(self._serve(settings))
        except BridgeRefused as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(f"ami_bridge stopped: {counts.summary()}")

    def _settings(self, options: dict[str, Any]) -> BridgeSettings:
        if options["ami_secret"] is not None:
            raise CommandError(
                f"--ami-secret is not taken: a secret on the command line is seen by every "
                f"user of the host (ps); put it in a file for --ami-secret-file or in {ENV_SECRET}"
            )
        problem = cti_url_problem(options["cti_url"])
        if problem:
            raise CommandError(f"--cti-url: {problem}")
        if not 0 < options["ami_port"] < 65536:
            raise CommandError(f"--ami-port {options['ami_port']} is not a port (1 to 65535)")
        try:
            re.compile(options["extension_pattern"])
        except re.error as exc:
            raise CommandError(
                f"--extension-pattern {options['extension_pattern']!r} is not a regular "
                f"expression: {exc}"
            ) from exc
        if options["post_timeout"] <= 0 or options["max_pending"] < 1:
            raise CommandError("--post-timeout must be above 0 and --max-pending at least 1")
        return BridgeSettings(
            ami_host=options["ami_host"],
            ami_port=options["ami_port"],
            ami_user=options["ami_user"],
            ami_secret=read_secret(options["ami_secret_file"]),
            cti_url=options["cti_url"],
            queue_contexts=tuple(options["queue_contexts"] or DEFAULT_QUEUE_CONTEXTS),
            extension_pattern=options["extension_pattern"],
            post_timeout=options["post_timeout"],
            max_pending=options["max_pending"],
        )

    async def _serve(self, settings: BridgeSettings) -> Any:
        loop = asyncio.get_running_loop()
        stop = asyncio.Event()
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(signum, stop.set)
        return await bridge_run(settings, stop=stop)
