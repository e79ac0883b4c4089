"""Message templates: found by event and language with English behind,
refused on save when they would not render (naming the field and the line),
rendered as plain text from a fixed set of values, previewed, restored."""

from __future__ import annotations

from typing import Any

import pytest

from netdesk.accounts.models import Role
from netdesk.channels.models import MessageTemplate, TemplateEvent
from netdesk.channels.services.template_defaults import DEFAULT_TEMPLATES
from netdesk.channels.services.templates import (
    SAMPLE_CONTEXT,
    MessageContext,
    message_render,
    template_context,
    template_fill,
    template_for,
    template_preview,
    template_save,
    templates_restore,
)
from netdesk.core.errors import PermissionDenied, ValidationFailed
from netdesk.customers.models import Contact
from netdesk.noc.models import NetworkIncident
from netdesk.sla.models import EscalationNotice
from netdesk.tickets.choices import Visibility
from netdesk.tickets.services import comment_add
from tests import factories as f

pytestmark = pytest.mark.django_db


@pytest.fixture
def manager():
    return f.user(Role.SERVICE_DESK_MANAGER, first_name="Mia", last_name="Manager")


def shape(values: dict[str, Any]) -> dict[str, Any]:
    return {k: shape(v) if isinstance(v, dict) else None for k, v in values.items()}


def test_the_migration_installs_english_and_german_for_every_event():
    installed = set(MessageTemplate.objects.values_list("event", "language"))
    expected = {(event, language) for event in TemplateEvent.values for language in ("en", "de")}
    assert installed == expected == set(DEFAULT_TEMPLATES)


def test_every_builtin_template_renders_with_real_values():
    ticket = f.ticket(f.user(first_name="Alex", last_name="Agent"))
    incident = NetworkIncident(pk=7, title="Fibre cut", customer_description="Digging.")
    notice = EscalationNotice(ticket=ticket, subject="[TT] SLA at 80%", body="Due soon")
    values = template_context(
        MessageContext(
            ticket=ticket, agent=ticket.created_by, body="Hi", incident=incident, notice=notice
        )
    )
    for (event, language), wording in DEFAULT_TEMPLATES.items():
        template = MessageTemplate(
            event=event, language=language, subject=wording.subject, body=wording.body
        )
        rendered = message_render(template=template, values=values)
        assert rendered.subject, (event, language)
        assert "{" not in rendered.subject + rendered.body, (event, language)


def test_the_context_has_exactly_the_sample_variables():
    ticket = f.ticket(f.user())
    assert shape(template_context(MessageContext(ticket=ticket))) == shape(SAMPLE_CONTEXT)
    assert shape(template_context(MessageContext())) == shape(SAMPLE_CONTEXT)


def test_lookup_falls_back_from_region_to_language_to_english():
    assert template_for(event="acknowledgement", language="de").language == "de"
    assert template_for(event="acknowledgement", language="de-AT").language == "de"
    assert template_for(event="acknowledgement", language="fr").language == "en"
    assert template_for(event="acknowledgement", language="").language == "en"


def test_a_deleted_template_gives_way_to_the_builtin_wording():
    MessageTemplate.objects.filter(event="reply").delete()
    template = template_for(event="reply", language="de")
    assert template.pk is None
    assert template.language == "de"
    assert template.subject == DEFAULT_TEMPLATES[("reply", "de")].subject


def test_rendering_is_plain_text_from_the_tickets_values():
    customer = f.customer(name="Müller & Söhne <GmbH>")
    ticket = f.ticket(f.user(), owner=customer, title='Router "blinks" <red>')
    contact = Contact.objects.create(customer=customer, name="Jörg Müller")
    template = MessageTemplate(
        event="reply",
        language="en",
        subject="{{ ticket.reference }}\n{{ ticket.title }}",
        body="Dear {{ recipient.name }}, {{ customer.name }}: {{ body }}",
    )
    values = template_context(MessageContext(ticket=ticket, contact=contact, body="a < b & c"))
    rendered = message_render(template=template, values=values)
    # One header line; nothing HTML-escaped in a plain-text mail.
    assert rendered.subject == f'{ticket.reference} Router "blinks" <red>'
    assert rendered.body == "Dear Jörg Müller, Müller & Söhne <GmbH>: a < b & c\n"


def test_a_placeholder_customers_name_is_not_a_greeting():
    customer = f.customer(name="Unverified sender x@example.net", is_placeholder=True)
    ticket = f.ticket(f.user(), owner=customer)
    values = template_context(MessageContext(ticket=ticket))
    assert values["customer"]["name"] == ""
    assert values["recipient"]["name"] == ""
    rendered = message_render(
        template=template_for(event="acknowledgement", language="en"), values=values
    )
    assert rendered.body.startswith("Hello,\n")


def test_save_refuses_a_syntax_error_naming_the_field_and_line(manager):
    with pytest.raises(ValidationFailed) as refused:
        template_save(
            actor=manager,
            event="reply",
            language="en",
            subject="Re: {{ ticket.title }}",
            body="Hello\n\n{% if body %}{{ body }}\n",
        )
    assert refused.value.field == "body"
    assert "line 3" in refused.value.message
    assert refused.value.value == "{% if body %}{{ body }}"
    assert MessageTemplate.objects.get(event="reply", language="en").body == (
        DEFAULT_TEMPLATES[("reply", "en")].body
    )


def test_save_refuses_an_unknown_variable_and_an_unknown_filter(manager):
    with pytest.raises(ValidationFailed) as refused:
        template_save(
            actor=manager,
            event="reply",
            language="en",
            subject="Re: {{ ticket.titel }}",
            body="{{ body }}",
        )
    assert refused.value.field == "subject"
    assert "ticket.titel" in refused.value.message
    assert "ticket.title" in refused.value.accepted
    with pytest.raises(ValidationFailed) as refused:
        template_save(
            actor=manager,
            event="reply",
            language="en",
            subject="Re",
            body="one\ntwo {{ body|shout }}",
        )
    assert refused.value.field == "body"
    assert "line 2" in refused.value.message
    assert "shout" in refused.value.message


def test_save_refuses_includes_and_tag_libraries(manager):
    for body in ('{% include "secrets.txt" %}', "{% load static %}{% static 'x' %}"):
        with pytest.raises(ValidationFailed) as refused:
            template_save(actor=manager, event="reply", language="en", subject="Re", body=body)
        assert refused.value.field == "body"


def test_save_refuses_a_bad_event_language_and_empty_subject(manager):
    cases = [
        ({"event": "birthday"}, "event"),
        ({"language": "English"}, "language"),
        ({"subject": "{% if False %}x{% endif %}"}, "subject"),
        ({"subject": "x" * 301}, "subject"),
    ]
    for change, field in cases:
        given = {"event": "reply", "language": "en", "subject": "Re", "body": "{{ body }}"}
        with pytest.raises(ValidationFailed) as refused:
            template_save(actor=manager, **(given | change))
        assert refused.value.field == field


def test_save_creates_a_language_and_changes_an_existing_one(manager):
    created = template_save(
        actor=manager,
        event="reply",
        language="FR",
        subject="Re: {{ ticket.title }}",
        body="{{ body }}",
    )
    assert created.language == "fr"
    changed = template_save(
        actor=manager,
        event="reply",
        language="fr",
        subject="Réf. {{ ticket.reference }}",
        body="{{ body }}",
    )
    assert changed.pk == created.pk
    assert template_for(event="reply", language="fr").subject == "Réf. {{ ticket.reference }}"


def test_only_those_who_configure_the_desk_edit_templates():
    with pytest.raises(PermissionDenied):
        template_save(actor=f.user(), event="reply", language="en", subject="Re", body="x")
    with pytest.raises(PermissionDenied):
        templates_restore(actor=f.user())


def test_restore_puts_the_builtin_wording_back_and_keeps_other_languages(manager):
    template_save(actor=manager, event="reply", language="en", subject="Mine", body="{{ body }}")
    template_save(actor=manager, event="reply", language="fr", subject="Le mien", body="{{ body }}")
    MessageTemplate.objects.filter(event="all_clear", language="de").delete()
    assert templates_restore(actor=manager) == len(DEFAULT_TEMPLATES)
    assert (
        template_for(event="reply", language="en").subject
        == DEFAULT_TEMPLATES[("reply", "en")].subject
    )
    assert template_for(event="all_clear", language="de").pk is not None
    assert template_for(event="reply", language="fr").subject == "Le mien"


def test_preview_with_sample_values_and_with_a_ticket():
    agent = f.user(first_name="Alex", last_name="Agent")
    ticket = f.ticket(agent, title="Slow line")
    comment_add(
        actor=agent, ticket=ticket, body="Please restart the router.", visibility=Visibility.PUBLIC
    )
    draft = MessageTemplate(
        event="reply",
        language="en",
        subject="Re: [{{ ticket.reference }}] {{ ticket.title }}",
        body="{{ body }}\n-- {{ agent.name }}",
    )
    sample = template_preview(template=draft)
    assert sample.subject == "Re: [TT-000123] No internet since this morning"
    real = template_preview(template=draft, ticket=ticket)
    assert real.subject == f"Re: [{ticket.reference}] Slow line"
    assert real.body == "Please restart the router.\n-- Alex Agent\n"


def test_preview_refuses_what_save_would_refuse():
    draft = MessageTemplate(event="reply", language="en", subject="{{ nope }}", body="x")
    with pytest.raises(ValidationFailed) as refused:
        template_preview(template=draft)
    assert refused.value.field == "subject"


def test_fill_gives_the_composer_the_reply_templates_text():
    agent = f.user(first_name="Alex", last_name="Agent")
    ticket = f.ticket(agent)
    text = template_fill(
        template=template_for(event="reply", language="en"), ticket=ticket, agent=agent
    )
    assert text == "\n\nKind regards,\nAlex Agent\nYour service desk\n"


def test_a_template_failing_on_real_values_gives_way_to_the_builtin(caplog):
    template = MessageTemplate(
        event="reply", language="de", subject="{{ body|divisibleby:2 }}", body="{{ body }}"
    )
    rendered = message_render(template=template, values=SAMPLE_CONTEXT)
    assert rendered.subject == "Re: [TT-000123] No internet since this morning"
    assert "Mit freundlichen Grüßen" in rendered.body
    assert "failed to render" in caplog.text
