"""The ticket and its links to other tickets."""

from __future__ import annotations

import secrets

from django.conf import settings
from django.db import models

from netdesk.accounts.models import SupportGroup
from netdesk.customers.models import Contact, Customer, Service
from netdesk.tickets.choices import (
    OPEN_STATUSES,
    Channel,
    Level,
    LinkKind,
    Priority,
    ResolutionCode,
    RootCause,
    Status,
    TicketType,
)
from netdesk.tickets.models.config import Category

REFERENCE_PREFIX = "TT-"
OPEN_STATUS_LIST = sorted(OPEN_STATUSES)


def new_public_id() -> str:
    return secrets.token_urlsafe(12)


def reference_for(number: int) -> str:
    return f"{REFERENCE_PREFIX}{number:06d}"


class Ticket(models.Model):
    """A customer's case. Agents know it as `reference` (TT-000123); customers
    only ever see the non-enumerable `public_id`."""

    public_id = models.CharField(max_length=24, unique=True, default=new_public_id)
    ticket_type = models.CharField(max_length=30, choices=TicketType.choices)
    channel = models.CharField(max_length=20, choices=Channel.choices)
    category = models.ForeignKey(Category, null=True, blank=True, on_delete=models.PROTECT)
    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="tickets")
    service = models.ForeignKey(
        Service, null=True, blank=True, on_delete=models.PROTECT, related_name="tickets"
    )
    contact = models.ForeignKey(
        Contact, null=True, blank=True, on_delete=models.SET_NULL, db_index=False
    )
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True, default="")
    impact = models.PositiveSmallIntegerField(choices=Level.choices, default=Level.MEDIUM)
    urgency = models.PositiveSmallIntegerField(choices=Level.choices, default=Level.MEDIUM)
    priority = models.PositiveSmallIntegerField(choices=Priority.choices, default=Priority.MEDIUM)
    status = models.CharField(max_length=30, choices=Status.choices, default=Status.NEW)
    group = models.ForeignKey(SupportGroup, on_delete=models.PROTECT, related_name="tickets")
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="assigned_tickets",
    )
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="resolved_tickets",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.SET_NULL,
        related_name="created_tickets",
    )
    # Highest tier level the ticket has been with; > 1 means escalated beyond first line.
    highest_tier_level = models.PositiveSmallIntegerField(default=1)
    functional_escalations = models.PositiveSmallIntegerField(default=0)
    hierarchical_level = models.PositiveSmallIntegerField(
        default=0, help_text="0 = not escalated to management; 1–4 = levels up."
    )
    resolution_code = models.CharField(
        max_length=30, choices=ResolutionCode.choices, blank=True, default=""
    )
    root_cause = models.CharField(max_length=30, choices=RootCause.choices, blank=True, default="")
    resolution_notes = models.TextField(blank=True, default="")
    first_contact_resolved = models.BooleanField(default=False)
    reopen_count = models.PositiveSmallIntegerField(default=0)
    parent = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="children",
        db_index=False,
    )
    merged_into = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="merged_tickets",
        db_index=False,
    )
    # 1 while the ticket is open, else 0. Computed by the database, so no
    # write path can get it wrong; queue queries then read a plain composite
    # index in order. An integer, not a boolean: SQLite only uses an index
    # for `is_open = 1`, and Django writes a boolean filter as bare `is_open`.
    is_open = models.GeneratedField(
        expression=models.Case(
            models.When(status__in=OPEN_STATUS_LIST, then=models.Value(1)),
            default=models.Value(0),
        ),
        output_field=models.PositiveSmallIntegerField(),
        db_persist=True,
    )
    created_at = models.DateTimeField(db_index=True)
    updated_at = models.DateTimeField()
    first_response_at = models.DateTimeField(null=True, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    # The service-level summary lists read, written with the timers
    # (sla.services): the earliest due time of the clocks running now, the
    # earliest warning time among them, whether every clock is paused, and
    # whether the ticket has broken a target. Lists sort and filter on these
    # plain columns; ok, warning and breached follow from them and the time
    # (selectors.sla_state_of), so nothing is written as the clock runs.
    sla_next_due_at = models.DateTimeField(null=True, blank=True)
    sla_warn_at = models.DateTimeField(null=True, blank=True)
    sla_paused = models.BooleanField(default=False)
    sla_breached = models.BooleanField(default=False)
    # What the stored timers were computed from (sla.recompute): a
    # fingerprint of the ticket's service-level inputs and the policies, and
    # the moment from which a recompute would give other figures although
    # nothing changed (the first running clock falls due). NULL: unknown,
    # recompute. A bulk recompute skips the tickets where both still hold.
    sla_inputs = models.BigIntegerField(null=True, blank=True)
    sla_stable_until = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["group", "status", "id"], name="ticket_group_status_idx"),
            models.Index(fields=["group", "id"], name="ticket_group_id_idx"),
            models.Index(fields=["assignee", "status", "id"], name="ticket_assignee_idx"),
            models.Index(fields=["customer", "id"], name="ticket_customer_idx"),
            # Held resolution: a newer ticket of the same customer within days of a resolution.
            models.Index(fields=["customer", "created_at"], name="ticket_customer_created_idx"),
            models.Index(fields=["status", "id"], name="ticket_status_idx"),
            models.Index(fields=["resolved_at"], name="ticket_resolved_idx"),
            # Queue pages: open work by priority then age (keyset), read
            # straight off these indexes in order at millions of tickets.
            models.Index(fields=["group", "is_open", "priority", "id"], name="ticket_queue_idx"),
            models.Index(fields=["is_open", "priority", "id"], name="ticket_open_prio_idx"),
            # The queue by due time (order=due): the same shape, by the next
            # due time. Tickets without a running target (NULL) come last,
            # where PostgreSQL's ascending index keeps them.
            models.Index(
                fields=["group", "is_open", "sla_next_due_at", "id"], name="ticket_queue_due_idx"
            ),
            models.Index(fields=["is_open", "sla_next_due_at", "id"], name="ticket_open_due_idx"),
            # Almost every ticket has no parent, merge target or contact: a
            # full index on them makes SQLite's planner expect a million rows
            # per value and scan the table instead. Partial indexes hold only
            # the rows that have one.
            models.Index(
                fields=["parent"],
                condition=models.Q(parent__isnull=False),
                name="ticket_parent_idx",
            ),
            models.Index(
                fields=["merged_into"],
                condition=models.Q(merged_into__isnull=False),
                name="ticket_merged_into_idx",
            ),
            models.Index(
                fields=["contact"],
                condition=models.Q(contact__isnull=False),
                name="ticket_contact_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.reference} {self.title}"

    @property
    def reference(self) -> str:
        return reference_for(self.pk)

    @property
    def in_open_status(self) -> bool:
        """Open by the in-memory status (is_open is only refreshed on reload)."""
        return self.status in OPEN_STATUSES


class TicketLink(models.Model):
    """A typed link between two tickets (duplicate of, related to)."""

    source = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="links_out")
    target = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="links_in")
    kind = models.CharField(max_length=20, choices=LinkKind.choices)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["source", "target", "kind"], name="ticket_link_unique"),
            models.CheckConstraint(
                condition=~models.Q(source=models.F("target")), name="ticket_link_not_self"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.source_id} {self.kind} {self.target_id}"
