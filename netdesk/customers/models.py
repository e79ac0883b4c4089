"""Customer accounts, their contacts and the services they subscribe to."""

from __future__ import annotations

import re

from django.conf import settings
from django.db import models
from django.db.models.functions import Lower, Right

NON_DIGITS = re.compile(r"\D+")
PHONE_TAIL = 9


def normalise_phone(raw: str) -> str:
    """Digits only, so '+49 (30) 1234-56' and '0049301234 56' compare by suffix."""
    return NON_DIGITS.sub("", raw or "")


def email_key(address: str) -> str:
    """The form every spelling of one mailbox shares: lowercased, without the
    plus tag (ann+isp@example.net is ann@example.net); mail from any of them
    finds the contact by it."""
    local, at, domain = (address or "").strip().strip("<>").lower().rpartition("@")
    if not at:
        return domain
    return f"{local.split('+', 1)[0] or local}@{domain}"


class Segment(models.TextChoices):
    RESIDENTIAL = "residential", "Residential"
    BUSINESS = "business", "Business"
    KEY_ACCOUNT = "key_account", "Group / key account"


def serves_as_key_account(segment: str, parent_segment: str | None) -> bool:
    """The one rule for the key-account flag: a group (key) account, or a site
    whose parent account is one. Reads of plain rows use it with the parent's
    segment; queries use `key_account_customers`."""
    return Segment.KEY_ACCOUNT in (segment, parent_segment)


def key_account_customers(path: str = "") -> models.Q:
    """Customers served as key accounts, for a query; `path` leads from the
    queried model to the customer (e.g. "ticket__customer__")."""
    return models.Q(**{f"{path}segment": Segment.KEY_ACCOUNT}) | models.Q(
        **{f"{path}parent_account__segment": Segment.KEY_ACCOUNT}
    )


class Customer(models.Model):
    """A customer account. Key (group) accounts have an account manager and a
    contract; business sites may belong to a parent group account."""

    account_number = models.CharField(max_length=30, unique=True)
    name = models.CharField(max_length=200)
    segment = models.CharField(max_length=20, choices=Segment.choices, default=Segment.RESIDENTIAL)
    parent_account = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="member_accounts"
    )
    account_manager = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="managed_accounts",
    )
    contract_reference = models.CharField(max_length=60, blank=True, default="")
    phone = models.CharField(max_length=40, blank=True, default="")
    phone_digits = models.CharField(max_length=40, blank=True, default="", db_index=True)
    email = models.EmailField(blank=True, default="")
    billing_address = models.CharField(max_length=300, blank=True, default="")
    language = models.CharField(max_length=10, blank=True, default="en")
    # Opened for a sender the desk did not know; an agent merges it into the
    # right customer.
    is_placeholder = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [
            models.Index(fields=["name"]),
            # Callers' numbers arrive in any format (+49 30…, 030…, 0049…): the
            # last nine digits identify them; an expression index finds them.
            models.Index(Right("phone_digits", PHONE_TAIL), name="customer_phone_tail_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.account_number})"

    def save(self, *args: object, **kwargs: object) -> None:
        self.phone_digits = normalise_phone(self.phone)
        super().save(*args, **kwargs)  # type: ignore[arg-type]

    @property
    def is_key_account(self) -> bool:
        """A group (key) account, or a site of one: sites are served under the
        group's contract (load `parent_account` with lists of customers)."""
        parent = self.parent_account if self.parent_account_id else None
        return serves_as_key_account(self.segment, parent.segment if parent else None)

    @property
    def served_segment(self) -> str:
        """The segment service levels match on: a site of a key account is one."""
        return Segment.KEY_ACCOUNT if self.is_key_account else self.segment

    @property
    def account_type(self) -> str:
        """The segment as agents read it, naming a key account's site as one."""
        if self.segment != Segment.KEY_ACCOUNT and self.is_key_account:
            return f"{self.get_segment_display()} site of a key account"
        return self.get_segment_display()


class NotifyBy(models.TextChoices):
    """How a contact is told of answers and changes on their tickets. Email
    is delivered by the mail channel; another way (SMS) is a new choice
    here plus its sender in channels (docs/portal.md)."""

    EMAIL = "email", "By email"
    PORTAL_ONLY = "portal", "Only in the portal"


class Contact(models.Model):
    """A person who may call about an account."""

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="contacts")
    name = models.CharField(max_length=200)
    role = models.CharField(max_length=80, blank=True, default="")
    phone = models.CharField(max_length=40, blank=True, default="")
    phone_digits = models.CharField(max_length=40, blank=True, default="", db_index=True)
    email = models.EmailField(blank=True, default="")
    # `email_key(email)`, kept by save() and the bulk inserts: senders are
    # matched by it whatever the case and the plus tag.
    email_key = models.CharField(max_length=254, blank=True, default="", db_index=True)
    is_primary = models.BooleanField(default=False)
    # False for a contact the desk made from an unknown sender's address:
    # it proves nothing about who wrote, so it may not add to tickets by
    # reference alone.
    verified = models.BooleanField(default=True)
    # Why mail to this address bounced ("" while it is delivered), and when.
    email_bouncing = models.TextField(blank=True, default="")
    email_bounced_at = models.DateTimeField(null=True, blank=True)
    # How the contact is told about their tickets (chosen in the portal).
    notify_by = models.CharField(max_length=20, choices=NotifyBy.choices, default=NotifyBy.EMAIL)

    class Meta:
        indexes = [
            models.Index(Right("phone_digits", PHONE_TAIL), name="contact_phone_tail_idx"),
            # Senders are matched case-insensitively.
            models.Index(Lower("email"), name="contact_email_lower_idx"),
        ]

    def __str__(self) -> str:
        return self.name

    def save(self, *args: object, **kwargs: object) -> None:
        self.phone_digits = normalise_phone(self.phone)
        self.email_key = email_key(self.email)
        fields = kwargs.get("update_fields")
        if isinstance(fields, list | tuple | set | frozenset) and "email" in fields:
            kwargs["update_fields"] = {*fields, "email_key"}
        super().save(*args, **kwargs)  # type: ignore[arg-type]


class AccessTechnology(models.TextChoices):
    FTTH = "ftth", "Fibre (FTTH)"
    VDSL = "vdsl", "VDSL"
    ADSL = "adsl", "ADSL"
    CABLE = "cable", "Cable (DOCSIS)"
    FIXED_WIRELESS = "fixed_wireless", "Fixed wireless"
    MOBILE = "mobile", "Mobile"
    LEASED_LINE = "leased_line", "Leased line"


class ServiceStatus(models.TextChoices):
    ACTIVE = "active", "Active"
    SUSPENDED = "suspended", "Suspended"
    CEASED = "ceased", "Ceased"


class Service(models.Model):
    """A subscription: one product delivered over one access, at one address,
    hanging off one access element of the network."""

    service_id = models.CharField(max_length=40, unique=True)
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="services")
    product = models.CharField(max_length=120)
    access_technology = models.CharField(max_length=20, choices=AccessTechnology.choices)
    installation_address = models.CharField(max_length=300, blank=True, default="")
    # The network sits above customers: its models are named, not imported.
    area = models.ForeignKey("network.Area", null=True, blank=True, on_delete=models.PROTECT)
    access_element = models.ForeignKey(
        "network.NetworkElement",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="services",
    )
    access_port = models.CharField(max_length=60, blank=True, default="")
    status = models.CharField(
        max_length=20, choices=ServiceStatus.choices, default=ServiceStatus.ACTIVE
    )
    activated_on = models.DateField(null=True, blank=True)

    class Meta:
        indexes = [
            # Impact analysis reads (element, status, customer) for every
            # service: an index it can answer from without the table.
            models.Index(
                fields=["access_element", "status", "customer"], name="service_element_impact_idx"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.service_id} {self.product}"
