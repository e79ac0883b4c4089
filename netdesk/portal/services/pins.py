"""An account's portal PIN: set (or made up) by the desk, stored hashed like
a password, told to the customer once."""

from __future__ import annotations

import secrets

from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.utils import timezone

from netdesk.core.errors import ValidationFailed
from netdesk.customers.models import Customer
from netdesk.portal.models import PortalPin

PIN_DIGITS_MIN = 6
PIN_DIGITS_MAX = 12
# A PIN the desk makes up has this many digits.
PIN_DIGITS_NEW = 8


def pin_new() -> str:
    """A random PIN of PIN_DIGITS_NEW digits."""
    return "".join(secrets.choice("0123456789") for _ in range(PIN_DIGITS_NEW))


@transaction.atomic
def portal_pin_set(*, customer: Customer, pin: str) -> PortalPin:
    """Sets the account's PIN (replacing any earlier one): 6 to 12 digits.
    A placeholder customer (made for an unknown mail sender) gets none."""
    if not (pin.isascii() and pin.isdigit() and PIN_DIGITS_MIN <= len(pin) <= PIN_DIGITS_MAX):
        raise ValidationFailed(
            f"pin must be {PIN_DIGITS_MIN} to {PIN_DIGITS_MAX} digits; got {len(pin)} "
            "characters"
            + ("" if pin.isascii() and pin.isdigit() else " that are not all digits")
            + ".",
            field="pin",
            value="(not shown)",
            accepted=f"{PIN_DIGITS_MIN} to {PIN_DIGITS_MAX} digits 0-9",
        )
    if customer.is_placeholder:
        raise ValidationFailed(
            f"customer {customer.account_number} is a placeholder for an unknown sender; "
            "merge it into the right customer first.",
            field="account",
            value=customer.account_number,
            accepted="a customer that is not a placeholder",
        )
    stored, _created = PortalPin.objects.update_or_create(
        customer=customer,
        defaults={"pin_hash": make_password(pin), "set_at": timezone.now()},
    )
    return stored


@transaction.atomic
def portal_pin_remove(*, customer: Customer) -> bool:
    """Removes the account's PIN (signing in by PIN stops); True if it had one."""
    deleted, _ = PortalPin.objects.filter(customer=customer).delete()
    return deleted > 0
