"""Who wrote: a mail's sender as a contact of a customer. An unknown sender
gets an unverified contact on a placeholder customer, which an agent merges
into the right customer once they know who it is."""

from __future__ import annotations

import secrets

from django.db import transaction
from django.db.models import F, Max
from django.db.models.functions import Lower
from django.utils import timezone

from netdesk.accounts.models import User
from netdesk.accounts.permissions import Action, require
from netdesk.channels.parsing import address_key
from netdesk.core.errors import ValidationFailed
from netdesk.core.locking import locked
from netdesk.customers.models import Contact, Customer, Segment
from netdesk.customers.services import contact_create, customer_create
from netdesk.tickets.events import FieldChange, event_fields_changed
from netdesk.tickets.models import Ticket
from netdesk.tickets.services.changes import ticket_changed

PLACEHOLDER_PREFIX = "MAIL-"


def sender_contacts(address: str) -> list[Contact]:
    """Every contact the address may stand for, best first: the same mailbox
    whatever the case and the plus tag (`ann+isp@x` is `ann@x`, found by the
    contact's indexed `email_key`); a verified contact before an unverified
    one, then the one with the most recent ticket, then the oldest contact,
    so the choice is the same every time."""
    if "@" not in address:
        return []
    return list(
        Contact.objects.filter(email_key=address_key(address))
        .annotate(last_ticket=Max("ticket__created_at"))
        .select_related("customer")
        .order_by("-verified", F("last_ticket").desc(nulls_last=True), "pk")
    )


def sender_contact(address: str) -> Contact | None:
    """The contact the address stands for, or None for an unknown sender."""
    contacts = sender_contacts(address)
    return contacts[0] if contacts else None


# No savepoint of its own: its one caller, the inbound pipeline, rolls the
# whole mail back on any failure, so a savepoint would only cost two statements.
@transaction.atomic(savepoint=False)
def sender_contact_ensure(*, address: str, name: str) -> Contact:
    """The sender's contact; for an unknown sender, an unverified contact on
    a new placeholder customer (account number MAIL-<n>). The inbound
    pipeline calls it holding the sender's rate-count row, so two processes
    never make two placeholders for one stranger."""
    contact = sender_contact(address)
    if contact is not None:
        return contact
    address = address.strip().lower()
    # A random number first, the customer's own number once it has one: two
    # processes opening placeholders at once never reach for the same one.
    customer = customer_create(
        account_number=f"{PLACEHOLDER_PREFIX}{secrets.token_hex(6)}",
        name=f"Unverified sender {address}"[:200],
        segment=Segment.RESIDENTIAL,
        email=address,
        is_placeholder=True,
    )
    customer.account_number = f"{PLACEHOLDER_PREFIX}{customer.pk}"
    customer.save(update_fields=["account_number"])
    return contact_create(
        customer=customer, name=(name or address)[:200], email=address, verified=False
    )


@transaction.atomic
def contacts_mark_bouncing(*, address: str, reason: str) -> int:
    """Every contact with this address (any case) is marked as bouncing, with
    the server's reason; how many were marked."""
    return (
        Contact.objects.annotate(email_lower=Lower("email"))
        .filter(email_lower=address.strip().lower())
        .update(email_bouncing=reason or "delivery failed", email_bounced_at=timezone.now())
    )


@transaction.atomic
def sender_merge(*, actor: User, contact: Contact, customer: Customer) -> Contact:
    """Move an unknown sender's contact into the customer it belongs to, with
    the tickets and contacts logged on its placeholder, and mark it verified.
    The placeholder goes once nothing is left on it."""
    require(actor, Action.SENDER_MERGE)
    contact = locked(contact)
    customer = locked(customer)
    placeholder = locked(contact.customer)
    if not placeholder.is_placeholder:
        raise ValidationFailed(
            f"Contact {contact.pk} belongs to {placeholder.account_number}, which is not a "
            "placeholder for an unknown sender.",
            field="contact",
            value=contact.pk,
            accepted="a contact on a placeholder customer (account number MAIL-…)",
        )
    if customer.is_placeholder or customer.pk == placeholder.pk:
        raise ValidationFailed(
            f"{customer.account_number} is a placeholder for an unknown sender itself.",
            field="customer",
            value=customer.pk,
            accepted="a customer that is not a placeholder",
        )
    contact.customer = customer
    contact.verified = True
    contact.save(update_fields=["customer", "verified"])
    _tickets_move(actor=actor, placeholder=placeholder, customer=customer)
    placeholder.interactions.update(customer=customer)
    if not (
        placeholder.contacts.exists()
        or placeholder.tickets.exists()
        or placeholder.interactions.exists()
        or placeholder.services.exists()
    ):
        placeholder.delete()
    return contact


def _tickets_move(*, actor: User, placeholder: Customer, customer: Customer) -> None:
    """The placeholder's tickets become the customer's, each saying so on its
    timeline; their service levels follow the customer's contract."""
    for ticket in Ticket.objects.select_for_update().filter(customer=placeholder).order_by("pk"):
        change = FieldChange("customer", placeholder, customer)
        ticket.customer = customer
        ticket.save(update_fields=["customer"])
        event_fields_changed(
            ticket=ticket,
            actor=actor,
            changes=[change],
            message="The unknown sender was merged into the customer.",
        )
        ticket_changed(ticket)
