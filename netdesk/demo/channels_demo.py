"""The demo's customer channels: portal PINs for a few subscribers (one of
them on the outage under way), phone extensions for the agents, a CTI
endpoint to play calls into, and the addresses to try them, printed beside
the agent logins."""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Any

from django.core.management.base import OutputWrapper
from django.db import transaction
from django.urls import reverse

from netdesk.accounts.models import User
from netdesk.core.errors import ValidationFailed
from netdesk.customers.models import Customer, Segment, Service
from netdesk.demo.models import DemoRun
from netdesk.noc.selectors import active_incidents, network_status_for
from netdesk.phone.models import Call, CtiEndpoint
from netdesk.phone.services.endpoints import cti_endpoint_create, cti_endpoint_path
from netdesk.portal.services.pins import portal_pin_set
from netdesk.portal.services.signin import pin_contact

DEMO_PBX = "demo-pbx"
FIRST_EXTENSION = 201
# Subscribers picked among the first few hundred with a service: enough
# variety, a bounded read.
CANDIDATES = 300


@dataclass(frozen=True)
class PortalLogin:
    """One subscriber who can sign in to the portal with account and PIN."""

    account_number: str
    pin: str
    name: str
    note: str


@dataclass(frozen=True)
class ChannelsDemo:
    portal: list[PortalLogin]
    # Shown once, right after the load; None when serving an earlier load.
    cti_path: str | None


def portal_pins(seed: int, count: int) -> list[str]:
    """The demo's PINs, drawn from the demo's seed alone, so serving the same
    desk again prints the same ones (the desk keeps only their hashes)."""
    draw = random.Random(f"portal-pins-{seed}")
    return [f"{draw.randrange(10**7, 10**8)}" for _ in range(count)]


def _signs_in(customer: Customer) -> bool:
    return not customer.is_placeholder and pin_contact(customer) is not None


def _on_the_outage() -> Customer | None:
    """A residential subscriber whose service hangs off the outage under way."""
    for incident in active_incidents().exclude(root_element=None).order_by("pk"):
        services = (
            Service.objects.filter(
                access_element__upstream=incident.root_element_id,
                customer__segment=Segment.RESIDENTIAL,
            )
            .select_related("customer")
            .order_by("pk")[:20]
        )
        for service in services:
            if _signs_in(service.customer) and network_status_for(service.customer_id):
                return service.customer
    return None


def _pick(rng: random.Random, segment: str, taken: set[int]) -> Customer | None:
    candidates = [
        customer
        for customer in Customer.objects.filter(
            segment=segment, is_placeholder=False, services__isnull=False
        )
        .exclude(pk__in=taken)
        .distinct()
        .order_by("pk")[:CANDIDATES]
    ]
    rng.shuffle(candidates)
    for customer in candidates:
        if _signs_in(customer) and not network_status_for(customer.pk):
            return customer
    return None


def _portal_customers(rng: random.Random) -> list[Customer]:
    chosen: list[Customer] = []
    outage = _on_the_outage()
    if outage is not None:
        chosen.append(outage)
    for segment in (Segment.RESIDENTIAL, Segment.BUSINESS, Segment.RESIDENTIAL):
        if len(chosen) == 3:
            break
        picked = _pick(rng, segment, {c.pk for c in chosen})
        if picked is not None:
            chosen.append(picked)
    return chosen


def _describe(customer: Customer) -> str:
    status = network_status_for(customer.pk)
    if status:
        return f"on the outage under way ({status[0].incident.reference})"
    return f"{customer.get_segment_display().lower()}, no outage"


def _give_extensions(user_ids: list[int]) -> None:
    """Demo agents without an extension get 201, 202, … in the order they
    were made (the `hotline` login first), skipping extensions in use."""
    taken = set(User.objects.exclude(phone_extension="").values_list("phone_extension", flat=True))
    agents = list(User.objects.filter(pk__in=user_ids, phone_extension="").order_by("pk"))
    number = FIRST_EXTENSION
    for agent in agents:
        while str(number) in taken:
            number += 1
        agent.phone_extension = str(number)
        number += 1
    User.objects.bulk_update(agents, ["phone_extension"])


def _demo_endpoint() -> tuple[CtiEndpoint, str]:
    # A desk may already have an endpoint of that name (made by hand).
    for name in [DEMO_PBX, *(f"{DEMO_PBX}-{n}" for n in range(2, 100))]:
        if not CtiEndpoint.objects.filter(name=name).exists():
            return cti_endpoint_create(name=name)
    raise ValidationFailed(
        f"name {DEMO_PBX!r} and its 98 numbered variants are all taken.",
        field="name",
        value=DEMO_PBX,
        accepted="a desk with fewer CTI endpoints named demo-pbx…",
    )


def build_channels(rng: random.Random, created: dict[str, Any], *, seed: int) -> ChannelsDemo:
    """Extensions, portal PINs and the demo PBX's endpoint, recorded in
    `created` for `netdesk demo --reset`."""
    _give_extensions(created.get("users", []))
    customers = _portal_customers(rng)
    logins = []
    for customer, pin in zip(customers, portal_pins(seed, len(customers)), strict=False):
        portal_pin_set(customer=customer, pin=pin)
        logins.append(PortalLogin(customer.account_number, pin, customer.name, _describe(customer)))
    created["portal.customers"] = [customer.pk for customer in customers]
    endpoint, token = _demo_endpoint()
    created["phone.CtiEndpoint"] = [endpoint.pk]
    return ChannelsDemo(portal=logins, cti_path=cti_endpoint_path(token))


def channels_of(run: DemoRun) -> ChannelsDemo:
    """What an earlier load made, to print it again (the CTI path excepted:
    only its hash is kept)."""
    ids = run.created.get("portal.customers", [])
    by_id = Customer.objects.in_bulk(ids)
    customers = [by_id[pk] for pk in ids if pk in by_id]
    pins = portal_pins(run.seed, len(ids))
    logins = [
        PortalLogin(customer.account_number, pin, customer.name, _describe(customer))
        for customer, pin in zip(customers, pins, strict=False)
    ]
    return ChannelsDemo(portal=logins, cti_path=None)


def channels_print(stdout: OutputWrapper, demo: ChannelsDemo, *, host: str, port: int) -> None:
    """The portal, chat and phone lines of the demo's output."""
    # A desk served on every address is still reached on the loopback one.
    shown = "127.0.0.1" if host in ("0.0.0.0", "::", "") else host  # noqa: S104
    base = f"http://{shown}:{port}"
    stdout.write(f"Customer portal: {base}{reverse('portal_sign_in')} (account number and PIN)")
    stdout.write(f"  {'account':<12} {'PIN':<10} subscriber")
    for login in demo.portal:
        stdout.write(f"  {login.account_number:<12} {login.pin:<10} {login.name} — {login.note}")
    stdout.write(f"Web chat test page: {base}{reverse('chat_demo')}")
    agents = reverse("chat_console")
    stdout.write(f"  the agents answer in Chats ({base}{agents}), e.g. as hotline")
    hotline = User.objects.filter(username="hotline").values_list("phone_extension", flat=True)
    stdout.write(
        f"Phone: each agent's phone is an extension from {FIRST_EXTENSION} on (hotline: "
        f"{hotline.first() or 'none'}); the calls are in Calls ({base}{reverse('calls_log')})."
    )
    if demo.cti_path:
        stdout.write(f"  play a few calls into the desk (CTI endpoint {DEMO_PBX!r}):")
        stdout.write(f"  netdesk cti play --url {base}{demo.cti_path}")
        stdout.write("  (this address is shown only now: keep it for later)")
    else:
        stdout.write(
            f"  the CTI endpoint {DEMO_PBX!r} was shown when the demo was loaded; for a new "
            "one: netdesk cti endpoint create --name demo-pbx-2, then netdesk cti play --url "
            f"{base}<the path it prints>"
        )
    stdout.write("")


@transaction.atomic
def channels_demo_delete(run: DemoRun) -> None:
    """Removes the demo PBX's endpoint with the calls played into it (portal
    PINs and extensions go with their customers and agents)."""
    endpoints = run.created.get("phone.CtiEndpoint", [])
    Call.objects.filter(endpoint__in=endpoints).delete()
    CtiEndpoint.objects.filter(pk__in=endpoints).delete()
