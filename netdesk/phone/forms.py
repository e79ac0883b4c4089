"""Forms of the call log: its filters, the call report logged on a ticket,
and the new ticket opened from a call (whose call facts are read-only)."""

from __future__ import annotations

from typing import Any

from django import forms

from netdesk.accounts.models import User
from netdesk.core.dates import DeskDateField
from netdesk.customers.models import Customer
from netdesk.phone.models import Call, CallDirection, CallOutcome
from netdesk.phone.selectors_log import CallFilter
from netdesk.phone.services.reports import call_report_facts
from netdesk.tickets.choices import Channel, Outcome
from netdesk.tickets.forms import (
    MAX_MINUTES,
    SUMMARY_NEEDED,
    TicketCreateForm,
    TicketTextField,
    clean_resolution_on_the_call,
    resolution_on_the_call_fields,
)

ANY = ("", "Any")
TABS = [("all", "All calls"), ("callbacks", "Callbacks")]


class CallFilterForm(forms.Form):
    """The log page's filters, read from GET parameters."""

    tab = forms.ChoiceField(choices=TABS, required=False)
    outcome = forms.ChoiceField(choices=[ANY, *CallOutcome.choices], required=False)
    direction = forms.ChoiceField(choices=[ANY, *CallDirection.choices], required=False)
    mine = forms.BooleanField(required=False, label="Answered by me")
    day = DeskDateField(required=False, label="Day")
    cursor = forms.CharField(required=False, max_length=60, widget=forms.HiddenInput)

    def call_filter(self, *, user: User) -> CallFilter:
        """The selector's filter; a field given wrong falls back to all."""
        data: dict[str, Any] = getattr(self, "cleaned_data", {})
        return CallFilter(
            outcome=data.get("outcome") or "",
            direction=data.get("direction") or "",
            answered_by=user.pk if data.get("mine") else None,
            day=data.get("day"),
            callbacks=data.get("tab") == "callbacks",
        )


class CallReportForm(forms.Form):
    """What the agent adds to a call's report on an existing ticket; the rest
    comes from the call."""

    ticket = forms.CharField(label="Ticket", max_length=20, help_text="e.g. TT-000123")
    summary = TicketTextField(
        label="What was said",
        limit_of="summary",
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": SUMMARY_NEEDED},
    )
    outcome = forms.ChoiceField(choices=Outcome.choices, initial=Outcome.TICKET_UPDATED)
    resolution_code, root_cause = resolution_on_the_call_fields()

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        # The ticket's type is known only once the service reads it: it asks
        # for a root cause where the type needs one.
        clean_resolution_on_the_call(self, prefix="", ticket_type="")
        return cleaned


# The call report's fields that come from the call: shown, never typed.
FROM_THE_CALL = ("channel", "call_direction", "call_minutes", "call_seconds")


class CallTicketForm(TicketCreateForm):
    """The new-ticket form prefilled from a call: channel phone, the call's
    direction and duration shown but not editable, the caller's contact."""

    def __init__(self, *args: Any, call: Call, customer: Customer, **kwargs: Any) -> None:
        super().__init__(*args, customer=customer, **kwargs)
        facts = call_report_facts(call)
        minutes, seconds = divmod(facts["duration_seconds"], 60)
        initial = {
            "channel": Channel.PHONE,
            "call_direction": facts["direction"],
            "call_minutes": min(minutes, MAX_MINUTES),
            "call_seconds": seconds,
        }
        for name in FROM_THE_CALL:
            # Disabled: Django takes the initial value whatever is posted.
            self.fields[name].disabled = True
            self.fields[name].initial = initial[name]
            self.fields[name].help_text = "from the call"
        if call.contact is not None and call.contact.customer_id == customer.pk:
            self.fields["contact"].initial = call.contact_id
