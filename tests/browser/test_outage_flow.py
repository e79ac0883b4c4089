"""During an outage: the NOC posts an update, the hotline operator sees the
network banner on the caller's 360, the new fault joins the incident, and the
NOC resolves it with its children — in a real Chromium against a live server."""

from __future__ import annotations

import pytest

from netdesk.accounts.models import Role, TierKind
from netdesk.noc.models import IncidentTicket
from netdesk.noc.services.incidents import incident_create
from netdesk.tickets.models import Ticket
from tests import factories as f
from tests.browser.test_agent_flow import browser_page, default_desk, log_in  # noqa: F401

pytestmark = [pytest.mark.browser]


@pytest.mark.django_db(transaction=True)
def test_outage_banner_child_ticket_and_resolution(live_server, browser_page):  # noqa: F811
    page = browser_page
    base = live_server.url
    f.user(Role.HOTLINE_OPERATOR, username="hanna")
    noc = f.user(Role.NOC_ENGINEER, groups=[f.group(TierKind.SECOND_LINE)], username="nils")
    core = f.element("CORE-B")
    node = f.element("Node X", upstream=core)
    caller = f.customer(name="Kiosk am Markt", phone="+49 30 1112223")
    line = f.service(caller, access_element=node)
    incident = incident_create(
        actor=noc, title="Fibre cut at Node X", detected_by="manual", root_element=node
    )

    # The NOC posts the customer wording and an ETA from the incident page.
    log_in(page, base, "nils")
    page.goto(f"{base}/noc/incidents/{incident.reference}/")
    page.get_by_label("State").select_option("identified")
    page.get_by_label("For customers").fill("Roadworks cut a cable; back by 14:30.")
    page.get_by_role("button", name="Post update").click()
    page.get_by_text(f"{incident.reference} updated").wait_for()
    page.get_by_role("button", name="Log out").click()

    # The operator finds the caller: the banner tells what to say.
    log_in(page, base, "hanna")
    page.goto(f"{base}/customers/{caller.pk}/")
    banner = page.locator("section#network-status")
    banner.get_by_text(f"Affected by {incident.reference}").wait_for()
    assert "Roadworks cut a cable; back by 14:30." in banner.inner_text()

    # The fault ticket from this call joins the incident by itself; its form
    # repeats the warning, with the only contact already chosen.
    page.get_by_role("link", name="New ticket for this call").click()
    page.locator("section#network-status").get_by_text(
        f"Affected by {incident.reference}"
    ).wait_for()
    assert page.get_by_label("Contact").input_value() != ""
    page.get_by_label("Type").select_option("fault")
    page.get_by_label("Affected service").select_option(str(line.pk))
    page.get_by_label("Title").fill("No internet")
    page.get_by_label("Minutes").fill("2")
    page.get_by_label("What was said").fill("Told the caller about the cable cut")
    page.get_by_role("button", name="Create ticket").click()
    page.wait_for_url(f"{base}/tickets/TT-*/")
    page.locator("section#network-panel").get_by_text(f"Child of {incident.reference}").wait_for()
    ticket = Ticket.objects.get(customer=caller)
    assert IncidentTicket.objects.filter(incident=incident, ticket=ticket).exists()
    page.get_by_role("button", name="Log out").click()

    # The NOC resolves the incident and its children with one message.
    log_in(page, base, "nils")
    page.goto(f"{base}/noc/incidents/{incident.reference}/")
    page.locator("summary", has_text="Resolve").click()
    page.get_by_label("Root cause").select_option("fibre_cut")
    page.get_by_label("Message to customers").fill("Service is back. Sorry for the outage.")
    page.get_by_label("Resolve the linked tickets with this message").check()
    page.get_by_role("button", name="Resolve incident").click()
    page.get_by_text(f"{incident.reference} resolved.").wait_for()
    ticket.refresh_from_db()
    assert (ticket.status, ticket.resolution_code) == ("resolved", "network_restored")


@pytest.mark.django_db(transaction=True)
def test_board_unassigned_alarm_and_a_dismissed_hint(live_server, browser_page):  # noqa: F811
    from datetime import timedelta

    from django.utils import timezone

    from netdesk.noc.models import Alarm, OutageConfidence, SuspectedOutage

    page = browser_page
    base = live_server.url
    f.user(Role.NOC_ENGINEER, groups=[f.group(TierKind.SECOND_LINE)], username="nils")
    node = f.element("Node Y", upstream=f.element("CORE-C"))
    now = timezone.now()
    Alarm.objects.create(
        fingerprint="unknown-1",
        source="generic",
        element_ref="10.9.9.9",
        name="LinkDown",
        first_seen=now,
        last_seen=now,
    )
    hint = SuspectedOutage.objects.create(
        element=node,
        confidence=OutageConfidence.HINT,
        level=2,
        raised_at=now,
        window_start=now - timedelta(minutes=30),
        complaints=1,
        expected=0.01,
        score=3.0,
    )

    # The board counts the alarm no incident holds and says why.
    log_in(page, base, "nils")
    page.goto(f"{base}/noc/")
    page.locator("#unassigned-alarms").get_by_text("unknown element").wait_for()

    # The hint sits in its own list, with its level, and is dismissed there.
    hints = page.locator("section[aria-label='Worth a look']")
    hints.get_by_text("level 2").wait_for()
    hints.locator("summary", has_text="Decide").click()
    hints.get_by_label("Why not an outage").fill("The customer's own router")
    hints.get_by_role("button", name="Dismiss").click()
    page.get_by_text("Dismissed;").wait_for()
    hint.refresh_from_db()
    assert hint.state == "dismissed"

    # The count links to the list of unassigned alarms.
    page.get_by_role("link", name="1 unassigned alarm", exact=True).click()
    page.wait_for_url(f"{base}/noc/alarms/?unassigned=1")
    page.get_by_text("10.9.9.9").wait_for()
