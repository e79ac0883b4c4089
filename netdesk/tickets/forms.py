"""Forms of the agent UI. They only parse and offer choices; every rule is
checked by the service the view calls, whose errors land on these fields."""

from __future__ import annotations

from typing import Any

from django import forms

from netdesk.accounts.models import SupportGroup, User
from netdesk.accounts.permissions import Action, can
from netdesk.core.errors import ServiceError
from netdesk.core.widgets import QuickSelect
from netdesk.customers.models import Customer
from netdesk.tickets.choices import (
    NEEDS_ROOT_CAUSE,
    TRANSITIONS,
    Channel,
    Direction,
    Level,
    LinkKind,
    Outcome,
    Priority,
    ResolutionCode,
    RootCause,
    Status,
    TicketType,
    Visibility,
)
from netdesk.tickets.listing import SLA_STATES
from netdesk.tickets.models import Category, Ticket
from netdesk.tickets.schemas import TEXT_LIMITS
from netdesk.tickets.selectors import TicketFilter, ticket_filter_from_query
from netdesk.tickets.services.intake import default_intake_group

ANY = ("", "Any")
MAX_MINUTES = 24 * 60
SUMMARY_NEEDED = "A call report needs a summary of what was said."
SLA_STATE_LABELS = {
    "ok": "On time",
    "warning": "Due soon (warning)",
    "breached": "Breached",
    "paused": "Paused",
    "none": "No target",
}
ORDER_CHOICES = [
    ("priority", "Priority"),
    ("due", "Due time"),
    ("-created", "Newest first"),
    ("created", "Oldest first"),
]


def error_text(error: ServiceError) -> str:
    """The service's message plus what it accepts, so the agent can fix it."""
    accepted = error.accepted
    if accepted is None:
        return error.message
    if isinstance(accepted, list | tuple):
        accepted = ", ".join(str(a) for a in accepted)
    return f"{error.message} Accepted: {accepted}."


class TicketTextField(forms.CharField):
    """Free text up to the limit its ticket field has in the API too. No
    `maxlength` in the page: a browser would cut a pasted text short without
    a word; the text comes back whole with the error instead."""

    def __init__(self, *, label: str, limit_of: str, **kwargs: Any) -> None:
        self.limit = TEXT_LIMITS[limit_of]
        super().__init__(label=label, **kwargs)

    def validate(self, value: Any) -> None:
        super().validate(value)
        if value and len(value) > self.limit:
            raise forms.ValidationError(
                f"{self.label} takes at most {self.limit:,} characters; "
                f"this text has {len(value):,}.",
                code="max_length",
            )


def attach_service_error(
    form: forms.Form, error: ServiceError, renames: dict[str, str] | None = None
) -> None:
    """Show a service error next to the field it names (or above the form)."""
    field = (renames or {}).get(error.field or "", error.field)
    form.add_error(field if field in form.fields else None, error_text(error))


RESOLUTION_CHOICES = [("", "—"), *ResolutionCode.choices]
ROOT_CAUSE_CHOICES = [("", "—"), *RootCause.choices]
ON_THE_CALL = "with Resolved on the call"


def resolution_on_the_call_fields() -> tuple[forms.ChoiceField, forms.ChoiceField]:
    """The resolution asked for in a call report whose outcome is "Resolved
    on the call" (shown with that outcome only)."""
    return (
        forms.ChoiceField(
            label="Resolution code",
            choices=RESOLUTION_CHOICES,
            required=False,
            help_text=ON_THE_CALL,
        ),
        forms.ChoiceField(
            label="Root cause",
            choices=ROOT_CAUSE_CHOICES,
            required=False,
            help_text=f"faults, complaints: {ON_THE_CALL}",
        ),
    )


def clean_resolution_on_the_call(form: forms.Form, *, prefix: str, ticket_type: str) -> None:
    """With the outcome "Resolved on the call", report a missing resolution
    code and root cause along with every other error; with another outcome,
    drop what the hidden fields still hold."""
    data = form.cleaned_data
    code, cause = f"{prefix}resolution_code", f"{prefix}root_cause"
    if data.get(f"{prefix}outcome") != Outcome.RESOLVED:
        data[code] = data[cause] = ""
        return
    if not data.get(code):
        form.add_error(code, "Resolved on the call: choose how, with a resolution code.")
    if ticket_type in NEEDS_ROOT_CAUSE and not data.get(cause):
        kind = TicketType(ticket_type).label.lower()
        form.add_error(cause, f"A {kind} resolved on the call needs a root cause.")


# --- queue ---------------------------------------------------------------------------


class QueueFilterForm(forms.Form):
    """The queue's filter fields as the page shows them. The parameters are
    read by selectors.ticket_filter_from_query, the same parser as the API
    list and exports; this form only renders and keeps the chosen values."""

    group = forms.CharField(required=False)
    status = forms.ChoiceField(choices=[ANY, *Status.choices], required=False, widget=QuickSelect)
    priority = forms.TypedChoiceField(
        choices=[ANY, *Priority.choices],
        coerce=int,
        required=False,
        empty_value=None,
        widget=QuickSelect,
    )
    type = forms.ChoiceField(choices=[ANY, *TicketType.choices], required=False, widget=QuickSelect)
    channel = forms.ChoiceField(choices=[ANY, *Channel.choices], required=False, widget=QuickSelect)
    sla_state = forms.ChoiceField(
        label="Service level",
        choices=[ANY, *[(state, SLA_STATE_LABELS[state]) for state in SLA_STATES]],
        required=False,
        widget=QuickSelect,
    )
    mine = forms.BooleanField(required=False, label="Assigned to me")
    unassigned = forms.BooleanField(required=False)
    order = forms.ChoiceField(choices=ORDER_CHOICES, required=False, widget=QuickSelect)
    cursor = forms.CharField(required=False, widget=forms.HiddenInput)

    def ticket_filter(self, *, user: User, default_group: int | None) -> TicketFilter:
        """The selector's filter from the page's parameters (raises
        ValidationFailed on a bad one, like the API)."""
        return ticket_filter_from_query(
            user=user, params=self.data, default_group=default_group, default_order="priority"
        )


# --- new ticket from a call -------------------------------------------------------------


class TicketCreateForm(forms.Form):
    ticket_type = forms.ChoiceField(label="Type", choices=TicketType.choices)
    channel = forms.ChoiceField(choices=Channel.choices, initial=Channel.PHONE)
    category = forms.TypedChoiceField(coerce=int, required=False, empty_value=None)
    service = forms.TypedChoiceField(
        label="Affected service", coerce=int, required=False, empty_value=None
    )
    contact = forms.TypedChoiceField(coerce=int, required=False, empty_value=None)
    impact = forms.TypedChoiceField(choices=Level.choices, coerce=int, initial=Level.MEDIUM)
    urgency = forms.TypedChoiceField(choices=Level.choices, coerce=int, initial=Level.MEDIUM)
    title = forms.CharField(max_length=TEXT_LIMITS["title"])
    description = TicketTextField(
        label="Description",
        limit_of="description",
        widget=forms.Textarea(attrs={"rows": 4}),
        required=False,
    )
    # The operator on the call usually carries on with the ticket; unticked,
    # it goes to the intake queue (and to skills-based routing, where on).
    keep = forms.BooleanField(label="I handle it (assign to me)", required=False, initial=True)
    call_direction = forms.ChoiceField(
        label="Direction", choices=Direction.choices, initial=Direction.INBOUND
    )
    call_minutes = forms.IntegerField(
        label="Minutes", min_value=0, max_value=MAX_MINUTES, initial=0
    )
    call_seconds = forms.IntegerField(label="Seconds", min_value=0, max_value=59, initial=0)
    call_summary = TicketTextField(
        label="What was said",
        limit_of="summary",
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": SUMMARY_NEEDED},
    )
    call_outcome = forms.ChoiceField(
        label="Outcome", choices=Outcome.choices, initial=Outcome.TICKET_CREATED
    )
    call_resolution_code, call_root_cause = resolution_on_the_call_fields()

    # Service error fields → this form's fields.
    renames = {
        "direction": "call_direction",
        "duration_seconds": "call_minutes",
        "summary": "call_summary",
        "outcome": "call_outcome",
        "started_at": "call_minutes",
        "resolution_code": "call_resolution_code",
        "root_cause": "call_root_cause",
    }

    def __init__(
        self, *args: Any, customer: Customer, user: User | None = None, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.customer = customer
        self.user = user
        # Only members of the intake group can hold its new tickets.
        try:
            intake: SupportGroup | None = default_intake_group()
        except ServiceError:
            intake = None
        if user is None or intake is None or not intake.members.filter(pk=user.pk).exists():
            del self.fields["keep"]
        by_type: dict[str, list[tuple[int, str]]] = {}
        for category in Category.objects.filter(is_active=True).order_by("ticket_type", "name"):
            by_type.setdefault(category.ticket_type, []).append((category.pk, category.name))
        # Grouped by ticket type so the agent picks one that fits the type.
        self.fields["category"].choices = [  # type: ignore[attr-defined]
            ("", "—"),
            *[(TicketType(kind).label, options) for kind, options in by_type.items()],
        ]
        self.fields["service"].choices = [  # type: ignore[attr-defined]
            ("", "—"),
            *[
                (s.pk, f"{s.service_id} · {s.product} · {s.installation_address}")
                for s in customer.services.order_by("service_id")
            ],
        ]
        contacts = [
            (c.pk, f"{c.name} {c.phone}".strip())
            for c in customer.contacts.order_by("-is_primary", "name")
        ]
        self.fields["contact"].choices = [("", "—"), *contacts]  # type: ignore[attr-defined]
        if len(contacts) == 1:  # the only person who calls about this account
            self.fields["contact"].initial = contacts[0][0]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        clean_resolution_on_the_call(
            self, prefix="call_", ticket_type=cleaned.get("ticket_type", "")
        )
        return cleaned

    def service_arguments(self) -> dict[str, Any]:
        """Keyword arguments of services.ticket_create, call report included."""
        data = self.cleaned_data
        customer = self.customer
        arguments: dict[str, Any] = {
            "customer": customer,
            "ticket_type": data["ticket_type"],
            "channel": data["channel"],
            "title": data["title"],
            "description": data["description"],
            "category": Category.objects.filter(pk=data["category"]).first()
            if data["category"]
            else None,
            "service": customer.services.filter(pk=data["service"]).first()
            if data["service"]
            else None,
            "contact": customer.contacts.filter(pk=data["contact"]).first()
            if data["contact"]
            else None,
            "impact": data["impact"],
            "urgency": data["urgency"],
        }
        if data.get("keep") and self.user is not None:
            arguments["assignee"] = self.user
        arguments["call"] = {
            "direction": data["call_direction"],
            "duration_seconds": data["call_minutes"] * 60 + data["call_seconds"],
            "summary": data["call_summary"],
            "outcome": data["call_outcome"],
            "resolution_code": data["call_resolution_code"],
            "root_cause": data["call_root_cause"],
        }
        return arguments


# --- actions on a ticket ------------------------------------------------------------------


class TicketActionForm(forms.Form):
    """An action form on the ticket page; choices may depend on the ticket."""

    renames: dict[str, str] = {}

    def __init__(self, *args: Any, ticket: Ticket, user: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.ticket = ticket
        self.user = user


class AssignMeForm(TicketActionForm):
    pass


class AssignForm(TicketActionForm):
    assignee = forms.TypedChoiceField(label="Agent", coerce=int, required=False, empty_value=None)
    renames = {"group": "assignee"}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        members = self.ticket.group.members.filter(is_active=True).order_by("username")
        self.fields["assignee"].choices = [  # type: ignore[attr-defined]
            ("", "— nobody (back to the queue)"),
            *[(m.pk, f"{m} ({m.username})") for m in members],
        ]


class StatusForm(TicketActionForm):
    status = forms.ChoiceField()
    note = TicketTextField(label="Note", limit_of="note", required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Resolving and closing have their own forms: they need more details.
        allowed = TRANSITIONS[self.ticket.status] - {Status.RESOLVED, Status.CLOSED}
        self.fields["status"].choices = [  # type: ignore[attr-defined]
            (value, label) for value, label in Status.choices if value in allowed
        ]


class InteractionForm(TicketActionForm):
    channel = forms.ChoiceField(choices=Channel.choices, initial=Channel.PHONE)
    direction = forms.ChoiceField(choices=Direction.choices, initial=Direction.OUTBOUND)
    minutes = forms.IntegerField(min_value=0, max_value=MAX_MINUTES, initial=0)
    seconds = forms.IntegerField(min_value=0, max_value=59, initial=0)
    summary = TicketTextField(
        label="What was said",
        limit_of="summary",
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": SUMMARY_NEEDED},
    )
    outcome = forms.ChoiceField(choices=Outcome.choices, initial=Outcome.TICKET_UPDATED)
    resolution_code, root_cause = resolution_on_the_call_fields()
    renames = {"duration_seconds": "minutes", "started_at": "minutes"}

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        clean_resolution_on_the_call(self, prefix="", ticket_type=self.ticket.ticket_type)
        return cleaned


class CommentForm(TicketActionForm):
    visibility = forms.ChoiceField(choices=Visibility.choices, initial=Visibility.INTERNAL)
    body = TicketTextField(
        label="Text", limit_of="comment", widget=forms.Textarea(attrs={"rows": 3}), required=False
    )
    file = forms.FileField(label="Attachment (optional)", required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not can(self.user, Action.REPLY_ADD):
            self.fields["visibility"].choices = [  # type: ignore[attr-defined]
                (Visibility.INTERNAL.value, Visibility.INTERNAL.label)
            ]


class EscalateForm(TicketActionForm):
    group = forms.TypedChoiceField(label="To group", coerce=int)
    reason = TicketTextField(
        label="Reason", limit_of="reason", widget=forms.Textarea(attrs={"rows": 2}), required=False
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        groups = (
            SupportGroup.objects.filter(is_active=True)
            .exclude(pk=self.ticket.group_id)
            .select_related("tier")
        )
        self.fields["group"].choices = [  # type: ignore[attr-defined]
            (g.pk, f"{g.name} ({g.tier.name})") for g in groups
        ]


class EscalateUpForm(TicketActionForm):
    reason = TicketTextField(
        label="Reason", limit_of="reason", widget=forms.Textarea(attrs={"rows": 2}), required=False
    )


class ResolveForm(TicketActionForm):
    resolution_code = forms.ChoiceField(choices=[("", "—"), *ResolutionCode.choices])
    root_cause = forms.ChoiceField(choices=[("", "—"), *RootCause.choices], required=False)
    notes = TicketTextField(
        label="Notes", limit_of="notes", widget=forms.Textarea(attrs={"rows": 3}), required=False
    )


class ReopenForm(TicketActionForm):
    reason = TicketTextField(label="Reason", limit_of="reason", required=False)


class CloseForm(TicketActionForm):
    note = TicketTextField(label="Note", limit_of="note", required=False)


class LinkForm(TicketActionForm):
    KINDS = [
        *LinkKind.choices,
        ("child_of", "Child of (part of)"),
        ("merge_into", "Duplicate — merge into"),
    ]
    kind = forms.ChoiceField(choices=KINDS)
    target = forms.CharField(label="Other ticket", max_length=20, help_text="e.g. TT-000123")
    renames = {"into": "target", "parent": "target", "duplicate": "target"}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not can(self.user, Action.TICKET_MERGE):
            self.fields["kind"].choices = [  # type: ignore[attr-defined]
                k for k in self.KINDS if k[0] != "merge_into"
            ]
