"""Network incidents: opening them, telling customer service what changed,
keeping the impact current, and resolving them with their child tickets."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from netdesk.accounts.models import User
from netdesk.accounts.permissions import Action, require
from netdesk.core.checks import checked_choice, checked_text
from netdesk.core.errors import (
    ConfirmationNeeded,
    ServiceError,
    TransitionNotAllowed,
    ValidationFailed,
)
from netdesk.core.hooks import hooks_run
from netdesk.core.locking import locked
from netdesk.network.models import NetworkElement
from netdesk.noc.models import (
    Alarm,
    AlarmState,
    IncidentState,
    IncidentTicket,
    IncidentUpdate,
    NetworkIncident,
)
from netdesk.noc.services.impact_refresh import incidents_impact_refresh
from netdesk.noc.services.incident_open import (
    check_interval,
    incident_open_deferred,
    incidents_open_finish,
)
from netdesk.noc.services.liaison import liaison_status_update
from netdesk.tickets.choices import OPEN_STATUSES, ResolutionCode, RootCause
from netdesk.tickets.events import (
    event_incident_linked,
    event_incident_resolved,
    event_incident_unlinked,
    event_incident_updated,
    incident_update_text,
)
from netdesk.tickets.models import Ticket
from netdesk.tickets.services import comment_add, ticket_resolve


def incident_impact_refresh(*, incident: NetworkIncident, now: datetime | None = None) -> None:
    """Recount the services, customers and key accounts below the
    incident's elements (after any change to its elements)."""
    incidents_impact_refresh(incidents=[incident], now=now)


@transaction.atomic
def incident_create(
    *,
    actor: User | None,
    title: str,
    detected_by: str,
    started_at: datetime | None = None,
    root_element: NetworkElement | None = None,
    elements: Iterable[NetworkElement] = (),
    technical_description: str = "",
    customer_description: str = "",
    eta: datetime | None = None,
    update_every_minutes: int = 60,
) -> NetworkIncident:
    """Open an incident (by hand, from alarms, or from confirmed complaints).
    `actor` None is the desk itself correlating alarms."""
    incident = incident_open_deferred(
        actor=actor,
        title=title,
        detected_by=detected_by,
        started_at=started_at,
        root_element_id=root_element.pk if root_element is not None else None,
        technical_description=technical_description,
        customer_description=customer_description,
        eta=eta,
        update_every_minutes=update_every_minutes,
    )
    incident.elements.set(list(elements))
    incidents_open_finish(incidents=[incident], actor=actor)
    return incident


@transaction.atomic
def incident_update(
    *,
    actor: User | None,
    incident: NetworkIncident,
    state: str | None = None,
    technical_note: str = "",
    customer_message: str = "",
    eta: datetime | None = None,
    clear_eta: bool = False,
    root_element: NetworkElement | None = None,
    elements: Iterable[NetworkElement] | None = None,
    update_every_minutes: int | None = None,
) -> IncidentUpdate:
    """Post an update: a new state, notes in both voices, a new ETA or a
    different scope. The customer wording goes to every linked ticket as an
    internal note, so the agent who takes the next call has it."""
    require(actor, Action.INCIDENT_MANAGE)
    locked(incident, what="network incident")
    if incident.state == IncidentState.RESOLVED:
        raise TransitionNotAllowed(
            f"{incident.reference} is resolved; reopen it by opening a new incident.",
            field="state",
            value=incident.state,
            accepted=[],
        )
    if state is not None:
        checked_choice("state", state, [s for s in IncidentState.values if s != "resolved"])
    if not (state or technical_note.strip() or customer_message.strip() or eta or clear_eta) and (
        root_element is None and elements is None and update_every_minutes is None
    ):
        raise ValidationFailed(
            "An update needs a state, a note, a message, an ETA or a change of scope.",
            field="technical_note",
            value="",
            accepted="at least one change",
        )
    now = timezone.now()
    changed = ["next_update_due"]
    if state:
        incident.state = state
        changed.append("state")
    if eta is not None or clear_eta:
        if eta is not None and eta < incident.started_at:
            raise ValidationFailed(
                "The ETA is before the incident started.",
                field="eta",
                value=eta.isoformat(),
                accepted=f"a time after {incident.started_at.isoformat()}",
            )
        incident.eta = None if clear_eta else eta
        changed.append("eta")
    if customer_message.strip():
        incident.customer_description = customer_message.strip()
        changed.append("customer_description")
    if update_every_minutes is not None:
        check_interval(update_every_minutes)
        incident.update_every_minutes = update_every_minutes
        changed.append("update_every_minutes")
    scope_changed = root_element is not None or elements is not None
    if root_element is not None:
        incident.root_element = root_element
        changed.append("root_element")
    incident.next_update_due = now + timedelta(minutes=incident.update_every_minutes)
    incident.save(update_fields=changed)
    if elements is not None:
        incident.elements.set(list(elements))
    if scope_changed:
        incident_impact_refresh(incident=incident, now=now)
    update = IncidentUpdate.objects.create(
        incident=incident,
        at=now,
        author=actor,
        state=incident.state,
        technical_note=technical_note.strip(),
        customer_message=customer_message.strip(),
    )
    _tell_linked_tickets(incident, update, actor)
    return update


def _tell_linked_tickets(
    incident: NetworkIncident,
    update: IncidentUpdate,
    actor: User | None,
    *,
    resolved: bool = False,
) -> None:
    """Incident updates flow to the open child tickets (their timelines), and
    the exchange is recorded as the NOC telling customer service."""
    tickets = Ticket.objects.filter(
        pk__in=IncidentTicket.objects.filter(incident=incident, unlinked_at__isnull=True).values(
            "ticket_id"
        ),
        status__in=OPEN_STATUSES,
    )
    for ticket in tickets:
        if resolved:
            event_incident_resolved(
                ticket=ticket,
                actor=actor,
                incident=incident.reference,
                customer_message=update.customer_message,
                root_cause=incident.get_root_cause_display(),
                at=update.at,
            )
        else:
            event_incident_updated(
                ticket=ticket,
                actor=actor,
                incident=incident.reference,
                state=update.get_state_display(),
                customer_message=update.customer_message,
                eta=incident.eta,
                at=update.at,
            )
    body = incident_update_text(
        state=update.get_state_display(), customer_message=update.customer_message, eta=incident.eta
    )
    liaison_status_update(incident=incident, actor=actor, body=body, at=update.at)


@transaction.atomic
def incident_link_ticket(
    *, actor: User | None, incident: NetworkIncident, ticket: Ticket, automatic: bool = False
) -> IncidentTicket:
    """Attach a customer ticket as a child of the incident (idempotent)."""
    require(actor, Action.TICKET_LINK if not automatic else Action.TICKET_CREATE)
    locked(incident, what="network incident")
    existing = IncidentTicket.objects.filter(
        incident=incident, ticket=ticket, unlinked_at__isnull=True
    ).first()
    if existing is not None:
        return existing
    if incident.state == IncidentState.RESOLVED:
        raise TransitionNotAllowed(
            f"{incident.reference} is resolved; tickets are no longer attached to it.",
            field="incident",
            value=incident.reference,
            accepted="an active incident",
        )
    now = timezone.now()
    link = IncidentTicket.objects.create(
        incident=incident, ticket=ticket, linked_at=now, linked_by=actor, automatic=automatic
    )
    event_incident_linked(
        ticket=ticket,
        actor=actor,
        incident=incident.reference,
        description=incident.customer_description or incident.title,
        automatic=automatic,
        at=now,
    )
    return link


@transaction.atomic
def incident_unlink_ticket(
    *, actor: User, incident: NetworkIncident, ticket: Ticket, reason: str
) -> IncidentTicket:
    """Detach a ticket the agent knows is not caused by the incident."""
    require(actor, Action.TICKET_LINK)
    reason = checked_text("reason", reason, 300)
    link = (
        IncidentTicket.objects.select_for_update()
        .filter(incident=incident, ticket=ticket, unlinked_at__isnull=True)
        .first()
    )
    if link is None:
        raise ValidationFailed(
            f"{ticket.reference} is not linked to {incident.reference}.",
            field="ticket",
            value=ticket.reference,
            accepted="a ticket linked to this incident",
        )
    now = timezone.now()
    link.unlinked_at, link.unlinked_by, link.unlink_reason = now, actor, reason
    link.save(update_fields=["unlinked_at", "unlinked_by", "unlink_reason"])
    event_incident_unlinked(
        ticket=ticket, actor=actor, incident=incident.reference, reason=reason, at=now
    )
    return link


@transaction.atomic
def incident_resolve(
    *,
    actor: User | None,
    incident: NetworkIncident,
    root_cause: str,
    technical_note: str = "",
    customer_message: str = "",
    resolve_children: bool = False,
    resolved_at: datetime | None = None,
    confirm: bool = False,
) -> list[str]:
    """Resolve the incident. While any of its alarms still fires, only with
    `confirm` (the NOC has seen them). With `resolve_children`, each open
    child ticket is resolved as "network restored" with the customer-facing
    message as a reply; tickets that cannot be resolved are listed with the
    reason, not silently skipped. Returns those problems. `actor` None is
    the desk itself closing an incident whose alarms stayed clear
    (`netdesk.noc.services.lifecycle`); it resolves no child tickets."""
    require(actor, Action.INCIDENT_MANAGE)
    checked_choice("root_cause", root_cause, RootCause.values)
    locked(incident, what="network incident")
    if incident.state == IncidentState.RESOLVED:
        raise TransitionNotAllowed(
            f"{incident.reference} is already resolved.",
            field="state",
            value=incident.state,
            accepted=[s for s in IncidentState.values if s != "resolved"],
        )
    if resolve_children:
        _check_children_resolvable(actor, customer_message)
    if not confirm:
        _refuse_while_alarms_fire(incident)
    now = timezone.now()
    resolved_at = resolved_at or now
    if resolved_at < incident.started_at or resolved_at > now + timedelta(minutes=5):
        raise ValidationFailed(
            "The restoration time must lie between the start and now.",
            field="resolved_at",
            value=resolved_at.isoformat(),
            accepted=f"{incident.started_at.isoformat()} to now",
        )
    incident.state = IncidentState.RESOLVED
    incident.resolved_at = resolved_at
    incident.root_cause = root_cause
    incident.next_update_due = None
    incident.eta = None  # restored: nothing left to expect
    if customer_message.strip():
        incident.customer_description = customer_message.strip()
    incident.save(
        update_fields=[
            "state",
            "resolved_at",
            "root_cause",
            "next_update_due",
            "eta",
            "customer_description",
        ]
    )
    update = IncidentUpdate.objects.create(
        incident=incident,
        at=now,
        author=actor,
        state=incident.state,
        technical_note=technical_note.strip() or f"Resolved: {incident.get_root_cause_display()}",
        customer_message=customer_message.strip(),
    )
    # Every open child hears of it first, whether or not it is resolved with it.
    _tell_linked_tickets(incident, update, actor, resolved=True)
    # The customers told of the failure are told it is over.
    hooks_run("incident_resolved", incident=incident, update=update, actor=actor)
    problems: list[str] = []
    if resolve_children and actor is not None:
        problems = _resolve_children(incident, actor, customer_message.strip(), root_cause)
    return problems


def _check_children_resolvable(actor: User | None, customer_message: str) -> None:
    if actor is None:
        raise ValidationFailed(
            "Only a person resolves the child tickets: their customers get a reply.",
            field="resolve_children",
            value=True,
            accepted="false when the desk resolves the incident itself",
        )
    if not customer_message.strip():
        raise ValidationFailed(
            "Resolving the child tickets needs the message their customers will get.",
            field="customer_message",
            value=customer_message,
            accepted="a non-empty text",
        )


FIRING_NAMED = 20


def _refuse_while_alarms_fire(incident: NetworkIncident) -> None:
    """Alarms still firing usually mean the failure is not over: say which,
    and let the NOC go on only once it has seen them."""
    firing = list(
        Alarm.objects.filter(incident=incident, state=AlarmState.FIRING)
        .select_related("element")
        .order_by("name", "element__name", "element_ref", "id")
    )
    if not firing:
        return
    items = [
        f"{a.name} on {a.element.name if a.element else a.element_ref or 'an unknown element'}"
        for a in firing[:FIRING_NAMED]
    ]
    more = f" and {len(firing) - FIRING_NAMED} more" if len(firing) > FIRING_NAMED else ""
    raise ConfirmationNeeded(
        f"{len(firing)} alarm(s) of {incident.reference} still fire: {', '.join(items)}{more}. "
        "Resolve anyway only if they are stale; send confirm to go on.",
        field="confirm",
        items=items,
    )


def _resolve_children(
    incident: NetworkIncident, actor: User, message: str, root_cause: str
) -> list[str]:
    problems = []
    links = IncidentTicket.objects.filter(incident=incident, unlinked_at__isnull=True)
    # In ticket order: locks are taken in one order, and what depends on
    # which ticket resolved first (one survey per incident and customer)
    # goes to the oldest ticket whatever the database's row order.
    tickets = (
        Ticket.objects.filter(pk__in=links.values("ticket_id"))
        .exclude(status__in=["resolved", "closed"])
        .order_by("pk")
    )
    for ticket in tickets:
        try:
            with transaction.atomic():
                comment_add(actor=actor, ticket=ticket, body=message, visibility="public")
                ticket_resolve(
                    actor=actor,
                    ticket=ticket,
                    resolution_code=ResolutionCode.NETWORK_RESTORED,
                    root_cause=root_cause,
                    notes=f"Resolved with network incident {incident.reference}.",
                )
        except ServiceError as error:
            problems.append(f"{ticket.reference}: {error.message}")
    return problems
