"""Forms that write customers and contacts (the admin's): a phone number
is checked and stored as the services store it, E.164, and one that cannot
be read is an error next to its field."""

from __future__ import annotations

from django import forms

from netdesk.core.errors import ValidationFailed
from netdesk.customers.models import Contact, Customer
from netdesk.customers.phones import phone_e164


def _phone_cleaned(form: forms.ModelForm) -> str:  # type: ignore[type-arg]
    try:
        return phone_e164(form.cleaned_data.get("phone", ""))
    except ValidationFailed as refused:
        raise forms.ValidationError(refused.message, code="phone") from None


class CustomerForm(forms.ModelForm):  # type: ignore[type-arg]
    class Meta:
        model = Customer
        # phone_digits is derived from phone on save.
        fields = (
            "account_number",
            "name",
            "segment",
            "parent_account",
            "account_manager",
            "contract_reference",
            "phone",
            "email",
            "billing_address",
            "language",
        )

    def clean_phone(self) -> str:
        return _phone_cleaned(self)


class ContactForm(forms.ModelForm):  # type: ignore[type-arg]
    class Meta:
        model = Contact
        fields = ("customer", "name", "role", "phone", "email", "is_primary")

    def clean_phone(self) -> str:
        return _phone_cleaned(self)
