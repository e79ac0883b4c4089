"""The portal's ticket forms: a new ticket (type, service, description,
files) and an answer on a ticket (text, files)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.files.uploadedfile import UploadedFile

from netdesk.customers.models import Service
from netdesk.portal.services.tickets import CUSTOMER_TYPES, MAX_FILES
from netdesk.tickets.forms import TicketTextField

NO_SERVICE = ""


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class FilesField(forms.FileField):
    """Up to MAX_FILES files; their type and size are checked by the service."""

    widget = MultipleFileInput

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)

    def clean(self, data: Any, initial: Any = None) -> list[UploadedFile]:
        files = data if isinstance(data, list | tuple) else ([data] if data else [])
        return [super(FilesField, self).clean(each, initial) for each in files]


class ServiceChoiceForm(forms.Form):
    """The first step of a new ticket: which service it is about."""

    service = forms.ChoiceField(label="Which service is it about?")

    def __init__(self, *args: Any, services: list[Service], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["service"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [
            *((s.service_id, f"{s.product} ({s.service_id})") for s in services),
            (NO_SERVICE, "None of them / not about a service"),
        ]


class NewTicketForm(forms.Form):
    ticket_type = forms.ChoiceField(label="What is it about?", choices=CUSTOMER_TYPES.items())
    description = TicketTextField(
        label="Tell us what happened",
        limit_of="description",
        widget=forms.Textarea(attrs={"rows": 8}),
    )
    attachments = FilesField(
        label="Files (optional)",
        help_text=f"Up to {MAX_FILES} files: PDF, images, text, CSV, ZIP.",
    )
    # The outage the page showed, when the subscriber chose to open anyway.
    incident = forms.CharField(required=False, widget=forms.HiddenInput)


class ReplyForm(forms.Form):
    body = TicketTextField(
        label="Your message", limit_of="comment", widget=forms.Textarea(attrs={"rows": 5})
    )
    attachments = FilesField(label="Files (optional)")
