"""Writing imported customer services (subscriptions): each hangs off a
network element and port, given as ids by the importer. Built for a million rows: rows arrive
as a stream, and each batch is matched and written with a few queries in
its own transaction, so a fatal error keeps the batches before it whole and
nothing of the failing one."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from django.db import transaction

from netdesk.core.bulk import insert_rows, model_field
from netdesk.core.memo import data_changed
from netdesk.customers.models import Segment, Service
from netdesk.customers.selectors import customer_ids_by_account
from netdesk.customers.services.bulk import NewCustomer, customers_ensure

SERVICE_BATCH = 5000
# Every field an import may carry, in the order they are compared.
SERVICE_FIELDS = (
    "customer",
    "product",
    "access_technology",
    "installation_address",
    "area",
    "access_element",
    "access_port",
    "status",
    "activated_on",
)


class ImportOutcomes(Protocol):
    """Where an import counts what it wrote and reports what it skipped
    (the inventory importers' report)."""

    def count(self, record: str, outcome: str, number: int = 1) -> None: ...

    def skip(
        self,
        record: str,
        reference: str,
        reason: str,
        detail: str = "",
        row: Mapping[str, Any] | list[Any] | None = None,
    ) -> None: ...


@dataclass(slots=True)
class ServiceRow:
    """One imported service, checked; element and area already ids."""

    service_id: str
    reference: str
    account_number: str
    values: dict[str, Any]  # by field name of SERVICE_FIELDS, without "customer"
    customer_name: str = ""
    segment: str = Segment.RESIDENTIAL
    raw: Mapping[str, Any] | list[Any] | None = None
    # With `raw` as a list of values: their column names, to report the row by name.
    columns: Sequence[str] = ()

    def record(self) -> Mapping[str, Any] | list[Any] | None:
        if isinstance(self.raw, list) and self.columns:
            return dict(zip(self.columns, self.raw, strict=False))
        return self.raw


def _attnames(fields: Sequence[str]) -> list[str]:
    return [model_field(Service, name).attname for name in fields]


class _ServiceWriter:
    def __init__(
        self,
        *,
        fields: Sequence[str],
        create_customers: bool,
        report: ImportOutcomes,
    ) -> None:
        # The customer is always given (by account number).
        self.fields = ("customer", *[name for name in fields if name != "customer"])
        self.attnames = _attnames(self.fields)
        self.create_customers = create_customers
        self.report = report
        self.seen: set[str] = set()

    def write(self, rows: list[ServiceRow]) -> None:
        kept: list[ServiceRow] = []
        for row in rows:
            if row.service_id in self.seen:
                self.report.skip(
                    "service",
                    row.reference,
                    "service_id repeated in the import",
                    row.service_id,
                    row.record(),
                )
                continue
            self.seen.add(row.service_id)
            kept.append(row)
        if not kept:
            return
        with transaction.atomic():
            data_changed(Service)  # impact analysis counts them
            customers = self._customers(kept)
            self._services(kept, customers)

    def _customers(self, rows: list[ServiceRow]) -> dict[str, int]:
        wanted = {row.account_number for row in rows}
        if not self.create_customers:
            return customer_ids_by_account(account_numbers=wanted)
        ensured = customers_ensure(
            customers=[
                NewCustomer(
                    row.account_number, row.customer_name or row.account_number, row.segment
                )
                for row in rows
            ]
        )
        if ensured.created:
            self.report.count("customer", "created", ensured.created)
        return ensured.ids

    def _services(self, rows: list[ServiceRow], customers: dict[str, int]) -> None:
        stored = {
            service_id: (pk, tuple(values))
            for service_id, pk, *values in Service.objects.filter(
                service_id__in=[row.service_id for row in rows]
            ).values_list("service_id", "id", *self.attnames)
        }
        new: list[tuple[Any, ...]] = []
        changed: list[Service] = []
        unchanged = 0
        defaults = {name: model_field(Service, name).get_default() for name in SERVICE_FIELDS}
        for row in rows:
            customer_id = customers.get(row.account_number)
            if customer_id is None:
                self.report.skip(
                    "service",
                    row.reference,
                    "customer not found",
                    f"account_number {row.account_number!r} (use --create-customers to create it)",
                    row.record(),
                )
                continue
            found = stored.get(row.service_id)
            if found is None:
                given = row.values
                new.append(
                    (
                        row.service_id,
                        customer_id,
                        *(given.get(name, defaults[name]) for name in SERVICE_FIELDS[1:]),
                    )
                )
                continue
            pk, current = found
            values = (
                customer_id,
                *(
                    row.values.get(name, old)
                    for name, old in zip(self.fields[1:], current[1:], strict=True)
                ),
            )
            if values == current:
                unchanged += 1
                continue
            service = Service(pk=pk, service_id=row.service_id)
            for attname, value in zip(self.attnames, values, strict=True):
                setattr(service, attname, value)
            changed.append(service)
        if new:
            insert_rows(Service, ("service_id", *SERVICE_FIELDS), new)
        if changed:
            Service.objects.bulk_update(changed, list(self.fields), batch_size=1000)
        self.report.count("service", "created", len(new))
        self.report.count("service", "updated", len(changed))
        self.report.count("service", "unchanged", unchanged)


def customer_services_import(
    *,
    rows: Iterable[ServiceRow],
    fields: Sequence[str],
    create_customers: bool,
    report: ImportOutcomes,
) -> None:
    """Create or update services by service_id, SERVICE_BATCH rows per
    transaction. `fields` are the fields the rows carry; the others keep
    their stored (or default) values. Customers are found by account number;
    unknown ones are created when `create_customers`, else their services
    are skipped and reported."""
    writer = _ServiceWriter(fields=fields, create_customers=create_customers, report=report)
    report.count("service", "created", 0)
    batch: list[ServiceRow] = []
    for row in rows:
        batch.append(row)
        if len(batch) >= SERVICE_BATCH:
            writer.write(batch)
            batch = []
    if batch:
        writer.write(batch)
