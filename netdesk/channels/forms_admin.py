"""Forms of the mailbox administration pages. They parse and offer choices;
the services check the rules and their errors land on these fields."""

from __future__ import annotations

from typing import Any

from django import forms

from netdesk.accounts.models import SupportGroup
from netdesk.channels.models import ImapSecurity, Mailbox
from netdesk.channels.services.mailboxes import MailboxSettings
from netdesk.channels.services.templates import LANGUAGE_PATTERN
from netdesk.tickets.choices import TicketType
from netdesk.tickets.models import Category

LANGUAGE_HELP = "A language code such as en, de or pt-br: the templates answers are written in."


class MailboxForm(forms.Form):
    """A mailbox's settings. The IMAP password is write-only: the field is
    always shown empty and left empty keeps the stored password."""

    name = forms.SlugField(
        max_length=60,
        help_text="Letters, digits, - and _; an MTA pipe names it: netdesk mail ingest --mailbox NAME.",
    )
    address = forms.EmailField(max_length=254, help_text="The address customers write to.")
    reply_address = forms.EmailField(
        max_length=254, required=False, help_text="From/Reply-To of answers; empty: the address."
    )
    active = forms.BooleanField(required=False, initial=True)
    ticket_type = forms.ChoiceField(choices=TicketType.choices, initial=TicketType.FAULT)
    group = forms.ModelChoiceField(
        queryset=SupportGroup.objects.order_by("name"),
        required=False,
        help_text="The group new tickets go to; empty: the desk's intake group.",
    )
    category = forms.ModelChoiceField(
        queryset=Category.objects.filter(is_active=True), required=False
    )
    language = forms.CharField(max_length=10, initial="en", help_text=LANGUAGE_HELP)
    imap_host = forms.CharField(
        max_length=200,
        required=False,
        label="IMAP host",
        help_text="Empty: the mailbox is fed by an MTA pipe only.",
    )
    imap_port = forms.IntegerField(min_value=1, max_value=65535, initial=993, label="IMAP port")
    imap_security = forms.ChoiceField(
        choices=ImapSecurity.choices, initial=ImapSecurity.SSL, label="IMAP security"
    )
    imap_user = forms.CharField(max_length=200, required=False, label="IMAP user")
    imap_password = forms.CharField(
        max_length=200,
        required=False,
        label="IMAP password",
        strip=False,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
    )
    forget_password = forms.BooleanField(required=False, label="Forget the stored password")
    imap_folder = forms.CharField(max_length=200, initial="INBOX", label="IMAP folder")
    done_folder = forms.CharField(
        max_length=200,
        required=False,
        help_text="Taken mail moves here; empty: it is flagged as seen and left in place.",
    )
    fetch_every_seconds = forms.IntegerField(min_value=10, max_value=86_400, initial=60)

    def __init__(self, *args: Any, mailbox: Mailbox | None = None, **kwargs: Any) -> None:
        if mailbox is not None and "initial" not in kwargs:
            kwargs["initial"] = mailbox_initial(mailbox)
        super().__init__(*args, **kwargs)
        password = self.fields["imap_password"]
        if mailbox is not None and mailbox.imap_password:
            password.help_text = "A password is stored; leave empty to keep it."
        else:
            password.help_text = "No password stored."
            del self.fields["forget_password"]

    def clean_language(self) -> str:
        language: str = self.cleaned_data["language"].strip().lower()
        if not LANGUAGE_PATTERN.match(language):
            raise forms.ValidationError(
                f"{language!r} is not a language code; give one such as en, de or pt-br."
            )
        return language

    def settings(self) -> MailboxSettings:
        data = self.cleaned_data
        return MailboxSettings(
            name=data["name"],
            address=data["address"],
            reply_address=data["reply_address"],
            active=data["active"],
            ticket_type=data["ticket_type"],
            group=data["group"],
            category=data["category"],
            language=data["language"],
            imap_host=data["imap_host"].strip(),
            imap_port=data["imap_port"],
            imap_security=data["imap_security"],
            imap_user=data["imap_user"].strip(),
            imap_folder=data["imap_folder"].strip(),
            done_folder=data["done_folder"].strip(),
            fetch_every_seconds=data["fetch_every_seconds"],
        )


def mailbox_initial(mailbox: Mailbox) -> dict[str, Any]:
    """The form's values from a stored mailbox, the password left out."""
    names = [
        name for name in MailboxForm.base_fields if name not in ("imap_password", "forget_password")
    ]
    return {name: getattr(mailbox, name) for name in names}


class TemplateForm(forms.Form):
    """A message template's wording (Django template syntax, plain text)."""

    subject = forms.CharField(max_length=300)
    body = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 14}), max_length=20_000, strip=False
    )


class PreviewForm(TemplateForm):
    """What the live preview renders: the typed wording against a ticket."""

    ticket = forms.CharField(
        max_length=30,
        required=False,
        label="Preview with ticket",
        help_text="A ticket reference such as TT-000123; empty: a made-up sample ticket.",
    )
