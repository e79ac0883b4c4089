"""The portal on a phone in a real Chromium: signing in with account number
and PIN by keyboard alone (skip link first, focus always visible), no page
wider than the screen, and text contrast of at least 4.5:1 (WCAG AA)."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from netdesk.noc.models import DetectedBy
from netdesk.noc.services.incidents import incident_create
from netdesk.portal.services.pins import portal_pin_set
from netdesk.portal.tests.helpers_signin import subscriber
from tests import factories as f
from tests.browser.test_agent_flow import browser_page, default_desk  # noqa: F401

pytestmark = [pytest.mark.browser]

PHONE = {"width": 375, "height": 740}
PIN = "24681357"

# The contrast of each visible text element against the background it is
# drawn on (the first opaque one up the tree): the lowest ratio and where.
LOWEST_CONTRAST = """
() => {
  const channel = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; };
  const rgb = (text) => (text.match(/[\\d.]+/g) || []).map(Number);
  const luminance = ([r, g, b]) => 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b);
  const background = (el) => {
    for (let node = el; node; node = node.parentElement) {
      const c = rgb(getComputedStyle(node).backgroundColor);
      if (c.length === 3 || (c.length === 4 && c[3] > 0.9)) return c.slice(0, 3);
    }
    return [255, 255, 255];
  };
  let worst = {ratio: 21, where: ""};
  for (const el of document.querySelectorAll("body *")) {
    const own = [...el.childNodes].some((n) => n.nodeType === 3 && n.textContent.trim());
    if (!own || !el.getClientRects().length) continue;
    const style = getComputedStyle(el);
    if (style.visibility === "hidden" || el.closest("[hidden]")) continue;
    const a = luminance(rgb(style.color).slice(0, 3)), b = luminance(background(el));
    const ratio = (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
    if (ratio < worst.ratio) worst = {ratio, where: el.outerHTML.slice(0, 120)};
  }
  return worst;
}
"""
FOCUS_SEEN = """
() => {
  const el = document.activeElement;
  const style = getComputedStyle(el);
  return {tag: el.tagName, text: (el.textContent || el.name || "").trim().slice(0, 40),
          outline: style.outlineStyle !== "none" && parseFloat(style.outlineWidth) >= 2};
}
"""
FITS = "() => document.documentElement.scrollWidth <= window.innerWidth"


def _check_page(page) -> None:
    assert page.evaluate(FITS), "the page is wider than the phone's screen"
    worst = page.evaluate(LOWEST_CONTRAST)
    assert worst["ratio"] >= 4.5, worst


def _tab_to(page, pattern: str, most: int = 15) -> dict[str, object]:
    for _ in range(most):
        page.keyboard.press("Tab")
        focused = page.evaluate(FOCUS_SEEN)
        if re.search(pattern, focused["text"]):
            assert focused["outline"], f"focus on {focused} is not visible"
            return focused
    raise AssertionError(f"no element matching {pattern!r} within {most} tabs")


@pytest.mark.django_db(transaction=True)
def test_a_subscriber_signs_in_by_keyboard_on_a_phone(live_server, browser_page):  # noqa: F811
    page = browser_page
    base = live_server.url
    page.set_viewport_size(PHONE)
    contact = subscriber(account_number="AC5550001")
    portal_pin_set(customer=contact.customer, pin=PIN)
    down = f.element("Node Hafen")
    f.service(contact.customer, product="Fibre 250", access_element=down)
    f.service(contact.customer, product="Fibre 50")
    incident_create(
        actor=None,
        title="LinkDown Node Hafen",
        detected_by=DetectedBy.ALARM,
        root_element=down,
        customer_description="A cable was damaged during building work.",
        eta=timezone.now() + timedelta(hours=2),
    )

    page.goto(f"{base}/portal/sign-in/")
    _check_page(page)
    # The first Tab reaches the skip link, and it shows itself.
    page.keyboard.press("Tab")
    skip = page.evaluate(FOCUS_SEEN)
    assert skip["text"] == "Skip to content"
    assert page.get_by_role("link", name="Skip to content").is_visible()
    _tab_to(page, "account number and PIN")
    page.keyboard.press("Enter")
    page.wait_for_url(f"{base}/portal/sign-in/pin/")
    _check_page(page)

    # The account number, the PIN, Enter signs in.
    _tab_to(page, "^account$")
    page.keyboard.type("ac5550001")
    page.keyboard.press("Tab")
    page.keyboard.type("00000000")
    page.keyboard.press("Enter")
    page.get_by_text("The account number or the PIN is not right.").wait_for()
    page.get_by_label("PIN:", exact=True).fill(PIN)
    page.get_by_label("PIN:", exact=True).press("Enter")
    page.wait_for_url(f"{base}/portal/")
    page.get_by_text("A cable was damaged during building work.").wait_for()
    assert page.get_by_text("No known problem").is_visible()
    _check_page(page)

    # The preferences by keyboard: the menu link, a radio choice, Save.
    page.keyboard.press("Tab")
    _tab_to(page, "How we tell you")
    page.keyboard.press("Enter")
    page.wait_for_url(f"{base}/portal/preferences/")
    page.get_by_label(re.compile("Only here in the portal")).check()
    page.get_by_role("button", name="Save").press("Enter")
    page.get_by_text("Saved").wait_for()
    _check_page(page)
    contact.refresh_from_db()
    assert contact.notify_by == "portal"

    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url(f"{base}/portal/sign-in/")
    page.goto(f"{base}/portal/")
    page.wait_for_url(re.compile(r"/portal/sign-in/\?next="))
