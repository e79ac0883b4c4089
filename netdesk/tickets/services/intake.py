"""Opening tickets: the intake queue, a new ticket with
the call that opened it, and calls logged on a ticket later."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils import timezone

from netdesk.accounts.models import SupportGroup, TierKind, User
from netdesk.accounts.permissions import Action, require
from netdesk.core.checks import checked_choice
from netdesk.core.compiled import CompiledInsert
from netdesk.core.errors import ValidationFailed
from netdesk.core.hooks import hooks_answers, hooks_run
from netdesk.customers.models import Contact, Customer, Service
from netdesk.tickets.choices import Channel, Level, Outcome, ResolutionCode, Status, TicketType
from netdesk.tickets.events import event_created
from netdesk.tickets.models import Category, Interaction, Ticket
from netdesk.tickets.services.changes import ticket_changed
from netdesk.tickets.services.checks import check_belongs, check_category_fits
from netdesk.tickets.services.conversation import interaction_log
from netdesk.tickets.services.lifecycle import ticket_resolve
from netdesk.tickets.services.priority import priority_for


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


def _check_new(*, ticket_type: str, channel: str, title: str, category: Category | None) -> None:
    checked_choice("ticket_type", ticket_type, TicketType)
    checked_choice("channel", channel, Channel)
    if not title:
        raise ValidationFailed(
            "A ticket needs a short title.",
            field="title",
            value=title,
            accepted="1 to 200 characters",
        )
    check_category_fits(category, ticket_type)


def _priority(*, impact: int, urgency: int, known: int | None) -> int:
    """The cell's priority; `known` when the caller read it with the
    ticket's other references (`tickets.intake_refs`)."""
    if known is None:
        return priority_for(impact=impact, urgency=urgency)
    checked_choice("impact", impact, Level)
    checked_choice("urgency", urgency, Level)
    return known


def ticket_create(
    *,
    actor: User | None,
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
    priority: int | None = None,
) -> Ticket:
    """Open a ticket for a customer. `call`, when given, is the call report of
    the contact that opened it (direction, started_at, duration_seconds,
    summary, outcome, and resolution_code and root_cause when the outcome is
    "Resolved on the call") and is logged as the ticket's first interaction.
    `priority`, when given, is the matrix's priority for impact × urgency,
    already read by the caller."""
    require(actor, Action.TICKET_CREATE)
    title = title.strip()
    _check_new(ticket_type=ticket_type, channel=channel, title=title, category=category)
    check_belongs(customer, service, contact)
    # What the apps read of the ticket's words, before its transaction: on
    # SQLite everything inside it holds the database's one writer turn.
    prepared = hooks_answers("ticket_preparing", title=title, description=description)
    with transaction.atomic():
        group = group or default_intake_group()
        now = timezone.now()
        ticket = Ticket(
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
            priority=_priority(impact=impact, urgency=urgency, known=priority),
            status=Status.ASSIGNED if assignee else Status.NEW,
            group=group,
            assignee=assignee,
            created_by=actor,
            highest_tier_level=group.tier.level,
            created_at=now,
            updated_at=now,
        )
        _ticket_insert(ticket, opened_quietly=call is None)
        event_created(ticket=ticket, actor=actor, at=now)
        settled: CallResolution | None = None
        if call is not None:
            report, settled = _call_settles(call)
            interaction_log(
                actor=actor,
                ticket=ticket,
                customer=customer,
                channel=channel,
                contact=contact,
                announce=False,  # announced once below, with the first response in
                ticket_written=True,  # inserted above: not read again
                **report,
            )
            ticket_changed(ticket)
        for step in prepared:
            step(ticket)
        hooks_run("ticket_created", ticket=ticket, actor=actor)
        if assignee is not None:
            hooks_run("ticket_assigned", ticket=ticket, assignee=assignee, actor=actor)
        if settled is not None:
            settled.resolve(actor=actor, ticket=ticket)
        return ticket


# The desk's busiest INSERT: its statement built once from Ticket's _meta.
_TICKET_INSERT = CompiledInsert(Ticket)


def _ticket_insert(ticket: Ticket, *, opened_quietly: bool) -> None:
    """INSERT the new ticket. Opened without a call, nothing but its own
    fields moves its clocks: the apps set what they derive from them before
    the INSERT (service levels: the summary columns) and store the rest
    right after it (the timers, one statement), with no read
    (NETDESK_HOOKS["ticket_opening"]). A call's first response moves them:
    then the timers are computed once the call is logged (`ticket_changed`)."""
    if not opened_quietly:
        _TICKET_INSERT.insert([ticket])
        return
    after_insert = hooks_answers("ticket_opening", ticket=ticket)
    _TICKET_INSERT.insert([ticket])
    for step in after_insert:
        step()


@dataclass(frozen=True)
class CallResolution:
    """How a call resolved its ticket ("Resolved on the call")."""

    resolution_code: str
    root_cause: str
    notes: str

    def resolve(self, *, actor: User | None, ticket: Ticket) -> None:
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
