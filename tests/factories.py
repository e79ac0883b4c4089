"""Small factories for tests: real rows through the real services."""

from __future__ import annotations

import itertools
from typing import Any

from netdesk.accounts.models import Role, SupportGroup, Tier, TierKind, User
from netdesk.accounts.services import token_create, user_create
from netdesk.customers.models import Contact, Customer, Segment, Service
from netdesk.network.models import Area, ElementKind, NetworkElement
from netdesk.tickets.models import Ticket
from netdesk.tickets.services import ticket_create

_seq = itertools.count(1)


DEFAULT_GROUPS = {
    TierKind.FIRST_LINE: ("First line (hotline)", 1, "Hotline"),
    TierKind.SECOND_LINE: ("Second line (NOC)", 2, "NOC"),
    TierKind.THIRD_LINE: ("Third line (field engineering)", 3, "Field engineering"),
    TierKind.BILLING: ("Billing", 2, "Billing"),
    TierKind.ACCOUNT_MANAGEMENT: ("Account management", 2, "Key account management"),
}


def group(kind: str = TierKind.FIRST_LINE) -> SupportGroup:
    """The default group of a tier kind. The migrations create them; tests on
    a flushed database (transactional tests) get them recreated here."""
    found = SupportGroup.objects.filter(tier__kind=kind).order_by("id").first()
    if found is not None:
        return found
    tier_name, level, group_name = DEFAULT_GROUPS[TierKind(kind)]
    tier_row, _ = Tier.objects.get_or_create(
        name=tier_name, defaults={"kind": kind, "level": level}
    )
    return SupportGroup.objects.create(name=group_name, tier=tier_row)


def tier(kind: str) -> Tier:
    return Tier.objects.get(kind=kind)


def user(
    role: str = Role.HOTLINE_OPERATOR, groups: list[SupportGroup] | None = None, **extra: Any
) -> User:
    n = next(_seq)
    created = user_create(
        username=extra.pop("username", f"{role}{n}"),
        role=role,
        password="correct-horse-battery-9",
        **extra,
    )
    for g in groups if groups is not None else [group()]:
        g.members.add(created)
    return created


def token_for(agent: User) -> str:
    return token_create(user=agent)[1]


def customer(
    segment: str = Segment.RESIDENTIAL,
    account_manager: User | None = None,
    phone: str | None = None,
    **extra: Any,
) -> Customer:
    n = next(_seq)
    created = Customer(
        account_number=extra.pop("account_number", f"AC{n:07d}"),
        name=extra.pop("name", f"Customer {n}"),
        segment=segment,
        account_manager=account_manager,
        phone=phone if phone is not None else f"+49 30 555{n:05d}",
        **extra,
    )
    created.save()
    Contact(customer=created, name=f"Contact {n}", phone=created.phone, is_primary=True).save()
    return created


def element(name: str | None = None, upstream: NetworkElement | None = None) -> NetworkElement:
    n = next(_seq)
    area, _ = Area.objects.get_or_create(code="BER", defaults={"name": "Berlin"})
    return NetworkElement.objects.create(
        name=name or f"OLT-{n}", kind=ElementKind.OLT, area=area, upstream=upstream
    )


def service(owner: Customer, **extra: Any) -> Service:
    n = next(_seq)
    return Service.objects.create(
        service_id=extra.pop("service_id", f"SID{n:08d}"),
        customer=owner,
        product=extra.pop("product", "Fibre 500"),
        access_technology="ftth",
        installation_address="Main Street 1",
        **extra,
    )


def ticket(actor: User, owner: Customer | None = None, **extra: Any) -> Ticket:
    return ticket_create(
        actor=actor,
        customer=owner or customer(),
        ticket_type=extra.pop("ticket_type", "fault"),
        channel=extra.pop("channel", "phone"),
        title=extra.pop("title", "No internet since this morning"),
        **extra,
    )
