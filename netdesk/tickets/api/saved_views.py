"""Saved queue views: GET/POST /ticket-views, PATCH/DELETE /ticket-views/{id}.
A view is read with GET /tickets?view=<id>. Another user's private view, or
one shared with a group the caller is not in, does not exist for them (404)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.http import HttpRequest
from ninja import Field, Router, Status

from netdesk.accounts.models import SupportGroup, User
from netdesk.accounts.permissions import Action, require, user_of
from netdesk.core.errors import ValidationFailed
from netdesk.core.schemas import MAX_ID, InputSchema, OutputSchema, answers
from netdesk.tickets.models import SavedView
from netdesk.tickets.models.views import QUEUE_COLUMNS
from netdesk.tickets.saved_view_selectors import (
    queue_default_of,
    saved_view_get,
    saved_views_visible_to,
)
from netdesk.tickets.schemas import Ref
from netdesk.tickets.services.saved_views import (
    queue_default_set,
    saved_view_create,
    saved_view_delete,
    saved_view_update,
)

router = Router(tags=["ticket views"])
QUERY_HELP = (
    "the ticket list's filter parameters (as GET /tickets takes them), "
    'each a list of values: {"group": ["3"], "sla_state": ["warning", "breached"]}'
)


class SavedViewOut(OutputSchema):
    id: int
    name: str
    owner: str
    shared_with: Ref | None
    query: dict[str, list[str]]
    order: str
    columns: list[str]
    is_default: bool
    created_at: datetime
    updated_at: datetime


class SavedViewList(OutputSchema):
    items: list[SavedViewOut]


class SavedViewIn(InputSchema):
    name: str = Field(..., min_length=1, max_length=100)
    query: dict[str, list[str]] = Field(default_factory=dict, description=QUERY_HELP)
    order: str = Field("priority", max_length=20, description="due, priority, -created, created")
    columns: list[str] | None = Field(
        None, max_length=len(QUEUE_COLUMNS), description=", ".join(QUEUE_COLUMNS)
    )
    shared_with_id: int | None = Field(None, ge=1, le=MAX_ID, description="a group; null: private")
    make_default: bool = False


class SavedViewPatchIn(InputSchema):
    name: str | None = Field(None, min_length=1, max_length=100)
    query: dict[str, list[str]] | None = Field(None, description=QUERY_HELP)
    order: str | None = Field(None, max_length=20)
    columns: list[str] | None = Field(None, max_length=len(QUEUE_COLUMNS))
    shared_with_id: int | None = Field(None, ge=1, le=MAX_ID, description="null: private")
    make_default: bool | None = Field(None, description="true: the queue opens on it; false: not")


def _out(view: SavedView, default_id: int | None) -> dict[str, Any]:
    group = view.shared_with
    return {
        "id": view.pk,
        "name": view.name,
        "owner": view.owner.username,
        "shared_with": {"id": group.pk, "name": group.name} if group else None,
        "query": view.query,
        "order": view.order,
        "columns": view.columns,
        "is_default": view.pk == default_id,
        "created_at": view.created_at,
        "updated_at": view.updated_at,
    }


def _default_id(user: User) -> int | None:
    default = queue_default_of(user)
    return default.pk if default else None


def _group(group_id: int | None) -> SupportGroup | None:
    if group_id is None:
        return None
    group = SupportGroup.objects.filter(pk=group_id, is_active=True).first()
    if group is None:
        raise ValidationFailed(
            f"No active group has id {group_id}.",
            field="shared_with_id",
            value=group_id,
            accepted="the id of one of your groups, or null",
        )
    return group


@router.get("", response=answers(SavedViewList), summary="Your views and those shared with you")
def list_views(request: HttpRequest) -> dict[str, Any]:
    user = user_of(request)
    require(user, Action.TICKET_VIEW)
    default_id = _default_id(user)
    return {"items": [_out(v, default_id) for v in saved_views_visible_to(user)]}


@router.post("", response=answers(SavedViewOut, 201), summary="Save a view of the ticket list")
def create_view(request: HttpRequest, payload: SavedViewIn) -> Status[Any]:
    user = user_of(request)
    view = saved_view_create(
        actor=user,
        name=payload.name,
        query=payload.query,
        order=payload.order,
        columns=payload.columns,
        shared_with=_group(payload.shared_with_id),
        make_default=payload.make_default,
    )
    return Status(201, _out(saved_view_get(user=user, view_id=view.pk), _default_id(user)))


@router.patch("/{view_id}", response=answers(SavedViewOut), summary="Change one of your views")
def patch_view(request: HttpRequest, view_id: int, payload: SavedViewPatchIn) -> dict[str, Any]:
    user = user_of(request)
    require(user, Action.TICKET_VIEW)
    saved_view_get(user=user, view_id=view_id)  # 404 when not visible
    given = payload.dict(exclude_unset=True)
    make_default = given.pop("make_default", None)
    changes = {k: v for k, v in given.items() if k != "shared_with_id"}
    if "shared_with_id" in given:
        changes["shared_with"] = _group(given["shared_with_id"])
    if changes:
        saved_view_update(actor=user, view_id=view_id, changes=changes)
    if make_default is not None:
        current = _default_id(user)
        if make_default:
            queue_default_set(actor=user, view_id=view_id)
        elif current == view_id:
            queue_default_set(actor=user, view_id=None)
    return _out(saved_view_get(user=user, view_id=view_id), _default_id(user))


@router.delete("/{view_id}", response=answers(None, 204), summary="Delete a view")
def delete_view(request: HttpRequest, view_id: int) -> Status[None]:
    user = user_of(request)
    require(user, Action.TICKET_VIEW)
    saved_view_get(user=user, view_id=view_id)  # 404 when not visible
    saved_view_delete(actor=user, view_id=view_id)
    return Status(204, None)
