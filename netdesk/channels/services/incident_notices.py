"""Incident notices: an incident's affected customers told by mail, once per
customer per incident update, capped and throttled; and the all-clear to the
same people when the incident is resolved."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Max, Q
from django.utils import timezone

from netdesk.accounts.models import User
from netdesk.accounts.permissions import Action, require
from netdesk.channels.models import OutboundKind, OutboundMessage, OutboundState
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
# The customers not reachable are counted in full; this many are named.
NAMED = 100


@dataclass
class NoticeResult:
    """What one notification did: queued messages, customers who already had
    this update's notice, and customers with no address to write to."""

    incident: str
    update_id: int
    affected: int = 0
    queued: int = 0
    already_notified: int = 0
    not_reachable: int = 0
    # Account numbers of the first NAMED customers not reachable.
    not_reachable_accounts: list[str] = field(default_factory=list)


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


def _pages(incident: NetworkIncident) -> Iterator[list[Customer]]:
    # The desk itself reads them: a notice goes to every affected customer,
    # not only to the accounts of whoever sends it.
    after = 0
    while True:
        page = affected_customers(incident, user=None, after_id=after, limit=PAGE)
        if page:
            yield page
        if len(page) < PAGE:
            return
        after = page[-1].pk


@transaction.atomic
def incident_notify(
    *,
    actor: User,
    incident: NetworkIncident,
    update: IncidentUpdate | None = None,
    confirm: bool = False,
) -> NoticeResult:
    """Queue a notice of `update` (the latest by default) to each customer the
    incident affects, to its verified, not bouncing contacts (else the
    customer's own address). Once per customer per update: a second call
    queues only for customers who had none. Above NETDESK_NOTICE_CAP
    customers only with `confirm`. Send times are spread at
    NETDESK_NOTICE_RATE."""
    require(actor, Action.CUSTOMERS_NOTIFY)
    locked(incident, what="network incident")
    update = _update_of(incident, update)
    _check_notifiable(incident, update)
    notified = OutboundMessage.objects.filter(
        kind=OutboundKind.INCIDENT_NOTICE, incident_update=update
    )
    affected = impact_of(incident_element_ids(incident)).customers
    pending = max(0, affected - notified.count())
    cap: int = settings.NETDESK_NOTICE_CAP
    if pending > cap and not confirm:
        raise ConfirmationNeeded(
            f"{incident.reference} would notify {pending} customers, more than the cap of "
            f"{cap} (NETDESK_NOTICE_CAP). Send confirm to notify them all.",
            field="confirm",
            items=[f"{pending} customers to notify", f"cap {cap}"],
        )
    result = NoticeResult(incident=incident.reference, update_id=update.pk)
    times = SendTimes(timezone.now())

    def wanted() -> Iterator[BulkMessage]:
        # Read a page of customers as the queue writes the previous one.
        for page in _pages(incident):
            result.affected += len(page)
            had = set(notified.filter(customer__in=page).values_list("customer_id", flat=True))
            addresses = customer_addresses(page)
            for customer in page:
                if customer.pk in had:
                    result.already_notified += 1
                elif not addresses.get(customer.pk):
                    result.not_reachable += 1
                    if len(result.not_reachable_accounts) < NAMED:
                        result.not_reachable_accounts.append(customer.account_number)
                else:
                    context = MessageContext(customer=customer, incident=incident, update=update)
                    yield BulkMessage(
                        to=addresses[customer.pk],
                        context=context,
                        customer=customer,
                        send_at=times.take(),
                    )

    queued = outbound_queue_many(
        kind=OutboundKind.INCIDENT_NOTICE,
        messages=wanted(),
        actor=actor,
        incident=incident,
        incident_update=update,
    )
    result.queued = queued.queued
    # Another notification of the same update committed meanwhile.
    result.already_notified += queued.already_queued
    return result


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
