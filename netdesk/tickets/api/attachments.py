"""Ticket endpoints for attachments: upload and download."""

from __future__ import annotations

from typing import Annotated, Any

from django.db import transaction
from django.http import FileResponse, HttpRequest
from ninja import Field, File, Router, Status
from ninja.files import UploadedFile

from netdesk.accounts.permissions import Action, require, user_of
from netdesk.core.schemas import MAX_ID, OutputSchema, answers
from netdesk.tickets import services
from netdesk.tickets.selectors import (
    attachment_response,
    ticket_get,
)

router = Router()


class AttachmentOut(OutputSchema):
    id: int
    filename: str
    content_type: str
    size: int


@router.post(
    "/{ref}/attachments",
    response=answers(AttachmentOut, 201),
    summary="Attach a file (size and type limits apply)",
)
def add_attachment(request: HttpRequest, ref: str, file: File[UploadedFile]) -> Status[Any]:
    user = user_of(request)
    require(user, Action.NOTE_ADD)
    with transaction.atomic():
        ticket = ticket_get(user=user, ref=ref, for_update=True)
        attachment = services.attachment_add(actor=user, ticket=ticket, upload=file)
    return Status(
        201,
        {
            "id": attachment.pk,
            "filename": attachment.filename,
            "content_type": attachment.content_type,
            "size": attachment.size,
        },
    )


@router.get(
    "/{ref}/attachments/{attachment_id}",
    response=answers(None),
    summary="Download an attachment",
    openapi_extra={
        "responses": {200: {"description": "the file", "content": {"application/octet-stream": {}}}}
    },
)
def get_attachment(
    request: HttpRequest, ref: str, attachment_id: Annotated[int, Field(ge=1, le=MAX_ID)]
) -> FileResponse:
    user = user_of(request)
    require(user, Action.TICKET_VIEW)
    ticket = ticket_get(user=user, ref=ref)
    return attachment_response(ticket=ticket, attachment_id=attachment_id)
