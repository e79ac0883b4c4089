"""Macros: canned answers kept by team leads and managers, offered to the
agents of their groups, filled in for the ticket they answer.

A macro's body is plain text with placeholders such as {{customer.name}}.
They are filled by simple substitution from a fixed list (never by a
template engine: a macro is user text and may hold anything). A placeholder
not on the list is refused when the macro is saved, so a typo never reaches
a customer. A placeholder the ticket has no value for (no contact, no
incident) is filled with a visible marker such as "[incident.eta: none]",
which the agent sees in the reply box and replaces before sending."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from functools import cached_property

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from netdesk.accounts.models import Role, SupportGroup, User
from netdesk.accounts.permissions import Action, require
from netdesk.core.errors import NotFound, PermissionDenied, ValidationFailed
from netdesk.knowledge.models import Audience, DocumentKind, Macro
from netdesk.knowledge.services.documents import document_drop, document_put
from netdesk.noc.models import NetworkIncident
from netdesk.noc.selectors import incident_for_ticket, network_status_for
from netdesk.tickets.models import Ticket

NAME_LIMIT = 120
BODY_LIMIT = 10_000
_LANGUAGE = re.compile(r"^[a-z]{2,3}(-[A-Za-z]{2,4})?$")
# {{ name }} with optional spaces inside the braces.
PLACEHOLDER = re.compile(r"\{\{\s*([^{}]*?)\s*\}\}")
# What each placeholder is filled with, as the macro form lists it.
PLACEHOLDERS: dict[str, str] = {
    "customer.name": "the customer's name",
    "contact.name": "the ticket's contact person",
    "ticket.reference": "the ticket reference (TT-…)",
    "ticket.title": "the ticket's title",
    "agent.name": "the name of the agent using the macro",
    "incident.reference": "the active network incident on the customer's line (NI-…)",
    "incident.eta": "when that incident's service is expected back",
    "incident.status": "that incident's state (investigating, identified, …)",
}
# Roles that keep every macro, desk-wide ones included; team leads keep
# their own groups' macros.
_KEEP_ALL = {Role.SERVICE_DESK_MANAGER, Role.ADMINISTRATOR}


def missing_marker(name: str) -> str:
    """What an empty placeholder becomes: visible, so it is not sent unseen."""
    return f"[{name}: none]"


def placeholders_in(body: str) -> list[str]:
    """The placeholder names a body uses, in order of first use."""
    return list(dict.fromkeys(m.group(1) for m in PLACEHOLDER.finditer(body)))


def _clean(*, name: str, body: str, language: str) -> tuple[str, str, str]:
    name = name.strip()
    if not name:
        raise ValidationFailed("A macro needs a name.", field="name", value=name)
    if len(name) > NAME_LIMIT:
        raise ValidationFailed(
            f"The name is longer than {NAME_LIMIT} characters.",
            field="name",
            value=name[:NAME_LIMIT],
            accepted=f"at most {NAME_LIMIT} characters",
        )
    body = body.strip()
    if not body:
        raise ValidationFailed("A macro needs a text.", field="body", value=body)
    if len(body) > BODY_LIMIT:
        raise ValidationFailed(
            f"The text is longer than {BODY_LIMIT} characters.",
            field="body",
            value=body[:80],
            accepted=f"at most {BODY_LIMIT} characters",
        )
    unknown = [p for p in placeholders_in(body) if p not in PLACEHOLDERS]
    if unknown:
        raise ValidationFailed(
            f"Unknown placeholder {{{{{unknown[0]}}}}}.",
            field="body",
            value=f"{{{{{unknown[0]}}}}}",
            accepted=[f"{{{{{p}}}}}" for p in PLACEHOLDERS],
        )
    language = language.strip()
    if not _LANGUAGE.match(language):
        raise ValidationFailed(
            "The language is not an ISO 639-1 code.",
            field="language",
            value=language,
            accepted="a code like en, de, pt-BR",
        )
    return name, body, language


def _groups(ids: Iterable[int]) -> list[SupportGroup]:
    wanted = sorted(set(ids))
    found = list(SupportGroup.objects.filter(pk__in=wanted))
    if len(found) != len(wanted):
        missing = sorted(set(wanted) - {g.pk for g in found})
        raise ValidationFailed(
            "No such support group.", field="group_ids", value=missing[0], accepted="a group id"
        )
    return found


def own_group_ids(user: User) -> set[int]:
    """The groups a person belongs to or supervises."""
    members = SupportGroup.objects.filter(members=user).values_list("pk", flat=True)
    supervised = SupportGroup.objects.filter(supervisor=user).values_list("pk", flat=True)
    return set(members) | set(supervised)


def may_keep(user: User | None, group_ids: Iterable[int], *, own: set[int] | None = None) -> bool:
    """Whether `user` may create, change or delete a macro offered to these
    groups: managers every macro; team leads only macros offered to their
    own groups alone (a desk-wide macro reaches every agent). `own`: the
    user's groups when the caller has them already (a list of macros)."""
    if user is None or user.role in _KEEP_ALL:
        return True
    wanted = set(group_ids)
    return bool(wanted) and wanted <= (own if own is not None else own_group_ids(user))


def _require_keep(user: User | None, group_ids: Iterable[int]) -> None:
    wanted = sorted(set(group_ids))
    if not may_keep(user, wanted):
        raise PermissionDenied(
            "A team lead keeps the macros of their own groups only; a macro for "
            "every group is kept by a service desk manager.",
            field="group_ids",
            value=wanted,
            accepted=sorted(own_group_ids(user)) if user is not None else None,
        )


def macro_index(macro: Macro) -> None:
    """Offer an active macro to search (for its groups); drop an inactive one."""
    if not macro.is_active:
        document_drop(kind=DocumentKind.MACRO, object_id=macro.pk)
        return
    document_put(
        kind=DocumentKind.MACRO,
        object_id=macro.pk,
        title=macro.name,
        body=PLACEHOLDER.sub(" ", macro.body),
        language=macro.language,
        audience=Audience.INTERNAL,
        live=True,
        group_ids=[g.pk for g in macro.groups.all()],
    )


@transaction.atomic
def macro_create(
    *,
    actor: User | None,
    name: str,
    body: str,
    language: str = "en",
    group_ids: Iterable[int] = (),
    is_active: bool = True,
) -> Macro:
    """A new macro, offered to the members of `group_ids` (everyone without)."""
    require(actor, Action.MACRO_MANAGE)
    name, body, language = _clean(name=name, body=body, language=language)
    groups = _groups(group_ids)
    _require_keep(actor, [g.pk for g in groups])
    macro = Macro.objects.create(
        name=name, body=body, language=language, is_active=is_active, created_by=actor
    )
    macro.groups.set(groups)
    macro_index(macro)
    return macro


def _macro_locked(macro_id: int) -> Macro:
    macro = Macro.objects.select_for_update().filter(pk=macro_id).first()
    if macro is None:
        raise NotFound(f"No macro {macro_id}.", field="macro_id", value=macro_id)
    return macro


@transaction.atomic
def macro_update(
    *,
    actor: User | None,
    macro_id: int,
    name: str,
    body: str,
    language: str,
    group_ids: Iterable[int],
    is_active: bool,
) -> Macro:
    """Change a macro; whoever changes it must keep it before and after."""
    require(actor, Action.MACRO_MANAGE)
    macro = _macro_locked(macro_id)
    _require_keep(actor, macro.groups.values_list("pk", flat=True))
    name, body, language = _clean(name=name, body=body, language=language)
    groups = _groups(group_ids)
    _require_keep(actor, [g.pk for g in groups])
    macro.name, macro.body, macro.language, macro.is_active = name, body, language, is_active
    macro.save()
    macro.groups.set(groups)
    macro_index(macro)
    return macro


@transaction.atomic
def macro_delete(*, actor: User | None, macro_id: int) -> None:
    require(actor, Action.MACRO_MANAGE)
    macro = _macro_locked(macro_id)
    _require_keep(actor, macro.groups.values_list("pk", flat=True))
    document_drop(kind=DocumentKind.MACRO, object_id=macro.pk)
    macro.delete()


@transaction.atomic
def macro_used(*, macro_id: int) -> None:
    """Count one use (the agent inserted it into a reply)."""
    Macro.objects.filter(pk=macro_id).update(uses=F("uses") + 1)


# --- filling in --------------------------------------------------------------------------


@dataclass(frozen=True)
class FilledMacro:
    text: str
    # Placeholders the ticket had no value for (shown as markers in `text`).
    missing: list[str]


def _when(value: datetime | None) -> str:
    return f"{timezone.localtime(value):%Y-%m-%d %H:%M %Z}" if value else ""


def ticket_incident(ticket: Ticket) -> NetworkIncident | None:
    """The active incident the ticket is linked to, else the one on the path
    of its service (or of any of the customer's services without one)."""
    linked = incident_for_ticket(ticket.pk)
    if linked is not None and linked.is_active:
        return linked
    on_path = network_status_for(ticket.customer_id, ticket.service_id)
    return on_path[0].incident if on_path else None


class _TicketValues:
    """The placeholders' values for one ticket; the incident is looked up
    once, and only when the macro asks for it."""

    def __init__(self, ticket: Ticket, agent: User | None) -> None:
        self.ticket = ticket
        self.agent = agent

    @cached_property
    def incident(self) -> NetworkIncident | None:
        return ticket_incident(self.ticket)

    def _of_incident(self, field: str) -> str:
        incident = self.incident
        if incident is None:
            return ""
        if field == "reference":
            return incident.reference
        if field == "eta":
            return _when(incident.eta)
        return incident.get_state_display()

    def value(self, name: str) -> str:
        ticket, customer, contact = self.ticket, self.ticket.customer, self.ticket.contact
        if name.startswith("incident."):
            return self._of_incident(name.removeprefix("incident."))
        values = {
            # A placeholder customer's name says "Unverified sender …": not a greeting.
            "customer.name": "" if customer.is_placeholder else customer.name,
            "contact.name": contact.name if contact is not None else "",
            "ticket.reference": ticket.reference,
            "ticket.title": ticket.title,
            "agent.name": (self.agent.get_full_name() or self.agent.username)
            if self.agent is not None
            else "",
        }
        return values.get(name, "")


def macro_fill(*, macro: Macro, ticket: Ticket, agent: User | None = None) -> FilledMacro:
    """The macro's text for this ticket, and which placeholders stayed empty."""
    values = _TicketValues(ticket, agent)
    missing: list[str] = []

    def fill(match: re.Match[str]) -> str:
        name = match.group(1)
        value = values.value(name).strip()
        if not value:
            missing.append(name)
            return missing_marker(name)
        return value

    text = PLACEHOLDER.sub(fill, macro.body)
    return FilledMacro(text=text, missing=list(dict.fromkeys(missing)))


def macro_render(*, macro: Macro, ticket: Ticket, agent: User | None = None) -> str:
    """The macro's text filled in for `ticket` (and the agent using it)."""
    return macro_fill(macro=macro, ticket=ticket, agent=agent).text
