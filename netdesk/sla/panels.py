"""What service levels add to the pages of the apps below: the ticket page's
panel of SLA and OLA timers (NETDESK_HOOKS["ticket_page_panels"])."""

from __future__ import annotations

from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.safestring import SafeString

from netdesk.sla.models import SlaTimer
from netdesk.sla.selectors import ticket_timers, timer_now
from netdesk.tickets.models import Ticket


def sla_timer_rows(ticket: Ticket) -> list[SlaTimer]:
    """The ticket's timers with what the page shows (state as agents read it)."""
    timers = ticket_timers(ticket)
    now = timezone.now()
    for timer in timers:
        figures = timer_now(timer, now)
        timer.shown_state = figures.state  # type: ignore[attr-defined]
        timer.elapsed_minutes = round(figures.elapsed_seconds / 60)  # type: ignore[attr-defined]
        timer.target_minutes = timer.target_seconds // 60  # type: ignore[attr-defined]
    return timers


def ticket_page_panel(*, ticket: Ticket) -> SafeString:
    """The ticket's service levels, or nothing when none applies."""
    timers = sla_timer_rows(ticket)
    if not timers:
        return SafeString("")
    return render_to_string("sla/_ticket_timers.html", {"sla_timers": timers})
