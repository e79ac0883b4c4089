"""Help articles suggested while a customer writes a new ticket: the form
carries the suggestions' container and script, and what was suggested,
opened and still ended in a ticket is recorded per writing."""

from __future__ import annotations

import re
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from netdesk.portal.models import HelpSuggestion
from netdesk.portal.selectors_kb import HelpFigures, help_suggestion_figures
from netdesk.portal.tests.test_kb import article
from netdesk.portal.tests.test_tickets import portal_contact, sign_in
from netdesk.tickets.models import Ticket

pytestmark = pytest.mark.django_db

WORDS = "no internet, router light red"
WRITING = re.compile(r'name="writing" value="([0-9a-f]{16})"')


@pytest.fixture
def contact():
    return portal_contact()


@pytest.fixture
def portal(client, contact):
    return sign_in(client, contact)


def _writing(page: str) -> str:
    found = WRITING.search(page)
    assert found, "the form carries no writing key"
    return found.group(1)


def _suggest(client: Client, writing: str, words: str = WORDS) -> list[dict[str, object]]:
    answer = client.get(reverse("portal_kb_suggest"), {"q": words, "writing": writing})
    assert answer.status_code == 200
    items: list[dict[str, object]] = answer.json()["items"]
    return items


def test_the_new_ticket_form_carries_the_suggestions(portal):
    page = portal.get(reverse("portal_ticket_new")).content.decode()
    writing = _writing(page)

    assert f'data-kb-suggest-url="{reverse("portal_kb_suggest")}"' in page
    assert 'data-kb-suggest-from="id_description"' in page
    assert f'data-kb-writing="{writing}"' in page
    assert "netdesk/portal-kb.js" in page
    # Each form as shown is a writing of its own.
    assert _writing(portal.get(reverse("portal_ticket_new")).content.decode()) != writing


def test_suggested_then_opened_then_a_ticket_anyway(portal, contact):
    shown = article("Router light red: no internet")
    writing = _writing(portal.get(reverse("portal_ticket_new")).content.decode())

    items = _suggest(portal, writing)
    _suggest(portal, writing, "router light red since this morning")  # counted once
    opened = portal.get(str(items[0]["url"]))
    posted = portal.post(
        reverse("portal_ticket_new"),
        {"service": "", "ticket_type": "fault", "description": WORDS, "writing": writing},
    )

    assert [item["id"] for item in items] == [shown.pk]
    assert items[0]["url"] == f"{reverse('portal_kb_article', args=[shown.pk])}?writing={writing}"
    assert opened.status_code == 200
    assert posted.status_code == 302
    (row,) = HelpSuggestion.objects.all()
    assert (row.contact_id, row.article_id, row.writing) == (contact.pk, shown.pk, writing)
    assert row.opened_at is not None
    assert row.ticket == Ticket.objects.get(customer=contact.customer)


def test_figures_count_writings_spared_and_not(portal, contact):
    article("Router light red: no internet")
    since = timezone.now() - timedelta(minutes=1)
    spared, ignored, anyway = (
        _writing(portal.get(reverse("portal_ticket_new")).content.decode()) for _ in range(3)
    )
    for writing in (spared, ignored, anyway):
        items = _suggest(portal, writing)
    portal.get(f"{reverse('portal_kb_article', args=[items[0]['id']])}?writing={spared}")
    portal.post(
        reverse("portal_ticket_new"),
        {"service": "", "ticket_type": "fault", "description": WORDS, "writing": anyway},
    )

    assert help_suggestion_figures(since=since) == HelpFigures(
        suggested=3, opened=1, ticket=1, spared=1
    )
    assert help_suggestion_figures(since=timezone.now()) == HelpFigures(0, 0, 0, 0)


def test_nothing_is_recorded_for_a_reader_not_signed_in(client):
    article("Router light red: no internet")

    items = _suggest(client, "0123456789abcdef")

    assert len(items) == 1
    assert "writing" not in str(items[0]["url"])
    assert not HelpSuggestion.objects.exists()


@pytest.mark.parametrize("writing", ["", "x" * 16, "0123456789ABCDEF", "0123", "'; drop"])
def test_a_key_the_form_did_not_make_records_nothing(portal, writing):
    article("Router light red: no internet")

    assert len(_suggest(portal, writing)) == 1
    assert not HelpSuggestion.objects.exists()


def test_another_contacts_writing_is_not_touched(portal, contact):
    shown = article("Router light red: no internet")
    other = sign_in(Client(), portal_contact())
    writing = _writing(other.get(reverse("portal_ticket_new")).content.decode())
    _suggest(other, writing)

    portal.get(f"{reverse('portal_kb_article', args=[shown.pk])}?writing={writing}")
    portal.post(
        reverse("portal_ticket_new"),
        {"service": "", "ticket_type": "fault", "description": WORDS, "writing": writing},
    )

    (row,) = HelpSuggestion.objects.all()
    assert row.contact_id != contact.pk
    assert (row.opened_at, row.ticket_id) == (None, None)


def test_a_ticket_without_suggestions_opens_as_before(portal, contact):
    posted = portal.post(
        reverse("portal_ticket_new"),
        {"service": "", "ticket_type": "information_request", "description": "A question"},
    )

    assert posted.status_code == 302
    assert Ticket.objects.filter(customer=contact.customer).count() == 1
    assert not HelpSuggestion.objects.exists()


def test_the_figures_are_printed_for_operators(portal):
    article("Router light red: no internet")
    writing = _writing(portal.get(reverse("portal_ticket_new")).content.decode())
    items = _suggest(portal, writing)
    portal.get(str(items[0]["url"]))
    out = StringIO()

    call_command("portal", "help-figures", "--days", "7", stdout=out)

    printed = out.getvalue()
    assert "in the last 7 days" in printed
    assert re.search(r"with suggestions\s+1\n", printed)
    assert re.search(r"a ticket opened anyway\s+0\n", printed)
    assert re.search(r"spared: article opened, no ticket\s+1", printed)
    with pytest.raises(CommandError, match="--days 0"):
        call_command("portal", "help-figures", "--days", "0")
