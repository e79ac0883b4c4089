"""The checks the ticket services share: accepted values, the open states,
group membership and the allowed status transitions."""

from __future__ import annotations

from netdesk.accounts.models import SupportGroup, User
from netdesk.core.checks import checked_choice
from netdesk.core.errors import TransitionNotAllowed, ValidationFailed
from netdesk.customers.models import Contact, Customer, Service
from netdesk.tickets.choices import OPEN_STATUSES, TRANSITIONS, Status
from netdesk.tickets.models import Category, Ticket


def check_category_fits(category: Category | None, ticket_type: str) -> None:
    """A category belongs to one ticket type; another type's is refused."""
    if category is not None and category.ticket_type != ticket_type:
        raise ValidationFailed(
            f"Category {category.name!r} is for {category.ticket_type} tickets.",
            field="category",
            value=category.pk,
            accepted=f"a category of type {ticket_type}",
        )


def check_belongs(customer: Customer, service: Service | None, contact: Contact | None) -> None:
    if service is not None and service.customer_id != customer.pk:
        raise ValidationFailed(
            f"Service {service.service_id} belongs to another customer.",
            field="service",
            value=service.service_id,
            accepted=f"a service of customer {customer.account_number}",
        )
    if contact is not None and contact.customer_id != customer.pk:
        raise ValidationFailed(
            f"Contact {contact.pk} belongs to another customer.",
            field="contact",
            value=contact.pk,
            accepted=f"a contact of customer {customer.account_number}",
        )


def check_reason(reason: str, message: str) -> None:
    if not reason.strip():
        raise ValidationFailed(message, field="reason", value=reason, accepted="a non-empty text")


def require_open(ticket: Ticket, what: str) -> None:
    if not ticket.in_open_status:
        raise TransitionNotAllowed(
            f"{ticket.reference} is {ticket.get_status_display().lower()}; it cannot be {what}.",
            field="status",
            value=ticket.status,
            accepted=sorted(OPEN_STATUSES),
        )


def check_member(group: SupportGroup, assignee: User | None) -> None:
    if assignee is not None and not group.members.filter(pk=assignee.pk).exists():
        raise ValidationFailed(
            f"{assignee.username} is not a member of {group.name}.",
            field="assignee",
            value=assignee.username,
            accepted=f"a member of group {group.name}",
        )


def check_transition(ticket: Ticket, status: str) -> None:
    checked_choice("status", status, Status)
    allowed = TRANSITIONS[ticket.status]
    if status not in allowed:
        raise TransitionNotAllowed(
            f"{ticket.reference} cannot go from {ticket.status} to {status}.",
            field="status",
            value=status,
            accepted=sorted(allowed),
        )
