"""GET /tickets/export: a ticket list as a CSV or XLSX file."""

from __future__ import annotations

from django.http import HttpRequest
from django.http.response import HttpResponseBase
from ninja import Router

from netdesk.accounts.permissions import user_of
from netdesk.core.schemas import Problem
from netdesk.core.xlsxexport import XLSX_TYPE
from netdesk.tickets.exports import EXPORTS_PER_MINUTE, ticket_export_response

router = Router()


@router.get(
    "/export",
    response={400: Problem, 401: Problem, 403: Problem, 422: Problem, 429: Problem},
    summary="Export tickets as CSV or XLSX (format=csv|xlsx and the list's filters)",
    description=(
        "The tickets the list's parameters select (the same as GET /tickets: group, status, "
        "open, priority, type, assignee, customer, channel, created_after, ... and order), "
        "as far as the caller may see them. CSV is streamed row by row; XLSX is built on disk "
        f"first. At most {EXPORTS_PER_MINUTE} exports a minute per user."
    ),
    openapi_extra={
        "responses": {
            200: {
                "description": "The file, as an attachment",
                "content": {"text/csv": {}, XLSX_TYPE: {}},
            }
        }
    },
)
def export_tickets(request: HttpRequest) -> HttpResponseBase:
    return ticket_export_response(
        user=user_of(request),
        params=request.GET,
        file_format=request.GET.get("format", "csv"),
    )
