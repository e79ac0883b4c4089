"""One change applied to many tickets at once, all or nothing.

Each ticket goes through the same service a single change would use
(assignment, status, the priority matrix, merging, notes), so the rules and
the timeline stay those of one ticket. The tickets are locked in id order
(two bulk changes over overlapping tickets queue up instead of
deadlocking); when any ticket is refused, nothing is written and the answer
names every refused ticket with the field, the value and what is accepted.

Actions that need a higher app (linking to a network incident lives in the
NOC) come from the answered hook `ticket_bulk_actions`: each answer maps
action names to a `BulkAction`, so this module never imports those apps."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils.dateparse import parse_datetime

from netdesk.accounts.models import SupportGroup, User
from netdesk.accounts.permissions import Action, require
from netdesk.core.checks import checked_choice, checked_text
from netdesk.core.errors import NotFound, ServiceError, ValidationFailed
from netdesk.core.hooks import hooks_answers
from netdesk.tickets.choices import Level, Status, Visibility
from netdesk.tickets.models import Ticket
from netdesk.tickets.models.ticket import reference_for
from netdesk.tickets.selectors import parse_reference, tickets_visible_to
from netdesk.tickets.services.conversation import comment_add
from netdesk.tickets.services.escalation import ticket_escalate_functional
from netdesk.tickets.services.lifecycle import ticket_assign, ticket_change_status, ticket_update
from netdesk.tickets.services.links import ticket_merge

# More than a queue page holds many times over, few enough that one
# transaction's locks do not hold the desk up for long.
BULK_MAX_TICKETS = 500
NOTE_LIMIT = 5_000


@dataclass(frozen=True)
class Prepared:
    """An action's parameters read once for all tickets; `also_lock` are
    further tickets the action writes (a merge's target), locked in the same
    id order as the selection."""

    value: Any
    also_lock: tuple[int, ...] = ()


@dataclass(frozen=True)
class BulkAction:
    """An action the bulk change knows: its label, the permission it needs
    beyond the ticket service's own, how its parameters are read (raising
    ValidationFailed on a bad one) and how one locked ticket takes it
    (returning what it did beyond the fields the summary compares)."""

    label: str
    permission: Action
    prepare: Callable[[User, Mapping[str, Any]], Prepared]
    apply: Callable[[User, Ticket, Any], list[str]]


@dataclass(frozen=True)
class BulkRefusal:
    ref: str
    message: str
    field: str | None = None
    value: Any = None
    accepted: Any = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "ref": self.ref,
            "message": self.message,
            "field": self.field,
            "value": self.value,
            "accepted": self.accepted,
        }


@dataclass(frozen=True)
class TicketChanges:
    ref: str
    changes: list[str]

    def line(self) -> str:
        return f"{self.ref} {', '.join(self.changes)}" if self.changes else f"{self.ref} unchanged"


@dataclass
class BulkResult:
    """What a bulk change did (`applied`), or why nothing was written."""

    action: str
    applied: bool = False
    tickets: list[TicketChanges] = field(default_factory=list)
    refused: list[BulkRefusal] = field(default_factory=list)

    @property
    def changed(self) -> int:
        return sum(1 for ticket in self.tickets if ticket.changes)

    def summary(self) -> str:
        if not self.applied:
            return f"Nothing was changed: {len(self.refused)} of the tickets cannot take it."
        unchanged = len(self.tickets) - self.changed
        text = f"{self.changed} ticket{'s' if self.changed != 1 else ''} changed"
        return text + (f", {unchanged} already so." if unchanged else ".")

    def as_dict(self) -> dict[str, Any]:
        return {
            "action": self.action,
            "applied": self.applied,
            "summary": self.summary(),
            "selected": len(self.tickets) if self.applied else None,
            "changed": self.changed if self.applied else 0,
            "tickets": [{"ref": t.ref, "changes": t.changes} for t in self.tickets],
            "lines": [t.line() for t in self.tickets],
            "refused": [refusal.as_dict() for refusal in self.refused],
        }


# --- reading parameters -------------------------------------------------------------------


def _param(params: Mapping[str, Any], name: str, accepted: str) -> Any:
    value = params.get(name)
    if value is None or value == "":
        raise ValidationFailed(
            f"This action needs {name}.", field=name, value=value, accepted=accepted
        )
    return value


def _int_param(params: Mapping[str, Any], name: str, accepted: str) -> int:
    value = _param(params, name, accepted)
    text = str(value).strip()
    if isinstance(value, bool) or not (text.isascii() and text.isdigit() and len(text) <= 18):
        raise ValidationFailed(
            f"{name} {value!r} is not a number.", field=name, value=value, accepted=accepted
        )
    return int(text)


def _user(params: Mapping[str, Any]) -> User | None:
    accepted = "the user name or id of an active agent, or none"
    value = str(_param(params, "assignee", accepted)).strip()
    if value.lower() == "none":
        return None
    active = User.objects.filter(is_active=True)
    agent = active.filter(username=value).first()
    if agent is None and value.isascii() and value.isdigit() and len(value) <= 18:
        agent = active.filter(pk=int(value)).first()
    if agent is None:
        raise ValidationFailed(
            f"No active user {value!r}.", field="assignee", value=value, accepted=accepted
        )
    return agent


def _group(params: Mapping[str, Any]) -> SupportGroup:
    accepted = "the id of an active support group"
    pk = _int_param(params, "group", accepted)
    group = SupportGroup.objects.filter(pk=pk, is_active=True).select_related("tier").first()
    if group is None:
        raise ValidationFailed(f"No active group {pk}.", field="group", value=pk, accepted=accepted)
    return group


def _level(params: Mapping[str, Any], name: str) -> int | None:
    if params.get(name) in (None, ""):
        return None
    value = _int_param(params, name, "1 (high), 2 (medium) or 3 (low)")
    return checked_choice(name, value, Level)


# --- the actions the ticket services carry -----------------------------------------------


def _prepare_assign(actor: User, params: Mapping[str, Any]) -> Prepared:  # noqa: ARG001
    group = _group(params) if params.get("group") not in (None, "") else None
    return Prepared((group, _user(params)))


def _apply_assign(actor: User, ticket: Ticket, value: Any) -> list[str]:
    group, assignee = value
    ticket_assign(actor=actor, ticket=ticket, group=group, assignee=assignee)
    return []


def _prepare_group(actor: User, params: Mapping[str, Any]) -> Prepared:  # noqa: ARG001
    reason = str(params.get("reason") or "").strip()
    return Prepared((_group(params), reason))


def _apply_group(actor: User, ticket: Ticket, value: Any) -> list[str]:
    """Within the tier a change of group is an assignment (the agent stays
    when a member); to another tier it is a functional escalation, which
    asks for a reason the receiving group can act on."""
    group, reason = value
    if group.tier_id != ticket.group.tier_id:
        ticket_escalate_functional(actor=actor, ticket=ticket, group=group, reason=reason)
        return []
    assignee = ticket.assignee
    if assignee is not None and not group.members.filter(pk=assignee.pk).exists():
        assignee = None
    ticket_assign(actor=actor, ticket=ticket, group=group, assignee=assignee)
    return []


def _prepare_priority(actor: User, params: Mapping[str, Any]) -> Prepared:  # noqa: ARG001
    changes = {
        name: level for name in ("impact", "urgency") if (level := _level(params, name)) is not None
    }
    if not changes:
        raise ValidationFailed(
            "The priority follows impact and urgency: give at least one of them.",
            field="impact",
            value=None,
            accepted="impact and/or urgency: 1 (high), 2 (medium) or 3 (low)",
        )
    return Prepared(changes)


def _apply_priority(actor: User, ticket: Ticket, value: Any) -> list[str]:
    ticket_update(actor=actor, ticket=ticket, changes=dict(value))
    return []


def _prepare_status(actor: User, params: Mapping[str, Any]) -> Prepared:  # noqa: ARG001
    status = str(_param(params, "status", "one of " + ", ".join(Status.values)))
    checked_choice("status", status, Status)
    note = checked_text("note", str(params.get("note") or ""), NOTE_LIMIT, blank=True)
    return Prepared((status, note))


def _apply_status(actor: User, ticket: Ticket, value: Any) -> list[str]:
    status, note = value
    if ticket.status == status:
        return []  # already so: listed as unchanged, not refused
    ticket_change_status(actor=actor, ticket=ticket, status=status, note=note)
    return []


def _prepare_merge(actor: User, params: Mapping[str, Any]) -> Prepared:
    accepted = "the reference of a ticket you can see"
    ref = str(_param(params, "into", accepted)).strip()
    try:
        into = tickets_visible_to(actor).filter(pk=parse_reference(ref)).first()
    except NotFound:
        into = None
    if into is None:
        raise ValidationFailed(
            f"No ticket {ref!r} you can see to merge into.",
            field="into",
            value=ref,
            accepted=accepted,
        )
    return Prepared(into, also_lock=(into.pk,))


def _apply_merge(actor: User, ticket: Ticket, value: Any) -> list[str]:
    into: Ticket = value
    if ticket.pk == into.pk:
        return []  # the ticket that carries on, ticked with the others
    ticket_merge(actor=actor, duplicate=ticket, into=into)
    return [f"merged into {into.reference}"]


def _prepare_note(actor: User, params: Mapping[str, Any]) -> Prepared:  # noqa: ARG001
    return Prepared(checked_text("note", str(params.get("note") or ""), NOTE_LIMIT))


def _apply_note(actor: User, ticket: Ticket, value: Any) -> list[str]:
    comment_add(actor=actor, ticket=ticket, body=value, visibility=Visibility.INTERNAL)
    return ["internal note added"]


BUILT_IN: dict[str, BulkAction] = {
    "assign": BulkAction("Assign", Action.TICKET_ASSIGN, _prepare_assign, _apply_assign),
    "group": BulkAction("Change group", Action.TICKET_ASSIGN, _prepare_group, _apply_group),
    "priority": BulkAction(
        "Change impact/urgency (priority)", Action.TICKET_UPDATE, _prepare_priority, _apply_priority
    ),
    "status": BulkAction("Change status", Action.TICKET_UPDATE, _prepare_status, _apply_status),
    "merge": BulkAction("Merge into one", Action.TICKET_MERGE, _prepare_merge, _apply_merge),
    "note": BulkAction("Add an internal note", Action.NOTE_ADD, _prepare_note, _apply_note),
}


def bulk_actions() -> dict[str, BulkAction]:
    """Every action by name: the ticket services' own, then those the
    higher apps answer on `ticket_bulk_actions`."""
    actions = dict(BUILT_IN)
    for answer in hooks_answers("ticket_bulk_actions"):
        actions.update(answer)
    return actions


# --- applying ---------------------------------------------------------------------------


def _snapshot(ticket: Ticket) -> dict[str, str]:
    """The fields the summary compares before and after, as people read them."""
    return {
        "status": ticket.status,
        "priority": str(ticket.priority),
        "group": ticket.group.name,
        "assignee": ticket.assignee.username if ticket.assignee is not None else "none",
    }


def _differences(before: dict[str, str], after: dict[str, str]) -> list[str]:
    return [
        f"{name} {before[name]} → {after[name]}" for name in before if before[name] != after[name]
    ]


def _checked_refs(refs: list[str]) -> dict[int, str]:
    """The selection as ticket ids (each once), in the order given."""
    if not refs:
        raise ValidationFailed(
            "No tickets were selected.", field="refs", value=refs, accepted="1 or more references"
        )
    if len(refs) > BULK_MAX_TICKETS:
        raise ValidationFailed(
            f"{len(refs)} tickets were selected; one bulk change takes at most {BULK_MAX_TICKETS}.",
            field="refs",
            value=len(refs),
            accepted=f"1 to {BULK_MAX_TICKETS} references",
        )
    ids: dict[int, str] = {}
    for ref in refs:
        ids.setdefault(parse_reference(str(ref)), str(ref).strip())
    return ids


def _checked_action(action: str) -> BulkAction:
    actions = bulk_actions()
    if action not in actions:
        raise ValidationFailed(
            f"There is no bulk action {action!r}.",
            field="action",
            value=action,
            accepted=sorted(actions),
        )
    return actions[action]


def _seen_at(params: Mapping[str, Any]) -> datetime | None:
    value = params.get("seen_at")
    if value in (None, ""):
        return None
    parsed = value if isinstance(value, datetime) else parse_datetime(str(value))
    if parsed is None or parsed.tzinfo is None:
        raise ValidationFailed(
            f"seen_at {value!r} is not a time with its zone.",
            field="seen_at",
            value=value,
            accepted="an ISO 8601 date and time with offset",
        )
    return parsed


class _Refused(Exception):
    """Leaves the transaction, so that nothing of a refused bulk change stays."""


def _refusal(ref: str, error: ServiceError) -> BulkRefusal:
    return BulkRefusal(
        ref=ref,
        message=error.message,
        field=error.field,
        value=error.value,
        accepted=error.accepted,
    )


def _stale(ticket: Ticket, seen_at: datetime | None) -> BulkRefusal | None:
    if seen_at is None or ticket.updated_at <= seen_at:
        return None
    return BulkRefusal(
        ref=ticket.reference,
        message=f"{ticket.reference} was changed by someone else after the list was shown.",
        field="updated_at",
        value=ticket.updated_at.isoformat(),
        accepted=f"a ticket unchanged since {seen_at.isoformat()}",
    )


def _apply_each(
    result: BulkResult,
    *,
    actor: User,
    chosen: BulkAction,
    prepared: Prepared,
    ids: dict[int, str],
    seen_at: datetime | None,
) -> None:
    locked = {
        ticket.pk: ticket
        for ticket in tickets_visible_to(actor)
        .filter(pk__in=[*ids, *prepared.also_lock])
        .select_for_update(of=("self",))
        .select_related("group", "assignee")
        .order_by("pk")
    }
    for pk in sorted(ids):
        ticket = locked.get(pk)
        if ticket is None:
            result.refused.append(
                BulkRefusal(
                    ref=reference_for(pk),
                    message=f"Ticket {ids[pk]!r} does not exist or is not visible to you.",
                    field="refs",
                    value=ids[pk],
                    accepted="the reference of a ticket you can see",
                )
            )
            continue
        if (stale := _stale(ticket, seen_at)) is not None:
            result.refused.append(stale)
            continue
        before = _snapshot(ticket)
        try:
            extra = chosen.apply(actor, ticket, prepared.value)
        except ServiceError as error:
            result.refused.append(_refusal(ticket.reference, error))
            continue
        changes = _differences(before, _snapshot(ticket)) + extra
        result.tickets.append(TicketChanges(ref=ticket.reference, changes=changes))


def tickets_bulk_apply(
    *, actor: User, refs: list[str], action: str, params: Mapping[str, Any]
) -> BulkResult:
    """Apply `action` with `params` to every ticket in `refs`, in one
    transaction: either every ticket takes it (`applied`, with what changed
    on each) or none does (`refused` names each ticket that cannot, and
    why). A bad action, bad parameters, too many tickets or a missing
    permission refuse the whole request (ServiceError). With `seen_at`, a
    ticket changed after that time is refused as stale."""
    require(actor, Action.TICKET_BULK)
    chosen = _checked_action(action)
    require(actor, chosen.permission)
    try:
        ids = _checked_refs(refs)
    except NotFound as error:
        raise ValidationFailed(
            error.message, field="refs", value=error.value, accepted=error.accepted
        ) from error
    seen_at = _seen_at(params)
    prepared = chosen.prepare(actor, params)
    result = BulkResult(action=action)
    try:
        with transaction.atomic():
            _apply_each(
                result, actor=actor, chosen=chosen, prepared=prepared, ids=ids, seen_at=seen_at
            )
            if result.refused:
                raise _Refused
    except _Refused:
        result.tickets = []
        return result
    result.applied = True
    return result
