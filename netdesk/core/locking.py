"""Re-reading a row under lock inside a service's transaction.

A service handed an instance loaded before its transaction (by a view, an
API handler, another request's page) checks and writes a copy that may be
stale: deleted meanwhile, a full save() would insert it again; changed
meanwhile, the check would pass on old values. `locked()` refreshes the
instance from its row with SELECT … FOR UPDATE (PostgreSQL holds the row
until the transaction ends; SQLite already serialises writers), or answers
NotFound where the row is gone. Services then save with update_fields, so a
write can only ever change an existing row."""

from __future__ import annotations

from typing import TypeVar

from django.core.exceptions import ObjectDoesNotExist
from django.db import models, transaction

from netdesk.core.errors import NotFound

M = TypeVar("M", bound=models.Model)


def locked(instance: M, *, what: str | None = None) -> M:
    """`instance` refreshed from its locked row (the same object, so the
    caller sees what was written); NotFound naming it when it was deleted.
    Must run inside the service's transaction.atomic block."""
    model = type(instance)
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError(f"locked({model.__name__}) outside a transaction holds no lock.")
    name = what or str(model._meta.verbose_name)
    joined = [
        (field, field.get_cached_value(instance))
        for field in model._meta.concrete_fields
        # Rows of the instance's own kind (a ticket's parent) are left to be
        # read afresh: the same transaction may have changed them.
        if isinstance(field, models.ForeignKey)
        and field.related_model is not model
        and field.is_cached(instance)
    ]
    try:
        instance.refresh_from_db(from_queryset=model._default_manager.select_for_update())
    except ObjectDoesNotExist:
        raise NotFound(
            f"The {name} {instance.pk} no longer exists: it was deleted meanwhile.",
            field=model._meta.model_name,
            value=instance.pk,
            accepted=f"an existing {name}",
        ) from None
    for field, related in joined:
        # Django forgets every joined row on a refresh. One read moments ago
        # in the same request for the same key (a customer, a group) is kept
        # rather than read again one query at a time: only the instance's
        # own row is locked, so a fresher read of it would be no safer.
        key = None if related is None else getattr(related, field.target_field.attname)
        if getattr(instance, field.attname) == key and not field.is_cached(instance):
            field.set_cached_value(instance, related)
    return instance
