"""An agent's own notifications in the API: the list (unread first, paged)
and marking them read. Nobody reads or marks another user's."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from django.http import HttpRequest
from ninja import Query, Router, Schema
from pydantic import Field

from netdesk.accounts.models import User
from netdesk.core.errors import NotFound
from netdesk.core.schemas import MAX_ID, InputSchema, OutputSchema, answers
from netdesk.notifications.models import Notification
from netdesk.notifications.selectors import (
    PAGE_SIZE,
    PAGE_SIZE_MAX,
    notification_of,
    notifications_page,
    notifications_unread_count,
)
from netdesk.notifications.services import notifications_mark_read

router = Router(tags=["notifications"])


class NotificationOut(OutputSchema):
    id: int
    kind: str
    title: str
    url: str
    ticket: str | None
    created_at: datetime
    read_at: datetime | None


class NotificationPageOut(OutputSchema):
    items: list[NotificationOut]
    page: int
    has_next: bool
    unread: int


class PageQuery(Schema):
    page: int = Field(1, ge=1, le=1_000_000)
    size: int = Field(PAGE_SIZE, ge=1, le=PAGE_SIZE_MAX)


class ReadIn(InputSchema):
    ids: list[Annotated[int, Field(ge=1, le=MAX_ID)]] | None = Field(None, max_length=500)
    all: bool = False


class ReadOut(OutputSchema):
    marked: int
    unread: int


def notification_out(row: Notification) -> dict[str, Any]:
    return {
        "id": row.pk,
        "kind": row.kind,
        "title": row.title,
        "url": row.url,
        "ticket": row.ticket.reference if row.ticket is not None else None,
        "created_at": row.created_at,
        "read_at": row.read_at,
    }


def _user(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)
    return user


@router.get(
    "",
    response=answers(NotificationPageOut),
    summary="The caller's notifications, unread first, newest first",
)
def notification_list(request: HttpRequest, query: Query[PageQuery]) -> dict[str, Any]:
    found = notifications_page(user=_user(request), page=query.page, size=query.size)
    return {
        "items": [notification_out(row) for row in found.items],
        "page": found.page,
        "has_next": found.has_next,
        "unread": found.unread,
    }


@router.post(
    "/read",
    response=answers(ReadOut),
    summary="Mark the caller's notifications read: those of `ids`, or `all`",
)
def notification_read(request: HttpRequest, body: ReadIn) -> dict[str, Any]:
    user = _user(request)
    marked = notifications_mark_read(
        user=user, ids=body.ids if not body.all else None, every=body.all
    )
    return {"marked": marked, "unread": notifications_unread_count(user=user)}


@router.post(
    "/{notification_id}/read",
    response=answers(ReadOut),
    summary="Mark one of the caller's notifications read (404 for anyone else's)",
)
def notification_read_one(request: HttpRequest, notification_id: int) -> dict[str, Any]:
    user = _user(request)
    if notification_of(user=user, notification_id=notification_id) is None:
        raise NotFound(f"You have no notification {notification_id}.")
    marked = notifications_mark_read(user=user, ids=[notification_id])
    return {"marked": marked, "unread": notifications_unread_count(user=user)}
