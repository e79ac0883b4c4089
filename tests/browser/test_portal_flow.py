"""A subscriber signs in to the portal by a mailed link (the mail caught by
a real SMTP server), sees the outage on their service, opens a ticket
anyway, an agent answers it on the desk, and the subscriber reads the
answer — in a real Chromium against a live server, two browser contexts."""

from __future__ import annotations

import re
from datetime import timedelta
from email import message_from_bytes
from email.policy import default as default_policy

import pytest
from django.utils import timezone

from netdesk.accounts.models import Role, TierKind
from netdesk.channels.services.delivery import outbound_deliver_due
from netdesk.customers.models import Contact
from netdesk.noc.services.incidents import incident_create, incident_update
from netdesk.portal.models import Deflection, DeflectionOutcome
from netdesk.tickets.models import Ticket
from tests import factories as f
from tests.browser.test_agent_flow import browser_page, default_desk, log_in  # noqa: F401

pytestmark = [pytest.mark.browser]

WORDING = "A digger cut a fibre in Lindenstraße; we expect it back this afternoon."
LINK = re.compile(r"https?://\S+/portal/sign-in/link/[^/\s]+/")


def _mailed_link(sink, address: str) -> str:
    """The sign-in link in the mail the SMTP server took for `address`."""
    outbound_deliver_due()
    for message in sink.messages:
        mail = message_from_bytes(message.raw, policy=default_policy)
        if address in str(mail["To"]):
            body = mail.get_body(preferencelist=("plain",))
            found = LINK.search(body.get_content()) if body is not None else None
            if found:
                return found.group(0)
    raise AssertionError(f"no sign-in link mailed to {address}")


@pytest.mark.django_db(transaction=True)
def test_subscriber_opens_a_ticket_despite_the_outage_and_reads_the_answer(
    live_server,
    browser_page,  # noqa: F811
    mail_settings,
):
    page = browser_page
    # Two browsers, a mail server and the desk share the machine: give pages time.
    page.set_default_timeout(30_000)
    base = live_server.url
    # Given a subscriber whose fibre hangs off a node the NOC has an incident for
    agent = f.user(Role.HOTLINE_OPERATOR, username="anja")
    noc = f.user(Role.NOC_ENGINEER, groups=[f.group(TierKind.SECOND_LINE)], username="noah")
    node = f.element("Node Lindenstraße")
    customer = f.customer(name="Petra Brandt")
    contact = Contact.objects.get(customer=customer)
    contact.email, contact.verified = "petra@example.net", True
    contact.save(update_fields=["email", "verified"])
    line = f.service(customer, product="Fibre 250", access_element=node)
    incident = incident_create(
        actor=noc, title="Fibre cut Lindenstraße", detected_by="manual", root_element=node
    )
    incident_update(
        actor=noc,
        incident=incident,
        state="identified",
        customer_message=WORDING,
        eta=timezone.now() + timedelta(hours=4),
    )

    # When the subscriber asks for a sign-in link and follows the mailed one
    page.goto(f"{base}/portal/sign-in/")
    page.get_by_label("Your e-mail address").fill("petra@example.net")
    page.get_by_role("button", name=re.compile("link", re.IGNORECASE)).click()
    page.wait_for_url(f"{base}/portal/sign-in/sent/")
    link = _mailed_link(mail_settings, "petra@example.net")
    page.goto(base + link[link.index("/portal/") :])
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{base}/portal/")

    # Then their service shows the outage
    service_card = page.locator(".service", has_text="Fibre 250")
    service_card.get_by_text(incident.reference).wait_for()
    assert WORDING in service_card.inner_text()

    # When they start a ticket for it, the outage is told first ...
    page.get_by_role("link", name="New ticket").click()
    page.get_by_label("Which service is it about?").select_option(line.service_id)
    page.get_by_role("button", name="Next").click()
    outage = page.locator("#outage")
    outage.get_by_text(WORDING).wait_for()
    assert page.get_by_role("button", name="Tell me when it is fixed").is_visible()

    # ... and they open one anyway
    page.get_by_role("button", name="Open a ticket anyway").click()
    page.get_by_label("What is it about?").select_option("fault")
    page.get_by_label("Tell us what happened").fill(
        "No internet at all since 9:00.\nI work from home and need it today."
    )
    page.get_by_role("button", name="Open the ticket").click()
    page.wait_for_url(re.compile(rf"{re.escape(base)}/portal/tickets/[^/]+/$"))
    page.get_by_text("your ticket was opened").wait_for()
    ticket = Ticket.objects.get(customer=customer)
    assert ticket.title == "No internet at all since 9:00."
    deflection = Deflection.objects.get(incident=incident)
    assert (deflection.outcome, deflection.ticket_id) == (
        DeflectionOutcome.OPENED_ANYWAY,
        ticket.pk,
    )

    # When an agent answers it on the desk, in a browser of their own
    desk = page.context.browser.new_context().new_page()
    desk.set_default_timeout(30_000)
    log_in(desk, base, agent.username)
    desk.goto(f"{base}/tickets/{ticket.reference}/")
    desk.get_by_role("navigation", name="Main actions").get_by_role(
        "link", name="Reply", exact=True
    ).click()
    reply = desk.locator("#action-comment")
    assert reply.locator("#id_comment-visibility").input_value() == "public"
    reply.get_by_label("Text").fill("A technician splices the fibre now; back by 15:00.")
    reply.get_by_role("button", name="Note or reply").click()
    desk.get_by_text("Reply to customer added.").wait_for()

    # Then the subscriber reads the answer on their ticket
    page.reload()
    conversation = page.locator("#conversation")
    conversation.get_by_text("A technician splices the fibre now; back by 15:00.").wait_for()
    assert "No internet at all since 9:00." in page.inner_text("main")
    # ... and the agent sees the subscriber's ticket as theirs, from the portal
    desk.reload()
    assert "Web portal" in desk.inner_text("main")
