"""Per-request behaviour every page shares: times in the agent's own zone
(everything is stored in UTC), one reading of the memos' data versions, and
the Content-Security-Policy header."""

from __future__ import annotations

import contextlib
import zoneinfo
from collections.abc import Callable

from django.conf import settings
from django.core.exceptions import BadRequest, SuspiciousOperation
from django.http import (
    HttpRequest,
    HttpResponse,
    HttpResponseBadRequest,
    JsonResponse,
    UnreadablePostError,
)
from django.utils import timezone

from netdesk.core.memo import data_versions_per_request
from netdesk.core.text import ACCEPTED, printable_excerpt, unstorable_problem


class UserTimezoneMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        zone_name = getattr(user, "time_zone", "") if user is not None else ""
        if zone_name:
            try:
                timezone.activate(zoneinfo.ZoneInfo(zone_name))
            except zoneinfo.ZoneInfoNotFoundError:
                timezone.deactivate()
        else:
            timezone.deactivate()
        return self.get_response(request)


class DataVersionsMiddleware:
    """The memos' version tokens are read once per request (`netdesk.core.memo`)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        with data_versions_per_request():
            return self.get_response(request)


class ContentSecurityPolicyMiddleware:
    """Sends NETDESK_CONTENT_SECURITY_POLICY with every answer: the pages
    load scripts and styles from the desk itself only, so an injected
    inline script does not run."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        response.headers.setdefault(
            "Content-Security-Policy", settings.NETDESK_CONTENT_SECURITY_POLICY
        )
        return response


class UnstorableTextMiddleware:
    """Refuses, with 400, a request whose path, query string or form fields
    hold text the database cannot store (netdesk.core.text), naming the
    parameter, before any view can pass it to a query. JSON bodies are
    checked by InputSchema, which names the field inside the body."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        found = _unstorable_parameter(request)
        if found is None:
            return self.get_response(request)
        where, name, value, problem = found
        detail = f"The {where} {name} {problem}."
        if not request.path.startswith("/api/"):
            return HttpResponseBadRequest(detail, content_type="text/plain; charset=utf-8")
        error = {
            "field": name,
            "value": value,
            "message": f"{name} {problem}",
            "accepted": ACCEPTED,
        }
        body = {
            "type": "https://netdesk.example/problems/unstorable-text",
            "title": "A parameter holds text the desk cannot store",
            "status": 400,
            "detail": detail,
            "instance": request.path,
            "errors": [error],
        }
        return JsonResponse(body, status=400, content_type="application/problem+json")


def _unstorable_parameter(request: HttpRequest) -> tuple[str, str, str, str] | None:
    """(where, name, value, problem) of the first parameter at fault, if any."""
    problem = unstorable_problem(request.path_info)
    if problem is not None:
        return "path", "path", printable_excerpt(request.path_info), problem
    sources = [("query parameter", request.GET)]
    if request.method == "POST" and request.content_type == "application/x-www-form-urlencoded":
        # An unreadable body (too large, too many fields) is Django's and the
        # view's to refuse, as it would be without this check.
        with contextlib.suppress(SuspiciousOperation, BadRequest, UnreadablePostError):
            sources.append(("form field", request.POST))
    for where, parameters in sources:
        for name, values in parameters.lists():
            for text in (name, *values):
                problem = unstorable_problem(text)
                if problem is not None:
                    return where, printable_excerpt(name), printable_excerpt(text), problem
    return None
