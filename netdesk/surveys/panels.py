"""What surveys add to the ticket page (NETDESK_HOOKS["ticket_page_panels"]):
the survey's state, why it was not sent, and the customer's answer."""

from __future__ import annotations

from django.template.loader import render_to_string
from django.utils.safestring import SafeString

from netdesk.surveys.models import SurveyFollowUp
from netdesk.surveys.selectors import survey_of_ticket
from netdesk.tickets.models import Ticket


def ticket_page_panel(*, ticket: Ticket) -> SafeString:
    """The ticket's survey, or nothing while it has none (not resolved yet)."""
    survey = survey_of_ticket(ticket)
    if survey is None:
        return SafeString("")
    follow_up: SurveyFollowUp | None = getattr(survey, "follow_up", None)
    return render_to_string(
        "surveys/_ticket_panel.html", {"survey": survey, "follow_up": follow_up}
    )
