"""The mailbox administration in a real browser, under the desk's
Content-Security-Policy: a manager creates a mailbox from the menu, then
edits a message template and the preview follows the typing."""

from __future__ import annotations

import os

import pytest

from netdesk.accounts.models import Role
from netdesk.channels.models import Mailbox
from netdesk.channels.services.templates import templates_restore
from tests import factories as f
from tests.browser.test_agent_flow import (  # noqa: F401
    CHROMIUM,
    browser_page,
    default_desk,
    log_in,
)

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not os.path.exists(CHROMIUM), reason=f"no Chromium at {CHROMIUM} to drive"),
]


@pytest.mark.django_db(transaction=True)
def test_a_manager_adds_a_mailbox_and_previews_a_template_as_they_type(
    live_server,
    browser_page,  # noqa: F811
):
    page = browser_page
    base = live_server.url
    violations: list[str] = []
    page.on(
        "console",
        lambda message: (
            violations.append(message.text) if "Content Security Policy" in message.text else None
        ),
    )
    # Given a service desk manager and the built-in templates (a flushed
    # database lost the ones the migration installed)
    templates_restore(actor=None)
    manager = f.user(Role.SERVICE_DESK_MANAGER, username="mira")
    ticket = f.ticket(manager, f.customer(name="Café Morgenrot"), title="Router blinks red")
    log_in(page, base, manager.username)

    # When they add a mailbox fed by a pipe from the Mail page
    page.get_by_role("link", name="Mail").click()
    page.get_by_role("link", name="New mailbox").click()
    page.locator("#id_name").fill("support")
    page.locator("#id_address").fill("support@isp.example")
    page.get_by_role("button", name="Save").click()

    # Then it is listed, fed by the MTA pipe
    page.get_by_text("Mailbox support saved.").wait_for()
    assert Mailbox.objects.get(name="support").imap_host == ""
    page.get_by_role("link", name="All mailboxes").click()
    page.get_by_text("MTA pipe").wait_for()

    # When they open a template and type, the preview follows with the ticket named
    page.get_by_role("link", name="Message templates").click()
    page.locator('a[href="/channels/templates/acknowledgement/en/"]').click()
    page.locator("#template-preview").get_by_text("We received your request").wait_for()
    page.get_by_label("Preview with ticket").fill(ticket.reference)
    page.locator("#id_subject").fill("[{{ ticket.reference }}] Got it: {{ ticket.title }}")
    page.locator("#template-preview").get_by_text(
        f"[{ticket.reference}] Got it: Router blinks red"
    ).wait_for()
    # and an error shows there as they make it
    page.locator("#id_body").fill("{{ ticket.nonsense }}")
    page.locator("#template-preview").get_by_text("messages have no variable").wait_for()

    assert violations == []
