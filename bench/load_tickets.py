"""Bulk loader for the load benchmark: a customer base, a few dozen agents and
N tickets (default 1,000,000) with one `created` timeline event each, written
straight into the tables (COPY on PostgreSQL, executemany on SQLite) because
the ORM would take hours at this size.

Run it on a migrated database, configured the usual way (NETDESK_DATA_DIR or
NETDESK_DATABASE_URL):

    python bench/load_tickets.py --tickets 1000000
    python bench/load_tickets.py --describe   # JSON facts run.py builds requests from
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import random
import sys
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "netdesk.settings")

import django

django.setup()

from django.contrib.auth.hashers import make_password  # noqa: E402
from django.db import connection, models, transaction  # noqa: E402
from django.db.models import Max, Min  # noqa: E402
from tqdm import tqdm  # noqa: E402

from netdesk.accounts.models import Role, SupportGroup, User  # noqa: E402
from netdesk.customers.models import Contact, Customer, Segment, Service  # noqa: E402
from netdesk.demo.vocabulary import COMPANY_WORDS, FIRST_NAMES, LAST_NAMES  # noqa: E402
from netdesk.tickets.choices import (  # noqa: E402
    Channel,
    ResolutionCode,
    RootCause,
    Status,
    TicketType,
)
from netdesk.tickets.models import Category, Ticket, TicketEvent  # noqa: E402
from netdesk.tickets.models.timeline import EventKind  # noqa: E402

BATCH = 20_000
# Names come from the demo's vocabulary: one list of believable names.
SEED = 20_260_101

PRODUCTS = {
    "ftth": "Fibre 1000",
    "vdsl": "VDSL 100",
    "adsl": "ADSL 16",
    "cable": "Cable 500",
    "leased_line": "Leased line 10G",
}
TITLES = {
    TicketType.FAULT: ["No internet", "Slow speed", "Line drops every evening", "No dial tone"],
    TicketType.SERVICE_REQUEST: ["Move of installation", "Router replacement", "Upgrade"],
    TicketType.COMPLAINT: ["Technician did not show up", "Repeated outages"],
    TicketType.BILLING_INQUIRY: ["Invoice too high", "Double charge", "Refund request"],
    TicketType.INFORMATION_REQUEST: ["Contract end date", "Available speeds at new address"],
}
# Share of tickets per type and per queue; roughly a residential operator's desk.
TYPE_WEIGHTS = {
    TicketType.FAULT: 50,
    TicketType.SERVICE_REQUEST: 20,
    TicketType.COMPLAINT: 5,
    TicketType.BILLING_INQUIRY: 15,
    TicketType.INFORMATION_REQUEST: 10,
}
GROUP_WEIGHTS = {
    "Hotline": 45,
    "NOC": 25,
    "Field engineering": 12,
    "Billing": 13,
    "Key account management": 5,
}
PRIORITY_WEIGHTS = {1: 2, 2: 10, 3: 50, 4: 30, 5: 8}
OPEN_STATUSES = [
    Status.NEW,
    Status.ASSIGNED,
    Status.IN_PROGRESS,
    Status.PENDING_CUSTOMER,
    Status.PENDING_THIRD_PARTY,
]
CHANNELS = [Channel.PHONE] * 6 + [Channel.EMAIL] * 2 + [Channel.WEB, Channel.CHAT]


def chooser(weights: dict[Any, int], rng: random.Random) -> Callable[[], Any]:
    """A weighted draw with the cumulative weights computed once, not per row."""
    population = list(weights)
    cumulative = list(itertools.accumulate(weights.values()))
    return lambda: rng.choices(population, cum_weights=cumulative)[0]


# --- writing rows ---------------------------------------------------------------


def field_defaults(model: type[models.Model]) -> list[tuple[str, Any]]:
    """(column, default) for every column, so rows only name what they set and a
    column added by a later migration still gets its model default."""
    return [
        (field.column, field.get_default() if field.has_default() else None)
        for field in model._meta.concrete_fields
        # The database computes generated columns (GeneratedField) itself.
        if not getattr(field, "generated", False)
    ]


def sqlite_value(value: Any) -> Any:
    # Django keeps SQLite datetimes as naive UTC text; bools as 0/1.
    if isinstance(value, datetime):
        return value.astimezone(UTC).replace(tzinfo=None).isoformat(" ")
    return value


def insert_rows(
    model: type[models.Model],
    rows: Iterable[dict[str, Any]],
    total: int,
    *,
    fresh: dict[str, Callable[[], Any]] | None = None,
) -> None:
    """Write rows (dicts by column) into model's table; `fresh` makes a new
    default per row (unique columns such as public_id)."""
    columns = field_defaults(model)
    fresh = fresh or {}
    names = [name for name, _ in columns]

    def tuples() -> Iterator[tuple[Any, ...]]:
        for row in rows:
            yield tuple(
                row[name] if name in row else (fresh[name]() if name in fresh else default)
                for name, default in columns
            )

    table = model._meta.db_table
    progress = tqdm(total=total, desc=table, unit="row", unit_scale=True, mininterval=1)
    cursor = connection.cursor()
    if connection.vendor == "postgresql":
        sql = f"COPY {table} ({', '.join(names)}) FROM STDIN"
        with cursor.cursor.copy(sql) as copy:
            for index, values in enumerate(tuples(), 1):
                copy.write_row(values)
                if index % BATCH == 0:
                    progress.update(BATCH)
            progress.update(index % BATCH if total else 0)
    else:
        # Table and column names come from the models, not from input.
        placeholders = ", ".join("?" * len(names))
        sql = f"INSERT INTO {table} ({', '.join(names)}) VALUES ({placeholders})"  # noqa: S608
        raw = cursor.cursor
        batch: list[tuple[Any, ...]] = []
        for values in tuples():
            batch.append(tuple(sqlite_value(v) for v in values))
            if len(batch) == BATCH:
                raw.executemany(sql, batch)
                progress.update(len(batch))
                batch = []
        if batch:
            raw.executemany(sql, batch)
            progress.update(len(batch))
    progress.close()


class IndexesDropped:
    """Drop a table's secondary indexes for the load and rebuild them after:
    one sorted build per index is many times faster than a million random
    inserts into each of the ticket table's ~18 indexes."""

    def __init__(self, table: str) -> None:
        self.table = table
        self.definitions: list[tuple[str, str]] = []

    def __enter__(self) -> IndexesDropped:
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                # Only plain indexes: those backing constraints (pk, unique) stay.
                cursor.execute(
                    "SELECT i.indexname, i.indexdef FROM pg_indexes i WHERE i.tablename = %s "
                    "AND NOT EXISTS (SELECT 1 FROM pg_constraint c "
                    "WHERE c.conname = i.indexname)",
                    [self.table],
                )
            else:
                cursor.execute(
                    "SELECT name, sql FROM sqlite_master WHERE type = 'index' "
                    "AND tbl_name = %s AND sql IS NOT NULL",
                    [self.table],
                )
            self.definitions = list(cursor.fetchall())
            for name, _ in self.definitions:
                cursor.execute(f'DROP INDEX "{name}"')
        return self

    def __exit__(self, kind: object, *exc: object) -> None:
        if kind is not None:
            return  # the transaction rolls back, indexes included
        with connection.cursor() as cursor:
            for _name, definition in tqdm(self.definitions, desc=f"{self.table} indexes"):
                cursor.execute(definition)


def bulk_session() -> None:
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET maintenance_work_mem = '512MB'")
            try:
                # Skips the per-row FK trigger checks; the loader writes valid
                # ids by construction. Needs superuser, so it is best effort.
                with transaction.atomic():
                    cursor.execute("SET session_replication_role = replica")
            except Exception:
                print("note: not a superuser, foreign keys are checked row by row")
        else:
            cursor.execute("PRAGMA synchronous = OFF")
            cursor.execute("PRAGMA cache_size = -524288")
            cursor.execute("PRAGMA temp_store = MEMORY")
            cursor.execute("PRAGMA foreign_keys = OFF")


def reset_sequences(*models_: type[models.Model]) -> None:
    # Explicit ids leave PostgreSQL's sequences behind; SQLite's AUTOINCREMENT
    # follows the largest rowid by itself.
    if connection.vendor != "postgresql":
        return
    from django.core.management.color import no_style

    with connection.cursor() as cursor:
        for sql in connection.ops.sequence_reset_sql(no_style(), list(models_)):
            cursor.execute(sql)


def next_id(model: type[models.Model]) -> int:
    return (model.objects.aggregate(top=Max("pk"))["top"] or 0) + 1


# --- the data set ---------------------------------------------------------------


def phone_number(rng: random.Random) -> str:
    return (
        f"+49 {rng.choice(['30', '40', '89', '221', '69'])} {rng.randrange(1_000_000, 99_999_999)}"
    )


def load_agents(count: int) -> list[User]:
    groups = {g.name: g for g in SupportGroup.objects.all()}
    roles = [
        Role.HOTLINE_OPERATOR,
        Role.NOC_ENGINEER,
        Role.FIELD_ENGINEER,
        Role.TEAM_LEAD,
        Role.ACCOUNT_MANAGER,
    ]
    group_of_role = {
        Role.HOTLINE_OPERATOR: "Hotline",
        Role.NOC_ENGINEER: "NOC",
        Role.FIELD_ENGINEER: "Field engineering",
        Role.TEAM_LEAD: "Billing",
        Role.ACCOUNT_MANAGER: "Key account management",
    }
    password = make_password(None)
    start = next_id(User)
    agents = [
        User(
            username=f"agent{start + i}",
            role=roles[i % len(roles)],
            first_name=FIRST_NAMES[i % len(FIRST_NAMES)],
            last_name=LAST_NAMES[i % len(LAST_NAMES)],
            password=password,
        )
        for i in range(count)
    ]
    User.objects.bulk_create(agents)
    agents = list(User.objects.filter(username__startswith="agent").order_by("pk"))
    for agent in agents:
        group = groups.get(group_of_role.get(agent.role, ""))
        if group is not None:
            group.members.add(agent)
    return agents


def load_customers(count: int, agents: Sequence[User], rng: random.Random) -> int:
    """Customers with one or two services and contacts each; returns the first id."""
    first = next_id(Customer)
    managers = [a.pk for a in agents if a.role == Role.ACCOUNT_MANAGER] or [None]
    now = datetime.now(UTC)

    def customers() -> Iterator[dict[str, Any]]:
        for pk in range(first, first + count):
            segment = rng.choices(
                [Segment.RESIDENTIAL, Segment.BUSINESS, Segment.KEY_ACCOUNT], [80, 18, 2]
            )[0]
            if segment == Segment.RESIDENTIAL:
                name = f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}"
            else:
                name = f"{rng.choice(COMPANY_WORDS)} {rng.choice(LAST_NAMES)} GmbH"
            phone = phone_number(rng)
            yield {
                "id": pk,
                "account_number": f"A{pk:08d}",
                "name": name,
                "segment": segment,
                "account_manager_id": rng.choice(managers)
                if segment == Segment.KEY_ACCOUNT
                else None,
                "phone": phone,
                "phone_digits": "".join(ch for ch in phone if ch.isdigit()),
                "email": f"customer{pk}@example.net",
                "billing_address": f"{rng.choice(LAST_NAMES)}straße {pk % 200 + 1}, Berlin",
                "created_at": now - timedelta(days=rng.randrange(3650)),
            }

    insert_rows(Customer, customers(), count)

    # Read before the COPY starts: the connection is busy while it runs.
    first_contact = next_id(Contact)

    def contacts() -> Iterator[dict[str, Any]]:
        pk = first_contact
        for customer_id in range(first, first + count):
            for n in range(rng.choice([1, 1, 2])):
                phone = phone_number(rng)
                yield {
                    "id": pk,
                    "customer_id": customer_id,
                    "name": f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}",
                    "role": "Owner" if n == 0 else "IT contact",
                    "phone": phone,
                    "phone_digits": "".join(ch for ch in phone if ch.isdigit()),
                    "email": f"contact{pk}@example.net",
                    "email_key": f"contact{pk}@example.net",
                    "is_primary": n == 0,
                }
                pk += 1

    insert_rows(Contact, contacts(), int(count * 1.34))

    # Read before the COPY starts: the connection is busy while it runs.
    first_service = next_id(Service)

    def services() -> Iterator[dict[str, Any]]:
        pk = first_service
        for customer_id in range(first, first + count):
            for _ in range(rng.choice([1, 1, 1, 2])):
                technology = rng.choice(list(PRODUCTS))
                yield {
                    "id": pk,
                    "service_id": f"S{pk:09d}",
                    "customer_id": customer_id,
                    "product": PRODUCTS[technology],
                    "access_technology": technology,
                    "installation_address": f"{rng.choice(LAST_NAMES)}weg {pk % 90 + 1}",
                    "status": "active",
                    "activated_on": (now - timedelta(days=rng.randrange(3650))).date(),
                }
                pk += 1

    insert_rows(Service, services(), int(count * 1.25))
    reset_sequences(Customer, Contact, Service)
    return first


def open_history(
    status: str, created: datetime, updated: datetime, assignee: int, rng: random.Random
) -> list[tuple[datetime, str, str, str, str]]:
    """The timeline an open ticket in `status` went through to get there:
    (at, kind, field, old value, new value). Taken on, worked on, then
    waiting on someone: the spans the service-level clocks are measured over."""
    if status == Status.NEW:
        return []
    taken = created + (updated - created) * rng.uniform(0.1, 0.4)
    steps = [
        (taken, EventKind.ASSIGNED, "assignee", "", str(assignee)),
        (taken, EventKind.STATUS_CHANGED, "status", Status.NEW, Status.ASSIGNED),
    ]
    if status == Status.ASSIGNED:
        return steps
    working = taken + (updated - taken) * rng.uniform(0.1, 0.5)
    steps.append((working, EventKind.STATUS_CHANGED, "status", Status.ASSIGNED, Status.IN_PROGRESS))
    if status != Status.IN_PROGRESS:
        steps.append((updated, EventKind.STATUS_CHANGED, "status", Status.IN_PROGRESS, status))
    return steps


def load_tickets(
    count: int,
    agents: Sequence[User],
    customer_ids: range,
    rng: random.Random,
    open_share: float | None = None,
) -> None:
    """`count` tickets created over the past year, ids in creation order. Most
    are closed; about 5% are open, mostly the recent ones, as on a real desk.
    With `open_share` that share of them is open instead, spread evenly (the
    service-level benchmark wants a million open tickets). Open tickets carry
    the status and assignment events of how they got to their status."""
    groups = {g.name: g.pk for g in SupportGroup.objects.all()}
    group_names = [name for name in GROUP_WEIGHTS if name in groups] or list(groups)
    weights = {name: GROUP_WEIGHTS.get(name, 5) for name in group_names}
    members: dict[int, list[int]] = {
        groups[name]: list(
            SupportGroup.objects.get(pk=groups[name]).members.values_list("pk", flat=True)
        )
        or [a.pk for a in agents]
        for name in group_names
    }
    categories: dict[str, list[int]] = {}
    for pk, ticket_type in Category.objects.values_list("pk", "ticket_type"):
        categories.setdefault(ticket_type, []).append(pk)
    services: dict[int, int] = dict(
        Service.objects.filter(customer_id__in=customer_ids).values_list("customer_id", "pk")
    )
    resolution_codes = list(ResolutionCode.values)
    root_causes = list(RootCause.values)
    first = next_id(Ticket)
    now = datetime.now(UTC).replace(microsecond=0)
    start = now - timedelta(days=365)
    step = 365 * 86400 / max(count, 1)
    recent_from = int(count * 0.9)
    draw_type = chooser(TYPE_WEIGHTS, rng)
    draw_group = chooser({groups[name]: weight for name, weight in weights.items()}, rng)
    draw_priority = chooser(PRIORITY_WEIGHTS, rng)
    # (id, type, channel, created_at, creator, history): what the events repeat.
    planned: list[tuple[int, str, str, datetime, int, list[Any]]] = []

    def tickets() -> Iterator[dict[str, Any]]:
        for offset in range(count):
            pk = first + offset
            created = start + timedelta(seconds=offset * step + rng.random() * step)
            # ~45% of the last tenth and ~0.5% of older tickets are still open: ~5% overall.
            if open_share is None:
                is_open = rng.random() < (0.45 if offset >= recent_from else 0.005)
            else:
                is_open = rng.random() < open_share
            history: list[Any] = []
            ticket_type = draw_type()
            group = draw_group()
            customer = rng.choice(customer_ids)
            creator = rng.choice(agents).pk
            assignee = rng.choice(members[group])
            channel = rng.choice(CHANNELS)
            row: dict[str, Any] = {
                "id": pk,
                "ticket_type": ticket_type,
                "channel": channel,
                "category_id": rng.choice(categories[ticket_type])
                if categories.get(ticket_type)
                else None,
                "customer_id": customer,
                "service_id": services.get(customer),
                "title": rng.choice(TITLES[ticket_type]),
                "description": "Customer called; see call report.",
                "impact": rng.randint(1, 3),
                "urgency": rng.randint(1, 3),
                "priority": draw_priority(),
                "group_id": group,
                "created_by_id": creator,
                "created_at": created,
                "first_response_at": created + timedelta(minutes=rng.randrange(1, 240)),
            }
            if is_open:
                status = rng.choice(OPEN_STATUSES)
                updated = created + timedelta(minutes=rng.randrange(1, 600))
                row.update(
                    status=status,
                    assignee_id=None if status == Status.NEW else assignee,
                    updated_at=updated,
                )
                history = open_history(status, created, updated, assignee, rng)
            else:
                resolved = created + timedelta(minutes=rng.randrange(5, 5 * 1440))
                closed = resolved + timedelta(days=7)
                status = Status.CLOSED if closed < now else Status.RESOLVED
                row.update(
                    status=status,
                    assignee_id=assignee,
                    resolved_by_id=assignee,
                    resolution_code=rng.choice(resolution_codes),
                    root_cause=rng.choice(root_causes) if ticket_type == TicketType.FAULT else "",
                    first_contact_resolved=rng.random() < 0.3,
                    resolved_at=resolved,
                    closed_at=closed if status == Status.CLOSED else None,
                    updated_at=closed if status == Status.CLOSED else resolved,
                )
            planned.append((pk, ticket_type, channel, created, creator, history))
            yield row

    insert_rows(
        Ticket,
        tickets(),
        count,
        fresh={"public_id": Ticket._meta.get_field("public_id").get_default},
    )

    # Read before the COPY starts: the connection is busy while it runs.
    first_event = next_id(TicketEvent)

    def events() -> Iterator[dict[str, Any]]:
        pk = first_event
        type_label = dict(TicketType.choices)
        channel_label = dict(Channel.choices)
        for ticket_id, ticket_type, channel, created, actor, history in planned:
            yield {
                "id": pk,
                "ticket_id": ticket_id,
                "actor_id": actor,
                "at": created,
                "kind": EventKind.CREATED,
                "new_value": "New",
                "message": f"{type_label[ticket_type]} via {channel_label[channel]}",
            }
            pk += 1
            for at, kind, field, old, new in history:
                yield {
                    "id": pk,
                    "ticket_id": ticket_id,
                    "actor_id": actor,
                    "at": at,
                    "kind": kind,
                    "field": field,
                    "old_value": old,
                    "new_value": new,
                    "message": "",
                }
                pk += 1

    insert_rows(TicketEvent, events(), len(planned) + sum(len(p[5]) for p in planned))
    reset_sequences(Ticket, TicketEvent)


def load(*, tickets: int, customers: int, agents: int, open_share: float | None = None) -> None:
    rng = random.Random(SEED)
    began = time.monotonic()
    bulk_session()
    with transaction.atomic():
        staff = load_agents(agents)
        with IndexesDropped(Customer._meta.db_table), IndexesDropped(Contact._meta.db_table):
            first_customer = load_customers(customers, staff, rng)
    with (
        transaction.atomic(),
        IndexesDropped(Ticket._meta.db_table),
        IndexesDropped(TicketEvent._meta.db_table),
    ):
        load_tickets(
            tickets, staff, range(first_customer, first_customer + customers), rng, open_share
        )
    print("ANALYZE ...", flush=True)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    took = time.monotonic() - began
    print(
        f"Loaded {customers:,} customers, {agents} agents, {tickets:,} tickets "
        f"(+ one event each) on {connection.vendor} in {took:.0f} s"
    )


def describe(samples: int) -> dict[str, Any]:
    """What the benchmark's requests are built from: group ids, id ranges and
    real search terms (phone numbers typed as callers give them, names, accounts)."""
    rng = random.Random(SEED + 1)
    customer_ids = Customer.objects.aggregate(low=Min("pk"), high=Max("pk"))
    ticket_ids = Ticket.objects.aggregate(low=Min("pk"), high=Max("pk"))
    picked = list(
        Customer.objects.order_by("?").values_list("phone", "name", "account_number")[
            : samples * 20
        ]
    )
    rng.shuffle(picked)
    terms: list[str] = []
    for phone, name, account in picked[:samples]:
        kind = rng.randrange(3)
        if kind == 0:
            terms.append("0" + "".join(ch for ch in phone if ch.isdigit())[2:])  # 030 1234567
        elif kind == 1:
            terms.append(name.split()[-1] if rng.random() < 0.5 else name)
        else:
            terms.append(account)
    return {
        "vendor": connection.vendor,
        "groups": dict(SupportGroup.objects.values_list("name", "pk")),
        "customers": [customer_ids["low"], customer_ids["high"]],
        "tickets": [ticket_ids["low"], ticket_ids["high"]],
        "ticket_count": Ticket.objects.count(),
        "open_by_group": {
            str(group): count
            for group, count in Ticket.objects.exclude(status__in=["resolved", "closed"])
            .values_list("group_id")
            .annotate(models.Count("id"))
        },
        "search_terms": terms,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tickets", type=int, default=1_000_000)
    parser.add_argument("--customers", type=int, default=20_000)
    parser.add_argument("--agents", type=int, default=40)
    parser.add_argument(
        "--open-share",
        type=float,
        default=None,
        metavar="F",
        help="share of the tickets that are open (0..1; default: ~5%%, mostly recent ones)",
    )
    parser.add_argument(
        "--describe",
        metavar="FILE",
        help="write the facts run.py needs as JSON to FILE ('-' for stdout) and load nothing",
    )
    args = parser.parse_args()
    if args.describe:
        facts = json.dumps(describe(500), ensure_ascii=False, indent=1)
        if args.describe == "-":
            print(facts)
        else:
            Path(args.describe).write_text(facts, encoding="utf-8")
        return
    load(
        tickets=args.tickets,
        customers=args.customers,
        agents=args.agents,
        open_share=args.open_share,
    )


if __name__ == "__main__":
    main()
