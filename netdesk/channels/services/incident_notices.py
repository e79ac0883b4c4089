"""Incident notices: an incident's affected customers told by mail, once per
customer per incident update, capped and throttled; and the all-clear to the
same people when the incident is resolved. A request only checks and takes
the order (`incident_notify`); a task queues the notices a page at a time
(`incident_notify_step`)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Max, Q
from django.utils import timezone

from netdesk.accounts.models import User
from netdesk.accounts.permissions import Action, require
from netdesk.channels.models import (
    OPEN_NOTIFY_STATES,
    NotifyOrder,
    NotifyState,
    OutboundKind,
    OutboundMessage,
    OutboundState,
)
from netdesk.channels.selectors_notices import customer_addresses, latest_update
from netdesk.channels.services.outbound_bulk import BulkMessage, outbound_queue_many
from netdesk.channels.services.templates import MessageContext
from netdesk.config import parse_rate
from netdesk.core.errors import ConfirmationNeeded, TransitionNotAllowed, ValidationFailed
from netdesk.core.locking import locked
from netdesk.customers.models import Customer
from netdesk.noc.impact import impact_of
from netdesk.noc.models import IncidentState, IncidentUpdate, NetworkIncident
from netdesk.noc.selectors import affected_customers, incident_element_ids

NOTICE_KINDS = (OutboundKind.INCIDENT_NOTICE, OutboundKind.ALL_CLEAR)
# Customers read per step: one page of the NOC's selector, one query for
# their contacts, one for who already has this update's notice.
PAGE = 1000
# What a page of an order changes on it.
PROGRESS_FIELDS = [
    *("state", "affected", "customers_done", "after_customer_id", "queued"),
    *("already_notified", "not_reachable", "not_reachable_accounts", "problem"),
    *("finished_at", "updated_at"),
]
# The customers not reachable are counted in full; this many are named.
NAMED = 100


def notice_gap() -> timedelta:
    """The time between two notices at NETDESK_NOTICE_RATE."""
    count, seconds = parse_rate(settings.NETDESK_NOTICE_RATE)
    return timedelta(seconds=seconds / count)


class SendTimes:
    """Send times for notices, one gap apart, after those already queued:
    two incidents notified one after the other share the rate."""

    def __init__(self, now: datetime) -> None:
        self.gap = notice_gap()
        last = OutboundMessage.objects.filter(
            kind__in=NOTICE_KINDS, state=OutboundState.QUEUED
        ).aggregate(last=Max("next_attempt_at"))["last"]
        self.next_at = now if last is None else max(now, last + self.gap)

    def take(self) -> datetime:
        at = self.next_at
        self.next_at += self.gap
        return at


def _update_of(incident: NetworkIncident, update: IncidentUpdate | None) -> IncidentUpdate:
    if update is None:
        latest = latest_update(incident)
        if latest is None:
            raise ValidationFailed(
                f"{incident.reference} has no update to tell customers about.",
                field="update",
                value=None,
                accepted="an update of the incident",
            )
        return latest
    if update.incident_id != incident.pk:
        raise ValidationFailed(
            f"Update {update.pk} belongs to another incident, not {incident.reference}.",
            field="update",
            value=update.pk,
            accepted=f"an update of {incident.reference}",
        )
    return update


def _check_notifiable(incident: NetworkIncident, update: IncidentUpdate) -> None:
    if incident.merged_into_id is not None:
        into = NetworkIncident.objects.get(pk=incident.merged_into_id)
        raise TransitionNotAllowed(
            f"{incident.reference} was merged into {into.reference}: notify that "
            "incident's customers (they include this one's).",
            field="incident",
            value=incident.reference,
            accepted=into.reference,
        )
    if incident.state == IncidentState.RESOLVED:
        raise TransitionNotAllowed(
            f"{incident.reference} is resolved; the customers notified of it got the all-clear.",
            field="incident",
            value=incident.reference,
            accepted="an active incident",
        )
    if not (update.customer_message.strip() or incident.customer_description.strip()):
        raise ValidationFailed(
            f"{incident.reference} has no customer wording yet: post an update with a "
            "message for customers first.",
            field="customer_message",
            value="",
            accepted="a non-empty message for customers",
        )


def _open_order(update: IncidentUpdate) -> NotifyOrder | None:
    return NotifyOrder.objects.filter(incident_update=update, state__in=OPEN_NOTIFY_STATES).first()


@transaction.atomic
def incident_notify(
    *,
    actor: User,
    incident: NetworkIncident,
    update: IncidentUpdate | None = None,
    confirm: bool = False,
) -> tuple[NotifyOrder, bool]:
    """Order a notice of `update` (the latest by default) to each customer
    the incident affects that has none yet; the task
    `incident_notify_send` queues them (`incident_notify_step`). Only the
    checks run here, with cheap counts (the impact index, the notices of
    the update): above NETDESK_NOTICE_CAP customers to notify only with
    `confirm`. While an order of the same update is under way, that order
    is answered instead of a new one. Returns the order and whether it is
    new (then the caller queues the task, in this transaction)."""
    require(actor, Action.CUSTOMERS_NOTIFY)
    locked(incident, what="network incident")
    update = _update_of(incident, update)
    _check_notifiable(incident, update)
    running = _open_order(update)
    if running is not None:
        return running, False
    notified = OutboundMessage.objects.filter(
        kind=OutboundKind.INCIDENT_NOTICE, incident_update=update
    ).count()
    affected = impact_of(incident_element_ids(incident)).customers
    pending = max(0, affected - notified)
    cap: int = settings.NETDESK_NOTICE_CAP
    if pending > cap and not confirm:
        raise ConfirmationNeeded(
            f"{incident.reference} would notify {pending} customers, more than the cap of "
            f"{cap} (NETDESK_NOTICE_CAP). Send confirm to notify them all.",
            field="confirm",
            items=[f"{pending} customers to notify", f"cap {cap}"],
        )
    order = NotifyOrder.objects.create(
        incident=incident,
        incident_update=update,
        created_by=actor,
        affected=affected,
        to_notify=pending,
    )
    return order, True


def _stopped_because(incident: NetworkIncident) -> str:
    if incident.merged_into_id is not None:
        return f"{incident.reference} was merged into another incident meanwhile"
    if incident.state == IncidentState.RESOLVED:
        return f"{incident.reference} was resolved meanwhile (its all-clear went out)"
    return ""


def _page_queue(order: NotifyOrder, page: list[Customer]) -> None:
    """Queue the notices of one page of customers and count them on `order`."""
    incident, update = order.incident, order.incident_update
    had = set(
        OutboundMessage.objects.filter(
            kind=OutboundKind.INCIDENT_NOTICE, incident_update=update, customer__in=page
        ).values_list("customer_id", flat=True)
    )
    addresses = customer_addresses(page)
    times = SendTimes(timezone.now())
    wanted: list[BulkMessage] = []
    for customer in page:
        if customer.pk in had:
            order.already_notified += 1
        elif not addresses.get(customer.pk):
            order.not_reachable += 1
            if len(order.not_reachable_accounts) < NAMED:
                order.not_reachable_accounts.append(customer.account_number)
        else:
            context = MessageContext(customer=customer, incident=incident, update=update)
            wanted.append(
                BulkMessage(
                    to=addresses[customer.pk],
                    context=context,
                    customer=customer,
                    send_at=times.take(),
                )
            )
    queued = outbound_queue_many(
        kind=OutboundKind.INCIDENT_NOTICE,
        messages=wanted,
        actor=order.created_by,
        incident=incident,
        incident_update=update,
    )
    order.queued += queued.queued
    # Notified meanwhile by an order of the same update that ran before.
    order.already_notified += queued.already_queued
    order.customers_done += len(page)
    order.after_customer_id = page[-1].pk if page else order.after_customer_id


@transaction.atomic
def incident_notify_step(*, order_id: int) -> bool:
    """Queue the notices of the next page of the order's customers, in one
    transaction with the order's counts and position; True while pages
    remain. The incident and then the order are locked, in the order the
    request takes them: a resolution waits for the page in progress, and
    the next page sees it and stops."""
    incident_id = (
        NotifyOrder.objects.filter(pk=order_id, state__in=OPEN_NOTIFY_STATES)
        .values_list("incident_id", flat=True)
        .first()
    )
    if incident_id is None:
        return False
    incident = locked(NetworkIncident(pk=incident_id), what="network incident")
    order = (
        NotifyOrder.objects.select_for_update(of=("self",))
        .select_related("incident_update", "created_by")
        .get(pk=order_id)
    )
    if not order.is_open:  # finished by another run while this one waited
        return False
    order.incident = incident
    stopped = _stopped_because(incident)
    page = (
        []
        if stopped
        else affected_customers(incident, user=None, after_id=order.after_customer_id, limit=PAGE)
    )
    if page:
        _page_queue(order, page)
    order.state = NotifyState.RUNNING
    if stopped:
        order.state, order.problem = NotifyState.FAILED, stopped
    elif len(page) < PAGE:
        order.state, order.affected = NotifyState.DONE, order.customers_done
    if not order.is_open:
        order.finished_at = timezone.now()
    order.save(update_fields=PROGRESS_FIELDS)
    return order.is_open


def incident_notify_fail(*, order_id: int, problem: str) -> None:
    """Record why an order stopped; its pages done stay done."""
    NotifyOrder.objects.filter(pk=order_id, state__in=OPEN_NOTIFY_STATES).update(
        state=NotifyState.FAILED, problem=problem, finished_at=timezone.now()
    )


def notify_orders_stranded(*, older_than: timedelta) -> list[int]:
    """Orders still open but untouched for `older_than` (a worker killed
    between two pages, a task lost): their ids, each marked as touched now so
    that it is handed out once per `older_than`."""
    now = timezone.now()
    with transaction.atomic():
        ids = list(
            NotifyOrder.objects.select_for_update(skip_locked=True)
            .filter(state__in=OPEN_NOTIFY_STATES, updated_at__lt=now - older_than)
            .values_list("pk", flat=True)
        )
        NotifyOrder.objects.filter(pk__in=ids).update(updated_at=now)
    return ids


@transaction.atomic
def incident_all_clear(
    *, incident: NetworkIncident, update: IncidentUpdate, actor: User | None
) -> int:
    """Queue the all-clear of `update` (the resolution) to every customer
    notified of the incident or of one merged into it, to the addresses
    their latest notice went to; once each, so running it again (the task
    `incident_all_clear_send` after a crash) queues only who is missing.
    Returns how many were queued."""
    notices = (
        OutboundMessage.objects.filter(kind=OutboundKind.INCIDENT_NOTICE, customer__isnull=False)
        .filter(Q(incident=incident) | Q(incident__merged_into=incident))
        .order_by("customer_id", "-created_at", "-pk")
    )
    cleared = set(
        OutboundMessage.objects.filter(
            kind=OutboundKind.ALL_CLEAR, incident_update=update
        ).values_list("customer_id", flat=True)
    )
    latest: dict[int, str] = {}
    for customer_id, to in notices.values_list("customer_id", "to_addresses").iterator():
        if customer_id not in cleared:
            latest.setdefault(customer_id, to)
    if not latest:
        return 0
    times = SendTimes(timezone.now())

    def wanted() -> Iterator[BulkMessage]:
        ids = sorted(latest)
        for start in range(0, len(ids), PAGE):
            page = Customer.objects.filter(pk__in=ids[start : start + PAGE]).order_by("pk")
            for customer in page:
                yield BulkMessage(
                    to=[a.strip() for a in latest[customer.pk].split(",") if a.strip()],
                    context=MessageContext(customer=customer, incident=incident, update=update),
                    customer=customer,
                    send_at=times.take(),
                )

    return outbound_queue_many(
        kind=OutboundKind.ALL_CLEAR,
        messages=wanted(),
        actor=actor,
        incident=incident,
        incident_update=update,
    ).queued
