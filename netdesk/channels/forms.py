"""Forms of the mail side of the ticket page: the reply composer and moving
an unknown sender into the right customer. They parse; services decide."""

from __future__ import annotations

import re
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import validate_email

from netdesk.tickets.forms import TicketTextField

# Agents paste addresses from anywhere: commas, semicolons and line breaks
# all separate them.
ADDRESS_SEPARATORS = re.compile(r"[,;\n\r]+")
MAX_RECIPIENTS = 50
ACCEPTED_ADDRESSES = "addresses like name@example.net, separated by commas"


class AddressListField(forms.CharField):
    """A list of mail addresses typed as text; each is checked, and an error
    names the field and the address that is not accepted."""

    def __init__(self, *, label: str, required: bool = True, **kwargs: Any) -> None:
        super().__init__(label=label, required=required, **kwargs)

    def to_python(self, value: Any) -> list[str]:  # type: ignore[override]
        text = super().to_python(value) or ""
        addresses = [part.strip() for part in ADDRESS_SEPARATORS.split(text) if part.strip()]
        unique = list(dict.fromkeys(addresses))
        for address in unique:
            try:
                validate_email(address)
            except ValidationError:
                raise ValidationError(
                    f"{self.label}: {address!r} is not an email address. "
                    f"Accepted: {ACCEPTED_ADDRESSES}.",
                    code="invalid",
                ) from None
        if len(unique) > MAX_RECIPIENTS:
            raise ValidationError(
                f"{self.label}: {len(unique)} addresses; at most {MAX_RECIPIENTS} are accepted.",
                code="max_length",
            )
        return unique

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
