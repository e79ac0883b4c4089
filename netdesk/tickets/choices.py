"""The desk's vocabularies for tickets and call reports."""

from __future__ import annotations

from django.db import models


class TicketType(models.TextChoices):
    FAULT = "fault", "Fault / incident"
    SERVICE_REQUEST = "service_request", "Service request"
    COMPLAINT = "complaint", "Complaint"
    BILLING_INQUIRY = "billing_inquiry", "Billing inquiry"
    INFORMATION_REQUEST = "information_request", "Information request"


class Channel(models.TextChoices):
    PHONE = "phone", "Phone"
    EMAIL = "email", "Email"
    CHAT = "chat", "Chat"
    WEB = "web", "Web portal"
    WALK_IN = "walk_in", "Walk-in"
    API = "api", "API"
    INTERNAL = "internal", "Internal (between groups)"


class Status(models.TextChoices):
    NEW = "new", "New"
    ASSIGNED = "assigned", "Assigned"
    IN_PROGRESS = "in_progress", "In progress"
    PENDING_CUSTOMER = "pending_customer", "Pending customer"
    PENDING_THIRD_PARTY = "pending_third_party", "Pending third party"
    RESOLVED = "resolved", "Resolved"
    CLOSED = "closed", "Closed"


OPEN_STATUSES = frozenset(
    {
        Status.NEW,
        Status.ASSIGNED,
        Status.IN_PROGRESS,
        Status.PENDING_CUSTOMER,
        Status.PENDING_THIRD_PARTY,
    }
)

# Which status may follow which. Reopening (resolved → in progress) goes
# through ticket_reopen so it is counted; a closed ticket stays closed.
TRANSITIONS: dict[str, frozenset[str]] = {
    Status.NEW: frozenset(
        {
            Status.ASSIGNED,
            Status.IN_PROGRESS,
            Status.PENDING_CUSTOMER,
            Status.PENDING_THIRD_PARTY,
            Status.RESOLVED,
        }
    ),
    Status.ASSIGNED: frozenset(
        {
            Status.NEW,
            Status.IN_PROGRESS,
            Status.PENDING_CUSTOMER,
            Status.PENDING_THIRD_PARTY,
            Status.RESOLVED,
        }
    ),
    Status.IN_PROGRESS: frozenset(
        {Status.ASSIGNED, Status.PENDING_CUSTOMER, Status.PENDING_THIRD_PARTY, Status.RESOLVED}
    ),
    Status.PENDING_CUSTOMER: frozenset(
        {Status.IN_PROGRESS, Status.PENDING_THIRD_PARTY, Status.RESOLVED}
    ),
    Status.PENDING_THIRD_PARTY: frozenset(
        {Status.IN_PROGRESS, Status.PENDING_CUSTOMER, Status.RESOLVED}
    ),
    Status.RESOLVED: frozenset({Status.CLOSED, Status.IN_PROGRESS}),
    Status.CLOSED: frozenset(),
}


class Level(models.IntegerChoices):
    """Impact and urgency share one scale."""

    HIGH = 1, "High"
    MEDIUM = 2, "Medium"
    LOW = 3, "Low"


class Priority(models.IntegerChoices):
    CRITICAL = 1, "P1 critical"
    HIGH = 2, "P2 high"
    MEDIUM = 3, "P3 medium"
    LOW = 4, "P4 low"
    PLANNING = 5, "P5 planning"


class ResolutionCode(models.TextChoices):
    FIXED = "fixed", "Fixed"
    WORKAROUND = "workaround", "Workaround provided"
    INFORMATION_GIVEN = "information_given", "Information given"
    REQUEST_FULFILLED = "request_fulfilled", "Request fulfilled"
    NETWORK_RESTORED = "network_restored", "Network restored"
    CUSTOMER_EQUIPMENT = "customer_equipment", "Customer equipment fault"
    NO_FAULT_FOUND = "no_fault_found", "No fault found"
    DUPLICATE = "duplicate", "Duplicate"
    CANCELLED_BY_CUSTOMER = "cancelled_by_customer", "Cancelled by customer"
    BILLING_CORRECTED = "billing_corrected", "Billing corrected"


class RootCause(models.TextChoices):
    FIBRE_CUT = "fibre_cut", "Fibre / cable cut"
    POWER = "power", "Power failure"
    HARDWARE = "hardware", "Hardware failure"
    SOFTWARE = "software", "Software / configuration"
    CAPACITY = "capacity", "Capacity / congestion"
    THIRD_PARTY = "third_party", "Third-party provider"
    CUSTOMER_SIDE = "customer_side", "Customer premises / equipment"
    PLANNED_WORK = "planned_work", "Planned work"
    PROCESS = "process", "Process / human error"
    BILLING_ERROR = "billing_error", "Billing error"
    UNKNOWN = "unknown", "Unknown"


NEEDS_ROOT_CAUSE = frozenset({TicketType.FAULT, TicketType.COMPLAINT})


class Direction(models.TextChoices):
    INBOUND = "inbound", "Inbound"
    OUTBOUND = "outbound", "Outbound"
    INTERNAL = "internal", "Internal"


class Outcome(models.TextChoices):
    RESOLVED = "resolved", "Resolved on the call"
    INFORMATION_GIVEN = "information_given", "Information given"
    TICKET_CREATED = "ticket_created", "Ticket created"
    TICKET_UPDATED = "ticket_updated", "Ticket updated"
    ESCALATED = "escalated", "Escalated"
    CALLBACK_PROMISED = "callback_promised", "Callback promised"
    NO_ANSWER = "no_answer", "No answer"
    TRANSFERRED = "transferred", "Transferred"


class LinkKind(models.TextChoices):
    DUPLICATE_OF = "duplicate_of", "Duplicate of"
    RELATED_TO = "related_to", "Related to"


class Visibility(models.TextChoices):
    INTERNAL = "internal", "Internal note"
    PUBLIC = "public", "Reply to customer"
