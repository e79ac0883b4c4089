"""The queue's export links: the list on screen (its filters, what the
reader may see) as a CSV or XLSX file."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.views.decorators.http import require_GET

from netdesk.accounts.permissions import user_of
from netdesk.core.errors import PermissionDenied, ServiceError
from netdesk.customers.views import desk_view
from netdesk.tickets.exports import ticket_export_response


def _export(request: HttpRequest, file_format: str) -> HttpResponseBase:
    try:
        return ticket_export_response(
            user=user_of(request), params=request.GET, file_format=file_format
        )
    except PermissionDenied:
        raise  # the 403 page
    except ServiceError as error:
        # A link followed from the queue: a short page that names the filter.
        accepted = f" Accepted: {error.accepted}." if error.accepted is not None else ""
        return HttpResponse(
            f"No export: {error.message}{accepted}",
            status=error.status,
            content_type="text/plain; charset=utf-8",
        )


@require_GET
@desk_view
def tickets_export_csv(request: HttpRequest) -> HttpResponseBase:
    return _export(request, "csv")


@require_GET
@desk_view
def tickets_export_xlsx(request: HttpRequest) -> HttpResponseBase:
    return _export(request, "xlsx")
