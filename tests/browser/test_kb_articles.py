"""Knowledge articles through the screens: an agent writes an article and
watches the preview follow the Markdown, saves it as a draft, adds an image
(a file that only pretends to be one is refused), sends it to review; a
team lead publishes it — in a real Chromium against a live server."""

from __future__ import annotations

import os
import re

import pytest

from netdesk.accounts.models import Role
from netdesk.knowledge.models import Article, ArticleAttachment, ArticleState
from tests import factories as f
from tests.browser.test_agent_flow import CHROMIUM, browser_page, default_desk, log_in  # noqa: F401

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not os.path.exists(CHROMIUM), reason=f"no Chromium at {CHROMIUM} to drive"),
]

PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\xff\xff?\x00\x05\xfe\x02\xfe\xa75\x81\x84\x00\x00\x00\x00IEND\xaeB`\x82"


def log_out(page) -> None:
    page.get_by_role("button", name="Log out").click()


@pytest.mark.django_db(transaction=True)
def test_agent_writes_with_preview_and_a_lead_publishes(live_server, browser_page, tmp_path):  # noqa: F811
    page = browser_page
    # Uploads and the preview's round trips on a busy test machine.
    page.set_default_timeout(20_000)
    base = live_server.url
    # The pages, their preview and the article's images run under the
    # desk's content policy without a violation.
    violations: list[str] = []
    page.on(
        "console",
        lambda message: (
            violations.append(message.text) if "Content Security Policy" in message.text else None
        ),
    )
    # Given an agent and a team lead
    f.user(Role.HOTLINE_OPERATOR, username="olga", first_name="Olga", last_name="Brandt")
    f.user(Role.TEAM_LEAD, username="lars", first_name="Lars", last_name="Meyer")

    # When the agent opens the knowledge base from the menu and starts an article
    log_in(page, base, "olga")
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Knowledge").click()
    page.get_by_role("heading", name="Knowledge").wait_for()
    page.get_by_role("link", name="New article").click()
    page.get_by_label("Title").fill("Fibre box shows a red LOS light")
    body = page.get_by_label("Body")
    body.fill("## Symptoms\n\nThe **LOS** light is red.")

    # Then the preview follows what is typed, rendered and sanitised
    preview = page.locator("#article-preview")
    preview.locator("h2", has_text="Symptoms").wait_for()
    preview.locator("strong", has_text="LOS").wait_for()
    body.press("End")
    body.type("\n\n1. Check the fibre cable <script>window.bad=1</script>")
    preview.locator("ol li", has_text="Check the fibre cable").wait_for()
    assert page.evaluate("window.bad === undefined")
    assert preview.locator("script").count() == 0

    # When the agent fills the fields and saves
    page.get_by_label("Language").fill("en")
    page.get_by_label("Fibre (FTTH)").check()
    page.get_by_label("Tags").fill("fibre, los")
    page.get_by_label("Change note").fill("first cut from today's calls")
    page.get_by_role("button", name="Save").click()

    # Then the article page shows the draft with its fields
    page.get_by_role("heading", name="Fibre box shows a red LOS light").wait_for()
    article = Article.objects.get(title="Fibre box shows a red LOS light")
    assert article.state == ArticleState.DRAFT
    assert article.technologies == ["ftth"]
    page.locator('[data-state="draft"]').wait_for()
    assert page.get_by_role("button", name="Publish").count() == 0

    # When the agent uploads a "picture" that is really text, it is refused
    fake = tmp_path / "los.png"
    fake.write_text("not a picture at all\n")
    page.get_by_label("File or image").set_input_files(str(fake))
    page.get_by_role("button", name="Upload").click()
    page.get_by_text(re.compile(r"los\.png is refused: .*its content is text")).wait_for()
    assert not ArticleAttachment.objects.exists()

    # When a real picture is uploaded and shown in the text
    real = tmp_path / "los-light.png"
    real.write_bytes(PNG)
    page.get_by_label("File or image").set_input_files(str(real))
    page.get_by_role("button", name="Upload").click()
    page.get_by_text("los-light.png added").wait_for()
    page.get_by_role("link", name="Edit").click()
    body = page.get_by_label("Body")
    body.press("Control+End")
    body.type("\n\n![The LOS light](attachment:los-light.png)")
    image = page.locator('#article-preview img[alt="The LOS light"]')
    image.wait_for()
    assert (
        page.evaluate(
            "async () => { const i = document.querySelector('#article-preview img');"
            " await i.decode(); return i.naturalWidth; }"
        )
        == 1
    )
    page.get_by_role("button", name="Save").click()
    page.locator('article img[alt="The LOS light"]').wait_for()

    # And sends it to review
    page.get_by_role("button", name="Send to review").click()
    page.locator('[data-state="review"]').wait_for()
    log_out(page)

    # When the team lead opens it from the list's review filter and publishes it
    log_in(page, base, "lars")
    page.goto(f"{base}/kb/?state=review")
    page.get_by_role("link", name="Fibre box shows a red LOS light").click()
    page.get_by_role("button", name="Publish").click()

    # Then it is published, with its versions in the history
    page.locator('[data-state="published"]').wait_for()
    article.refresh_from_db()
    assert article.state == ArticleState.PUBLISHED
    page.get_by_role("link", name="History").click()
    page.get_by_role("cell", name="first cut from today's calls").wait_for()
    assert page.locator("tr[data-version]").count() == article.version
    assert violations == []
