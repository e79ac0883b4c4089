"""Forms of the mail side of the ticket page: the reply composer and moving
an unknown sender into the right customer. They parse; services decide."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError

from netdesk.channels.addresses import ACCEPTED_ADDRESSES, addresses_checked
from netdesk.core.errors import ValidationFailed
from netdesk.tickets.forms import TicketTextField


class AddressListField(forms.CharField):
    """A list of mail addresses typed as text, checked by the rule the
    outbound queue applies (`addresses_checked`): the same error, naming the
    field, the address and what is accepted, and the same limit."""

    def __init__(self, *, label: str, required: bool = True, **kwargs: Any) -> None:
        super().__init__(label=label, required=required, **kwargs)

    def to_python(self, value: Any) -> list[str]:  # type: ignore[override]
        text = super().to_python(value) or ""
        try:
            return addresses_checked(text, field=str(self.label))
        except ValidationFailed as refused:
            code = "max_length" if isinstance(refused.value, int) else "invalid"
            raise ValidationError(refused.message, code=code) from None

    def validate(self, value: Any) -> None:
        if self.required and not value:
            raise ValidationError(
                f"{self.label}: at least one address is needed. Accepted: {ACCEPTED_ADDRESSES}.",
                code="required",
            )

    def prepare_value(self, value: Any) -> Any:
        if isinstance(value, list | tuple):
            return ", ".join(value)
        return value


class ReplyForm(forms.Form):
    """A reply to the customer by mail. Reply-all prefills the copies."""

    to = AddressListField(label="To")
    cc = AddressListField(label="Cc", required=False)
    body = TicketTextField(
        label="Text",
        limit_of="comment",
        widget=forms.Textarea(attrs={"rows": 8}),
        help_text="Sent as written here; the reply template only gives the starting text.",
    )
    reply_all = forms.BooleanField(required=False, widget=forms.HiddenInput)


class SenderMergeForm(forms.Form):
    """Which customer an unknown sender really belongs to, by account number."""

    account_number = forms.CharField(
        label="Customer account number",
        max_length=30,
        help_text="The sender's contact and their mail move into this customer.",
    )
