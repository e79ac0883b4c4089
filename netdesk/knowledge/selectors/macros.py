"""Reads of macros: those offered to an agent (the picker), those a team lead
or manager keeps (the list), and one macro for a ticket, checked both ways."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Prefetch, Q, QuerySet

from netdesk.accounts.models import Role, SupportGroup, User
from netdesk.accounts.permissions import Action, can, require
from netdesk.core.errors import NotFound
from netdesk.knowledge.models import Macro
from netdesk.knowledge.services.macros import own_group_ids
from netdesk.tickets.models import Ticket
from netdesk.tickets.selectors import ticket_get

# The most macros one list or picker shows; a desk with more searches.
LIST_LIMIT = 200
_GROUPS = Prefetch("groups", queryset=SupportGroup.objects.order_by("name"))


def macros_offered_to(user: User) -> QuerySet[Macro]:
    """Active macros without groups (every agent's) or of the user's groups."""
    mine = SupportGroup.objects.filter(Q(members=user) | Q(supervisor=user)).values("pk")
    # A subquery, not a join: a macro of two of the user's groups comes once.
    of_mine = Macro.objects.filter(groups__in=mine).values("pk")
    return (
        Macro.objects.filter(is_active=True)
        .filter(Q(groups__isnull=True) | Q(pk__in=of_mine))
        .distinct()
    )


def macros_kept_by(user: User) -> QuerySet[Macro]:
    """What the macro list shows: to managers every macro, inactive ones
    too; to team leads their groups' macros and every agent's; to everyone
    else what they are offered."""
    if user.role in (Role.SERVICE_DESK_MANAGER, Role.ADMINISTRATOR):
        return Macro.objects.all()
    if can(user, Action.MACRO_MANAGE):
        return Macro.objects.filter(
            Q(groups__isnull=True) | Q(groups__in=own_group_ids(user))
        ).distinct()
    return macros_offered_to(user)


@dataclass(frozen=True)
class MacroFilter:
    text: str = ""
    group_id: int | None = None


def macro_list(*, user: User, wanted: MacroFilter) -> list[Macro]:
    """The macro list: busiest first, each with its groups (two queries)."""
    require(user, Action.KB_VIEW)
    macros = macros_kept_by(user)
    text = wanted.text.strip()
    if text:
        macros = macros.filter(Q(name__icontains=text) | Q(body__icontains=text))
    if wanted.group_id is not None:
        macros = macros.filter(groups__pk=wanted.group_id)
    return list(macros.prefetch_related(_GROUPS).order_by("-uses", "name")[:LIST_LIMIT])


def macro_get(*, user: User, macro_id: int) -> Macro:
    """One macro the user may see in the list (to read or edit)."""
    macro = macros_kept_by(user).prefetch_related(_GROUPS).filter(pk=macro_id).first()
    if macro is None:
        raise NotFound(
            f"Macro {macro_id} does not exist or is not visible to you.",
            field="macro_id",
            value=macro_id,
        )
    return macro


def macro_for_ticket(*, user: User, macro_id: int, ref: str) -> tuple[Macro, Ticket]:
    """A macro offered to the user and a ticket they may see (either missing
    is the same "not found": a macro of another group stays unknown)."""
    require(user, Action.KB_VIEW)
    ticket = ticket_get(user=user, ref=ref)
    macro = macros_offered_to(user).filter(pk=macro_id).first()
    if macro is None:
        raise NotFound(
            f"Macro {macro_id} does not exist or is not offered to you.",
            field="macro_id",
            value=macro_id,
        )
    return macro, ticket


def macro_choices(*, user: User, text: str = "") -> list[Macro]:
    """The picker's macros: offered to the user, busiest first."""
    macros = macros_offered_to(user)
    if text.strip():
        macros = macros.filter(Q(name__icontains=text.strip()) | Q(body__icontains=text.strip()))
    return list(macros.order_by("-uses", "name")[:LIST_LIMIT])
