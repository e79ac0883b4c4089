"""How a contact is told: by e-mail or only in the portal, saved for the
signed-in contact alone; anything else refused, naming what is accepted."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from netdesk.core.errors import ValidationFailed
from netdesk.customers.models import Contact, NotifyBy
from netdesk.portal.services.preferences import contact_notify_by_set
from netdesk.portal.tests.helpers_signin import contact_of, signed_in_client, subscriber

pytestmark = pytest.mark.django_db


def test_the_page_shows_the_current_choice_with_labels():
    contact = subscriber(email="ann@example.net")
    page = signed_in_client(contact).get(reverse("portal_preferences")).content.decode()
    assert "<legend>How we tell you about your tickets:</legend>" in page
    assert '<label for="id_notify_by_0">' in page
    assert 'value="email" required id="id_notify_by_0" checked>' in page
    assert 'value="portal" required id="id_notify_by_1">' in page
    assert "Mail goes to ann@example.net." in page


def test_a_choice_is_saved_for_the_signed_in_contact_only():
    contact = subscriber()
    partner = contact_of(contact.customer, new=True)
    client = signed_in_client(contact)
    answer = client.post(reverse("portal_preferences"), {"notify_by": NotifyBy.PORTAL_ONLY})
    assert answer.status_code == 302
    assert answer["Location"] == reverse("portal_preferences")
    assert Contact.objects.get(pk=contact.pk).notify_by == NotifyBy.PORTAL_ONLY
    assert Contact.objects.get(pk=partner.pk).notify_by == NotifyBy.EMAIL
    page = client.get(reverse("portal_preferences")).content.decode()
    assert "Saved" in page
    client.post(reverse("portal_preferences"), {"notify_by": NotifyBy.EMAIL})
    assert Contact.objects.get(pk=contact.pk).notify_by == NotifyBy.EMAIL


def test_an_unknown_way_is_refused():
    contact = subscriber()
    client = signed_in_client(contact)
    answer = client.post(reverse("portal_preferences"), {"notify_by": "carrier-pigeon"})
    assert answer.status_code == 400
    assert b"Select a valid choice" in answer.content
    assert Contact.objects.get(pk=contact.pk).notify_by == NotifyBy.EMAIL
    with pytest.raises(ValidationFailed, match="notify_by 'sms'") as refused:
        contact_notify_by_set(contact=contact, notify_by="sms")
    assert refused.value.accepted == ["email", "portal"]


def test_signed_out_nothing_is_saved():
    contact = subscriber()
    answer = Client().post(reverse("portal_preferences"), {"notify_by": NotifyBy.PORTAL_ONLY})
    assert answer.status_code == 302
    assert Contact.objects.get(pk=contact.pk).notify_by == NotifyBy.EMAIL
