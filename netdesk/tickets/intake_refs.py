"""What a new ticket refers to, read in one query: the customer (as the
caller may see it, with its parent account), the service and contact named
(each only when it is the customer's), the category and group named (only
when active), the desk's intake group and the priority of the impact ×
urgency cell.

Opening a ticket is the desk's busiest write. Read one by one these are six
or seven statements before the ticket's own INSERT; as one statement the
database does the same checks in one round trip. Service and contact hang
off the customer (joins limited to the id asked for); the category, the
groups and the priority share no key with the customer, so each comes as a
scalar subquery answering its row as a JSON object, which becomes a model
instance again here. Nothing is cached: a group deactivated a moment ago is
refused at once."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import F, FilteredRelation, Model, Q, QuerySet, Subquery
from django.db.models.functions import JSONObject

from netdesk.accounts.models import SupportGroup, Tier, TierKind, User
from netdesk.core.errors import ValidationFailed
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
    group: SupportGroup | None  # the group named, else the intake group
    priority: int | None  # None: impact or urgency is not a level


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
    query = customers_visible_to(user).filter(pk=customer_id).select_related("parent_account")
    related = ["parent_account"]
    if service_id:
        query = query.annotate(
            asked_service=FilteredRelation("services", condition=Q(services__service_id=service_id))
        )
        related.append("asked_service")
    if contact_id is not None:
        query = query.annotate(
            asked_contact=FilteredRelation("contacts", condition=Q(contacts__pk=contact_id))
        )
        related.append("asked_contact")
    groups = SupportGroup.objects.filter(is_active=True)
    named = groups.filter(pk=group_id) if group_id is not None else None
    intake = groups.filter(tier__kind=TierKind.FIRST_LINE).order_by("id")
    rows: dict[str, Any] = {
        "group_row": _group_json(named if named is not None else intake),
        "priority_cell": Subquery(
            PriorityRule.objects.filter(impact=impact, urgency=urgency).values("priority")[:1]
        ),
    }
    if category_id is not None:
        category = Category.objects.filter(pk=category_id, is_active=True)
        rows["category_row"] = _as_json(category, CATEGORY_FIELDS)
    query = query.select_related(*related).annotate(**rows)
    customer = query.first()
    if customer is None:
        raise ValidationFailed(
            f"No customer with id {customer_id} is visible to you.",
            field="customer_id",
            value=customer_id,
            accepted="the id of a customer you may see (GET /api/v1/customers?q=)",
        )
    if customer.priority_cell is None:  # type: ignore[attr-defined]
        # The matrix has no row for the cell (a fresh install): the default.
        default = DEFAULT_MATRIX.get((impact, urgency))
        customer.priority_cell = None if default is None else int(default)  # type: ignore[attr-defined]
    return _checked(
        customer,
        service_id=service_id,
        contact_id=contact_id,
        category_id=category_id,
        group_id=group_id,
    )


def _checked(
    customer: Customer,
    *,
    service_id: str | None,
    contact_id: int | None,
    category_id: int | None,
    group_id: int | None,
) -> IntakeRefs:
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
    group = _group(found.group_row)
    if group_id is not None and group is None:
        raise _missing("group_id", group_id)
    return IntakeRefs(
        customer=customer,
        service=service,
        contact=contact,
        category=category,
        group=group,
        priority=found.priority_cell,
    )
