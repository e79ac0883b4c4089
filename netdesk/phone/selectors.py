"""Reads of the phone system: the endpoint a token opens, who a number
belongs to, the outage a caller's services are in, and the call log."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import (
    BooleanField,
    CharField,
    Count,
    F,
    Func,
    IntegerField,
    Q,
    QuerySet,
    Value,
)
from django.utils import timezone

from netdesk.accounts.models import User, hash_token
from netdesk.accounts.permissions import sees_all_customers
from netdesk.core.cursors import time_cursor_read, time_cursor_write
from netdesk.core.errors import ValidationFailed
from netdesk.customers.models import (
    PHONE_TAIL,
    Contact,
    Customer,
    Service,
    ServiceStatus,
    normalise_phone,
)
from netdesk.network.selectors import topology
from netdesk.noc.models.incidents import NetworkIncident, incident_reference
from netdesk.noc.selectors import active_incidents
from netdesk.phone.models import Call, CallDirection, CallerLookup, CallOutcome, CtiEndpoint

# Several matches are offered to the agent to choose from; more than this
# many means the number is a switchboard's, and a search serves better.
CALLER_MATCHES_MAX = 5
TOKEN_MAX = 200
CALLS_PAGE_MAX = 200


class PhoneTail(Func):
    """The last PHONE_TAIL digits of a number, written with literal numbers
    as the customers' expression indexes are: SQLite uses an index on an
    expression only for the same text, and Right() would bind its numbers
    as parameters (a scan of every contact per call)."""

    template = f"RIGHT(%(expressions)s, {PHONE_TAIL})"
    output_field = CharField()

    def as_sqlite(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        template = f"SUBSTR(%(expressions)s, ({PHONE_TAIL} * -1), {PHONE_TAIL})"
        return self.as_sql(compiler, connection, template=template, **extra)


def cti_endpoint_for_token(token: str) -> CtiEndpoint | None:
    """The live (unrevoked) endpoint whose token this is, or None."""
    if not token or len(token) > TOKEN_MAX:
        return None
    return CtiEndpoint.objects.filter(token_hash=hash_token(token), revoked_at__isnull=True).first()


@dataclass(frozen=True)
class CallerMatch:
    """A customer a calling number belongs to (its own number or one of its
    contacts'), with the contact when the number is a contact's."""

    customer_id: int
    name: str
    account_number: str
    segment: str
    language: str
    contact_id: int | None


def callers_by_number(number: str) -> list[CallerMatch]:
    """The customers whose own number or whose contact's number ends in the
    same nine digits as `number` (the customer search's matching: a number
    written +49 30…, 0049 30… or 030… is the same line). Numbers shorter
    than that (internal extensions, "anonymous") match no one. Contacts
    first (primary ones first), then customers by their own number; at most
    CALLER_MATCHES_MAX customers.

    One statement: both searches (each on its phone-tail index) joined with
    UNION ALL. Every call event and IVR lookup asks this, and on PostgreSQL
    each round trip to the server waits its turn for a core."""
    digits = normalise_phone(number)
    if len(digits) < PHONE_TAIL:
        return []
    tail = digits[-PHONE_TAIL:]
    contacts = (
        Contact.objects.annotate(tail=PhoneTail("phone_digits"))
        .filter(tail=tail)
        .annotate(
            rank=Value(0, output_field=IntegerField()),
            primary=F("is_primary"),
            contact=F("pk"),
        )
        .values_list(
            "rank",
            "primary",
            "contact",
            "customer_id",
            "customer__name",
            "customer__account_number",
            "customer__segment",
            "customer__language",
        )
    )
    own = (
        Customer.objects.annotate(tail=PhoneTail("phone_digits"))
        .filter(tail=tail)
        .annotate(
            rank=Value(1, output_field=IntegerField()),
            primary=Value(False, output_field=BooleanField()),
            contact=Value(None, output_field=IntegerField()),
        )
        .values_list(
            "rank", "primary", "contact", "pk", "name", "account_number", "segment", "language"
        )
    )
    rows = contacts.union(own, all=True).order_by("rank", "-primary", "contact", "customer_id")
    found: dict[int, CallerMatch] = {}
    for _, _, contact, customer, name, account_number, segment, language in rows[
        : CALLER_MATCHES_MAX * 3
    ]:
        if customer not in found:
            found[customer] = CallerMatch(
                customer, name, account_number, segment, language, contact
            )
    return list(found.values())[:CALLER_MATCHES_MAX]


@dataclass(frozen=True)
class KnownOutage:
    """An active network incident on the path of the caller's services, in
    the words the desk may tell customers."""

    incident: str  # "NI-…"
    message: str


def outage_message(*, description: str, eta: datetime | None) -> str:
    """What the IVR says: the incident's customer-facing text, and when it
    is expected to be fixed where the NOC has said so."""
    text = description.strip() or "We know of a fault in the network that affects your service."
    if not text.endswith((".", "!", "?")):
        text += "."
    if eta is not None:
        local = timezone.localtime(eta)
        text += f" We expect it to be fixed by {local:%H:%M} on {local:%d %B}."
    return text


def known_outage_for(customer_ids: Sequence[int]) -> KnownOutage | None:
    """The newest active incident on the path of one of the services (its
    root element or one of its elements) of the first customer, in the
    order given, that has one; None when none has.

    The IVR asks this for every caller, most often during an outage, so it
    reads only what lies on the callers' paths: the active incidents' ids
    and roots (one query; none active ends here), the customers' access
    elements (one), and, unless the newest incident is rooted on the first
    path, the incidents holding an element of those paths (one). The
    elements of every active incident are never loaded, so the cost stays
    the same however many incidents are open, however large they are, and
    however many customers share the number."""
    incidents = list(
        active_incidents()
        .order_by("-id")
        .values_list("pk", "root_element_id", "customer_description", "eta")
    )
    if not incidents or not customer_ids:
        return None
    paths = _paths_of(customer_ids)
    if not paths:
        return None
    held: dict[int, set[int]] = {}  # element -> the active incidents it fails
    for pk, root, _, _ in incidents:
        if root is not None:
            held.setdefault(root, set()).add(pk)
    if incidents[0][1] not in paths[0]:
        on_any_path: set[int] = set()
        for path in paths:
            on_any_path |= path
        rows = NetworkIncident.elements.through.objects.filter(
            networkincident_id__in=[pk for pk, _, _, _ in incidents],
            networkelement_id__in=on_any_path,
        ).values_list("networkelement_id", "networkincident_id")
        for element, pk in rows:
            held.setdefault(element, set()).add(pk)
    for path in paths:
        hit = {pk for element in path for pk in held.get(element, ())}
        for pk, _, description, eta in incidents:
            if pk in hit:
                return KnownOutage(
                    incident=incident_reference(pk),
                    message=outage_message(description=description, eta=eta),
                )
    return None


def _paths_of(customer_ids: Sequence[int]) -> list[set[int]]:
    """The elements on the paths of each customer's services (the access
    element and everything above it), in the customers' order; customers
    with no service on the network are left out."""
    access: dict[int, set[int]] = {}
    services = (
        Service.objects.filter(customer_id__in=customer_ids, access_element__isnull=False)
        .exclude(status=ServiceStatus.CEASED)
        .values_list("customer_id", "access_element_id")
    )
    for customer_id, element_id in services:
        access.setdefault(customer_id, set()).add(element_id)
    forest = topology()
    return [
        {element for start in access[customer] for element in forest.path_to_root(start)}
        for customer in customer_ids
        if customer in access
    ]


# --- the call log --------------------------------------------------------------------------


@dataclass(frozen=True)
class CallFilter:
    outcome: str | None = None
    direction: str | None = None
    customer: int | None = None
    # Missed or abandoned inbound calls nobody has called back.
    callbacks_only: bool = False


def calls_visible_to(user: User) -> QuerySet[Call]:
    """Calls an account manager sees are those of their customers; every
    other role that may see calls sees them all."""
    calls = Call.objects.all()
    if sees_all_customers(user):
        return calls
    return calls.filter(
        Q(customer__account_manager=user) | Q(customer__parent_account__account_manager=user)
    )


def callback_calls() -> Q:
    """Inbound calls the desk did not take and nobody has called back."""
    return Q(
        direction=CallDirection.INBOUND,
        outcome__in=[CallOutcome.MISSED, CallOutcome.ABANDONED],
        called_back_at__isnull=True,
    )


def call_page(
    *, user: User, filters: CallFilter, cursor: str | None, limit: int
) -> tuple[list[Call], str | None]:
    """A page of the call log, newest first, and the cursor of the next page
    (None on the last). Keyset pagination on (started_at, id): a page costs
    the same however deep it is. One query."""
    if not 1 <= limit <= CALLS_PAGE_MAX:
        raise ValidationFailed(
            f"limit {limit} is out of range.",
            field="limit",
            value=limit,
            accepted=f"1 to {CALLS_PAGE_MAX}",
        )
    calls = calls_visible_to(user)
    if filters.outcome:
        calls = calls.filter(outcome=filters.outcome)
    if filters.direction:
        calls = calls.filter(direction=filters.direction)
    if filters.customer:
        calls = calls.filter(customer_id=filters.customer)
    if filters.callbacks_only:
        calls = calls.filter(callback_calls())
    if cursor:
        started, pk = time_cursor_read(cursor)
        calls = calls.filter(Q(started_at__lt=started) | Q(started_at=started, pk__lt=pk))
    rows = list(
        calls.select_related("customer", "answered_by", "ticket").order_by("-started_at", "-pk")[
            : limit + 1
        ]
    )
    next_cursor = (
        time_cursor_write(rows[limit - 1].started_at, rows[limit - 1].pk)
        if len(rows) > limit
        else None
    )
    return rows[:limit], next_cursor


def call_row(call: Call) -> dict[str, Any]:
    """One call as the call log API gives it."""
    return {
        "id": call.pk,
        "call_id": call.call_id,
        "from": call.from_number,
        "to": call.to_number,
        "direction": call.direction,
        "customer": call.customer_id,
        "answered_by": call.answered_by.username if call.answered_by else None,
        "started_at": call.started_at,
        "answered_at": call.answered_at,
        "ended_at": call.ended_at,
        "duration_seconds": call.duration_seconds,
        "outcome": call.outcome or None,
        "ticket": call.ticket.reference if call.ticket else None,
        "heard_outage": call.heard_outage or None,
    }


@dataclass(frozen=True)
class OutageNoticeCount:
    """For one incident: how many callers the IVR told of it, and how many
    of them still called (and how those calls ended)."""

    incident: str
    callers_told: int
    still_called: int
    answered: int
    abandoned: int


def outage_notice_counts(*, since: datetime) -> list[OutageNoticeCount]:
    """Per incident announced since `since`, newest reference first. Two
    queries: the lookups that found an outage, and the calls that followed."""
    told = dict(
        CallerLookup.objects.filter(at__gte=since)
        .exclude(incident_reference="")
        .values_list("incident_reference")
        .annotate(callers=Count("number_digits", distinct=True))
        .order_by()
    )
    calls = (
        Call.objects.filter(started_at__gte=since)
        .exclude(heard_outage="")
        .values_list("heard_outage")
        .annotate(
            still_called=Count("pk"),
            answered=Count("pk", filter=Q(outcome=CallOutcome.ANSWERED)),
            abandoned=Count("pk", filter=Q(outcome=CallOutcome.ABANDONED)),
        )
        .order_by()
    )
    followed = {row[0]: row[1:] for row in calls}
    references = sorted(set(told) | set(followed), key=_reference_number, reverse=True)
    return [
        OutageNoticeCount(reference, told.get(reference, 0), *followed.get(reference, (0, 0, 0)))
        for reference in references
    ]


def _reference_number(reference: str) -> int:
    digits = reference.rpartition("-")[2]
    return int(digits) if digits.isdigit() else 0
