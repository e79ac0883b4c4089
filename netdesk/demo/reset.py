"""Removing what a demo load created (`netdesk demo --reset`), from the
recorded id blocks, children before parents."""

from __future__ import annotations

from django.db import transaction
from django.db.models import Q

from netdesk.accounts.models import User
from netdesk.assessments.models import AssessmentCycle, ExamQuestion
from netdesk.channels.models import InboundMessage, Mailbox
from netdesk.customers.models import Contact, Customer, Service
from netdesk.demo.channels_demo import channels_demo_delete
from netdesk.demo.knowledge import knowledge_demo_delete
from netdesk.demo.models import DemoRun
from netdesk.network.models import Area, NetworkElement
from netdesk.noc.models import Alarm, MaintenanceWindow, NetworkIncident
from netdesk.routing.models import GroupRouting, RoutingRule
from netdesk.tickets.models import Interaction, Ticket, TicketEvent


def _span(run: DemoRun, label: str) -> Q:
    span = run.created.get(label)
    if not span:
        return Q(pk__in=[])
    return Q(pk__gte=span[0], pk__lte=span[1])


@transaction.atomic
def demo_delete() -> int:
    """Delete the rows of every recorded demo run; returns how many runs.
    Tickets anyone raised on demo customers go too: they cannot outlive them."""
    runs = list(DemoRun.objects.all())
    for run in runs:
        channels_demo_delete(run)
        # The placeholder customers of the demo mail's unknown senders too.
        customers = Customer.objects.filter(
            _span(run, "customers.Customer")
            | Q(pk__in=run.created.get("channels.placeholders", []))
        )
        # Received mail first: it holds on to its mailbox.
        InboundMessage.objects.filter(
            pk__in=run.created.get("channels.InboundMessage", [])
        ).delete()
        Mailbox.objects.filter(pk__in=run.created.get("channels.Mailbox", [])).delete()
        tickets = Ticket.objects.filter(
            _span(run, "tickets.Ticket") | Q(customer__in=customers.values("pk"))
        )
        ticket_ids = tickets.values("pk")
        # Explicit deletes in dependency order: the ORM's cascade collector
        # would load hundreds of thousands of events into memory first.
        TicketEvent.objects.filter(ticket__in=ticket_ids).delete()
        Interaction.objects.filter(
            Q(ticket__in=ticket_ids) | Q(customer__in=customers.values("pk"))
        ).delete()
        Ticket.objects.filter(Q(parent__in=ticket_ids) | Q(merged_into__in=ticket_ids)).update(
            parent=None, merged_into=None
        )
        tickets.delete()
        knowledge_demo_delete(run.created)
        Service.objects.filter(customer__in=customers.values("pk")).delete()
        Contact.objects.filter(customer__in=customers.values("pk")).delete()
        customers.update(parent_account=None)
        Customer.objects.filter(parent_account__in=customers.values("pk")).update(
            parent_account=None
        )
        customers.delete()
        elements = NetworkElement.objects.filter(_span(run, "network.NetworkElement"))
        # NOC records on the demo network go before the network itself.
        NetworkIncident.objects.filter(root_element__in=elements.values("pk")).delete()
        Alarm.objects.filter(element__in=elements.values("pk")).delete()
        MaintenanceWindow.objects.filter(
            pk__in=run.created.get("noc.MaintenanceWindow", [])
        ).delete()
        elements.update(upstream=None)
        elements.delete()
        areas = Area.objects.filter(_span(run, "network.Area"))
        areas.update(parent=None)
        areas.delete()
        RoutingRule.objects.filter(pk__in=run.created.get("competency.RoutingRule", [])).delete()
        GroupRouting.objects.filter(pk__in=run.created.get("competency.GroupRouting", [])).delete()
        # The cycle takes its assessments, exams, ratings and results with it;
        # then the questions those exams drew from. Levels validated from it
        # go with their agents.
        AssessmentCycle.objects.filter(
            pk__in=run.created.get("competency.AssessmentCycle", [])
        ).delete()
        ExamQuestion.objects.filter(pk__in=run.created.get("competency.ExamQuestion", [])).delete()
        User.objects.filter(pk__in=run.created.get("users", [])).delete()
        run.delete()
    return len(runs)
