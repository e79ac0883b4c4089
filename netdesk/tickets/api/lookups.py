"""Ids and service ids of a request body resolved to rows, or a clear error
naming the field."""

from __future__ import annotations

from typing import Any

from netdesk.core.errors import ValidationFailed
from netdesk.customers.models import Customer, Service


def lookup(model: Any, pk: int | None, field: str, **scope: Any) -> Any:
    if pk is None:
        return None
    found = model.objects.filter(pk=pk, **scope).first()
    if found is None:
        raise ValidationFailed(
            f"No {field.removesuffix('_id')} has id {pk}.",
            field=field,
            value=pk,
            accepted=f"the id of an existing {field.removesuffix('_id')}",
        )
    return found


def customer_service(customer: Customer, service_id: str | None) -> Service | None:
    if not service_id:
        return None
    service = Service.objects.filter(service_id=service_id).first()
    if service is None or service.customer_id != customer.pk:
        raise ValidationFailed(
            f"Customer {customer.account_number} has no service {service_id!r}.",
            field="service_id",
            value=service_id,
            accepted=f"a service id of customer {customer.account_number}",
        )
    return service
