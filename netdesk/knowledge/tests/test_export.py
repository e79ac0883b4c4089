"""`netdesk kb export`: what it writes, `netdesk kb import` reads back into
an empty knowledge base as the same articles."""

from __future__ import annotations

import csv
import json
from datetime import date
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from netdesk.accounts.models import Role
from netdesk.knowledge.models import Article, ArticleState, SearchDocument, Tag
from netdesk.knowledge.services.articles import article_create
from netdesk.tickets.choices import TicketType
from netdesk.tickets.models import Category
from tests import factories as f

pytestmark = pytest.mark.django_db


def articles() -> list[Article]:
    owner = f.user(Role.TEAM_LEAD, username="kb-owner")
    no_internet = Category.objects.create(name="No internet", ticket_type=TicketType.FAULT)
    # Two ticket types share this name: exported as "type/name".
    Category.objects.create(name="Billing", ticket_type=TicketType.FAULT)
    billing = Category.objects.create(name="Billing", ticket_type=TicketType.BILLING_INQUIRY)
    return [
        article_create(
            actor=None,
            title="Router LEDs: what they mean",
            body="# Lights\n\n- **DSL** blinks: training\n- red: no sync\n\n```\nping 1.1.1.1\n```",
            audience="public",
            language="en",
            tags=["router", "led"],
            products=["Fibre 500", "DSL 100, business"],
            technologies=["ftth", "vdsl"],
            category_ids=[no_internet.pk],
            owner=owner,
            review_on=date(2027, 1, 31),
            external_id="guide/router.md",
            state=ArticleState.PUBLISHED,
        ),
        article_create(
            actor=None,
            title="=Rechnung: Gutschrift",
            body='-5 € Gutschrift: "Anführungszeichen", Kommas, und; Semikolons.\nZweite Zeile.',
            language="de",
            tags=["rechnung"],
            category_ids=[billing.pk],
            state=ArticleState.REVIEW,
        ),
        article_create(actor=None, title="Retired: old modem", body="Gone.", state="retired"),
    ]


def snapshot(article: Article) -> dict[str, Any]:
    return {
        "title": article.title,
        "body": article.body,
        "audience": article.audience,
        "language": article.language,
        "state": article.state,
        "tags": sorted(t.name for t in article.tags.all()),
        "products": article.products,
        "technologies": article.technologies,
        "categories": sorted(c.pk for c in article.categories.all()),
        "owner": article.owner_id,
        "review_on": article.review_on,
    }


def export(path: Path, *extra: str) -> str:
    out = StringIO()
    call_command("kb", "export", str(path), *extra, stdout=out)
    return out.getvalue()


@pytest.mark.parametrize("name", ["export-folder", "articles.jsonl", "articles.csv"])
def test_export_then_import_into_an_empty_base_gives_the_same_articles(tmp_path, name):
    made = articles()
    before = {a.title: snapshot(a) for a in made}
    references = {a.title: a.reference for a in made}
    path = tmp_path / name
    assert "Exported 3 articles" in export(path)
    Article.objects.all().delete()
    Tag.objects.all().delete()
    SearchDocument.objects.all().delete()
    out = StringIO()
    call_command("kb", "import", str(path), "--no-progress", stdout=out)
    assert "created 3, updated 0, unchanged 0, skipped 0" in out.getvalue()
    after = {a.title: snapshot(a) for a in Article.objects.all()}
    assert after == before
    ids = dict(Article.objects.values_list("title", "external_id"))
    assert ids["Router LEDs: what they mean"] == "guide/router.md"
    # Articles without an external id carry their old reference.
    assert ids["Retired: old modem"] == references["Retired: old modem"]
    again = StringIO()
    call_command("kb", "import", str(path), "--no-progress", stdout=again)
    assert "created 0, updated 0, unchanged 3, skipped 0" in again.getvalue()


def test_import_of_an_export_updates_the_same_articles_in_place(tmp_path):
    made = articles()
    path = tmp_path / "articles.jsonl"
    export(path)
    rows = [json.loads(line) for line in path.read_text().splitlines()]
    rows[1]["body"] = "Neue Schritte."
    path.write_text("".join(json.dumps(row) + "\n" for row in rows))
    out = StringIO()
    call_command("kb", "import", str(path), "--no-progress", stdout=out)
    assert "created 0, updated 1, unchanged 2" in out.getvalue()
    edited = Article.objects.get(pk=made[1].pk)
    assert (edited.body, edited.version, edited.external_id) == ("Neue Schritte.", 2, "")


def test_markdown_files_carry_front_matter(tmp_path):
    made = articles()
    export(tmp_path / "out")
    files = sorted(p.name for p in (tmp_path / "out").iterdir())
    assert files[0] == f"{made[0].reference}-router-leds-what-they-mean.md"
    text = (tmp_path / "out" / files[0]).read_text()
    assert text.startswith("---\ntitle: 'Router LEDs: what they mean'\n")
    assert "external_id: guide/router.md\n" in text
    assert "categories:\n- No internet\n" in text
    assert "review_on: 2027-01-31\n" in text


def test_csv_quotes_formulas_and_joins_lists(tmp_path):
    articles()
    export(tmp_path / "a.csv")
    with (tmp_path / "a.csv").open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert rows[1]["title"] == "'=Rechnung: Gutschrift"
    assert rows[0]["technologies"] == "ftth; vdsl"
    assert rows[1]["categories"] == "billing_inquiry/Billing"


def test_filters_and_stdout(tmp_path):
    articles()
    out = StringIO()
    call_command("kb", "export", "-", "--format", "jsonl", "--state", "published", stdout=out)
    lines = out.getvalue().splitlines()
    assert [json.loads(line)["title"] for line in lines] == ["Router LEDs: what they mean"]


def test_markdown_export_refuses_a_folder_with_files(tmp_path):
    (tmp_path / "keep.txt").write_text("mine")
    with pytest.raises(CommandError, match="new or empty folder"):
        export(tmp_path)
