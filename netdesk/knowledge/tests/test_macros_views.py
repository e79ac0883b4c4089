"""Macro pages and the picker's JSON: who sees, keeps and renders which
macro, on which ticket."""

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from netdesk.accounts.models import Role, TierKind
from netdesk.knowledge.models import Macro
from netdesk.knowledge.selectors.macros import MacroFilter, macro_list
from netdesk.knowledge.services.macros import macro_create
from tests import factories as f

pytestmark = pytest.mark.django_db


@pytest.fixture
def desk():
    hotline = f.group(TierKind.FIRST_LINE)
    noc = f.group(TierKind.SECOND_LINE)
    boss = f.user(Role.SERVICE_DESK_MANAGER, username="manager")
    operator = f.user(Role.HOTLINE_OPERATOR, groups=[hotline], first_name="Olivia")
    engineer = f.user(Role.NOC_ENGINEER, groups=[noc])
    customer = f.customer(name="Bäckerei Sonnenschein")
    ticket = f.ticket(operator, customer)
    greeting = macro_create(
        actor=boss,
        name="Hotline greeting",
        body="Hello {{customer.name}}, about {{ticket.reference}}: {{agent.name}} here.",
        group_ids=[hotline.pk],
    )
    everyone = macro_create(actor=boss, name="Thanks", body="Thank you.")
    retired = macro_create(actor=boss, name="Old", body="Gone.", is_active=False)
    return {
        "hotline": hotline,
        "noc": noc,
        "boss": boss,
        "operator": operator,
        "engineer": engineer,
        "ticket": ticket,
        "greeting": greeting,
        "everyone": everyone,
        "retired": retired,
    }


def client_for(user, **kwargs) -> Client:
    client = Client(**kwargs)
    client.force_login(user)
    return client


def render_url(macro: Macro, ticket) -> str:
    return reverse("kb_macro_render", args=[macro.pk, ticket.reference])


def test_the_list_shows_an_agent_what_they_are_offered_and_a_manager_everything(desk):
    page = client_for(desk["operator"]).get(reverse("kb_macro_list"))
    assert page.status_code == 200
    text = page.content.decode()
    assert "Hotline greeting" in text
    assert "Thanks" in text
    assert "Old" not in text
    assert reverse("kb_macro_new") not in text

    page = client_for(desk["engineer"]).get(reverse("kb_macro_list"))
    assert "Hotline greeting" not in page.content.decode()

    page = client_for(desk["boss"]).get(reverse("kb_macro_list"), {"q": "old"})
    text = page.content.decode()
    assert "not offered" in text
    assert "Thanks" not in text


def test_the_list_costs_two_queries_whatever_its_length(desk, django_assert_num_queries):
    boss = desk["boss"]
    with django_assert_num_queries(2):
        assert len(macro_list(user=boss, wanted=MacroFilter())) == 3
    for n in range(5):
        macro_create(actor=boss, name=f"More {n}", body="B", group_ids=[desk["noc"].pk])
    with django_assert_num_queries(2):
        assert len(macro_list(user=boss, wanted=MacroFilter())) == 8


def test_a_manager_creates_a_macro_and_an_unknown_placeholder_comes_back_named(desk):
    client = client_for(desk["boss"])
    answer = client.post(
        reverse("kb_macro_new"),
        {"name": "ETA", "body": "Back by {{incident.etaa}}", "language": "en", "is_active": "on"},
    )
    assert answer.status_code == 422
    text = answer.content.decode()
    assert "Unknown placeholder {{incident.etaa}}" in text
    assert "{{incident.eta}}" in text
    answer = client.post(
        reverse("kb_macro_new"),
        {
            "name": "ETA",
            "body": "Back by {{incident.eta}}",
            "language": "en",
            "groups": [desk["noc"].pk],
            "is_active": "on",
        },
    )
    assert answer.status_code == 302
    macro = Macro.objects.get(name="ETA")
    assert list(macro.groups.all()) == [desk["noc"]]


def test_agents_may_not_keep_macros(desk):
    client = client_for(desk["operator"])
    assert client.get(reverse("kb_macro_new")).status_code == 403
    assert client.get(reverse("kb_macro_edit", args=[desk["greeting"].pk])).status_code == 403
    assert client.post(reverse("kb_macro_delete", args=[desk["greeting"].pk])).status_code == 403
    assert Macro.objects.filter(pk=desk["greeting"].pk).exists()


def test_a_team_lead_keeps_their_groups_macros_only(desk):
    lead = f.user(Role.TEAM_LEAD, groups=[desk["noc"]])
    client = client_for(lead)
    # Another group's macro is not even listed; a desk-wide one is, read-only.
    assert client.get(reverse("kb_macro_edit", args=[desk["greeting"].pk])).status_code == 404
    assert client.get(reverse("kb_macro_edit", args=[desk["everyone"].pk])).status_code == 403
    answer = client.post(
        reverse("kb_macro_new"),
        {"name": "NOC", "body": "B", "language": "en", "groups": [desk["hotline"].pk]},
    )
    assert answer.status_code == 422  # the hotline is not among the choices
    answer = client.post(
        reverse("kb_macro_new"),
        {"name": "NOC", "body": "B", "language": "en", "groups": [desk["noc"].pk]},
    )
    assert answer.status_code == 302


def test_the_picker_offers_the_agents_macros_for_a_ticket(desk):
    ticket = desk["ticket"]
    answer = client_for(desk["operator"]).get(
        reverse("kb_macro_offered"), {"ticket": ticket.reference}
    )
    assert answer.status_code == 200
    names = [item["name"] for item in answer.json()["items"]]
    assert sorted(names) == ["Hotline greeting", "Thanks"]
    answer = client_for(desk["engineer"]).get(
        reverse("kb_macro_offered"), {"ticket": ticket.reference}
    )
    assert [item["name"] for item in answer.json()["items"]] == ["Thanks"]
    answer = client_for(desk["operator"]).get(reverse("kb_macro_offered"), {"ticket": "nonsense"})
    assert answer.status_code == 404
    assert answer["Content-Type"] == "application/problem+json"
    assert answer.json()["errors"][0]["field"] == "ref"


def test_rendering_fills_the_ticket_in_and_counts_only_an_insert(desk):
    client = client_for(desk["operator"])
    ticket, greeting = desk["ticket"], desk["greeting"]
    shown = client.get(render_url(greeting, ticket))
    assert shown.status_code == 200
    expected = f"Hello Bäckerei Sonnenschein, about {ticket.reference}: Olivia here."
    assert shown.json()["text"] == expected
    greeting.refresh_from_db()
    assert greeting.uses == 0
    inserted = client.post(render_url(greeting, ticket))
    assert inserted.json() == {
        "id": greeting.pk,
        "name": "Hotline greeting",
        "ticket": ticket.reference,
        "text": expected,
        "missing": [],
    }
    greeting.refresh_from_db()
    assert greeting.uses == 1


def test_an_agent_outside_the_macros_groups_cannot_render_it(desk):
    answer = client_for(desk["engineer"]).post(render_url(desk["greeting"], desk["ticket"]))
    assert answer.status_code == 404
    assert answer.json()["errors"][0]["field"] == "macro_id"
    inactive = client_for(desk["boss"]).post(render_url(desk["retired"], desk["ticket"]))
    assert inactive.status_code == 404
    desk["greeting"].refresh_from_db()
    assert desk["greeting"].uses == 0


def test_a_ticket_out_of_the_agents_scope_is_not_rendered(desk):
    # Field engineers see their groups' tickets only.
    field = f.user(Role.FIELD_ENGINEER, groups=[f.group(TierKind.THIRD_LINE)])
    answer = client_for(field).post(render_url(desk["everyone"], desk["ticket"]))
    assert answer.status_code == 404
    assert answer.json()["errors"][0]["field"] == "ref"


def test_inserting_needs_the_csrf_token(desk):
    client = client_for(desk["operator"], enforce_csrf_checks=True)
    assert client.post(render_url(desk["everyone"], desk["ticket"])).status_code == 403


def test_signed_out_is_sent_to_sign_in(desk):
    answer = Client().get(reverse("kb_macro_offered"), {"ticket": desk["ticket"].reference})
    assert answer.status_code == 302


def test_the_list_page_costs_the_same_for_a_team_lead_whatever_its_length(desk):
    lead = f.user(Role.TEAM_LEAD, groups=[desk["noc"]])
    client = client_for(lead)

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(reverse("kb_macro_list")).status_code == 200
        return len(captured)

    few = queries()
    for n in range(4):
        macro_create(actor=lead, name=f"NOC {n}", body="B", group_ids=[desk["noc"].pk])
    assert queries() == few
