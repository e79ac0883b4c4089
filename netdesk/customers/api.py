"""Customer search and the 360 view for the API."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema

from netdesk.accounts.permissions import Action, require, user_of
from netdesk.core.schemas import MAX_ID, OutputSchema, answers
from netdesk.customers.selectors import customer_360, customer_search

router = Router(tags=["customers"])


class CustomerSummary(OutputSchema):
    id: int
    account_number: str
    name: str
    segment: str
    phone: str
    account_manager: str | None
    service_ids: list[str]


class SearchQuery(Schema):
    q: str = Field(
        ...,
        min_length=1,
        max_length=100,
        description="phone number, name, account number or service id",
    )
    limit: int = Field(20, ge=1, le=50)


class ContactOut(OutputSchema):
    id: int
    name: str
    role: str
    phone: str
    email: str
    is_primary: bool


class ServiceOut(OutputSchema):
    service_id: str
    product: str
    access_technology: str
    installation_address: str
    area: str | None
    access_element: str | None
    status: str


class TicketBrief(OutputSchema):
    ref: str
    customer: str = Field(description="the account, or for a group account the site it is for")
    title: str
    status: str
    priority: int
    group: str
    created_at: datetime


class InteractionBrief(OutputSchema):
    started_at: datetime
    channel: str
    direction: str
    summary: str
    outcome: str
    ticket: str | None
    agent: str | None


class Customer360Out(OutputSchema):
    id: int
    account_number: str
    name: str
    segment: str
    is_key_account: bool
    account_manager: str | None
    parent_account: str | None
    contract_reference: str
    phone: str
    email: str
    contacts: list[ContactOut]
    services: list[ServiceOut]
    open_tickets: list[TicketBrief]
    recent_tickets: list[TicketBrief]
    recent_interactions: list[InteractionBrief]


@router.get("", response=answers(list[CustomerSummary]), summary="Find a caller")
def search(request: HttpRequest, query: Query[SearchQuery]) -> list[dict[str, Any]]:
    user = user_of(request)
    require(user, Action.CUSTOMER_VIEW)
    return [
        {
            "id": c.pk,
            "account_number": c.account_number,
            "name": c.name,
            "segment": c.segment,
            "phone": c.phone,
            "account_manager": c.account_manager.username if c.account_manager else None,
            "service_ids": [s.service_id for s in c.services.all()],
        }
        for c in customer_search(user=user, query=query.q, limit=query.limit)
    ]


def _brief(ticket: Any) -> dict[str, Any]:
    return {
        "ref": ticket.reference,
        "customer": ticket.customer.name,
        "title": ticket.title,
        "status": ticket.status,
        "priority": ticket.priority,
        "group": ticket.group.name,
        "created_at": ticket.created_at,
    }


@router.get("/{customer_id}", response=answers(Customer360Out), summary="The customer 360 view")
def detail(
    request: HttpRequest, customer_id: Annotated[int, Field(ge=1, le=MAX_ID)]
) -> dict[str, Any]:
    user = user_of(request)
    require(user, Action.CUSTOMER_VIEW)
    view = customer_360(user=user, customer_id=customer_id)
    c = view.customer
    return {
        "id": c.pk,
        "account_number": c.account_number,
        "name": c.name,
        "segment": c.segment,
        "is_key_account": c.is_key_account,
        "account_manager": str(c.account_manager) if c.account_manager else None,
        "parent_account": c.parent_account.name if c.parent_account else None,
        "contract_reference": c.contract_reference,
        "phone": c.phone,
        "email": c.email,
        "contacts": [
            {
                "id": p.pk,
                "name": p.name,
                "role": p.role,
                "phone": p.phone,
                "email": p.email,
                "is_primary": p.is_primary,
            }
            for p in c.contacts.all()
        ],
        "services": [
            {
                "service_id": s.service_id,
                "product": s.product,
                "access_technology": s.access_technology,
                "installation_address": s.installation_address,
                "area": s.area.name if s.area else None,
                "access_element": s.access_element.name if s.access_element else None,
                "status": s.status,
            }
            for s in c.services.all()
        ],
        "open_tickets": [_brief(t) for t in view.open_tickets],
        "recent_tickets": [_brief(t) for t in view.recent_tickets],
        "recent_interactions": [
            {
                "started_at": i.started_at,
                "channel": i.channel,
                "direction": i.direction,
                "summary": i.summary,
                "outcome": i.outcome,
                "ticket": i.ticket.reference if i.ticket else None,
                "agent": i.agent.username if i.agent else None,
            }
            for i in view.recent_interactions
        ],
    }
