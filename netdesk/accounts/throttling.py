"""How often a client may try to sign in, and a user call the API.

Failed sign-ins are counted by django-axes in the database; API calls per
user in the database too (netdesk.core.ratelimit, one atomic statement per
call). Neither count lives in one process's memory, so every web process of
a scaled-out desk refuses alike.
"""

from __future__ import annotations

import logging
import time
from contextvars import ContextVar
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from ninja.throttling import BaseThrottle

from netdesk.config import parse_rate
from netdesk.core.ratelimit import RateTally

logger = logging.getLogger(__name__)


def client_address(request: HttpRequest) -> str:
    """The client's address: the connection's, or the one the nearest
    trusted proxy appended to X-Forwarded-For. Entries further left were
    written by the client and are not believed."""
    proxies = settings.NETDESK_PROXY_COUNT
    remote = str(request.META.get("REMOTE_ADDR", ""))
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    if proxies <= 0 or not forwarded:
        return remote
    hops = [hop.strip() for hop in str(forwarded).split(",") if hop.strip()]
    if not hops:
        return remote
    return hops[-min(proxies, len(hops))]


def sign_in_locked_out(
    # django-axes' lockout callable signature
    request: HttpRequest,
    original_response: HttpResponse | None,  # noqa: ARG001
    credentials: dict[str, Any],
) -> HttpResponse:
    """The sign-in page again, saying why and for how long (django-axes'
    lockout answer, for /login/ and /admin/login/ alike)."""
    minutes = int(settings.AXES_COOLOFF_TIME.total_seconds() // 60)
    username = (credentials or {}).get("username") or request.POST.get("username", "")
    logger.warning(
        "Sign-in refused: too many failed sign-ins for account %r or from address %s",
        username,
        client_address(request),
    )
    response = render(
        request,
        "login.html",
        {
            "locked_out_minutes": minutes,
            "next": request.POST.get("next", ""),
        },
        status=429,
    )
    response["Retry-After"] = str(int(settings.AXES_COOLOFF_TIME.total_seconds()))
    return response


# How long the refused request should wait, handed from allow_request() to
# wait(); a context variable because one throttle object serves every thread.
_retry_after: ContextVar[float | None] = ContextVar("retry_after", default=None)


# The API's allowance per user: large, asked on every call, so counted in the
# database in small batches (netdesk.core.ratelimit.RateTally).
api_tally = RateTally()


class UserRateThrottle(BaseThrottle):
    """At most NETDESK_API_RATE requests per user per period, counted in
    fixed windows in the database. Holds no per-request state itself."""

    def allow_request(self, request: HttpRequest) -> bool:
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return True
        limit, period = parse_rate(settings.NETDESK_API_RATE)
        now = time.time()
        window = int(now // period)
        count = api_tally.bump(key=f"api:{user.pk}:{period}", period_start=window, limit=limit)
        if count <= limit:
            return True
        if count == limit + 1:
            # Once per window, not once per refused request.
            logger.warning(
                "API throttled: user %s sent more than %s",
                user.get_username(),
                settings.NETDESK_API_RATE,
            )
        _retry_after.set((window + 1) * period - now)
        return False

    def wait(self) -> float | None:
        return _retry_after.get()
