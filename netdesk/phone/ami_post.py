"""Posting the bridge's CTI events to the desk, in order, form-encoded like
the Zammad generic CTI. What cannot be posted now (the desk is down, a 5xx,
a timeout) waits in a bounded queue in memory and is tried again with a
growing pause; what the desk refuses (a 4xx) is logged with its reason and
dropped, since sending it again would be refused again."""

from __future__ import annotations

import asyncio
import json
import logging
import time
import urllib.error
import urllib.request
from collections import deque
from dataclasses import dataclass
from enum import Enum
from http.client import HTTPException
from typing import Any
from urllib.parse import urlencode, urlsplit

from netdesk.phone.ami_calls import CtiFields

logger = logging.getLogger("netdesk.phone.ami_bridge")

DEFAULT_TIMEOUT = 5.0
DEFAULT_MAX_PENDING = 1000
RETRY_FIRST = 1.0
RETRY_MAX = 60.0
# Refusals that say "not now" rather than "never": tried again.
RETRYABLE_4XX = frozenset({408, 425, 429})


class Delivery(Enum):
    POSTED = "posted"
    REFUSED = "refused"
    RETRY = "retry"


def cti_url_redacted(url: str) -> str:
    """The CTI URL as logs show it: the token in its path is a secret, so only
    its first characters (the prefix `netdesk cti endpoint list` shows) stay."""
    parts = urlsplit(url)
    head, _, token = parts.path.rstrip("/").rpartition("/")
    return f"{parts.scheme}://{parts.netloc}{head}/{token[:10]}…"


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    # urllib would follow a redirect of a POST as a GET without the event;
    # a redirect is reported as the desk's answer instead (use the final URL).
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


def _reason(status: int, body: bytes) -> str:
    """What the desk said about a refused event: a problem document's detail
    (RFC 9457), else the start of its body."""
    text = body[:2000].decode("utf-8", "replace")
    try:
        problem = json.loads(text)
    except ValueError:
        return f"{status} {text[:200].strip()}"
    if isinstance(problem, dict):
        said = problem.get("detail") or problem.get("title") or ""
        return f"{status} {said}".strip()
    return f"{status} {text[:200].strip()}"


@dataclass
class PostCounts:
    """What became of the events the bridge handed over."""

    posted: int = 0
    refused: int = 0
    retried: int = 0
    dropped_full: int = 0
    left_unposted: int = 0

    def summary(self) -> str:
        return (
            f"{self.posted} posted, {self.refused} refused by the desk, "
            f"{self.retried} retries, {self.dropped_full} dropped (queue full), "
            f"{self.left_unposted} unposted at exit"
        )


class CtiPoster:
    """One queue of CTI events, posted one at a time in the order they came,
    so a call's answer never overtakes its newCall."""

    def __init__(
        self,
        *,
        url: str,
        timeout: float = DEFAULT_TIMEOUT,
        max_pending: int = DEFAULT_MAX_PENDING,
        retry_first: float = RETRY_FIRST,
        retry_max: float = RETRY_MAX,
    ) -> None:
        self.url = url
        self.timeout = timeout
        self.max_pending = max_pending
        self.retry_first = retry_first
        self.retry_max = retry_max
        self.pending: deque[CtiFields] = deque()
        self.counts = PostCounts()
        self.arrived = asyncio.Event()
        self.opener = urllib.request.build_opener(_NoRedirects)

    def submit(self, fields: CtiFields) -> None:
        if len(self.pending) >= self.max_pending:
            lost = self.pending.popleft()
            self.counts.dropped_full += 1
            logger.error(
                "retry queue full (%d events): dropped %s of call %s",
                self.max_pending,
                lost.get("event"),
                lost.get("callId"),
            )
        self.pending.append(fields)
        self.arrived.set()

    def post_once(self, fields: CtiFields) -> Delivery:
        """Post one event (blocking): posted, refused for good, or to retry."""
        request = urllib.request.Request(  # noqa: S310 (scheme checked: http or https)
            self.url,
            data=urlencode(fields).encode(),
            headers={
                "Content-Type": "application/x-www-form-urlencoded",
                "Accept": "application/json",
                "User-Agent": "netdesk-ami-bridge",
            },
            method="POST",
        )
        what = f"{fields.get('event')} of call {fields.get('callId')}"
        try:
            with self.opener.open(request, timeout=self.timeout) as answer:
                answer.read()
        except urllib.error.HTTPError as exc:
            reason = _reason(exc.code, exc.read())
            if 400 <= exc.code < 500 and exc.code not in RETRYABLE_4XX:
                logger.warning("the desk refused %s: %s; dropped", what, reason)
                return Delivery.REFUSED
            if 300 <= exc.code < 400:
                logger.warning(
                    "the desk redirected %s (%s to %s); give --cti-url the final address",
                    what,
                    exc.code,
                    exc.headers.get("Location", "?"),
                )
                return Delivery.REFUSED
            logger.warning("the desk could not take %s now: %s; will retry", what, reason)
            return Delivery.RETRY
        except (OSError, HTTPException) as exc:
            # URLError, timeouts and refused connections are OSErrors.
            logger.warning(
                "cannot reach the desk at %s for %s: %s; will retry",
                cti_url_redacted(self.url),
                what,
                getattr(exc, "reason", exc),
            )
            return Delivery.RETRY
        return Delivery.POSTED

    async def run(self, stop: asyncio.Event, *, drain_seconds: float = 5.0) -> None:
        """Post until `stop` is set; then try what is left for `drain_seconds`."""
        pause = self.retry_first
        deadline: float | None = None
        while True:
            if stop.is_set() and deadline is None:
                deadline = time.monotonic() + drain_seconds
            if deadline is not None and (not self.pending or time.monotonic() >= deadline):
                break
            if not self.pending:
                self.arrived.clear()
                await _first_of(self.arrived, stop, timeout=None)
                continue
            fields = self.pending[0]
            delivery = await asyncio.to_thread(self.post_once, fields)
            if delivery is Delivery.RETRY:
                self.counts.retried += 1
                if deadline is not None:
                    break  # stopping: no waiting for a desk that is down
                await _first_of(stop, timeout=pause)
                pause = min(pause * 2, self.retry_max)
                continue
            pause = self.retry_first
            if self.pending and self.pending[0] is fields:
                self.pending.popleft()
            if delivery is Delivery.POSTED:
                self.counts.posted += 1
            else:
                self.counts.refused += 1
        self.counts.left_unposted = len(self.pending)
        if self.pending:
            logger.error(
                "%d events could not be posted to the desk before exit and are lost",
                len(self.pending),
            )


async def _first_of(*events: asyncio.Event, timeout: float | None) -> None:
    waiters = [asyncio.ensure_future(event.wait()) for event in events]
    try:
        await asyncio.wait(waiters, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for waiter in waiters:
            waiter.cancel()
