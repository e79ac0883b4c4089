"""A small read-only NetBox REST API client: token authentication,
pagination by following `next` links, and errors that say what to do.

The token is sent only to the NetBox given: redirects are not followed and
a `next` link to another address is refused, so the token cannot travel to
another host. It never appears in messages or in repr()."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlencode, urlsplit

from netdesk.core.errors import ImportFailed

DEFAULT_PAGE_SIZE = 500
DEFAULT_TIMEOUT = 30.0
# 10,000 pages of 500: five million objects, far beyond any NetBox list; a
# NetBox (or a proxy) whose next links never end must not hold the import forever.
DEFAULT_MAX_PAGES = 10_000


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, req, fp, code, msg, headers, newurl):  # type: ignore[no-untyped-def]  # noqa: ARG002  # urllib's signature
        return None  # the 3xx answer is raised as an HTTPError and explained


def _origin(url: str) -> tuple[str, str]:
    parts = urlsplit(url)
    return parts.scheme.lower(), parts.netloc.lower()


class NetBoxClient:
    """Reads lists from one NetBox (`https://netbox.example.net`)."""

    def __init__(
        self,
        url: str,
        token: str,
        *,
        page_size: int = DEFAULT_PAGE_SIZE,
        timeout: float = DEFAULT_TIMEOUT,
        max_pages: int = DEFAULT_MAX_PAGES,
    ) -> None:
        parts = urlsplit(url.strip())
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ImportFailed(
                f"--url {url!r} is not accepted; give NetBox's address with http:// or "
                "https://, e.g. https://netbox.example.net"
            )
        base = url.strip().rstrip("/")
        if base.endswith("/api"):
            base = base[: -len("/api")]
        if not token:
            raise ImportFailed("The NetBox token is empty.")
        self.base = base
        self.host = parts.netloc
        self.page_size = page_size
        self.timeout = timeout
        self.max_pages = max_pages
        self.requests = 0
        self._token = token
        self._opener = urllib.request.build_opener(_NoRedirects)

    def __repr__(self) -> str:
        return f"NetBoxClient({self.base!r})"

    def objects(self, endpoint: str, **filters: str) -> Iterator[tuple[int | None, Any]]:
        """Every object of a list endpoint ("dcim/devices"), page by page,
        each with the count NetBox reports (for a progress bar). A next link
        to a page already read, or more than `max_pages` pages, stops it."""
        query = urlencode({"limit": self.page_size, **filters})
        url: str | None = f"{self.base}/api/{endpoint.strip('/')}/?{query}"
        read: set[str] = set()
        while url is not None:
            if url in read:
                raise ImportFailed(
                    f"NetBox's next-page link repeats a page already read ({self._shown(url)}, "
                    f"{self._query(url)}); stopping rather than reading it forever. Check "
                    "NetBox's pagination (MAX_PAGE_SIZE) and any proxy in front of it."
                )
            if len(read) == self.max_pages:
                raise ImportFailed(
                    f"NetBox's list {self._shown(url)} runs to more than {self.max_pages:,} "
                    f"pages of {self.page_size}; stopping. Is its next link sound?"
                )
            read.add(url)
            page = self.get(url)
            if not isinstance(page, dict) or not isinstance(page.get("results"), list):
                raise ImportFailed(
                    f"NetBox answered {self._shown(url)} with something other than a list "
                    "page (expected an object with count, next and results)."
                )
            count = page.get("count") if isinstance(page.get("count"), int) else None
            for item in page["results"]:
                yield count, item
            url = self._next(page.get("next"), url)

    def _next(self, link: Any, current: str) -> str | None:
        if link in (None, ""):
            return None
        if not isinstance(link, str) or _origin(link) != _origin(self.base):
            raise ImportFailed(
                f"NetBox's next-page link {link!r} (after {self._shown(current)}) points away "
                f"from {self.base}; not following it with the token. Check NetBox's "
                "BASE_PATH and the proxy's Host header, or give --url as NetBox sees itself."
            )
        return link

    def _query(self, url: str) -> str:
        return urlsplit(url).query or "no query"

    def _shown(self, url: str) -> str:
        """The URL as messages show it: path only, no query."""
        return urlsplit(url).path or "/"

    def get(self, url: str) -> Any:
        request = urllib.request.Request(  # noqa: S310 (scheme checked in __init__)
            url,
            headers={
                "Authorization": f"Token {self._token}",
                "Accept": "application/json",
                "User-Agent": "NetDesk inventory import",
            },
        )
        self.requests += 1
        try:
            with self._opener.open(request, timeout=self.timeout) as answer:
                body = answer.read()
        except urllib.error.HTTPError as exc:
            raise ImportFailed(self._refusal(exc, url)) from None
        except (urllib.error.URLError, TimeoutError, OSError) as exc:
            reason = getattr(exc, "reason", exc)
            raise ImportFailed(f"Cannot reach NetBox at {self.base}: {reason}.") from None
        try:
            return json.loads(body)
        except ValueError:
            raise ImportFailed(
                f"NetBox answered {self._shown(url)} with something that is not JSON "
                f"(starts {body[:60]!r}); is {self.base} a NetBox?"
            ) from None

    def _refusal(self, exc: urllib.error.HTTPError, url: str) -> str:
        where = f"{self.base}{self._shown(url)}"
        if exc.code in (401, 403):
            return (
                f"NetBox refused the token (HTTP {exc.code}) for {where}: check that the "
                "environment variable named by --token-env holds a valid NetBox API token "
                "with read permission."
            )
        if exc.code == 404:
            return f"NetBox has no {where} (HTTP 404): is --url NetBox's address?"
        if 300 <= exc.code < 400:
            return (
                f"NetBox redirected {where} to {exc.headers.get('Location')!r} (HTTP "
                f"{exc.code}); give that address as --url (the token is not sent on redirects)."
            )
        return f"NetBox answered {where} with HTTP {exc.code} {exc.reason}."
