"""The desk's side of the scale-out test (bench/scale_test.py): what it sets
up in the database before the processes start, and the counts it checks
afterwards. Runs in the driver's own process, with Django set up for the
test's database (`setup_django`)."""

from __future__ import annotations

import os
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta

AGGREGATIONS = 4
OLTS_PER_AGGREGATION = 5
SUBSCRIBERS_PER_OLT = 20
USERNAME = "scale-noc"
MAILBOX_ADDRESS = "support@isp.example"
# Short enough that tickets opened in the run's first minutes pass both
# their warning and their due time while the run goes on.
FIRST_RESPONSE_MINUTES = 1
RESOLUTION_MINUTES = 2
WARN_AT_PERCENT = 50
# An escalation rule on first response: a notice at three quarters of its time.
ESCALATE_AT_PERCENT = 75


def setup_django(env: dict[str, str]) -> None:
    os.environ.update(env)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "netdesk.settings")
    import django

    django.setup()


@dataclass
class Setup:
    token: str
    customer_id: int
    olts: list[str]
    mailbox_id: int | None


def prepare(*, imap_port: int | None, imap_password: str) -> Setup:
    """The NOC user and its token, the customer the creates open tickets
    for, a service level that falls due within minutes, a small network
    with subscribers, and the mailbox the workers read (when Dovecot runs)."""
    from django.db import connections

    from netdesk.accounts.models import Role, User
    from netdesk.accounts.services import token_create
    from netdesk.channels.models import Mailbox
    from netdesk.customers.models import Customer

    user = User.objects.create_user(username=USERNAME, password=None, role=Role.NOC_ENGINEER)
    _, token = token_create(user=user, name="scale test")
    customer = Customer.objects.create(account_number="SCALE-1", name="Scale test customer")
    _short_service_level()
    olts = _network()
    mailbox_id = None
    if imap_port is not None:
        mailbox_id = Mailbox.objects.create(
            name="support",
            address=MAILBOX_ADDRESS,
            imap_host="127.0.0.1",
            imap_port=imap_port,
            imap_security="none",
            imap_user=MAILBOX_ADDRESS,
            imap_password=imap_password,
            done_folder="Done",
            fetch_every_seconds=2,
        ).pk
    connections.close_all()
    return Setup(token=token, customer_id=customer.pk, olts=olts, mailbox_id=mailbox_id)


def _short_service_level() -> None:
    """Every ticket (the API's and the mail's) gets a policy open around
    the clock whose first response and resolution fall due in minutes."""
    from netdesk.sla.models import (
        BusinessCalendar,
        EscalationAction,
        EscalationRule,
        Metric,
        NotifyWhom,
        SlaPolicy,
        SlaTarget,
    )
    from netdesk.sla.selectors import policies_changed

    SlaPolicy.objects.update(is_active=False)
    calendar = BusinessCalendar.objects.create(name="Scale test, always open", always_open=True)
    policy = SlaPolicy.objects.create(
        name="Scale test minutes", rank=1, calendar=calendar, warn_at_percent=WARN_AT_PERCENT
    )
    for metric, minutes in (
        (Metric.FIRST_RESPONSE, FIRST_RESPONSE_MINUTES),
        (Metric.RESOLUTION, RESOLUTION_MINUTES),
    ):
        SlaTarget.objects.create(policy=policy, metric=metric, minutes=minutes, business_time=False)
    EscalationRule.objects.create(
        name="Scale test duty officer",
        policy=policy,
        kind="sla",
        metric=Metric.FIRST_RESPONSE,
        at_percent=ESCALATE_AT_PERCENT,
        action=EscalationAction.NOTIFY,
        notify=NotifyWhom.ADDRESS,
        address="duty@isp.example",
        ignore_working_hours=True,
    )
    policies_changed()


def _network() -> list[str]:
    """Core → aggregations → OLTs, subscribers on the OLTs (a few with a
    service on two OLTs, so customers counted twice must be taken off)."""
    from netdesk.customers.models import Customer, Service
    from netdesk.network.models import Area, NetworkElement
    from netdesk.network.selectors import topology_changed

    area = Area.objects.create(code="SCALE", name="Scale city")
    core = NetworkElement.objects.create(name="SC-CORE", kind="core_router", area=area)
    olts = []
    for a in range(AGGREGATIONS):
        agg = NetworkElement.objects.create(
            name=f"SC-AGG-{a}", kind="aggregation_switch", area=area, upstream=core
        )
        olts += [
            NetworkElement.objects.create(
                name=f"SC-OLT-{a}-{o}", kind="olt", area=area, upstream=agg
            )
            for o in range(OLTS_PER_AGGREGATION)
        ]
    count = len(olts) * SUBSCRIBERS_PER_OLT
    customers = Customer.objects.bulk_create(
        [Customer(account_number=f"SC{n:06d}", name=f"Subscriber {n}") for n in range(count)]
    )
    services = [
        Service(
            service_id=f"SC{n:06d}",
            customer=customer,
            product="Fibre 500",
            access_technology="ftth",
            area=area,
            access_element=olts[n % len(olts)],
        )
        for n, customer in enumerate(customers)
    ]
    services += [
        Service(
            service_id=f"SC{n:06d}-2",
            customer=customers[n],
            product="Fibre 500",
            access_technology="ftth",
            area=area,
            access_element=olts[(n + 7) % len(olts)],
        )
        for n in range(0, count, 9)
    ]
    Service.objects.bulk_create(services)
    topology_changed()
    return [olt.name for olt in olts]


@dataclass
class Check:
    name: str
    counts: dict[str, int]
    failures: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.failures


def check_creates(acknowledged: dict[str, str], attempted: dict[str, int]) -> Check:
    """Every acknowledged create is one ticket with the acknowledged
    reference; no key, acknowledged or not, made two."""
    from netdesk.tickets.models import Ticket

    made: dict[str, list[str]] = {}
    for title, ticket_id in Ticket.objects.filter(title__startswith="scale create ").values_list(
        "title", "id"
    ):
        made.setdefault(title.removeprefix("scale create "), []).append(_reference(ticket_id))
    check = Check(
        "creates",
        {
            "sent": len(attempted),
            "acknowledged": len(acknowledged),
            "retried": sum(1 for n in attempted.values() if n > 1),
            "attempts": sum(attempted.values()),
            "tickets": sum(len(refs) for refs in made.values()),
            "unacknowledged_but_made": sum(1 for key in made if key not in acknowledged),
        },
    )
    duplicates = [key for key, refs in made.items() if len(refs) > 1]
    missing = [key for key in acknowledged if key not in made]
    wrong = [key for key, ref in acknowledged.items() if key in made and made[key] != [ref]]
    check.counts.update(
        duplicates=len(duplicates), missing=len(missing), wrong_reference=len(wrong)
    )
    if duplicates:
        check.failures.append(f"{len(duplicates)} keys made more than one ticket: {duplicates[:5]}")
    if missing:
        check.failures.append(f"{len(missing)} acknowledged creates have no ticket: {missing[:5]}")
    if wrong:
        check.failures.append(f"{len(wrong)} acknowledged references differ: {wrong[:5]}")
    return check


def _reference(ticket_id: int) -> str:
    from netdesk.tickets.models.ticket import reference_for

    return reference_for(ticket_id)


def check_alarms(acknowledged: list[list[str]], sent_batches: int) -> Check:
    """Every alarm of an acknowledged batch is stored, once."""
    from django.db.models import Count

    from netdesk.noc.models import Alarm

    wanted = {fingerprint for batch in acknowledged for fingerprint in batch}
    stored = Counter(
        dict(
            Alarm.objects.filter(fingerprint__startswith="scale-")
            .values("fingerprint")
            .annotate(n=Count("id"))
            .values_list("fingerprint", "n")
        )
    )
    missing = sorted(wanted - stored.keys())
    twice = sorted(key for key, n in stored.items() if n > 1)
    check = Check(
        "alarms",
        {
            "batches_sent": sent_batches,
            "batches_acknowledged": len(acknowledged),
            "alarms_acknowledged": len(wanted),
            "alarms_stored": sum(stored.values()),
            "missing": len(missing),
            "stored_twice": len(twice),
        },
    )
    if missing:
        check.failures.append(f"{len(missing)} acknowledged alarms are missing: {missing[:5]}")
    if twice:
        check.failures.append(f"{len(twice)} alarms are stored twice: {twice[:5]}")
    return check


def overdue_unfired(now: datetime) -> int:
    """Running timers whose warning or due time passed without firing."""
    from django.db.models import Q

    from netdesk.sla.models import SlaTimer

    return (
        SlaTimer.objects.filter(stopped_at__isnull=True)
        .exclude(state="cancelled")
        .filter(
            Q(due_at__lte=now, breach_fired_at__isnull=True)
            | Q(warn_at__lte=now, warning_fired_at__isnull=True)
            | Q(next_escalation_at__lte=now)
        )
        .count()
    )


def check_service_levels(cutoff: datetime) -> Check:
    """Every warning and breach due by `cutoff` fired, and fired once: one
    timeline event per timer fired (a breach fired before its warning
    makes the warning moot: no warning event then)."""
    from netdesk.sla.models import SlaTimer
    from netdesk.tickets.models import TicketEvent
    from netdesk.tickets.models.timeline import EventKind

    events = Counter(
        TicketEvent.objects.filter(
            kind__in=[EventKind.SLA_WARNING, EventKind.SLA_BREACHED]
        ).values_list("ticket_id", "kind", "field")
    )
    expected: Counter[tuple[int, str, str]] = Counter()
    due: Counter[str] = Counter()
    # Stopped timers fire nothing (netdesk.sla.selectors.due_timers): only
    # running ones are due; their events are compared all the same.
    for timer in SlaTimer.objects.only(
        "ticket_id",
        "kind",
        "metric",
        "due_at",
        "warn_at",
        "warning_fired_at",
        "breach_fired_at",
        "stopped_at",
    ).exclude(state="cancelled"):
        running = timer.stopped_at is None
        clock = f"{timer.kind}.{timer.metric}"
        warning = (timer.ticket_id, EventKind.SLA_WARNING, clock)
        breach = (timer.ticket_id, EventKind.SLA_BREACHED, clock)
        moot = (
            timer.warning_fired_at is not None and timer.warning_fired_at == timer.breach_fired_at
        )
        if timer.breach_fired_at is not None:
            expected[breach] += 1
        if timer.warning_fired_at is not None and not moot:
            expected[warning] += 1
        if running and timer.due_at is not None and timer.due_at <= cutoff:
            due["breaches_due"] += 1
            due["breaches_fired"] += events[breach]
            due["due_not_fired"] += timer.breach_fired_at is None
        if running and timer.warn_at is not None and timer.warn_at <= cutoff:
            due["warnings_due"] += 1
            due["warnings_moot"] += moot
            due["warnings_fired"] += events[warning]
            due["due_not_fired"] += timer.warning_fired_at is None
    twice = [key for key, n in events.items() if n > 1]
    differ = [key for key in expected.keys() | events.keys() if expected[key] != events[key]]
    check = Check(
        "service_levels",
        {
            **{name: due[name] for name in ("warnings_due", "warnings_fired", "warnings_moot")},
            **{name: due[name] for name in ("breaches_due", "breaches_fired", "due_not_fired")},
            "fired_twice": len(twice),
            "events_not_matching_timers": len(differ),
        },
    )
    if due["due_not_fired"]:
        check.failures.append(f"{due['due_not_fired']} warnings or breaches due never fired")
    if twice:
        check.failures.append(f"{len(twice)} warnings or breaches fired twice: {twice[:5]}")
    if differ:
        check.failures.append(f"{len(differ)} timers and timeline events differ: {differ[:5]}")
    return check


def check_escalations(cutoff: datetime) -> Check:
    """Every escalation due by `cutoff` acted, once: one notice and one
    timeline event per timer whose rule fired."""
    from netdesk.sla.models import EscalationNotice, SlaTimer
    from netdesk.tickets.models import TicketEvent
    from netdesk.tickets.models.timeline import EventKind

    notices = Counter(EscalationNotice.objects.values_list("ticket_id", flat=True))
    events = Counter(
        TicketEvent.objects.filter(kind=EventKind.SLA_ESCALATION).values_list(
            "ticket_id", flat=True
        )
    )
    fired = set()
    due_not_fired = 0
    for timer in SlaTimer.objects.filter(metric="first_response").exclude(state="cancelled"):
        if timer.escalations_fired:
            fired.add(timer.ticket_id)
        elif (
            timer.stopped_at is None
            and timer.next_escalation_at is not None
            and timer.next_escalation_at <= cutoff
        ):
            due_not_fired += 1
    twice = [t for t in notices.keys() | events.keys() if notices[t] > 1 or events[t] > 1]
    differ = [t for t in fired | notices.keys() | events.keys() if not notices[t] == events[t] == 1]
    check = Check(
        "escalations",
        {
            "fired": len(fired),
            "notices": sum(notices.values()),
            "events": sum(events.values()),
            "due_not_fired": due_not_fired,
            "twice": len(twice),
            "not_matching": len(differ),
        },
    )
    if due_not_fired:
        check.failures.append(f"{due_not_fired} escalations due never acted")
    if twice:
        check.failures.append(f"{len(twice)} tickets escalated twice: {twice[:5]}")
    if differ:
        check.failures.append(f"{len(differ)} tickets' notices and events differ: {differ[:5]}")
    return check


def mail_counts() -> tuple[int, int]:
    """Messages stored, and stored but not processed yet."""
    from netdesk.channels.models import InboundMessage, InboundState

    stored = InboundMessage.objects.filter(message_id__startswith="scale-m")
    return stored.count(), stored.filter(state=InboundState.RECEIVED).count()


def check_mail(delivered: list[str]) -> Check:
    """Every delivered message stored once and opening one ticket."""
    from netdesk.channels.models import InboundMessage, Outcome
    from netdesk.tickets.models import Ticket

    stored = Counter(
        InboundMessage.objects.filter(message_id__startswith="scale-m").values_list(
            "message_id", flat=True
        )
    )
    opened = Counter(
        InboundMessage.objects.filter(
            message_id__startswith="scale-m", outcome=Outcome.TICKET_CREATED
        ).values_list("message_id", flat=True)
    )
    titles = Counter(
        title.removeprefix("scale mail ")
        for title in Ticket.objects.filter(title__startswith="scale mail ").values_list(
            "title", flat=True
        )
    )
    markers = {message_id[len("scale-") :].split("@")[0] for message_id in delivered}
    missing = [m for m in delivered if stored[m] == 0]
    twice = [m for m, n in stored.items() if n > 1]
    not_one_ticket = [marker for marker in markers if titles[marker] != 1]
    check = Check(
        "mail",
        {
            "delivered": len(delivered),
            "stored": sum(stored.values()),
            "tickets_opened": sum(opened.values()),
            "missing": len(missing),
            "stored_twice": len(twice),
            "not_exactly_one_ticket": len(not_one_ticket),
        },
    )
    if missing:
        check.failures.append(f"{len(missing)} delivered messages never stored: {missing[:5]}")
    if twice:
        check.failures.append(f"{len(twice)} messages stored twice: {twice[:5]}")
    if not_one_ticket:
        check.failures.append(
            f"{len(not_one_ticket)} messages have not exactly one ticket: {not_one_ticket[:5]}"
        )
    return check


def check_impact() -> Check:
    """Each incident's stored impact against a recount from the services
    on the elements below it (not merged into another incident)."""
    from netdesk.customers.models import Service, ServiceStatus
    from netdesk.network.models import NetworkElement
    from netdesk.noc.impact import impact_recount
    from netdesk.noc.models import NetworkIncident

    children: dict[int | None, list[int]] = {}
    for pk, upstream in NetworkElement.objects.values_list("id", "upstream_id"):
        children.setdefault(upstream, []).append(pk)
    services = list(
        Service.objects.filter(
            status=ServiceStatus.ACTIVE, access_element__isnull=False
        ).values_list("access_element_id", "customer_id")
    )
    mismatched = []
    incidents = NetworkIncident.objects.filter(merged_into__isnull=True).prefetch_related(
        "elements"
    )
    for incident in incidents:
        top = {e.pk for e in incident.elements.all()}
        if incident.root_element_id is not None:
            top.add(incident.root_element_id)
        below = _subtree(children, top)
        counted = [customer for element, customer in services if element in below]
        recount = (len(counted), len(set(counted)))
        # The NOC's own recount (from the services, without its index) agrees too.
        theirs = impact_recount(sorted(top))
        if (incident.affected_services, incident.affected_customers) != recount or (
            theirs.services,
            theirs.customers,
        ) != recount:
            mismatched.append(
                f"{incident.reference}: stored {incident.affected_services} services/"
                f"{incident.affected_customers} customers, recount {len(counted)}/"
                f"{len(set(counted))}, impact_recount {theirs.services}/{theirs.customers}"
            )
    check = Check("impact", {"incidents": len(incidents), "mismatched": len(mismatched)})
    if mismatched:
        check.failures.append(f"{len(mismatched)} incidents' impact differs: {mismatched[:5]}")
    return check


def check_processes(kills: Counter[str], orphans: list[int]) -> Check:
    """Both kinds were killed, and no web worker outlived its server."""
    check = Check(
        "processes",
        {
            "web_kills": kills["web"],
            "of_them_server_only": kills["web_server_only"],
            "worker_kills": kills["worker"],
            "orphans": len(orphans),
        },
    )
    if orphans:
        check.failures.append(f"web workers outlived their killed server: pids {orphans}")
    if not (kills["web"] and kills["worker"]):
        check.failures.append("the run was too short to kill a web process and a worker")
    return check


def _subtree(children: dict[int | None, list[int]], top: set[int]) -> set[int]:
    below, stack = set(), list(top)
    while stack:
        element = stack.pop()
        if element not in below:
            below.add(element)
            stack += children.get(element, [])
    return below


def settle_deadline(seconds: float) -> datetime:
    from django.utils import timezone

    return timezone.now() + timedelta(seconds=seconds)
