"""`netdesk listen snmp|syslog`: a long-running alarm listener. Receives SNMP
traps or syslog messages, hands them to the NOC's alarm intake in batches, and
on SIGTERM or SIGINT flushes what it holds, prints its counters and exits."""

from __future__ import annotations

import asyncio
import json
import signal
from collections.abc import Sequence
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.core.management.base import BaseCommand, CommandError, CommandParser, OutputWrapper

from netdesk.integrations.intake import IntakeSink, NocIntakeSink
from netdesk.integrations.snmp.credentials import (
    DEFAULT_COMMUNITY,
    ENV_COMMUNITY,
    SnmpCredentials,
)
from netdesk.integrations.snmp.receiver import SnmpTrapListener
from netdesk.integrations.syslog.mapping import SyslogMapping
from netdesk.integrations.syslog.server import MAX_MESSAGE, SyslogListener
from netdesk.noc.services.alarms import AlarmIn


class PrintingSink:
    """--dry-run: each alarm as one JSON line on stdout instead of the database,
    to check what a device's messages turn into."""

    def __init__(self, stdout: OutputWrapper) -> None:
        self.stdout = stdout

    def ingest(self, alarms: Sequence[AlarmIn]) -> None:
        for alarm in alarms:
            fields = {
                "source": alarm.source,
                "name": alarm.name,
                "element_ref": alarm.element_ref,
                "severity": alarm.severity,
                "firing": alarm.firing,
                "at": alarm.at.isoformat(),
                "summary": alarm.summary,
                "fingerprint": alarm.fingerprint,
                "labels": alarm.labels,
            }
            self.stdout.write(json.dumps(fields, ensure_ascii=False))
        self.stdout.flush()

    def reject(self, *, source: str, reason: str, excerpt: str, peer: str) -> None:
        pass  # already logged by the batcher

    def close(self) -> None:
        pass


class Command(BaseCommand):
    help = "Listen for SNMP traps or syslog messages and feed them to the NOC's alarm intake."

    def add_arguments(self, parser: CommandParser) -> None:
        kinds = parser.add_subparsers(dest="kind", required=True, metavar="{snmp,syslog}")
        snmp = kinds.add_parser(
            "snmp",
            help="SNMP v1/v2c/v3 traps and informs on UDP",
            description=(
                "Credentials come from the environment only: "
                f"{ENV_COMMUNITY} (comma-separated, default {DEFAULT_COMMUNITY!r}, empty turns "
                "v1/v2c off), NETDESK_SNMP_V3_USER, NETDESK_SNMP_V3_AUTH_PROTOCOL (default SHA), "
                "NETDESK_SNMP_V3_AUTH_KEY, NETDESK_SNMP_V3_PRIV_PROTOCOL (default AES), "
                "NETDESK_SNMP_V3_PRIV_KEY, NETDESK_SNMP_ENGINE_ID."
            ),
        )
        snmp.add_argument("--host", default="127.0.0.1", help="address to listen on")
        snmp.add_argument("--port", type=int, default=1162, help="UDP port (0: any free port)")
        syslog = kinds.add_parser("syslog", help="syslog (RFC 5424 and RFC 3164) on UDP and TCP")
        syslog.add_argument("--host", default="127.0.0.1", help="address to listen on")
        syslog.add_argument("--udp-port", type=int, default=1514, help="0: any free port")
        syslog.add_argument("--tcp-port", type=int, default=1514, help="0: any free port")
        syslog.add_argument("--no-udp", action="store_true", help="do not listen on UDP")
        syslog.add_argument("--no-tcp", action="store_true", help="do not listen on TCP")
        syslog.add_argument(
            "--rfc3164-timezone",
            default="UTC",
            help="zone of RFC 3164 timestamps, which carry none (e.g. Europe/Berlin)",
        )
        syslog.add_argument(
            "--forward-up-to",
            type=int,
            default=5,
            choices=range(8),
            metavar="0-7",
            help="highest syslog severity that raises an alarm (default 5, notice); "
            "clears always pass",
        )
        syslog.add_argument(
            "--max-message", type=int, default=MAX_MESSAGE, help="longest message accepted, octets"
        )
        for sub in (snmp, syslog):
            sub.add_argument(
                "--flush-interval", type=float, default=0.5, help="seconds between batches"
            )
            sub.add_argument("--batch-size", type=int, default=500, help="alarms per batch at most")
            sub.add_argument(
                "--dry-run",
                action="store_true",
                help="print alarms as JSON lines instead of storing them",
            )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["flush_interval"] <= 0 or options["batch_size"] < 1:
            raise CommandError("--flush-interval must be above 0 and --batch-size at least 1")
        sink: IntakeSink = PrintingSink(self.stdout) if options["dry_run"] else NocIntakeSink()
        listener: SnmpTrapListener | SyslogListener
        if options["kind"] == "snmp":
            credentials = SnmpCredentials.from_env()
            listener = SnmpTrapListener(
                sink=sink,
                credentials=credentials,
                host=options["host"],
                port=options["port"],
                flush_interval=options["flush_interval"],
                batch_size=options["batch_size"],
            )
            self._describe_snmp(credentials)
        else:
            if options["no_udp"] and options["no_tcp"]:
                raise CommandError("--no-udp and --no-tcp together leave nothing to listen on")
            try:
                zone = ZoneInfo(options["rfc3164_timezone"])
            except (ZoneInfoNotFoundError, ValueError) as exc:
                raise CommandError(
                    f"--rfc3164-timezone {options['rfc3164_timezone']!r} is not a known time "
                    "zone; use an IANA name such as UTC or Europe/Berlin"
                ) from exc
            listener = SyslogListener(
                sink=sink,
                host=options["host"],
                udp_port=None if options["no_udp"] else options["udp_port"],
                tcp_port=None if options["no_tcp"] else options["tcp_port"],
                mapping=SyslogMapping(forward_up_to=options["forward_up_to"]),
                legacy_timezone=zone,
                flush_interval=options["flush_interval"],
                batch_size=options["batch_size"],
                max_message=options["max_message"],
            )
        asyncio.run(self._serve(options["kind"], listener))

    def _describe_snmp(self, credentials: SnmpCredentials) -> None:
        # Says which credentials are in force without showing any of them.
        communities = len(credentials.communities)
        if not communities:
            self.stdout.write("v1/v2c: off (no community)")
        elif credentials.communities == (DEFAULT_COMMUNITY,):
            self.stdout.write(
                f"v1/v2c: the default community {DEFAULT_COMMUNITY!r}; set {ENV_COMMUNITY} "
                "to your own"
            )
        else:
            self.stdout.write(f"v1/v2c: {communities} communit{'y' if communities == 1 else 'ies'}")
        user = credentials.v3_user
        if user is None:
            self.stdout.write("v3: off (no user)")
        else:
            protocols = "/".join(p for p in (user.auth_protocol, user.priv_protocol) if p)
            self.stdout.write(
                f"v3: one user, {user.level_name}{f' ({protocols})' if protocols else ''}"
            )

    async def _serve(self, kind: str, listener: SnmpTrapListener | SyslogListener) -> None:
        loop = asyncio.get_running_loop()
        stopping = asyncio.Event()
        for signum in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(signum, stopping.set)
        try:
            await listener.start()
        except OSError as exc:
            await listener.stop()
            raise CommandError(f"{kind}: cannot listen on {listener.host}: {exc}") from exc
        for transport, (host, port) in listener.addresses.items():
            self.stdout.write(f"{kind} listener on {transport} {host}:{port}")
        self.stdout.flush()
        await stopping.wait()
        await listener.stop()
        self.stdout.write(f"{kind} listener stopped: {listener.stats.summary()}")
        self.stdout.flush()
