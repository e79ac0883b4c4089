"""The impact counts, kept in the database so that the first outage a
process sees reads a few rows instead of grouping every service.

Database triggers on services and customers keep them (`netdesk.noc.
impact_triggers`): whatever writes a service — the inventory import, a bulk
load, an edit in the admin, a raw UPDATE — the counts move with it, in the
same transaction. `netdesk noc impact-check` compares them with a recount
over the services, `netdesk noc impact-rebuild` counts them again."""

from __future__ import annotations

from django.db import models

from netdesk.customers.models import Customer
from netdesk.network.models import NetworkElement

# The rows are the triggers' to write: no constraint ties them to their
# element or customer (db_constraint=False, DO_NOTHING), so a delete of
# either never waits on them.


class ImpactPair(models.Model):
    """How many active services a customer has on one element, and the key
    account the customer counts as (itself or its group), if any."""

    element = models.ForeignKey(
        NetworkElement, on_delete=models.DO_NOTHING, db_constraint=False, related_name="+"
    )
    customer = models.ForeignKey(
        Customer, on_delete=models.DO_NOTHING, db_constraint=False, related_name="+"
    )
    services = models.PositiveIntegerField()
    key_account = models.ForeignKey(
        Customer, null=True, on_delete=models.DO_NOTHING, db_constraint=False, related_name="+"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["element", "customer"], name="impact_pair_unique")
        ]
        indexes = [
            models.Index(fields=["customer"], name="impact_pair_customer_idx"),
            models.Index(
                fields=["key_account"],
                condition=models.Q(key_account__isnull=False),
                name="impact_pair_key_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.customer_id} on {self.element_id}: {self.services}"


class ImpactElement(models.Model):
    """Active services directly on an element, and their distinct customers."""

    element = models.OneToOneField(
        NetworkElement,
        primary_key=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
    )
    services = models.PositiveIntegerField()
    customers = models.PositiveIntegerField()

    def __str__(self) -> str:
        return f"{self.element_id}: {self.services} services, {self.customers} customers"


class ImpactCustomer(models.Model):
    """On how many elements a customer has active services: those on more
    than one are counted once per element and taken off again."""

    customer = models.OneToOneField(
        Customer,
        primary_key=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
    )
    elements = models.PositiveIntegerField()

    class Meta:
        indexes = [
            models.Index(
                fields=["elements"],
                condition=models.Q(elements__gt=1),
                name="impact_customer_spread_idx",
            )
        ]

    def __str__(self) -> str:
        return f"{self.customer_id} on {self.elements} elements"
