"""Macro services: placeholders filled for a ticket, unknown ones refused,
who keeps which group's macros, and the search index row."""

from datetime import UTC, datetime, timedelta

import pytest
from django.utils import timezone

from netdesk.accounts.models import Role, TierKind
from netdesk.core.errors import PermissionDenied, ValidationFailed
from netdesk.knowledge.models import DocumentKind, Macro, SearchDocument
from netdesk.knowledge.selectors.macros import macros_offered_to
from netdesk.knowledge.services.macros import (
    PLACEHOLDERS,
    macro_create,
    macro_delete,
    macro_fill,
    macro_render,
    macro_update,
    macro_used,
)
from netdesk.noc.models import NetworkIncident
from netdesk.noc.services.incidents import incident_create
from tests import factories as f

pytestmark = pytest.mark.django_db

EVERY_PLACEHOLDER = " | ".join(f"{{{{{name}}}}}" for name in PLACEHOLDERS)


def manager():
    return f.user(Role.SERVICE_DESK_MANAGER)


def test_placeholders_are_filled_for_the_ticket_and_its_incident():
    operator = f.user(Role.HOTLINE_OPERATOR, first_name="Olivia", last_name="Berg")
    olt = f.element("OLT-7")
    customer = f.customer(name="Bäckerei Sonnenschein")
    line = f.service(customer, access_element=olt)
    eta = timezone.now().replace(microsecond=0) + timedelta(hours=3)
    incident = incident_create(
        actor=None, title="OLT-7 down", detected_by="alarm", root_element=olt, eta=eta
    )
    contact = customer.contacts.get()
    ticket = f.ticket(operator, customer, service=line, contact=contact, title="No internet")
    macro = macro_create(actor=manager(), name="Outage", body=EVERY_PLACEHOLDER)

    text = macro_render(macro=macro, ticket=ticket, agent=operator)

    expected_eta = f"{timezone.localtime(eta):%Y-%m-%d %H:%M %Z}"
    assert text.split(" | ") == [
        "Bäckerei Sonnenschein",
        contact.name,
        ticket.reference,
        "No internet",
        "Olivia Berg",
        incident.reference,
        expected_eta,
        "Investigating",
    ]


def test_empty_values_become_visible_markers_and_are_named():
    operator = f.user()
    ticket = f.ticket(operator, f.customer())
    macro = macro_create(
        actor=manager(),
        name="Restore time",
        body="Hello {{ customer.name }}, service is back by {{incident.eta}} ({{ incident.reference }}).",
    )

    filled = macro_fill(macro=macro, ticket=ticket, agent=operator)

    assert filled.text.endswith(
        "service is back by [incident.eta: none] ([incident.reference: none])."
    )
    assert filled.missing == ["incident.eta", "incident.reference"]


def test_a_macro_is_text_not_a_template():
    operator = f.user()
    ticket = f.ticket(operator, f.customer(name="ACME"))
    body = "{% load static %}{{customer.name}} {# not a comment #} {{ customer.name|upper }"
    macro = macro_create(actor=manager(), name="Plain", body=body)
    assert macro_render(macro=macro, ticket=ticket) == (
        "{% load static %}ACME {# not a comment #} {{ customer.name|upper }"
    )


@pytest.mark.parametrize(
    ("body", "named"),
    [
        ("Dear {{customer.nmae}}", "{{customer.nmae}}"),
        ("{{ customer.name }} {{ ticket.customer.password }}", "{{ticket.customer.password}}"),
        ("{{}}", "{{}}"),
        ("{{ incident }}", "{{incident}}"),
    ],
)
def test_unknown_placeholders_are_refused_naming_it_and_listing_the_accepted(body, named):
    with pytest.raises(ValidationFailed) as refused:
        macro_create(actor=manager(), name="Bad", body=body)
    error = refused.value
    assert (error.field, error.value) == ("body", named)
    assert "{{customer.name}}" in error.accepted
    assert "{{incident.eta}}" in error.accepted
    assert not Macro.objects.exists()


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"name": " "}, "name"),
        ({"name": "x" * 121}, "name"),
        ({"body": ""}, "body"),
        ({"body": "x" * 10_001}, "body"),
        ({"language": "english"}, "language"),
        ({"group_ids": [999_999]}, "group_ids"),
    ],
)
def test_bad_fields_are_refused_by_name(fields, field):
    given = {"name": "Greeting", "body": "Hello {{customer.name}}", **fields}
    with pytest.raises(ValidationFailed) as refused:
        macro_create(actor=manager(), **given)
    assert refused.value.field == field


def test_only_macro_keepers_write_and_team_leads_keep_their_groups_only():
    hotline = f.group(TierKind.FIRST_LINE)
    billing = f.group(TierKind.BILLING)
    lead = f.user(Role.TEAM_LEAD, groups=[hotline])
    with pytest.raises(PermissionDenied):
        macro_create(actor=f.user(Role.HOTLINE_OPERATOR), name="M", body="B")
    with pytest.raises(PermissionDenied) as refused:
        macro_create(actor=lead, name="M", body="B", group_ids=[billing.pk])
    assert refused.value.field == "group_ids"
    with pytest.raises(PermissionDenied):
        macro_create(actor=lead, name="Every agent's", body="B")  # desk-wide: managers only
    own = macro_create(actor=lead, name="Hotline greeting", body="B", group_ids=[hotline.pk])
    desk_wide = macro_create(actor=manager(), name="Desk", body="B")
    with pytest.raises(PermissionDenied):
        macro_update(
            actor=lead,
            macro_id=desk_wide.pk,
            name="Mine now",
            body="B",
            language="en",
            group_ids=[hotline.pk],
            is_active=True,
        )
    with pytest.raises(PermissionDenied):
        macro_delete(actor=lead, macro_id=desk_wide.pk)
    macro_delete(actor=lead, macro_id=own.pk)
    assert list(Macro.objects.all()) == [desk_wide]


def test_offered_to_members_of_its_groups_or_to_everyone_without_groups():
    hotline = f.group(TierKind.FIRST_LINE)
    noc = f.group(TierKind.SECOND_LINE)
    operator = f.user(Role.HOTLINE_OPERATOR, groups=[hotline])
    engineer = f.user(Role.NOC_ENGINEER, groups=[noc])
    both = f.user(Role.NOC_ENGINEER, groups=[hotline, noc])
    boss = manager()
    hotline_only = macro_create(actor=boss, name="Hotline", body="B", group_ids=[hotline.pk])
    two_groups = macro_create(actor=boss, name="Both", body="B", group_ids=[hotline.pk, noc.pk])
    everyone = macro_create(actor=boss, name="Everyone", body="B")
    macro_create(actor=boss, name="Retired", body="B", is_active=False)

    assert set(macros_offered_to(operator)) == {hotline_only, two_groups, everyone}
    assert set(macros_offered_to(engineer)) == {two_groups, everyone}
    assert sorted(m.name for m in macros_offered_to(both)) == ["Both", "Everyone", "Hotline"]


def test_index_follows_the_macro_with_its_groups_and_drops_inactive_and_deleted():
    hotline = f.group(TierKind.FIRST_LINE)
    boss = manager()
    macro = macro_create(
        actor=boss,
        name="Router reset",
        body="Hello {{customer.name}}, unplug it.",
        group_ids=[hotline.pk],
    )
    document = SearchDocument.objects.get(kind=DocumentKind.MACRO, object_id=macro.pk)
    assert document.title == "Router reset"
    assert "{{" not in document.body
    assert [g.pk for g in document.groups.all()] == [hotline.pk]

    macro_update(
        actor=boss,
        macro_id=macro.pk,
        name="Router reset",
        body="Unplug it.",
        language="de",
        group_ids=[],
        is_active=False,
    )
    assert not SearchDocument.objects.filter(kind=DocumentKind.MACRO).exists()
    macro_update(
        actor=boss,
        macro_id=macro.pk,
        name="Router reset",
        body="Unplug it.",
        language="de",
        group_ids=[],
        is_active=True,
    )
    document = SearchDocument.objects.get(kind=DocumentKind.MACRO, object_id=macro.pk)
    assert (document.language, list(document.groups.all())) == ("de", [])
    macro_delete(actor=boss, macro_id=macro.pk)
    assert not SearchDocument.objects.filter(kind=DocumentKind.MACRO).exists()


def test_uses_are_counted():
    macro = macro_create(actor=manager(), name="M", body="B")
    macro_used(macro_id=macro.pk)
    macro_used(macro_id=macro.pk)
    macro.refresh_from_db()
    assert macro.uses == 2


def test_a_resolved_incident_is_not_told():
    operator = f.user()
    olt = f.element()
    customer = f.customer()
    line = f.service(customer, access_element=olt)
    incident_create(
        actor=None,
        title="Old failure",
        detected_by="alarm",
        root_element=olt,
        started_at=datetime(2026, 1, 1, tzinfo=UTC),
    )
    NetworkIncident.objects.update(state="resolved", resolved_at=timezone.now())
    ticket = f.ticket(operator, customer, service=line)
    macro = macro_create(actor=manager(), name="M", body="{{incident.reference}}")
    assert macro_render(macro=macro, ticket=ticket) == "[incident.reference: none]"
