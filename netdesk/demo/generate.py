"""Generating the desk's world for `netdesk demo`: areas and towns, a
core → aggregation → access network, agents in their groups, and
subscribers with contacts and services on the access elements.

This is a bulk loader: it writes rows with bulk_create rather than through
the one-at-a-time services, which would cost several queries per row.
Subscribers go through the customers' bulk service (phone numbers in E.164);
the rest keeps the invariants the services keep (group membership, tiers)."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from django.contrib.auth.hashers import make_password
from tqdm import tqdm

from netdesk.accounts.models import Role, SupportGroup, TierKind, User
from netdesk.accounts.services import user_create
from netdesk.customers.models import Contact, Customer, Segment, Service
from netdesk.customers.services import customers_insert
from netdesk.demo import vocabulary as words
from netdesk.demo.bulk import IdBlock, insert
from netdesk.demo.vocabulary import Town
from netdesk.network.models import Area, ElementKind, NetworkElement

DEMO_PASSWORD = "demo-password-1"  # noqa: S105 - printed for the demo on purpose

# Agents of a mid-sized desk; the first of each role gets a well-known login.
STAFF: list[tuple[str, int, str, str]] = [
    # (role, how many, group tier kind, login of the first)
    (Role.HOTLINE_OPERATOR, 30, TierKind.FIRST_LINE, "hotline"),
    (Role.NOC_ENGINEER, 12, TierKind.SECOND_LINE, "noc"),
    (Role.FIELD_ENGINEER, 8, TierKind.THIRD_LINE, "field"),
    # Billing clerks work with first-line rights in the billing group.
    (Role.HOTLINE_OPERATOR, 3, TierKind.BILLING, ""),
    (Role.ACCOUNT_MANAGER, 3, TierKind.ACCOUNT_MANAGEMENT, "accounts"),
]
DEMO_LOGINS: list[tuple[str, str]] = [
    ("hotline", Role.HOTLINE_OPERATOR),
    ("noc", Role.NOC_ENGINEER),
    ("field", Role.FIELD_ENGINEER),
    ("teamlead", Role.TEAM_LEAD),
    ("manager", Role.SERVICE_DESK_MANAGER),
    ("accounts", Role.ACCOUNT_MANAGER),
    ("admin", Role.ADMINISTRATOR),
]
# Rough relative size of each town's customer base, by town code.
TOWN_WEIGHTS = {"BER": 9, "HAM": 6, "MUC": 6, "KOL": 4, "STR": 3, "DUS": 3, "LEI": 3}


@dataclass
class Subscriber:
    """What the history generator needs to know about one customer."""

    id: int
    segment: str
    account_manager: int | None = None
    contacts: list[int] = field(default_factory=list)
    services: list[int] = field(default_factory=list)


@dataclass
class Staff:
    """Agents by the line they work in, and the support groups by tier kind."""

    groups: dict[str, SupportGroup]
    by_line: dict[str, list[int]]
    supervisors: dict[str, int]
    user_ids: list[int]


@dataclass
class World:
    staff: Staff
    subscribers: list[Subscriber]
    service_elements: dict[int, int]
    created: dict[str, Any]


def _pick(rng: random.Random, weighted: list[tuple[Any, int]]) -> Any:
    values, weights = zip(*weighted, strict=True)
    return rng.choices(values, weights=weights)[0]


def build_network(rng: random.Random, created: dict[str, Any]) -> dict[str, list[NetworkElement]]:
    """Regions and towns, then per region core routers, per town aggregation
    switches and under them the access elements. Returns access elements
    (and aggregation switches, for leased lines) by town code."""
    area_ids = IdBlock(Area)
    element_ids = IdBlock(NetworkElement)
    areas: list[Area] = []
    elements: list[NetworkElement] = []
    by_town: dict[str, list[NetworkElement]] = {}
    for region_number, (code, name, lat, lon, towns) in enumerate(words.REGIONS, start=1):
        region = Area(
            id=area_ids.take(), code=f"REGION-{code}", name=name, latitude=lat, longitude=lon
        )
        areas.append(region)
        cores = [
            NetworkElement(
                id=element_ids.take(),
                name=f"{code}-CR-{n:02d}",
                kind=ElementKind.CORE_ROUTER,
                area=region,
                management_ip=f"10.{region_number}.0.{n}",
            )
            for n in (1, 2)
        ]
        elements.extend(cores)
        for town_number, (town_code, town_name, tlat, tlon, _, _) in enumerate(towns, start=1):
            town = Area(
                id=area_ids.take(),
                code=town_code,
                name=town_name,
                parent=region,
                latitude=tlat,
                longitude=tlon,
            )
            areas.append(town)
            town_elements: list[NetworkElement] = []
            host = 1
            for agg_number in range(1, 2 + TOWN_WEIGHTS.get(town_code, 1) // 2 + rng.randint(0, 1)):
                aggregation = NetworkElement(
                    id=element_ids.take(),
                    name=f"{town_code}-AGG-{agg_number:02d}",
                    kind=ElementKind.AGGREGATION_SWITCH,
                    area=town,
                    upstream=cores[agg_number % 2],
                    management_ip=f"10.{region_number}.{town_number}.{host}",
                )
                host += 1
                elements.append(aggregation)
                town_elements.append(aggregation)
                for _ in range(rng.randint(3, 6)):
                    kind = _pick(rng, words.ACCESS_KIND_WEIGHTS)
                    same_kind = sum(1 for e in town_elements if e.kind == kind) + 1
                    access = NetworkElement(
                        id=element_ids.take(),
                        name=f"{town_code}-{words.ELEMENT_CODES[kind]}-{same_kind:02d}",
                        kind=kind,
                        area=town,
                        upstream=aggregation,
                        management_ip=f"10.{region_number}.{town_number}.{host}",
                    )
                    host += 1
                    elements.append(access)
                    town_elements.append(access)
            by_town[town_code] = town_elements
    insert(Area, areas)
    insert(NetworkElement, elements)
    created["network.Area"] = area_ids.span
    created["network.NetworkElement"] = element_ids.span
    return by_town


def build_staff(rng: random.Random, created: dict[str, Any]) -> Staff:
    """About sixty agents through user_create, members of their groups, with a
    team lead supervising each line and the manager over account management."""
    groups: dict[str, SupportGroup] = {}
    for group in SupportGroup.objects.select_related("tier").order_by("id"):
        groups.setdefault(group.tier.kind, group)
    missing = set(TierKind.values) - set(groups)
    if missing:
        raise RuntimeError(f"No support group for tier kinds {sorted(missing)}; run migrations.")
    taken = set(User.objects.values_list("username", flat=True))
    by_line: dict[str, list[int]] = {kind: [] for kind in TierKind.values}
    supervisors: dict[str, int] = {}
    user_ids: list[int] = []
    memberships: list[tuple[int, int]] = []
    logins: list[int] = []

    def person(role: str, login: str = "") -> User:
        first, last = rng.choice(words.FIRST_NAMES), rng.choice(words.LAST_NAMES)
        username = login or f"{first}.{last}".lower().replace(" ", "")
        base, n = username, 2
        while username in taken:
            username, n = f"{base}{n}", n + 1
        taken.add(username)
        # No password here: hashing ~60 of them would cost half a minute;
        # the demo logins get the one shared hash below.
        user = user_create(
            username=username,
            role=role,
            first_name=first,
            last_name=last,
            email=f"{username}@desk.example.net",
        )
        user_ids.append(user.pk)
        if login:
            logins.append(user.pk)
        return user

    for role, count, kind, login in STAFF:
        for n in range(count):
            agent = person(role, login if n == 0 else "")
            by_line[kind].append(agent.pk)
            memberships.append((groups[kind].pk, agent.pk))
    for kind, login in (
        (TierKind.FIRST_LINE, "teamlead"),
        (TierKind.SECOND_LINE, ""),
        (TierKind.THIRD_LINE, ""),
        (TierKind.BILLING, ""),
    ):
        lead = person(Role.TEAM_LEAD, login)
        supervisors[kind] = lead.pk
        memberships.append((groups[kind].pk, lead.pk))
    manager = person(Role.SERVICE_DESK_MANAGER, "manager")
    supervisors[TierKind.ACCOUNT_MANAGEMENT] = manager.pk
    person(Role.ADMINISTRATOR, "admin")

    membership = SupportGroup.members.through
    membership.objects.bulk_create(
        [membership(supportgroup_id=g, user_id=u) for g, u in memberships]
    )
    for kind, lead_id in supervisors.items():
        SupportGroup.objects.filter(pk=groups[kind].pk).update(supervisor_id=lead_id)
        groups[kind].supervisor_id = lead_id
    User.objects.filter(pk__in=logins).update(password=make_password(DEMO_PASSWORD))
    created["users"] = user_ids
    return Staff(groups=groups, by_line=by_line, supervisors=supervisors, user_ids=user_ids)


class _Phones:
    """Unique national numbers: a counter scrambled by a multiplier coprime
    with the number space, so consecutive customers get unrelated numbers."""

    SPACE = 8_000_000

    def __init__(self, rng: random.Random) -> None:
        self.counter = rng.randrange(self.SPACE)

    def _subscriber_number(self) -> int:
        self.counter += 1
        return 2_000_000 + (self.counter * 7_919_837) % self.SPACE

    def landline(self, area_code: str) -> str:
        number = str(self._subscriber_number())
        return f"+49 {area_code} {number[:3]} {number[3:]}"

    def mobile(self, rng: random.Random) -> str:
        number = str(self._subscriber_number())
        return f"+49 1{rng.choice(['51', '52', '57', '60', '70', '76'])} {number}"


class _Subscribers:
    """The customers, contacts and services being generated, with the id
    blocks and phone numbers they are drawn from."""

    def __init__(
        self,
        rng: random.Random,
        by_town: dict[str, list[NetworkElement]],
        towns: list[Town],
        progress: tqdm,
    ) -> None:
        self.rng = rng
        self.by_town = by_town
        self.progress = progress
        self.customer_ids = IdBlock(Customer)
        self.contact_ids = IdBlock(Contact)
        self.service_ids = IdBlock(Service)
        self.phones = _Phones(rng)
        self.customers: list[Customer] = []
        self.contacts: list[Contact] = []
        self.services: list[Service] = []
        self.subscribers: list[Subscriber] = []
        self.service_elements: dict[int, int] = {}
        self.earliest = date.today() - timedelta(days=9 * 365)
        self.area_ids = dict(
            Area.objects.filter(code__in=[t[0] for t in towns]).values_list("code", "id")
        )

    def address(self, town: Town) -> str:
        rng = self.rng
        return f"{rng.choice(words.STREETS)} {rng.randint(1, 180)}, {town[5]} {town[1]}"

    def add_contact(self, sub: Subscriber, name: str, role: str, phone: str, primary: bool) -> None:
        rng = self.rng
        slug = name.lower().replace(" ", ".")
        self.contacts.append(
            Contact(
                id=(contact_id := self.contact_ids.take()),
                customer_id=sub.id,
                name=name,
                role=role,
                phone=phone,
                email=f"{slug}@{rng.choice(['example.net', 'example.org', 'example.com'])}",
                is_primary=primary,
            )
        )
        sub.contacts.append(contact_id)

    def add_services(self, sub: Subscriber, town: Town) -> None:
        rng = self.rng
        business = sub.segment != Segment.RESIDENTIAL
        how_many = rng.choices([1, 2, 3], weights=[70, 22, 8] if business else [82, 15, 3])[0]
        elements = self.by_town[town[0]]
        site = self.address(town)
        for _ in range(how_many):
            element = rng.choice(elements)
            if element.kind == ElementKind.AGGREGATION_SWITCH and not business:
                element = rng.choice([e for e in elements if e.kind != element.kind])
            offers = [
                (offer, weight)
                for offer in words.PRODUCTS[element.kind]
                if (weight := offer[3] if business else offer[2])
            ]
            technology, product, _, _ = _pick(rng, offers)
            port = (
                f"ge-0/0/{rng.randint(0, 47)}"
                if element.kind == ElementKind.AGGREGATION_SWITCH
                else f"1/{rng.randint(1, 16)}/{rng.randint(1, 64)}"
            )
            service_id = self.service_ids.take()
            self.services.append(
                Service(
                    id=service_id,
                    service_id=f"SV{300_000_000 + service_id * 7:09d}",
                    customer_id=sub.id,
                    product=product,
                    access_technology=technology,
                    installation_address=site if rng.random() < 0.9 else self.address(town),
                    area_id=self.area_ids[town[0]],
                    access_element_id=element.pk,
                    access_port=port,
                    status=rng.choices(["active", "suspended", "ceased"], weights=[95, 2, 3])[0],
                    activated_on=self.earliest + timedelta(days=rng.randint(0, 9 * 365 - 200)),
                )
            )
            sub.services.append(service_id)
            self.service_elements[service_id] = element.pk

    def add_customer(self, segment: str, name: str, town: Town, **extra: Any) -> Subscriber:
        rng, phones = self.rng, self.phones
        sub = Subscriber(
            id=self.customer_ids.take(),
            segment=segment,
            account_manager=extra.get("account_manager_id"),
        )
        phone = phones.landline(town[4]) if rng.random() < 0.6 else phones.mobile(rng)
        self.customers.append(
            Customer(
                id=sub.id,
                account_number=f"{40_000_000 + sub.id * 3 + rng.randint(0, 2)}",
                name=name,
                segment=segment,
                phone=phone,
                email=f"{name.split()[0].lower()}{sub.id}@example.net",
                billing_address=self.address(town),
                language=rng.choices(["de", "en", "tr"], weights=[85, 12, 3])[0],
                **extra,
            )
        )
        self.subscribers.append(sub)
        self.progress.update(1)
        return sub


def _key_accounts(
    made: _Subscribers,
    count: int,
    towns: list[Town],
    town_weights: list[int],
    account_managers: list[int],
) -> list[Customer]:
    """Group (key) accounts, each with its account manager and contract."""
    rng, phones = made.rng, made.phones
    key_accounts: list[Customer] = []
    for n in range(count):
        town = rng.choices(towns, weights=town_weights)[0]
        base = words.GROUP_ACCOUNT_NAMES[n % len(words.GROUP_ACCOUNT_NAMES)]
        name = base if n < len(words.GROUP_ACCOUNT_NAMES) else f"{base} {town[1]}"
        sub = made.add_customer(
            Segment.KEY_ACCOUNT,
            f"{name} {rng.choice(words.COMPANY_FORMS)}",
            town,
            account_manager_id=rng.choice(account_managers),
            contract_reference=f"KA-{date.today().year - rng.randint(0, 4)}-{n + 1:04d}",
        )
        key_accounts.append(made.customers[-1])
        for role in words.CONTACT_ROLES[:2]:
            person = f"{rng.choice(words.FIRST_NAMES)} {rng.choice(words.LAST_NAMES)}"
            made.add_contact(sub, person, role, phones.landline(town[4]), role == "IT manager")
        made.add_services(sub, town)
    return key_accounts


def _businesses(
    made: _Subscribers,
    count: int,
    towns: list[Town],
    town_weights: list[int],
    key_accounts: list[Customer],
) -> None:
    """Businesses, almost half of them sites of a group account."""
    rng, phones = made.rng, made.phones
    for _ in range(count):
        town = rng.choices(towns, weights=town_weights)[0]
        extra: dict[str, Any] = {}
        if rng.random() < 0.45:
            group = rng.choice(key_accounts)
            name = f"{group.name.rsplit(' ', 1)[0]} – {town[1]} site"
            extra = {
                "parent_account_id": group.pk,
                "account_manager_id": group.account_manager_id,
                "contract_reference": group.contract_reference,
            }
        else:
            name = (
                f"{rng.choice(words.LAST_NAMES)} {rng.choice(words.COMPANY_WORDS)} "
                f"{rng.choice(words.COMPANY_FORMS)}"
            )
        sub = made.add_customer(Segment.BUSINESS, name, town, **extra)
        for n in range(rng.choice([1, 1, 2])):
            person = f"{rng.choice(words.FIRST_NAMES)} {rng.choice(words.LAST_NAMES)}"
            made.add_contact(
                sub, person, rng.choice(words.CONTACT_ROLES), phones.landline(town[4]), n == 0
            )
        made.add_services(sub, town)


def _residents(made: _Subscribers, count: int, towns: list[Town], town_weights: list[int]) -> None:
    """Households: the account holder, and now and then an authorised person."""
    rng, phones = made.rng, made.phones
    for _ in range(count):
        town = rng.choices(towns, weights=town_weights)[0]
        first, last = rng.choice(words.FIRST_NAMES), rng.choice(words.LAST_NAMES)
        sub = made.add_customer(Segment.RESIDENTIAL, f"{first} {last}", town)
        made.add_contact(sub, f"{first} {last}", "Account holder", made.customers[-1].phone, True)
        if rng.random() < 0.2:
            partner = f"{rng.choice(words.FIRST_NAMES)} {last}"
            made.add_contact(sub, partner, "Authorised person", phones.mobile(rng), False)
        made.add_services(sub, town)


def build_subscribers(
    rng: random.Random,
    count: int,
    by_town: dict[str, list[NetworkElement]],
    staff: Staff,
    created: dict[str, Any],
    progress: tqdm,
) -> tuple[list[Subscriber], dict[int, int]]:
    """~90% residential, the rest business, and a few dozen group (key)
    accounts whose business sites hang under them. Each with 1–2 contacts
    and 1–3 services on an access element of its town."""
    towns = [town for region in words.REGIONS for town in region[4]]
    town_weights = [TOWN_WEIGHTS.get(town[0], 1) for town in towns]
    key_count = max(2, round(count / 300))
    business_count = max(1, round(count * 0.09))
    made = _Subscribers(rng, by_town, towns, progress)
    account_managers = staff.by_line[TierKind.ACCOUNT_MANAGEMENT]
    key_accounts = _key_accounts(made, key_count, towns, town_weights, account_managers)
    _businesses(made, business_count, towns, town_weights, key_accounts)
    _residents(made, count - key_count - business_count, towns, town_weights)
    # Group accounts first: member sites reference them.
    customers_insert(customers=made.customers, contacts=made.contacts, services=made.services)
    created["customers.Customer"] = made.customer_ids.span
    created["customers.Contact"] = made.contact_ids.span
    created["customers.Service"] = made.service_ids.span
    return made.subscribers, made.service_elements
