"""What the knowledge base adds to the pages of the apps below it
(NETDESK_HOOKS): the ticket page's knowledge panel, loaded by the page with
htmx so it is rendered for its reader, and the incident page's "Draft an
article" panel."""

from __future__ import annotations

from django.http import HttpRequest
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.html import format_html
from django.utils.safestring import SafeString

from netdesk.accounts.permissions import Action, can, user_of
from netdesk.knowledge.selectors.use import incident_drafts
from netdesk.noc.models import NetworkIncident
from netdesk.tickets.models import Ticket


def ticket_page_panel(*, ticket: Ticket) -> SafeString:
    """A placeholder the page fills with the panel (kb_ticket_panel): the
    hook knows no reader, and the panel's forms and results depend on one."""
    return format_html(
        '<div id="kb-panel" hx-get="{}" hx-trigger="load" hx-swap="outerHTML"></div>',
        reverse("kb_ticket_panel", args=[ticket.reference]),
    )


def incident_page_panel(*, incident: NetworkIncident, request: HttpRequest) -> SafeString:
    """The articles drafted from the incident and, for those who may write
    articles, the buttons that draft one (public for the portal, or internal
    with the NOC's technical description)."""
    user = user_of(request)
    if not can(user, Action.KB_VIEW):
        return SafeString("")
    return render_to_string(
        "knowledge/_incident_panel.html",
        {
            "incident": incident,
            "drafts": incident_drafts(incident),
            "can_draft": can(user, Action.KB_EDIT),
        },
        request=request,
    )
