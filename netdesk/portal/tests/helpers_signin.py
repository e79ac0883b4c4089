"""Test helpers: contacts with an e-mail address, and a portal session
signed in through a real one-time link."""

from __future__ import annotations

import itertools
import secrets
from datetime import timedelta
from typing import Any

from django.test import Client
from django.urls import reverse
from django.utils import timezone

from netdesk.customers.models import Contact, Customer, Segment
from netdesk.portal.models import PortalSignIn
from netdesk.portal.services.signin import secret_hash
from tests import factories as f

_seq = itertools.count(1)


def contact_of(customer: Customer, **extra: object) -> Contact:
    """The customer's primary contact, given an e-mail address (or another contact)."""
    n = next(_seq)
    if extra.pop("new", False):
        contact = Contact(customer=customer, name=f"Person {n}", is_primary=False)
    else:
        contact = Contact.objects.get(customer=customer, is_primary=True)
    contact.email = str(extra.pop("email", f"person{n}@example.net"))
    for name, value in extra.items():
        setattr(contact, name, value)
    contact.save()
    return contact


def subscriber(
    segment: str = Segment.RESIDENTIAL,
    *,
    email: str | None = None,
    verified: bool = True,
    **customer_extra: Any,
) -> Contact:
    """A new customer's primary contact with an e-mail address."""
    n = next(_seq)
    return contact_of(
        f.customer(segment=segment, **customer_extra),
        email=email or f"subscriber{n}@example.net",
        verified=verified,
    )


def link_secret(contact: Contact, *, minutes: int = 15) -> str:
    """A sign-in link made as the service makes them; returns its secret."""
    secret = secrets.token_urlsafe(32)
    now = timezone.now()
    PortalSignIn.objects.create(
        contact=contact,
        token_hash=secret_hash(secret),
        created_at=now,
        expires_at=now + timedelta(minutes=minutes),
    )
    return secret


def signed_in_client(contact: Contact, client: Client | None = None) -> Client:
    """A browser signed in to the portal as `contact` through a link."""
    client = client or Client()
    answer = client.post(reverse("portal_link", args=[link_secret(contact)]))
    assert answer.status_code == 302, answer.status_code
    assert answer["Location"] == reverse("portal_home")
    return client
