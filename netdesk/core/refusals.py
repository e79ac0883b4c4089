"""Requests the desk cannot read (too large, a broken multipart body, too
many fields), turned into an answer that says why: one mapping for the API's
problem documents and the agent UI's error pages.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.exceptions import (
    BadRequest,
    RequestDataTooBig,
    TooManyFieldsSent,
    TooManyFilesSent,
)
from django.http import HttpRequest, JsonResponse, UnreadablePostError
from django.http.multipartparser import MultiPartParserError

from netdesk.core.errors import ServiceError

PROBLEM = "application/problem+json"
# What the desk cannot read, most specific first.
UNREADABLE: tuple[type[Exception], ...] = (
    RequestDataTooBig,
    TooManyFieldsSent,
    TooManyFilesSent,
    MultiPartParserError,
    UnreadablePostError,
    BadRequest,
)


@dataclass(frozen=True)
class Refusal:
    status: int
    title: str
    detail: str
    kind: str


def _mib(size: int) -> str:
    return f"{size / (1024 * 1024):g} MiB"


def refusal_for(exc: BaseException) -> Refusal | None:
    """Why a request could not be read, or None when `exc` is not about that."""
    if isinstance(exc, RequestDataTooBig):
        return Refusal(
            413,
            "Request body too large",
            f"The request body is larger than {_mib(settings.DATA_UPLOAD_MAX_MEMORY_SIZE)}, "
            "the most the desk reads; an attachment may be at most "
            f"{_mib(settings.NETDESK_ATTACHMENT_MAX_BYTES)}.",
            "request-too-large",
        )
    if isinstance(exc, TooManyFieldsSent):
        return Refusal(
            400,
            "Too many fields",
            f"The request sent more than {settings.DATA_UPLOAD_MAX_NUMBER_FIELDS} fields, "
            "the most the desk reads.",
            "too-many-fields",
        )
    if isinstance(exc, TooManyFilesSent):
        return Refusal(
            400,
            "Too many files",
            f"The request sent more than {settings.DATA_UPLOAD_MAX_NUMBER_FILES} files, "
            "the most the desk reads.",
            "too-many-files",
        )
    if isinstance(exc, MultiPartParserError | UnreadablePostError):
        return Refusal(
            400,
            "Request body could not be read",
            f"The multipart/form-data body could not be read ({exc}). Send a complete "
            "body whose parts are separated by the boundary named in Content-Type.",
            "unreadable-body",
        )
    if isinstance(exc, BadRequest):
        return Refusal(400, "Request body could not be read", f"{exc}", "unreadable-body")
    return None


def problem_body(
    request: HttpRequest,
    *,
    status: int,
    title: str,
    detail: str,
    kind: str,
    errors: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """An RFC 9457 problem document."""
    body: dict[str, Any] = {
        "type": f"https://netdesk.example/problems/{kind}",
        "title": title,
        "status": status,
        "detail": detail,
        "instance": request.path,
    }
    if errors:
        body["errors"] = errors
    return body


def problem_response(request: HttpRequest, refusal: Refusal) -> JsonResponse:
    return JsonResponse(
        problem_body(
            request,
            status=refusal.status,
            title=refusal.title,
            detail=refusal.detail,
            kind=refusal.kind,
        ),
        status=refusal.status,
        content_type=PROBLEM,
    )


def service_error_response(request: HttpRequest, error: ServiceError) -> JsonResponse:
    """A refused service call as an RFC 9457 problem (JSON views outside the
    REST API: the chat console, the macro picker)."""
    return JsonResponse(
        problem_body(
            request,
            status=error.status,
            title=error.title,
            detail=error.message,
            kind=error.kind,
            errors=[error.as_error()],
        ),
        status=error.status,
        content_type=PROBLEM,
    )
