"""Drafting articles from a resolved ticket and from a network incident:
the sections filled from what the desk recorded, always a draft."""

from datetime import timedelta

import pytest
from django.utils import timezone

from netdesk.accounts.models import Role, TierKind
from netdesk.core.errors import NotFound, PermissionDenied, ValidationFailed
from netdesk.knowledge.models import Article, ArticleState, Audience
from netdesk.knowledge.services.drafting import (
    article_draft_from_incident,
    article_draft_from_ticket,
)
from netdesk.noc.services.incidents import incident_create, incident_update
from netdesk.tickets.choices import Visibility
from netdesk.tickets.models import Category
from netdesk.tickets.services import comment_add, ticket_interaction_log, ticket_resolve
from netdesk.tickets.services.customer_replies import customer_comment_add
from tests import factories as f

pytestmark = pytest.mark.django_db


def _solved_ticket(agent):
    owner = f.customer(language="de")
    line = f.service(owner, product="Fibre 250")
    category = Category.objects.filter(ticket_type="fault").order_by("id").first()
    ticket = f.ticket(
        agent,
        owner,
        title="Router LED blinkt rot",
        description="Seit heute Morgen kein Internet.",
        service=line,
        category=category,
    )
    customer_comment_add(
        ticket=ticket,
        contact=owner.contacts.get(),
        body="Die rote LED blinkt schnell, WLAN ist da.",
        channel="web",
    )
    ticket_interaction_log(
        actor=agent,
        ticket=ticket,
        call={
            "channel": "phone",
            "direction": "inbound",
            "started_at": timezone.now(),
            "duration_seconds": 120,
            "summary": "Caller says the router was moved to another socket yesterday.",
            "outcome": "ticket_updated",
        },
    )
    comment_add(actor=agent, ticket=ticket, body="Line test clean", visibility="internal")
    comment_add(
        actor=agent,
        ticket=ticket,
        body="Bitte das Glasfaserkabel fest einstecken.",
        visibility=Visibility.PUBLIC,
    )
    return ticket_resolve(
        actor=agent,
        ticket=ticket,
        resolution_code="fixed",
        root_cause="customer_side",
        notes="Fibre patch cable was loose; plugged in, LED green.",
    )


def test_draft_from_a_ticket_fills_the_sections():
    agent = f.user()
    ticket = _solved_ticket(agent)
    article = article_draft_from_ticket(actor=agent, ticket_id=ticket.pk)
    assert article.state == ArticleState.DRAFT
    assert article.audience == Audience.INTERNAL
    assert (article.title, article.language) == ("Router LED blinkt rot", "de")
    assert article.source_ticket_id == ticket.pk
    assert article.products == ["Fibre 250"]
    assert article.technologies == ["ftth"]
    assert [c.pk for c in article.categories.all()] == [ticket.category_id]
    body = article.body
    headings = [line for line in body.splitlines() if line.startswith("## ")]
    assert headings == ["## Symptoms", "## Cause", "## Resolution", "## Applies to"]
    symptoms, rest = body.split("## Cause")
    cause, rest = rest.split("## Resolution")
    resolution, applies = rest.split("## Applies to")
    assert "Seit heute Morgen kein Internet." in symptoms
    assert "> Die rote LED blinkt schnell, WLAN ist da." in symptoms
    assert symptoms.count("rote LED blinkt") == 1
    assert "> Caller says the router was moved" in symptoms
    assert "Root cause: Customer premises / equipment" in cause
    assert f"Category: {ticket.category.name}" in cause
    assert "Fibre patch cable was loose" in resolution
    assert "> Bitte das Glasfaserkabel fest einstecken." in resolution
    assert "Line test clean" not in body
    assert "Product: Fibre 250" in applies
    assert "Access technology: Fibre (FTTH)" in applies
    assert ticket.reference in applies
    assert article.versions.get().note == f"drafted from {ticket.reference}"


def test_asking_twice_returns_the_same_draft():
    agent = f.user()
    ticket = _solved_ticket(agent)
    first = article_draft_from_ticket(actor=agent, ticket_id=ticket.pk)
    again = article_draft_from_ticket(actor=agent, ticket_id=ticket.pk)
    assert again.pk == first.pk
    assert Article.objects.count() == 1


def test_a_ticket_without_notes_gets_placeholders_to_fill():
    agent = f.user()
    ticket = f.ticket(agent, title="Invoice twice", ticket_type="billing_inquiry")
    article = article_draft_from_ticket(actor=agent, ticket_id=ticket.pk)
    assert "_Describe what the customer notices._" in article.body
    assert "_Write the steps that solved it, one per line._" in article.body
    assert article.products == []
    assert article.language == "en"


def test_refused_for_a_ticket_out_of_sight_or_without_the_right():
    agent = f.user()
    ticket = f.ticket(agent)
    field = f.user(Role.FIELD_ENGINEER, groups=[f.group(TierKind.THIRD_LINE)])
    with pytest.raises(NotFound) as refused:
        article_draft_from_ticket(actor=field, ticket_id=ticket.pk)
    assert (refused.value.field, refused.value.value) == ("ticket_id", ticket.pk)
    manager = f.user(Role.ACCOUNT_MANAGER)
    with pytest.raises(PermissionDenied):
        article_draft_from_ticket(actor=manager, ticket_id=ticket.pk)
    assert not Article.objects.exists()


def _incident():
    noc = f.user(Role.NOC_ENGINEER, groups=[f.group(TierKind.SECOND_LINE)])
    node = f.element("OLT Mitte")
    incident = incident_create(
        actor=noc,
        title="Fibre cut in Mitte",
        detected_by="manual",
        root_element=node,
        technical_description="Duct damaged by roadworks at Torstr. 12, 96 fibres.",
        customer_description="Internet and phone are down in Berlin Mitte.",
    )
    eta = timezone.now() + timedelta(hours=3)
    incident_update(
        actor=noc,
        incident=incident,
        state="identified",
        customer_message="Technicians are splicing the cable.",
        technical_note="Splicing team on site",
        eta=eta,
    )
    return incident, noc


def test_public_draft_from_an_incident_says_only_what_customers_may_hear():
    incident, noc = _incident()
    article = article_draft_from_incident(actor=noc, incident_id=incident.pk)
    assert (article.state, article.audience) == (ArticleState.DRAFT, Audience.PUBLIC)
    assert article.source_incident_id == incident.pk
    assert article.title == "Fibre cut in Mitte"
    body = article.body
    assert "Internet and phone are down in Berlin Mitte." in body
    assert "## What customers should do" in body
    assert "Expected back:" in body
    assert "> Technicians are splicing the cable." in body
    assert "Torstr. 12" not in body
    assert "OLT Mitte" not in body
    assert incident.reference in body


def test_internal_draft_from_an_incident_adds_the_technical_side():
    incident, noc = _incident()
    article = article_draft_from_incident(
        actor=noc, incident_id=incident.pk, audience=Audience.INTERNAL
    )
    assert article.audience == Audience.INTERNAL
    assert "Torstr. 12" in article.body
    assert "Failed element: OLT Mitte" in article.body
    public = article_draft_from_incident(actor=noc, incident_id=incident.pk)
    assert public.pk != article.pk
    assert article_draft_from_incident(actor=noc, incident_id=incident.pk).pk == public.pk


def test_incident_draft_refusals_name_the_field():
    incident, noc = _incident()
    with pytest.raises(ValidationFailed) as refused:
        article_draft_from_incident(actor=noc, incident_id=incident.pk, audience="everyone")
    assert (refused.value.field, refused.value.value) == ("audience", "everyone")
    with pytest.raises(NotFound) as missing:
        article_draft_from_incident(actor=noc, incident_id=999_999)
    assert missing.value.field == "incident_id"


def test_a_mail_that_opened_the_ticket_is_not_quoted_twice():
    agent = f.user()
    ticket = f.ticket(
        agent,
        title="Slow speed",
        description="Speed tests show 20 Mbit/s instead of 250.",
        channel="email",
        call={
            "direction": "inbound",
            "started_at": timezone.now(),
            "duration_seconds": 0,
            "summary": "Email from kim@example.net: Slow speed\n\n"
            "Speed tests show 20 Mbit/s instead of 250.",
            "outcome": "ticket_created",
        },
    )
    article = article_draft_from_ticket(actor=agent, ticket_id=ticket.pk)
    assert article.body.count("20 Mbit/s") == 1
