"""Signing in to the customer portal: a one-time link mailed to a known
contact, or an account number plus the account's PIN.

Only the SHA-256 of a link's secret is stored. A link signs in once, within
NETDESK_PORTAL_LINK_MINUTES; using it takes its row under lock, so two
clicks at once sign in once. Requests for links are counted per client
address and per e-mail address, failed PINs per account and per client
address, in the database (every web process counts alike)."""

from __future__ import annotations

import hashlib
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth.hashers import check_password, make_password
from django.db import transaction
from django.db.models import Q
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext

from netdesk.channels.models import OutboundKind, OutboundMessage
from netdesk.channels.services.outbound import outbound_queue
from netdesk.config import parse_rate
from netdesk.core.models import RateCount
from netdesk.core.ratelimit import rate_count_bump
from netdesk.customers.models import Contact, Customer, email_key
from netdesk.portal.access import customer_language, may_use_portal, portal_contacts
from netdesk.portal.models import PortalPin, PortalSignIn
from netdesk.portal.tasks import sign_in_mail_send

# One mail carries at most this many links (one per account the address is
# a contact of); more would be a list nobody reads.
LINKS_PER_MAIL = 5
# How long a link is kept once it has run out (for questions about it).
KEPT_AFTER_EXPIRY = timedelta(days=1)
# What stays of a used link's mail in the outbound queue: the secret is gone.
USED_LINK_BODY = "(This sign-in link has been used; its text is no longer kept.)"


def secret_hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


@dataclass(frozen=True)
class Throttled:
    """Refused for now: too many requests; `retry_after` seconds to wait."""

    retry_after: int


def _window(rate: str) -> tuple[int, int, int, float]:
    limit, period = parse_rate(rate)
    now = time.time()
    return limit, period, int(now // period), now


def _bump_over(*, key: str, rate: str) -> Throttled | None:
    """Count one more request for `key`; refused once past `rate`."""
    limit, period, window, now = _window(rate)
    if rate_count_bump(key=f"{key}:{period}", period_start=window) <= limit:
        return None
    return Throttled(retry_after=int((window + 1) * period - now) + 1)


def _address_key(address: str) -> str:
    # The key column is short; an e-mail address or account number may not be.
    return hashlib.sha256(address.encode()).hexdigest()[:32]


def sign_in_link_throttled(*, email: str, client: str) -> Throttled | None:
    """Counts a request for a link, for the client address and for the
    e-mail address (known or not, so the answer tells nothing about it)."""
    return _bump_over(
        key=f"portal-link:ip:{client}", rate=settings.NETDESK_PORTAL_LINK_RATE
    ) or _bump_over(
        key=f"portal-link:mail:{_address_key(email_key(email))}",
        rate=settings.NETDESK_PORTAL_LINK_EMAIL_RATE,
    )


def _contacts_for_address(address: str) -> list[Contact]:
    key = email_key(address)
    if not key or "@" not in key:
        return []
    found = portal_contacts().filter(email_key=key).order_by("-is_primary", "pk")
    return [contact for contact in found[: LINKS_PER_MAIL * 4] if may_use_portal(contact)][
        :LINKS_PER_MAIL
    ]


def _link_mail(
    *, contact: Contact, links: list[tuple[Customer, str]], minutes: int
) -> tuple[str, str]:
    """The mail's subject and text, in the customer's language."""
    with translation.override(customer_language(contact.customer)):
        subject = gettext("Your sign-in link for the customer portal")
        body = render_to_string(
            "portal/sign_in_mail.txt",
            {"contact": contact, "links": links, "minutes": minutes},
        )
    return subject, body


@transaction.atomic
def portal_link_request(*, email: str, requested_from: str, link_for: Callable[[str], str]) -> int:
    """Mail sign-in links to `email` when it is the address of a verified
    contact allowed in the portal: one link per account it is a contact of.
    `link_for(secret)` gives a link's absolute address. Returns how many
    links were made (0 for an unknown address; the caller answers alike).

    The mail goes to the address the desk has on file (not a spelling of it
    the visitor typed) and leaves with the next delivery."""
    contacts = _contacts_for_address(email)
    if not contacts:
        return 0
    now = timezone.now()
    # These contacts' links that ran out over a day ago have nothing left
    # to tell: they go, so the table holds only recent links.
    PortalSignIn.objects.filter(
        contact__in=contacts, expires_at__lt=now - KEPT_AFTER_EXPIRY
    ).delete()
    minutes = settings.NETDESK_PORTAL_LINK_MINUTES
    links: list[tuple[Customer, str]] = []
    for contact in contacts:
        secret = secrets.token_urlsafe(32)
        PortalSignIn.objects.create(
            contact=contact,
            token_hash=secret_hash(secret),
            created_at=now,
            expires_at=now + timedelta(minutes=minutes),
            requested_from=requested_from[:45],
        )
        links.append((contact.customer, link_for(secret)))
    first = contacts[0]
    subject, body = _link_mail(contact=first, links=links, minutes=minutes)
    outbound_queue(
        kind=OutboundKind.PORTAL_SIGN_IN,
        to=[first.email],
        subject=subject,
        body=body,
        customer=first.customer,
    )
    # The worker's mail tick sends every ten seconds; a person waits for
    # this one, so it is sent as soon as the request has committed.
    transaction.on_commit(sign_in_mail_send.enqueue)
    return len(links)


class LinkRefused(Exception):
    """A sign-in link that cannot sign in: unknown, used, expired, or its
    contact no longer allowed in the portal. `reason` says which."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


LINK_UNKNOWN = "unknown"
LINK_USED = "used"
LINK_EXPIRED = "expired"


def _refusal(link: PortalSignIn | None, now: datetime) -> str:
    if link is None:
        return LINK_UNKNOWN
    if link.used_at is not None:
        return LINK_USED
    if link.expires_at <= now:
        return LINK_EXPIRED
    return ""


def portal_link_check(*, secret: str) -> str:
    """Why the link would not sign in ("" when it would); reads only, so a
    mail scanner opening the link does not use it up."""
    link = PortalSignIn.objects.filter(token_hash=secret_hash(secret)).first()
    return _refusal(link, timezone.now())


@transaction.atomic
def portal_link_use(*, secret: str) -> Contact:
    """Uses the link up and returns whom it signs in; raises LinkRefused."""
    now = timezone.now()
    link = PortalSignIn.objects.select_for_update().filter(token_hash=secret_hash(secret)).first()
    reason = _refusal(link, now)
    if reason:
        raise LinkRefused(reason)
    assert link is not None
    link.used_at = now
    link.save(update_fields=["used_at"])
    contact = portal_contacts().filter(pk=link.contact_id).first()
    if contact is None or not may_use_portal(contact):
        raise LinkRefused(LINK_UNKNOWN)
    # The mail's text in the outbound queue holds the secret: once used,
    # nobody who reads the queue needs it. Its rows are found by the
    # indexed due time (at or after the link was made).
    OutboundMessage.objects.filter(
        Q(body__contains=secret),
        kind=OutboundKind.PORTAL_SIGN_IN,
        next_attempt_at__gte=link.created_at - timedelta(minutes=1),
    ).update(body=USED_LINK_BODY)
    return contact


@dataclass(frozen=True)
class PinResult:
    """A PIN sign-in: the contact signed in, or why not (`throttled` while
    the account or the address is locked out)."""

    contact: Contact | None = None
    throttled: Throttled | None = None
    # The PIN was right, but no contact of the account may use the portal.
    nobody: bool = False


def _pin_keys(account: str, client: str) -> list[tuple[str, str]]:
    return [
        (f"portal-pin:acct:{_address_key(account.strip().upper())}", "NETDESK_PORTAL_PIN_FAILURES"),
        (f"portal-pin:ip:{client}", "NETDESK_PORTAL_PIN_ADDRESS_FAILURES"),
    ]


def _locked_out(keys: list[tuple[str, str]]) -> Throttled | None:
    """Refused without trying the PIN while either count of failures in its
    current period has reached its limit (until the period ends)."""
    wanted: dict[tuple[str, int], tuple[int, int, float]] = {}
    for key, setting in keys:
        limit, period, window, now = _window(getattr(settings, setting))
        wanted[(f"{key}:{period}", window)] = (limit, period, now)
    found = Q()
    for key, window in wanted:
        found |= Q(key=key, period_start=window)
    for row in RateCount.objects.filter(found):
        limit, period, now = wanted[(row.key, row.period_start)]
        if row.count >= limit:
            return Throttled(retry_after=int((row.period_start + 1) * period - now) + 1)
    return None


def _failed(keys: list[tuple[str, str]]) -> None:
    for key, setting in keys:
        _bump_over(key=key, rate=getattr(settings, setting))


def pin_contact(customer: Customer) -> Contact | None:
    """Whom a PIN signs in: the account's primary contact, else its first
    verified one, that may use the portal."""
    contacts = portal_contacts().filter(customer=customer, verified=True)
    return next((c for c in contacts.order_by("-is_primary", "pk")[:20] if may_use_portal(c)), None)


def portal_pin_sign_in(*, account: str, pin: str, client: str) -> PinResult:
    """Checks `pin` for the account numbered `account`. An unknown account
    and a wrong PIN are the same failure (counted alike, as slow)."""
    keys = _pin_keys(account, client)
    locked = _locked_out(keys)
    if locked is not None:
        return PinResult(throttled=locked)
    stored = (
        PortalPin.objects.select_related("customer")
        .filter(customer__account_number__iexact=account.strip(), customer__is_placeholder=False)
        .first()
    )
    if stored is None:
        # As slow as a real check, so the time does not tell which accounts exist.
        make_password(pin)
        _failed(keys)
        return PinResult()
    if not check_password(pin, stored.pin_hash):
        _failed(keys)
        return PinResult()
    contact = pin_contact(stored.customer)
    return PinResult(contact=contact, nobody=contact is None)
