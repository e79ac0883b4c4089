"""The incident page's portal panel (NETDESK_HOOKS["incident_page_panels"]):
how many subscribers the portal told of the outage before they opened a
ticket chose to be notified, and how many opened one anyway."""

from __future__ import annotations

from django.http import HttpRequest
from django.utils.html import format_html
from django.utils.safestring import SafeString

from netdesk.noc.models import NetworkIncident
from netdesk.portal.selectors_tickets import deflection_counts


def incident_page_panel(
    *,
    incident: NetworkIncident,
    request: HttpRequest,  # noqa: ARG001  # the hook's signature; the figures are for every reader
) -> SafeString:
    counts = deflection_counts(incident)
    return format_html(
        '<section class="card" id="portal-deflections"><h2>Customer portal</h2>'
        "<p><strong>{}</strong> subscribers told of this outage in the portal chose to be "
        "notified; <strong>{}</strong> opened a ticket anyway.</p></section>",
        counts.notified,
        counts.opened_anyway,
    )
