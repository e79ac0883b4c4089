"""What a new ticket refers to, read in one query: the customer (as the
caller may see it, with its parent account), the service and contact named
(each only when it is the customer's), and the category and group named
(only when active); the desk's intake group and the priority matrix come
from a memo.

Opening a ticket is the desk's busiest write. Read one by one these are up
to seven statements before the ticket's own INSERT. Service and contact
hang off the customer (joins limited to the id asked for); a category or
group named shares no key with the customer, so each comes as a scalar
subquery answering its row as a JSON object, which becomes a model
instance again here. The intake group (the first active first-line group)
and the impact × urgency matrix change only when an administrator edits
them, and every such edit marks its table changed (`core.memo`): each
process keeps them, checked against the version tokens the request reads
anyway. Building the subqueries costs more CPU than reading two small
tables through the memo, so those two are not part of the statement."""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any

from django.db.models import F, FilteredRelation, Model, Q, QuerySet, Subquery
from django.db.models.functions import JSONObject

from netdesk.accounts.models import SupportGroup, Tier, TierKind, User
from netdesk.accounts.permissions import sees_all_customers
from netdesk.core.compiled import CompiledQuery
from netdesk.core.errors import ValidationFailed
from netdesk.core.memo import Memo
from netdesk.customers.models import Contact, Customer, Service
from netdesk.customers.selectors import customers_visible_to
from netdesk.tickets.models import Category, PriorityRule
from netdesk.tickets.services.priority import DEFAULT_MATRIX

GROUP_FIELDS = [f.attname for f in SupportGroup._meta.concrete_fields]
TIER_FIELDS = [f.attname for f in Tier._meta.concrete_fields]
CATEGORY_FIELDS = [f.attname for f in Category._meta.concrete_fields]


@dataclass(frozen=True)
class IntakeRefs:
    customer: Customer
    service: Service | None
    contact: Contact | None
    category: Category | None
    group: SupportGroup | None  # the group named, else the intake group (None: none)
    priority: int | None  # None: impact or urgency is not a level


@dataclass(frozen=True)
class _Desk:
    intake_group: SupportGroup | None  # None: no active first-line group
    matrix: dict[tuple[int, int], int]


def _desk_build() -> _Desk:
    matrix = {cell: int(priority) for cell, priority in DEFAULT_MATRIX.items()}
    matrix.update(
        ((impact, urgency), priority)
        for impact, urgency, priority in PriorityRule.objects.values_list(
            "impact", "urgency", "priority"
        )
    )
    intake = (
        SupportGroup.objects.filter(is_active=True, tier__kind=TierKind.FIRST_LINE)
        .select_related("tier")
        .order_by("id")
        .first()
    )
    return _Desk(intake_group=intake, matrix=matrix)


# The intake group and the matrix, kept per process until an edit of
# groups, tiers or the matrix marks its table changed (the admin does).
_desk: Memo[_Desk] = Memo(_desk_build, depends_on=[SupportGroup, Tier, PriorityRule])


def _as_json(query: QuerySet[Any], names: list[str], **extra: Any) -> Subquery:
    row = JSONObject(**{name: F(name) for name in names}, **extra)
    return Subquery(query.values(row=row)[:1])


def _group_json(query: QuerySet[SupportGroup]) -> Subquery:
    tier = JSONObject(**{name: F(f"tier__{name}") for name in TIER_FIELDS})
    return _as_json(query, GROUP_FIELDS, tier=tier)


def _model(model: type[Model], names: list[str], row: dict[str, Any]) -> Any:
    return model.from_db("default", names, [row[name] for name in names])


def _group(row: dict[str, Any] | None) -> SupportGroup | None:
    if row is None:
        return None
    group: SupportGroup = _model(SupportGroup, GROUP_FIELDS, row)
    group.is_active = bool(group.is_active)  # SQLite's JSON holds 1 and 0
    group.tier = _model(Tier, TIER_FIELDS, row["tier"])
    return group


def _missing(field: str, value: object) -> ValidationFailed:
    what = field.removesuffix("_id")
    return ValidationFailed(
        f"No {what} has id {value}.",
        field=field,
        value=value,
        accepted=f"the id of an existing {what}",
    )


def _refs_query(
    shape: tuple[str, bool, bool, bool, bool],
    *,
    customer_id: int,
    reader_id: int = 0,
    service_id: str = "",
    contact_id: int = 0,
    category_id: int = 0,
    group_id: int = 0,
) -> QuerySet[Customer]:
    """The one statement for a shape: the reader's role (which customers
    it may see) and which references were named."""
    role, with_service, with_contact, with_category, with_group = shape
    query = customers_visible_to(User(pk=reader_id, role=role))
    query = query.filter(pk=customer_id).select_related("parent_account")
    related = ["parent_account"]
    if with_service:
        query = query.annotate(
            asked_service=FilteredRelation("services", condition=Q(services__service_id=service_id))
        )
        related.append("asked_service")
    if with_contact:
        query = query.annotate(
            asked_contact=FilteredRelation("contacts", condition=Q(contacts__pk=contact_id))
        )
        related.append("asked_contact")
    annotations: dict[str, Any] = {}
    if with_group:
        named = SupportGroup.objects.filter(pk=group_id, is_active=True)
        annotations["group_row"] = _group_json(named)
    if with_category:
        active = Category.objects.filter(pk=category_id, is_active=True)
        annotations["category_row"] = _as_json(active, CATEGORY_FIELDS)
    if len(related) > 1:
        query = query.select_related(*related)
    if annotations:
        query = query.annotate(**annotations)
    # As QuerySet.first().
    return (query if query.ordered else query.order_by("pk"))[:1]


# Compiled once per shape and database: opening a ticket is the desk's
# busiest write, and compiling this statement cost more than running it.
_REFS = CompiledQuery(_refs_query)


# One statement reads every reference; the checks after it only name what
# it did not find, in the order the request's fields are documented.
def intake_refs(
    *,
    user: User,
    customer_id: int,
    service_id: str | None,
    contact_id: int | None,
    category_id: int | None,
    group_id: int | None,
    impact: int,
    urgency: int,
) -> IntakeRefs:
    """The rows a new ticket refers to, checked: visible to the caller,
    belonging to the customer, active. Raises ValidationFailed naming the
    first field that does not resolve."""
    named: dict[str, Any] = {
        "service_id": service_id or None,
        "contact_id": contact_id,
        "category_id": category_id,
        "group_id": group_id,
    }
    values = {name: value for name, value in named.items() if value is not None}
    if not sees_all_customers(user):
        values["reader_id"] = user.pk
    shape = (user.role, *(name in values for name in named))
    found = _REFS.instances(shape, customer_id=customer_id, **values)
    if not found:
        raise ValidationFailed(
            f"No customer with id {customer_id} is visible to you.",
            field="customer_id",
            value=customer_id,
            accepted="the id of a customer you may see (GET /api/v1/customers?q=)",
        )
    customer: Customer = found[0]
    service, contact, category, group = _checked(
        customer,
        service_id=service_id,
        contact_id=contact_id,
        category_id=category_id,
        group_id=group_id,
    )
    desk = _desk.get()
    if group is None and desk.intake_group is not None:
        # A copy: the memo's instance is shared by every thread.
        group = copy.copy(desk.intake_group)
    return IntakeRefs(
        customer=customer,
        service=service,
        contact=contact,
        category=category,
        group=group,
        priority=desk.matrix.get((impact, urgency)),
    )


def _checked(
    customer: Customer,
    *,
    service_id: str | None,
    contact_id: int | None,
    category_id: int | None,
    group_id: int | None,
) -> tuple[Service | None, Contact | None, Category | None, SupportGroup | None]:
    found: Any = customer
    service = getattr(found, "asked_service", None) if service_id else None
    if service_id and service is None:
        raise ValidationFailed(
            f"Customer {customer.account_number} has no service {service_id!r}.",
            field="service_id",
            value=service_id,
            accepted=f"a service id of customer {customer.account_number}",
        )
    contact = getattr(found, "asked_contact", None) if contact_id is not None else None
    if contact_id is not None and contact is None:
        raise _missing("contact_id", contact_id)
    category = None
    if category_id is not None:
        if found.category_row is None:
            raise _missing("category_id", category_id)
        category = _model(Category, CATEGORY_FIELDS, found.category_row)
        category.is_active = bool(category.is_active)
    group = None
    if group_id is not None:
        group = _group(found.group_row)
        if group is None:
            raise _missing("group_id", group_id)
    return service, contact, category, group
