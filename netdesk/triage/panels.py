"""What triage adds to the ticket page (NETDESK_HOOKS["ticket_page_panels"]):
a placeholder the page fills with the suggestion panel, loaded with htmx
because the hook knows no reader and the "Apply" button depends on one."""

from __future__ import annotations

from django.urls import reverse
from django.utils.html import format_html
from django.utils.safestring import SafeString

from netdesk.tickets.models import Ticket


def ticket_page_panel(*, ticket: Ticket) -> SafeString:
    return format_html(
        '<div id="triage-panel" hx-get="{}" hx-trigger="load" hx-swap="outerHTML"></div>',
        reverse("triage_ticket_panel", args=[ticket.reference]),
    )
