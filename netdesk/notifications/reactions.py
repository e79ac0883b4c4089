"""What raises a notification: the lower apps announce through hooks
(settings NETDESK_HOOKS, documented in netdesk/core/hooks.py) and these
reactions decide who hears of it, inside the announcing transaction.

- a ticket assigned to an agent by someone else (or by the desk's routing);
- a customer's answer (mail, portal, chat) on a ticket: its assignee. An
  unassigned ticket notifies nobody: it waits in its group's queue, which
  every member sees change live, and a supervisor told of every answer in
  every unassigned ticket would stop reading the bell;
- a service-level warning or breach on a ticket: its assignee;
- a low survey rating's follow-up: its owner (the team lead)."""

from __future__ import annotations

from django.urls import reverse

from netdesk.accounts.models import User
from netdesk.notifications.models import NotificationKind
from netdesk.notifications.services import notify
from netdesk.sla.models import SlaTimer
from netdesk.surveys.models import SurveyFollowUp
from netdesk.tickets.models import Ticket


def ticket_assigned(*, ticket: Ticket, assignee: User, actor: User | None) -> None:
    notify(
        recipient=assignee,
        actor=actor,
        kind=NotificationKind.ASSIGNED,
        title=f"{ticket.reference} assigned to you: {ticket.title}",
        ticket=ticket,
    )


def ticket_customer_replied(*, ticket: Ticket) -> None:
    if ticket.assignee is None:
        return
    notify(
        recipient=ticket.assignee,
        kind=NotificationKind.CUSTOMER_REPLIED,
        title=f"The customer replied on {ticket.reference}: {ticket.title}",
        ticket=ticket,
    )


def _service_level(timer: SlaTimer, ticket: Ticket, *, breached: bool) -> None:
    if ticket.assignee is None:
        return
    clock = f"{str(timer.kind).upper()} {timer.get_metric_display().lower()}"
    if breached:
        kind, title = NotificationKind.SLA_BREACH, f"{clock} breached on {ticket.reference}"
    else:
        kind, title = NotificationKind.SLA_WARNING, f"{clock} due soon on {ticket.reference}"
    notify(recipient=ticket.assignee, kind=kind, title=title, ticket=ticket)


def sla_warning_fired(*, timer: SlaTimer, ticket: Ticket) -> None:
    _service_level(timer, ticket, breached=False)


def sla_breach_fired(*, timer: SlaTimer, ticket: Ticket) -> None:
    _service_level(timer, ticket, breached=True)


def survey_follow_up_opened(*, follow_up: SurveyFollowUp) -> None:
    if follow_up.owner is None:
        return
    survey = follow_up.survey
    ticket = survey.ticket
    notify(
        recipient=follow_up.owner,
        kind=NotificationKind.SURVEY_FOLLOW_UP,
        title=f"Rated {follow_up.opened_rating} of 5: follow up {ticket.reference}",
        url=reverse("survey_follow_up", args=[follow_up.pk]),
        ticket=ticket,
    )
