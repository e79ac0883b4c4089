"""Creating tickets and moving them through their lifecycle: assignment,
status, functional and hierarchical escalation, resolution, closure."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone

from netdesk.accounts.models import SupportGroup, TierKind, User
from netdesk.accounts.permissions import Action, require
from netdesk.core.errors import TransitionNotAllowed, ValidationFailed
from netdesk.core.hooks import hooks_run
from netdesk.core.locking import locked
from netdesk.customers.models import Contact, Customer, Service
from netdesk.sla.services import sla_refresh
from netdesk.tickets.choices import (
    NEEDS_ROOT_CAUSE,
    OPEN_STATUSES,
    TRANSITIONS,
    Channel,
    Direction,
    Level,
    Outcome,
    Priority,
    ResolutionCode,
    RootCause,
    Status,
    TicketType,
)
from netdesk.tickets.models import Category, Interaction, PriorityRule, Ticket
from netdesk.tickets.models.timeline import EventKind
from netdesk.tickets.services.conversation import interaction_log
from netdesk.tickets.services.events import apply_changes, event_record
from netdesk.tickets.tasks import schedule_autoclose

# Used when the matrix has no row for a cell (a fresh install before configuration).
DEFAULT_MATRIX = {
    (1, 1): Priority.CRITICAL,
    (1, 2): Priority.HIGH,
    (1, 3): Priority.MEDIUM,
    (2, 1): Priority.HIGH,
    (2, 2): Priority.MEDIUM,
    (2, 3): Priority.LOW,
    (3, 1): Priority.MEDIUM,
    (3, 2): Priority.LOW,
    (3, 3): Priority.PLANNING,
}
MAX_HIERARCHICAL_LEVEL = 4


def _choice(field: str, value: Any, choices: Any) -> None:
    if value not in choices.values:
        raise ValidationFailed(
            f"{field} {value!r} is not one of the accepted values.",
            field=field,
            value=value,
            accepted=list(choices.values),
        )


def priority_for(*, impact: int, urgency: int) -> int:
    """The configured priority for an impact × urgency cell."""
    _choice("impact", impact, Level)
    _choice("urgency", urgency, Level)
    rule = PriorityRule.objects.filter(impact=impact, urgency=urgency).first()
    return rule.priority if rule else int(DEFAULT_MATRIX[(impact, urgency)])


def default_intake_group() -> SupportGroup:
    group = (
        SupportGroup.objects.filter(is_active=True, tier__kind=TierKind.FIRST_LINE)
        .select_related("tier")
        .order_by("id")
        .first()
    )
    if group is None:
        raise ValidationFailed(
            "No active first-line group exists to receive new tickets; name a group.",
            field="group",
            value=None,
            accepted="the id of an active support group",
        )
    return group


def _check_belongs(customer: Customer, service: Service | None, contact: Contact | None) -> None:
    if service is not None and service.customer_id != customer.pk:
        raise ValidationFailed(
            f"Service {service.service_id} belongs to another customer.",
            field="service",
            value=service.service_id,
            accepted=f"a service of customer {customer.account_number}",
        )
    if contact is not None and contact.customer_id != customer.pk:
        raise ValidationFailed(
            f"Contact {contact.pk} belongs to another customer.",
            field="contact",
            value=contact.pk,
            accepted=f"a contact of customer {customer.account_number}",
        )


@transaction.atomic
def ticket_create(
    *,
    actor: User,
    customer: Customer,
    ticket_type: str,
    channel: str,
    title: str,
    description: str = "",
    category: Category | None = None,
    service: Service | None = None,
    contact: Contact | None = None,
    impact: int = Level.MEDIUM,
    urgency: int = Level.MEDIUM,
    group: SupportGroup | None = None,
    assignee: User | None = None,
    call: dict[str, Any] | None = None,
) -> Ticket:
    """Open a ticket for a customer. `call`, when given, is the call report of
    the contact that opened it (direction, started_at, duration_seconds,
    summary, outcome, and resolution_code and root_cause when the outcome is
    "Resolved on the call") and is logged as the ticket's first interaction."""
    require(actor, Action.TICKET_CREATE)
    _choice("ticket_type", ticket_type, TicketType)
    _choice("channel", channel, Channel)
    title = title.strip()
    if not title:
        raise ValidationFailed(
            "A ticket needs a short title.",
            field="title",
            value=title,
            accepted="1 to 200 characters",
        )
    if category is not None and category.ticket_type != ticket_type:
        raise ValidationFailed(
            f"Category {category.name!r} is for {category.ticket_type} tickets.",
            field="category",
            value=category.pk,
            accepted=f"a category of type {ticket_type}",
        )
    _check_belongs(customer, service, contact)
    group = group or default_intake_group()
    now = timezone.now()
    ticket = Ticket.objects.create(
        ticket_type=ticket_type,
        channel=channel,
        category=category,
        customer=customer,
        service=service,
        contact=contact,
        title=title,
        description=description,
        impact=impact,
        urgency=urgency,
        priority=priority_for(impact=impact, urgency=urgency),
        status=Status.ASSIGNED if assignee else Status.NEW,
        group=group,
        assignee=assignee,
        created_by=actor,
        highest_tier_level=group.tier.level,
        created_at=now,
        updated_at=now,
    )
    event_record(
        ticket=ticket,
        actor=actor,
        kind=EventKind.CREATED,
        new=ticket.get_status_display(),
        message=f"{ticket.get_ticket_type_display()} via {ticket.get_channel_display()}, "
        f"P{ticket.priority}, queue {group.name}",
        at=now,
    )
    settled: CallResolution | None = None
    if call is not None:
        report, settled = _call_settles(call)
        interaction_log(
            actor=actor,
            ticket=ticket,
            customer=customer,
            channel=channel,
            contact=contact,
            refresh_sla=False,  # computed once below, with the first response in
            **report,
        )
    sla_refresh(ticket=ticket)
    hooks_run("ticket_created", ticket=ticket, actor=actor)
    if settled is not None:
        settled.resolve(actor=actor, ticket=ticket)
    return ticket


@dataclass(frozen=True)
class CallResolution:
    """How a call resolved its ticket ("Resolved on the call")."""

    resolution_code: str
    root_cause: str
    notes: str

    def resolve(self, *, actor: User, ticket: Ticket) -> None:
        ticket_resolve(
            actor=actor,
            ticket=ticket,
            resolution_code=self.resolution_code,
            root_cause=self.root_cause,
            notes=self.notes,
        )


def _call_settles(call: dict[str, Any]) -> tuple[dict[str, Any], CallResolution | None]:
    """The call report without its resolution, and the resolution when the
    outcome is "Resolved on the call": then the ticket is resolved in the
    same step, through ticket_resolve (first-contact resolution, service
    levels and timeline as for any resolution)."""
    report = dict(call)
    resolution_code = report.pop("resolution_code", None) or ""
    root_cause = report.pop("root_cause", None) or ""
    if report.get("outcome") != Outcome.RESOLVED:
        if resolution_code or root_cause:
            raise ValidationFailed(
                "A resolution code and root cause go with the outcome 'Resolved on the call'.",
                field="resolution_code" if resolution_code else "root_cause",
                value=resolution_code or root_cause,
                accepted="none, or the outcome 'resolved'",
            )
        return report, None
    if not resolution_code:
        raise ValidationFailed(
            "Resolved on the call: say how, with a resolution code.",
            field="resolution_code",
            value=resolution_code,
            accepted=list(ResolutionCode.values),
        )
    return report, CallResolution(resolution_code, root_cause, str(report.get("summary", "")))


@transaction.atomic
def ticket_interaction_log(
    *, actor: User, ticket: Ticket, call: dict[str, Any], contact: Contact | None = None
) -> Interaction:
    """Log a contact on a ticket (channel, direction, started_at,
    duration_seconds, summary, outcome); "Resolved on the call" resolves the
    ticket in the same step and needs its resolution code (and root cause)."""
    report, settled = _call_settles(call)
    interaction = interaction_log(
        actor=actor, ticket=ticket, customer=ticket.customer, contact=contact, **report
    )
    if settled is not None:
        settled.resolve(actor=actor, ticket=ticket)
    return interaction


# Fields that decide which service level applies.
SLA_INPUTS = {"priority", "service"}
UPDATABLE = {"title", "description", "category", "service", "contact", "impact", "urgency"}


@transaction.atomic
def ticket_update(*, actor: User, ticket: Ticket, changes: dict[str, Any]) -> Ticket:
    """Change descriptive fields; impact or urgency recompute the priority."""
    require(actor, Action.TICKET_UPDATE)
    ticket = locked(ticket)
    unknown = set(changes) - UPDATABLE
    if unknown:
        raise ValidationFailed(
            f"These fields cannot be changed here: {sorted(unknown)}.",
            field=sorted(unknown)[0],
            value=changes[sorted(unknown)[0]],
            accepted=sorted(UPDATABLE),
        )
    if not ticket.in_open_status:
        raise TransitionNotAllowed(
            f"{ticket.reference} is {ticket.status}; reopen it before changing it.",
            field="status",
            value=ticket.status,
            accepted=sorted(OPEN_STATUSES),
        )
    _check_belongs(ticket.customer, changes.get("service"), changes.get("contact"))
    if "title" in changes and not str(changes["title"]).strip():
        raise ValidationFailed(
            "The title cannot be empty.",
            field="title",
            value=changes["title"],
            accepted="1 to 200 characters",
        )
    impact = changes.get("impact", ticket.impact)
    urgency = changes.get("urgency", ticket.urgency)
    if "impact" in changes or "urgency" in changes:
        changes = {**changes, "priority": priority_for(impact=impact, urgency=urgency)}
    category = changes.get("category")
    if category is not None and category.ticket_type != ticket.ticket_type:
        raise ValidationFailed(
            f"Category {category.name!r} is for {category.ticket_type} tickets.",
            field="category",
            value=category.pk,
            accepted=f"a category of type {ticket.ticket_type}",
        )
    changed = apply_changes(ticket=ticket, actor=actor, changes=changes)
    if changed:
        ticket.updated_at = timezone.now()
        ticket.save(update_fields=[*changed, "updated_at"])
    if SLA_INPUTS.intersection(changed):
        sla_refresh(ticket=ticket)
    return ticket


def _require_open(ticket: Ticket, what: str) -> None:
    if not ticket.in_open_status:
        raise TransitionNotAllowed(
            f"{ticket.reference} is {ticket.get_status_display().lower()}; it cannot be {what}.",
            field="status",
            value=ticket.status,
            accepted=sorted(OPEN_STATUSES),
        )


def _check_member(group: SupportGroup, assignee: User | None) -> None:
    if assignee is not None and not group.members.filter(pk=assignee.pk).exists():
        raise ValidationFailed(
            f"{assignee.username} is not a member of {group.name}.",
            field="assignee",
            value=assignee.username,
            accepted=f"a member of group {group.name}",
        )


@transaction.atomic
def ticket_assign(
    *, actor: User | None, ticket: Ticket, group: SupportGroup | None = None, assignee: User | None
) -> Ticket:
    """Give the ticket to an agent (or none) within its group, or within
    another group of the same tier. Moving to another tier is escalation."""
    require(actor, Action.TICKET_ASSIGN)
    ticket = locked(ticket)
    _require_open(ticket, "assigned")
    group = group or ticket.group
    if group.tier_id != ticket.group.tier_id:
        raise ValidationFailed(
            f"{group.name} is in another tier; use escalation to move the ticket there.",
            field="group",
            value=group.pk,
            accepted=f"a group of tier {ticket.group.tier.name}",
        )
    _check_member(group, assignee)
    changes: dict[str, Any] = {
        "group_id": group.pk,
        "assignee_id": assignee.pk if assignee else None,
    }
    changed = apply_changes(ticket=ticket, actor=actor, changes=changes, kind=EventKind.ASSIGNED)
    ticket.group = group
    ticket.assignee = assignee
    if assignee is not None and ticket.status == Status.NEW:
        changed += apply_changes(
            ticket=ticket,
            actor=actor,
            changes={"status": Status.ASSIGNED},
            kind=EventKind.STATUS_CHANGED,
        )
    if assignee is None and ticket.status == Status.ASSIGNED:
        changed += apply_changes(
            ticket=ticket,
            actor=actor,
            changes={"status": Status.NEW},
            kind=EventKind.STATUS_CHANGED,
        )
    if changed:
        ticket.updated_at = timezone.now()
        ticket.save(update_fields=[*{c.removesuffix("_id") for c in changed}, "updated_at"])
        sla_refresh(ticket=ticket)
    return ticket


def _check_transition(ticket: Ticket, status: str) -> None:
    _choice("status", status, Status)
    allowed = TRANSITIONS[ticket.status]
    if status not in allowed:
        raise TransitionNotAllowed(
            f"{ticket.reference} cannot go from {ticket.status} to {status}.",
            field="status",
            value=status,
            accepted=sorted(allowed),
        )


# Statuses reached through their own service, which asks for what they need.
SPECIAL_STATUSES: dict[str, str] = {Status.RESOLVED: "resolve", Status.CLOSED: "close"}


@transaction.atomic
def ticket_change_status(*, actor: User, ticket: Ticket, status: str, note: str = "") -> Ticket:
    """Move an open ticket between working states (assigned, in progress, pending)."""
    require(actor, Action.TICKET_UPDATE)
    ticket = locked(ticket)
    if status in SPECIAL_STATUSES:
        raise TransitionNotAllowed(
            f"Use the {SPECIAL_STATUSES[status]} action to set {status}: it needs more details.",
            field="status",
            value=status,
            accepted=sorted(TRANSITIONS[ticket.status] - set(SPECIAL_STATUSES)),
        )
    if ticket.status == Status.RESOLVED and status == Status.IN_PROGRESS:
        return ticket_reopen(actor=actor, ticket=ticket, reason=note or "Reopened")
    _check_transition(ticket, status)
    apply_changes(
        ticket=ticket,
        actor=actor,
        changes={"status": status},
        kind=EventKind.STATUS_CHANGED,
        message=note,
    )
    ticket.updated_at = timezone.now()
    ticket.save(update_fields=["status", "updated_at"])
    sla_refresh(ticket=ticket)
    return ticket


@transaction.atomic
def ticket_escalate_functional(
    *,
    actor: User | None,
    ticket: Ticket,
    group: SupportGroup,
    reason: str,
    assignee: User | None = None,
) -> Ticket:
    """Hand the ticket to another group (usually the next tier) with a reason."""
    require(actor, Action.TICKET_ESCALATE)
    ticket = locked(ticket)
    _require_open(ticket, "escalated")
    if not reason.strip():
        raise ValidationFailed(
            "Escalation needs a reason the receiving group can act on.",
            field="reason",
            value=reason,
            accepted="a non-empty text",
        )
    if group.pk == ticket.group_id:
        raise ValidationFailed(
            f"{ticket.reference} is already with {group.name}.",
            field="group",
            value=group.pk,
            accepted="another active support group",
        )
    if not group.is_active:
        raise ValidationFailed(
            f"{group.name} is not active.",
            field="group",
            value=group.pk,
            accepted="an active support group",
        )
    _check_member(group, assignee)
    old_group = ticket.group
    handler_id = ticket.assignee_id
    apply_changes(
        ticket=ticket,
        actor=actor,
        changes={"group_id": group.pk, "assignee_id": assignee.pk if assignee else None},
        kind=EventKind.ESCALATED_FUNCTIONAL,
        message=f"{old_group.name} → {group.name}: {reason}",
    )
    ticket.group = group
    ticket.assignee = assignee
    new_status = Status.ASSIGNED if assignee else Status.NEW
    apply_changes(
        ticket=ticket, actor=actor, changes={"status": new_status}, kind=EventKind.STATUS_CHANGED
    )
    ticket.functional_escalations += 1
    ticket.highest_tier_level = max(ticket.highest_tier_level, group.tier.level)
    ticket.updated_at = timezone.now()
    ticket.save(
        update_fields=[
            "group",
            "assignee",
            "status",
            "functional_escalations",
            "highest_tier_level",
            "updated_at",
        ]
    )
    sla_refresh(ticket=ticket)
    if assignee is None:
        hooks_run("ticket_escalated", ticket=ticket, handler_id=handler_id, actor=actor)
    return ticket


@transaction.atomic
def ticket_escalate_hierarchical(*, actor: User | None, ticket: Ticket, reason: str) -> Ticket:
    """Flag the ticket one level up the management line (supervisor, manager, ...)."""
    require(actor, Action.TICKET_ESCALATE)
    ticket = locked(ticket)
    _require_open(ticket, "escalated")
    if not reason.strip():
        raise ValidationFailed(
            "Escalation needs a reason.",
            field="reason",
            value=reason,
            accepted="a non-empty text",
        )
    if ticket.hierarchical_level >= MAX_HIERARCHICAL_LEVEL:
        raise TransitionNotAllowed(
            f"{ticket.reference} is already at the top escalation level.",
            field="hierarchical_level",
            value=ticket.hierarchical_level,
            accepted=f"0 to {MAX_HIERARCHICAL_LEVEL - 1} before escalating",
        )
    supervisor = ticket.group.supervisor
    target = f" (supervisor {supervisor})" if supervisor and ticket.hierarchical_level == 0 else ""
    apply_changes(
        ticket=ticket,
        actor=actor,
        changes={"hierarchical_level": ticket.hierarchical_level + 1},
        kind=EventKind.ESCALATED_HIERARCHICAL,
        message=f"{reason}{target}",
    )
    ticket.updated_at = timezone.now()
    ticket.save(update_fields=["hierarchical_level", "updated_at"])
    return ticket


def _customer_contacts(ticket: Ticket) -> int:
    return Interaction.objects.filter(ticket=ticket).exclude(direction=Direction.INTERNAL).count()


# Resolutions the contact with the customer did not bring about: the network
# coming back resolves the ticket, whoever records it and however few calls.
NOT_RESOLVED_BY_CONTACT = frozenset({ResolutionCode.NETWORK_RESTORED})


def first_contact_resolution(
    *, functional_escalations: int, reopen_count: int, customer_contacts: int, resolution_code: str
) -> bool:
    """The one rule for first-contact resolution: never escalated to another
    group, never reopened, at most one contact with the customer, and
    resolved by that contact rather than by the network coming back."""
    return (
        functional_escalations == 0
        and reopen_count == 0
        and customer_contacts <= 1
        and resolution_code not in NOT_RESOLVED_BY_CONTACT
    )


@transaction.atomic
def ticket_resolve(
    *,
    actor: User,
    ticket: Ticket,
    resolution_code: str,
    root_cause: str = "",
    notes: str = "",
    at: datetime | None = None,
) -> Ticket:
    """Resolve with a resolution code (and a root cause for faults and complaints).
    First-contact resolution is decided here (`first_contact_resolution`)."""
    require(actor, Action.TICKET_RESOLVE)
    ticket = locked(ticket)
    _check_transition(ticket, Status.RESOLVED)
    _choice("resolution_code", resolution_code, ResolutionCode)
    if ticket.ticket_type in NEEDS_ROOT_CAUSE and not root_cause:
        raise ValidationFailed(
            f"A {ticket.get_ticket_type_display().lower()} needs a root cause to be resolved.",
            field="root_cause",
            value=root_cause,
            accepted=list(RootCause.values),
        )
    if root_cause:
        _choice("root_cause", root_cause, RootCause)
    now = at or timezone.now()
    fcr = first_contact_resolution(
        functional_escalations=ticket.functional_escalations,
        reopen_count=ticket.reopen_count,
        customer_contacts=_customer_contacts(ticket),
        resolution_code=resolution_code,
    )
    changes = {
        "status": Status.RESOLVED,
        "resolution_code": resolution_code,
        "root_cause": root_cause,
        "resolution_notes": notes,
        "first_contact_resolved": fcr,
    }
    apply_changes(
        ticket=ticket, actor=actor, changes=changes, kind=EventKind.RESOLVED, message=notes, at=now
    )
    ticket.resolved_at = now
    ticket.resolved_by = actor
    ticket.updated_at = now
    if ticket.first_response_at is None:
        ticket.first_response_at = now
    ticket.save(
        update_fields=[*changes, "resolved_at", "resolved_by", "updated_at", "first_response_at"]
    )
    sla_refresh(ticket=ticket)
    hooks_run("ticket_resolved", ticket=ticket, actor=actor)
    resolved = (ticket.pk, now)
    transaction.on_commit(
        lambda: schedule_autoclose(ticket_id=resolved[0], resolved_at=resolved[1])
    )
    return ticket


REOPENED: dict[str, Any] = {
    "status": Status.IN_PROGRESS,
    "first_contact_resolved": False,
    "resolution_code": "",
    "root_cause": "",
}


@transaction.atomic
def ticket_reopen(*, actor: User, ticket: Ticket, reason: str) -> Ticket:
    """Reopen a resolved ticket; it counts against the resolver's reopen rate."""
    require(actor, Action.TICKET_REOPEN)
    ticket = locked(ticket)
    if ticket.status != Status.RESOLVED:
        raise TransitionNotAllowed(
            f"Only a resolved ticket can be reopened; {ticket.reference} is {ticket.status}.",
            field="status",
            value=ticket.status,
            accepted=[Status.RESOLVED],
        )
    if not reason.strip():
        raise ValidationFailed(
            "Say why the ticket is reopened.",
            field="reason",
            value=reason,
            accepted="a non-empty text",
        )
    apply_changes(
        ticket=ticket,
        actor=actor,
        changes=REOPENED,
        kind=EventKind.REOPENED,
        message=reason,
    )
    ticket.reopen_count += 1
    ticket.resolved_at = None
    ticket.updated_at = timezone.now()
    ticket.save(update_fields=[*REOPENED, "reopen_count", "resolved_at", "updated_at"])
    sla_refresh(ticket=ticket)
    return ticket


@transaction.atomic
def ticket_close(*, actor: User, ticket: Ticket, note: str = "") -> Ticket:
    require(actor, Action.TICKET_CLOSE)
    ticket = locked(ticket)
    _check_transition(ticket, Status.CLOSED)
    now = timezone.now()
    apply_changes(
        ticket=ticket,
        actor=actor,
        changes={"status": Status.CLOSED},
        kind=EventKind.CLOSED,
        message=note,
        at=now,
    )
    ticket.closed_at = now
    ticket.updated_at = now
    ticket.save(update_fields=["status", "closed_at", "updated_at"])
    sla_refresh(ticket=ticket)
    return ticket


@transaction.atomic
def ticket_deescalate_hierarchical(*, actor: User | None, ticket: Ticket, reason: str) -> Ticket:
    """Lower the hierarchical escalation level by one, with the reason recorded."""
    require(actor, Action.TICKET_ESCALATE)
    ticket = locked(ticket)
    if not reason.strip():
        raise ValidationFailed(
            "De-escalation needs a reason.",
            field="reason",
            value=reason,
            accepted="a non-empty text",
        )
    if ticket.hierarchical_level == 0:
        raise TransitionNotAllowed(
            f"{ticket.reference} is not escalated to management.",
            field="hierarchical_level",
            value=0,
            accepted="1 to 4",
        )
    apply_changes(
        ticket=ticket,
        actor=actor,
        changes={"hierarchical_level": ticket.hierarchical_level - 1},
        kind=EventKind.DEESCALATED,
        message=reason,
    )
    ticket.updated_at = timezone.now()
    ticket.save(update_fields=["hierarchical_level", "updated_at"])
    return ticket


@transaction.atomic
def ticket_raise_priority(*, actor: User | None, ticket: Ticket, reason: str) -> Ticket:
    """Raise the priority one step above what the matrix gave (P3 → P2),
    e.g. when a service level is about to be missed. Impact and urgency stay."""
    require(actor, Action.TICKET_UPDATE)
    ticket = locked(ticket)
    _require_open(ticket, "reprioritised")
    if ticket.priority <= Priority.CRITICAL:
        return ticket
    apply_changes(
        ticket=ticket, actor=actor, changes={"priority": ticket.priority - 1}, message=reason
    )
    ticket.updated_at = timezone.now()
    ticket.save(update_fields=["priority", "updated_at"])
    sla_refresh(ticket=ticket)
    return ticket
