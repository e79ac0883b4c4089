"""Writes of saved queue views: create, change, delete and the user's
default. A view's filters go through the list's own parser, so a view never
holds a parameter the queue would refuse.

Who may do what: only the owner changes a view. Deleting is the owner's,
and also that of whoever answers for the group a view is shared with (its
supervisor, a service desk manager, an administrator): a shared view that
misleads a team must not wait for its author to come back from holiday.
Sharing needs membership of the group (a supervisor or manager may share
with any group they answer for)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from django.db import IntegrityError, transaction

from netdesk.accounts.models import Role, SupportGroup, User
from netdesk.accounts.permissions import Action, require
from netdesk.core.errors import PermissionDenied, ValidationFailed
from netdesk.tickets.listing import FILTER_PARAMETERS, ORDERINGS, filter_from_params
from netdesk.tickets.models import QueueDefault, SavedView
from netdesk.tickets.models.views import QUEUE_COLUMNS
from netdesk.tickets.saved_view_selectors import saved_view_get

NAME_LIMIT = 100
MANAGING_ROLES = (Role.SERVICE_DESK_MANAGER, Role.ADMINISTRATOR)


def _clean_name(name: str) -> str:
    name = name.strip()
    if not name or len(name) > NAME_LIMIT:
        raise ValidationFailed(
            "A view needs a name of 1 to 100 characters.",
            field="name",
            value=name,
            accepted="a short name, e.g. 'NOC: due today'",
        )
    return name


def _clean_query(actor: User, query: Mapping[str, Any]) -> dict[str, list[str]]:
    """The filter parameters of the view as lists of text, checked by the
    list's parser (a bad one raises naming it); other names are dropped."""
    kept: dict[str, list[str]] = {}
    for name in FILTER_PARAMETERS:
        if name == "order":
            continue
        raw = query.get(name)
        values = raw if isinstance(raw, list | tuple) else [] if raw is None else [raw]
        texts = [str(v).strip() for v in values if str(v).strip()]
        if texts:
            kept[name] = texts
    filter_from_params(user=actor, params=kept)
    return kept


def _clean_order(order: str) -> str:
    if order not in ORDERINGS:
        raise ValidationFailed(
            f"order={order!r} is not accepted.",
            field="order",
            value=order,
            accepted=sorted(ORDERINGS),
        )
    return order


def _clean_columns(columns: Sequence[str]) -> list[str]:
    unknown = [c for c in columns if c not in QUEUE_COLUMNS]
    if unknown or not columns:
        raise ValidationFailed(
            "Choose at least one column, from the queue's columns.",
            field="columns",
            value=unknown or list(columns),
            accepted=list(QUEUE_COLUMNS),
        )
    # In the table's order, each once.
    return [c for c in QUEUE_COLUMNS if c in columns]


def answers_for(user: User, group: SupportGroup) -> bool:
    """Whether the user answers for the group: its supervisor, or a manager."""
    return user.role in MANAGING_ROLES or group.supervisor_id == user.pk


def _check_share(actor: User, group: SupportGroup | None) -> None:
    if group is None:
        return
    if answers_for(actor, group) or group.members.filter(pk=actor.pk).exists():
        return
    raise PermissionDenied(
        f"You can only share a view with a group you belong to; not {group.name}.",
        field="shared_with",
        value=group.pk,
        accepted="one of your groups, or none (private)",
    )


def _save(view: SavedView) -> SavedView:
    try:
        with transaction.atomic():
            view.save()
    except IntegrityError:
        raise ValidationFailed(
            f"You already have a view called {view.name!r}.",
            field="name",
            value=view.name,
            accepted="a name none of your views has",
        ) from None
    return view


@transaction.atomic
def saved_view_create(
    *,
    actor: User,
    name: str,
    query: Mapping[str, Any],
    order: str = "priority",
    columns: Sequence[str] | None = None,
    shared_with: SupportGroup | None = None,
    make_default: bool = False,
) -> SavedView:
    require(actor, Action.TICKET_VIEW)
    _check_share(actor, shared_with)
    view = SavedView(
        owner=actor,
        name=_clean_name(name),
        query=_clean_query(actor, query),
        order=_clean_order(order),
        shared_with=shared_with,
    )
    if columns is not None:
        view.columns = _clean_columns(columns)
    _save(view)
    if make_default:
        queue_default_set(actor=actor, view_id=view.pk)
    return view


def _own(actor: User, view_id: int) -> SavedView:
    """The view, locked, if the actor owns it."""
    view = SavedView.objects.select_for_update().filter(pk=view_id).first()
    if view is None or view.owner_id != actor.pk:
        raise PermissionDenied(
            "Only the owner of a view can change it.", field="view", value=view_id
        )
    return view


@transaction.atomic
def saved_view_update(*, actor: User, view_id: int, changes: Mapping[str, Any]) -> SavedView:
    """Change any of name, query, order, columns, shared_with (a group or None)."""
    require(actor, Action.TICKET_VIEW)
    view = _own(actor, view_id)
    if "name" in changes:
        view.name = _clean_name(changes["name"])
    if "query" in changes:
        view.query = _clean_query(actor, changes["query"])
    if "order" in changes:
        view.order = _clean_order(changes["order"])
    if "columns" in changes:
        view.columns = _clean_columns(changes["columns"])
    if "shared_with" in changes:
        _check_share(actor, changes["shared_with"])
        view.shared_with = changes["shared_with"]
    return _save(view)


@transaction.atomic
def saved_view_delete(*, actor: User, view_id: int) -> None:
    require(actor, Action.TICKET_VIEW)
    view = (
        SavedView.objects.select_for_update(of=("self",))
        .select_related("shared_with")
        .filter(pk=view_id)
        .first()
    )
    allowed = view is not None and (
        view.owner_id == actor.pk
        or (view.shared_with is not None and answers_for(actor, view.shared_with))
    )
    if view is None or not allowed:
        raise PermissionDenied(
            "Only the owner of a view, or whoever answers for the group it is shared "
            "with, can delete it.",
            field="view",
            value=view_id,
        )
    view.delete()


@transaction.atomic
def queue_default_set(*, actor: User, view_id: int | None) -> None:
    """The view the actor's queue opens on (one of theirs or shared with
    their group); None: the queue's own default."""
    require(actor, Action.TICKET_VIEW)
    if view_id is None:
        QueueDefault.objects.filter(user=actor).delete()
        return
    view = saved_view_get(user=actor, view_id=view_id)
    QueueDefault.objects.update_or_create(user=actor, defaults={"view": view})
