"""The desk's own error pages (400/413 and 404), its favicon and the
health check that load balancers ask.

Under /api/ the errors are problem documents, elsewhere pages; a 404 shows
the desk's own message ("TT-000123 has no attachment 4") but never the URL
resolver's internals.
"""

from __future__ import annotations

import sys
from pathlib import Path

from django.db import DatabaseError, connection
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import Resolver404
from django.views.decorators.cache import cache_control, never_cache
from django.views.decorators.http import require_safe
from django.views.defaults import server_error as django_server_error

from netdesk.core.connections import busy_response, database_busy
from netdesk.core.refusals import Refusal, problem_response, refusal_for

API_PREFIX = "/api/"
FAVICON = Path(__file__).resolve().parent.parent / "static" / "netdesk" / "favicon.ico"


def _refused(request: HttpRequest, refusal: Refusal) -> HttpResponse:
    if request.path.startswith(API_PREFIX):
        return problem_response(request, refusal)
    return render(request, "400.html", {"refusal": refusal}, status=refusal.status)


def bad_request(request: HttpRequest, exception: Exception) -> HttpResponse:
    """Django's handler400: a body it could not read, a suspicious request."""
    refusal = refusal_for(exception) or Refusal(
        400,
        "Bad request",
        "The request could not be read; check what was sent and try again.",
        "bad-request",
    )
    return _refused(request, refusal)


def not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    """Django's handler404."""
    message = ""
    if isinstance(exception, Http404) and not isinstance(exception, Resolver404):
        # A message the desk wrote itself (Http404("TT-… has no attachment 4")).
        first = exception.args[0] if exception.args else ""
        message = first if isinstance(first, str) else ""
    if request.path.startswith(API_PREFIX):
        return problem_response(
            request,
            Refusal(
                404,
                "No such record" if message else "No such endpoint",
                message or f"{request.path} is not an endpoint of this API; see /api/v1/docs.",
                "not-found",
            ),
        )
    return render(request, "404.html", {"message": message}, status=404)


def server_error(request: HttpRequest) -> HttpResponse:
    """Django's handler500: a database with no room for the request (out of
    connections, say) is a 503 the client may retry, not a fault."""
    exc = sys.exc_info()[1]
    if exc is not None and database_busy(exc):
        return busy_response(request)
    return django_server_error(request)


@require_safe
@cache_control(max_age=86400, public=True)
def favicon(request: HttpRequest) -> FileResponse:  # noqa: ARG001  # a Django view's signature
    return FileResponse(FAVICON.open("rb"), content_type="image/x-icon")


@require_safe
@never_cache
def healthz(request: HttpRequest) -> HttpResponse:  # noqa: ARG001  # a Django view's signature
    """200 while this process answers and reaches the database, else 503:
    a load balancer takes a process out when it stops answering either way.
    No sign-in and no rate limit, so the checks never count against users;
    one round trip to the database, so frequent checks stay cheap."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except DatabaseError:
        return HttpResponse("database unreachable\n", status=503, content_type="text/plain")
    return HttpResponse("ok\n", content_type="text/plain")
