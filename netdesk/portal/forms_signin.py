"""The portal's forms: asking for a sign-in link, signing in with a PIN,
choosing how to be told. Labels are translated (the customer's language)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from netdesk.customers.models import NotifyBy
from netdesk.portal.services.pins import PIN_DIGITS_MAX


class LinkRequestForm(forms.Form):
    email = forms.EmailField(
        label=_("Your e-mail address"),
        max_length=254,
        help_text=_("The address we have for you as a contact of your account."),
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )


class PinSignInForm(forms.Form):
    account = forms.CharField(
        label=_("Account number"),
        max_length=30,
        help_text=_("As on your bill, e.g. AC0001234."),
        widget=forms.TextInput(attrs={"autocomplete": "username", "autocapitalize": "characters"}),
    )
    pin = forms.CharField(
        label=_("PIN"),
        max_length=PIN_DIGITS_MAX,
        strip=True,
        widget=forms.PasswordInput(
            attrs={"autocomplete": "current-password", "inputmode": "numeric"}
        ),
    )
    next = forms.CharField(required=False, widget=forms.HiddenInput)


NOTIFY_CHOICES = [
    (NotifyBy.EMAIL.value, _("By e-mail: each answer and change on your tickets")),
    (NotifyBy.PORTAL_ONLY.value, _("Only here in the portal: no mail, you look in yourself")),
]


class PreferencesForm(forms.Form):
    notify_by = forms.ChoiceField(
        label=_("How we tell you about your tickets"),
        choices=NOTIFY_CHOICES,
        widget=forms.RadioSelect,
    )
