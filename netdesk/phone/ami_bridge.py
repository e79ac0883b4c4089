"""The Asterisk bridge: a small process that signs in to Asterisk's manager
interface (AMI) with panoramisk, turns its call events into the desk's CTI
events (netdesk.phone.ami_calls) and posts them to the desk's CTI endpoint
(netdesk.phone.ami_post). It talks to the desk only over HTTP, like any PBX,
so it can run on the PBX's host. See docs/asterisk.md."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from panoramisk import Manager

from netdesk.phone.ami_calls import (
    DEFAULT_EXTENSION_PATTERN,
    DEFAULT_QUEUE_CONTEXTS,
    CallTracker,
)
from netdesk.phone.ami_post import (
    DEFAULT_MAX_PENDING,
    DEFAULT_TIMEOUT,
    CtiPoster,
    PostCounts,
    cti_url_redacted,
)

logger = logging.getLogger("netdesk.phone.ami_bridge")

# The AMI events the bridge reads; all are in the "call" and "agent" classes,
# the only read rights its manager.conf user needs.
AMI_EVENTS = ("Newchannel", "QueueCallerJoin", "DialBegin", "DialEnd", "BridgeEnter", "Hangup")
RECONNECT_FIRST = 1.0
RECONNECT_MAX = 60.0


class BridgeRefused(Exception):
    """Asterisk refused the bridge's login: retrying would not help."""


@dataclass(frozen=True)
class BridgeSettings:
    """How to reach Asterisk and the desk. The secret is never shown (repr)."""

    ami_host: str
    ami_port: int
    ami_user: str
    ami_secret: str = field(repr=False)
    cti_url: str
    queue_contexts: tuple[str, ...] = DEFAULT_QUEUE_CONTEXTS
    extension_pattern: str = DEFAULT_EXTENSION_PATTERN
    post_timeout: float = DEFAULT_TIMEOUT
    max_pending: int = DEFAULT_MAX_PENDING
    reconnect_first: float = RECONNECT_FIRST
    reconnect_max: float = RECONNECT_MAX
    retry_first: float = 1.0
    retry_max: float = 60.0


def cti_url_problem(url: str) -> str | None:
    """Why `url` cannot be the CTI endpoint's address, or None if it can."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return f"{url!r} is not an http:// or https:// address"
    if "/cti/" not in parts.path or parts.path.rstrip("/").endswith("/cti"):
        return (
            f"{cti_url_redacted(url)} has no CTI endpoint path; give the whole address "
            "`netdesk cti endpoint create` printed, https://desk/api/v1/cti/<token>"
        )
    return None


class _SecretFilter(logging.Filter):
    """Keeps the AMI secret out of every log line, whoever writes it."""

    def __init__(self, secret: str) -> None:
        super().__init__()
        self.secret = secret

    def filter(self, record: logging.LogRecord) -> bool:
        if self.secret and self.secret in record.getMessage():
            record.msg = record.getMessage().replace(self.secret, "********")
            record.args = ()
        return True


class BridgeManager(Manager):
    """panoramisk's Manager, with a growing pause between reconnections, an
    end to reconnecting once stopped, and a refused login reported instead
    of ignored."""

    def __init__(self, *, reconnect_first: float, reconnect_max: float, **config: Any) -> None:
        super().__init__(**config)
        self.reconnect_first = reconnect_first
        self.reconnect_max = reconnect_max
        self.reconnect_timeout = reconnect_first
        self.stopping = False
        self.refused: asyncio.Future[str] = self.loop.create_future()
        self.where = f"{config['host']}:{config['port']}"

    def connect(self, *args: Any, **kwargs: Any) -> Any:
        if self.stopping:
            return None
        return super().connect(*args, **kwargs)

    def connection_made(self, f: asyncio.Future[Any]) -> None:
        if self.stopping:
            if not f.cancelled() and f.exception() is None:
                f.result()[0].close()
            return
        failed = f.cancelled() or f.exception() is not None
        if failed:
            logger.warning(
                "cannot reach Asterisk's AMI at %s: %s; trying again in %.3g s",
                self.where,
                "cancelled" if f.cancelled() else f.exception(),
                self.reconnect_timeout,
            )
        super().connection_made(f)
        if failed:
            self._grow_pause()

    def connection_lost(self, exc: Any) -> None:
        if self.stopping:
            return
        logger.warning(
            "lost the AMI connection to %s; trying again in %.3g s",
            self.where,
            self.reconnect_timeout,
        )
        super().connection_lost(exc)
        self._grow_pause()

    def _grow_pause(self) -> None:
        # panoramisk has scheduled the next try after reconnect_timeout; the
        # pause after that one doubles, so a long outage costs few attempts.
        self.reconnect_timeout = min(self.reconnect_timeout * 2, self.reconnect_max)

    def login(self, future: asyncio.Future[Any]) -> bool:
        accepted = bool(super().login(future))
        if accepted:
            self.reconnect_timeout = self.reconnect_first
            logger.info(
                "signed in to Asterisk's AMI at %s as %s", self.where, self.config["username"]
            )
        elif not self.refused.done():
            answer = future.result()
            # "Response: Error" carries a Message; panoramisk reads the last
            # line of a "Response: Fail" as its content instead.
            # Depending on how the answer arrived in packets, that content
            # may still carry its "Message: " header.
            said = str(answer.get("Message", "") or getattr(answer, "content", "") or "")
            said = said.removeprefix("Message:").strip()
            self.refused.set_result(said or "no reason given")
        return accepted

    def stop(self) -> None:
        self.stopping = True
        self.close()


async def bridge_run(settings: BridgeSettings, *, stop: asyncio.Event) -> PostCounts:
    """Run the bridge until `stop` is set; raises BridgeRefused when Asterisk
    refuses the login. Returns what became of the events."""
    loop = asyncio.get_running_loop()
    ami_log = logging.getLogger("netdesk.phone.ami_bridge.ami")
    ami_log.addFilter(_SecretFilter(settings.ami_secret))
    tracker = CallTracker(
        extension_pattern=settings.extension_pattern, queue_contexts=settings.queue_contexts
    )
    poster = CtiPoster(
        url=settings.cti_url,
        timeout=settings.post_timeout,
        max_pending=settings.max_pending,
        retry_first=settings.retry_first,
        retry_max=settings.retry_max,
    )
    manager = BridgeManager(
        host=settings.ami_host,
        port=settings.ami_port,
        username=settings.ami_user,
        secret=settings.ami_secret,
        # Only the classes the bridge reads, so Asterisk sends nothing else.
        events="call,agent",
        loop=loop,
        log=ami_log,
        reconnect_first=settings.reconnect_first,
        reconnect_max=settings.reconnect_max,
    )

    def on_event(_manager: Manager, event: Any) -> None:
        for fields in tracker.handle(event):
            poster.submit(fields)

    for name in AMI_EVENTS:
        manager.register_event(name, on_event)
    logger.info(
        "bridge from Asterisk at %s to the desk at %s",
        manager.where,
        cti_url_redacted(settings.cti_url),
    )
    posting = asyncio.create_task(poster.run(stop))
    manager.connect()
    stopped: asyncio.Future[Any] = asyncio.ensure_future(stop.wait())
    refused: asyncio.Future[Any] = manager.refused
    try:
        await asyncio.wait({stopped, refused}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        stopped.cancel()
        manager.stop()
        stop.set()
        await posting
    if manager.refused.done():
        raise BridgeRefused(
            f"Asterisk at {manager.where} refused the login of AMI user "
            f"{settings.ami_user!r}: {manager.refused.result()}. Check the user and its secret "
            "in manager.conf (and its permit= addresses)."
        )
    return poster.counts
