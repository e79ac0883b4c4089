"""`netdesk kb import`: folders of Markdown and HTML, CSV and JSON Lines,
updates by external id, and every reason a row is skipped."""

from __future__ import annotations

import json
from datetime import date
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from netdesk.accounts.models import Role
from netdesk.knowledge.importing import ImportOptions, import_articles
from netdesk.knowledge.models import Article, ArticleState, DocumentKind, SearchDocument
from netdesk.tickets.choices import TicketType
from netdesk.tickets.models import Category
from tests import factories as f

pytestmark = pytest.mark.django_db

ROUTER = """---
title: Router LEDs and what they mean
audience: public
language: en
tags: [Router, LED]
products: [Fibre 500]
technologies: [ftth]
categories: [No internet]
owner: kb-owner
review_on: 2027-03-01
state: published
---

The **DSL** light blinks: the line is training.
"""


def write(folder: Path, name: str, text: str | bytes) -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


def run(*args: str) -> str:
    out = StringIO()
    call_command("kb", "import", *args, "--no-progress", stdout=out)
    return out.getvalue()


def reasons(result) -> dict[str, str]:
    return {skip.where: skip.reason for skip in result.skipped}


@pytest.fixture
def owner():
    return f.user(Role.TEAM_LEAD, username="kb-owner")


@pytest.fixture
def no_internet():
    return Category.objects.create(name="No internet", ticket_type=TicketType.FAULT)


def test_folder_of_markdown_and_html_sets_every_field(tmp_path, owner, no_internet):
    write(tmp_path, "router/leds.md", ROUTER)
    write(tmp_path, "dns.md", "# DNS does not resolve\n\nSet 9.9.9.9 as the resolver.\n")
    write(
        tmp_path,
        "wifi.html",
        "<html><head><title>Wi-Fi channels</title></head><body><h1>Wi-Fi channels</h1>"
        "<p>Pick <b>1, 6 or 11</b>.</p><ul><li>2.4 GHz</li><li>5 GHz</li></ul></body></html>",
    )
    write(tmp_path, ".hidden/notes.md", "# Not an article\n\nhidden")
    result = import_articles(tmp_path, ImportOptions())
    assert (result.created, result.skipped) == (3, [])
    router = Article.objects.get(external_id="router/leds.md")
    assert router.title == "Router LEDs and what they mean"
    assert router.body == "The **DSL** light blinks: the line is training."
    assert (router.audience, router.language, router.state) == ("public", "en", "published")
    assert sorted(t.name for t in router.tags.all()) == ["led", "router"]
    assert (router.products, router.technologies) == (["Fibre 500"], ["ftth"])
    assert list(router.categories.all()) == [no_internet]
    assert router.owner == owner
    assert router.review_on == date(2027, 3, 1)
    dns = Article.objects.get(external_id="dns.md")
    assert (dns.title, dns.body) == ("DNS does not resolve", "Set 9.9.9.9 as the resolver.")
    assert (dns.state, dns.audience) == (ArticleState.DRAFT, "internal")
    wifi = Article.objects.get(external_id="wifi.html")
    assert wifi.title == "Wi-Fi channels"
    assert wifi.body == "Pick **1, 6 or 11**.\n\n- 2.4 GHz\n- 5 GHz"
    document = SearchDocument.objects.get(kind=DocumentKind.ARTICLE, object_id=router.pk)
    assert document.live is True


def test_reimport_updates_by_external_id_and_unchanged_rows_write_no_version(tmp_path, owner):
    write(tmp_path, "a.md", "---\ntitle: A\nexternal_id: kb-a\n---\nFirst text.")
    write(tmp_path, "b.md", "---\ntitle: B\nexternal_id: kb-b\n---\nStays.")
    import_articles(tmp_path, ImportOptions())
    write(tmp_path, "a.md", "---\ntitle: A\nexternal_id: kb-a\nstate: review\n---\nSecond text.")
    result = import_articles(tmp_path, ImportOptions())
    assert (result.created, result.updated, result.unchanged) == (0, 1, 1)
    a = Article.objects.get(external_id="kb-a")
    assert (a.body, a.state) == ("Second text.", ArticleState.REVIEW)
    assert Article.objects.get(external_id="kb-b").version == 1
    assert Article.objects.count() == 2


def test_published_article_moved_to_review_goes_by_draft(tmp_path):
    path = write(tmp_path, "a.jsonl", json.dumps({"title": "T", "body": "B", "external_id": "x"}))
    import_articles(path, ImportOptions(state=ArticleState.PUBLISHED))
    path.write_text(json.dumps({"title": "T", "body": "B", "external_id": "x", "state": "review"}))
    result = import_articles(path, ImportOptions())
    assert result.updated == 1
    assert Article.objects.get().state == ArticleState.REVIEW


def test_state_and_audience_options_apply_to_rows_that_name_none(tmp_path):
    path = write(
        tmp_path,
        "rows.csv",
        "title,body,external_id,state\nOne,Text,1,\nTwo,Text,2,review\n",
    )
    import_articles(path, ImportOptions(state="published", audience="public"))
    states = dict(Article.objects.values_list("external_id", "state"))
    assert states == {"1": "published", "2": "review"}
    assert set(Article.objects.values_list("audience", flat=True)) == {"public"}


def test_csv_lists_quotes_and_extra_columns(tmp_path):
    path = write(
        tmp_path,
        "rows.csv",
        "\ufeffTitle,Body,Tags,Technologies,Products,Views\n"
        '\'=SUM advice,\'-1 is not a number,"dhcp, pppoe; dns","vdsl, ftth",Fibre 500; DSL 100,7\n',
    )
    result = import_articles(path, ImportOptions())
    assert result.created == 1
    article = Article.objects.get()
    assert (article.title, article.body) == ("=SUM advice", "-1 is not a number")
    assert sorted(t.name for t in article.tags.all()) == ["dhcp", "dns", "pppoe"]
    assert article.technologies == ["ftth", "vdsl"]
    assert article.products == ["DSL 100", "Fibre 500"]
    assert article.external_id == ""


def test_csv_without_title_or_body_column_is_refused_whole(tmp_path):
    path = write(tmp_path, "rows.csv", "name,text\nA,B\n")
    with pytest.raises(CommandError, match="title, body is missing"):
        run(str(path))
    assert not Article.objects.exists()


def test_every_skip_reason_names_the_row(tmp_path, owner, no_internet):
    rows = [
        {"title": "", "body": "B", "external_id": "1"},
        {"title": "T", "body": " ", "external_id": "2"},
        {"title": "T", "body": "B", "external_id": "3", "audience": "everyone"},
        {"title": "T", "body": "B", "external_id": "4", "language": "english"},
        {"title": "T", "body": "B", "external_id": "5", "state": "archived"},
        {"title": "T", "body": "B", "external_id": "6", "categories": ["Nope"]},
        {"title": "T", "body": "B", "external_id": "7", "owner": "nobody"},
        {"title": "T", "body": "B", "external_id": "8", "review_on": "next week"},
        {"title": "T", "body": "B", "external_id": "9", "technologies": "carrier-pigeon"},
        {"title": "T", "body": "B", "external_id": "10", "tags": ["!bad"]},
        {"title": "T" * 201, "body": "B", "external_id": "11"},
        {"title": "Kept", "body": "B", "external_id": "12"},
        {"title": "Again", "body": "B", "external_id": "12"},
        {"title": "T", "body": "B", "external_id": "x" * 201},
    ]
    lines = [json.dumps(row).encode() for row in rows]
    lines += [b"{not json", b"[1, 2]", b'{"title": "T\xff", "body": "B"}']
    path = write(tmp_path, "rows.jsonl", b"\n".join(lines) + b"\n")
    result = import_articles(path, ImportOptions())
    assert result.created == 1
    assert reasons(result) == {
        "rows.jsonl line 1": "missing title",
        "rows.jsonl line 2": "missing body",
        "rows.jsonl line 3": "unknown audience",
        "rows.jsonl line 4": "bad language",
        "rows.jsonl line 5": "unknown state",
        "rows.jsonl line 6": "unknown category",
        "rows.jsonl line 7": "unknown owner",
        "rows.jsonl line 8": "bad review date",
        "rows.jsonl line 9": "unknown access technology",
        "rows.jsonl line 10": "bad tag",
        "rows.jsonl line 11": "title too long",
        "rows.jsonl line 13": "duplicate external_id",
        "rows.jsonl line 14": "external_id too long",
        "rows.jsonl line 15": "broken JSON",
        "rows.jsonl line 16": "broken JSON",
        "rows.jsonl line 17": "undecodable bytes",
    }
    assert Article.objects.get().title == "Kept"
    skipped = {skip.where: skip.detail for skip in result.skipped}
    assert "everyone" in skipped["rows.jsonl line 3"]
    assert "first at rows.jsonl line 12" in skipped["rows.jsonl line 13"]


def test_file_skips_undecodable_broken_yaml_and_other_files(tmp_path):
    write(tmp_path, "latin1.md", "# Störung\n\nText".encode("latin-1"))
    write(tmp_path, "yaml.md", "---\ntitle: [unclosed\n---\nBody")
    write(tmp_path, "scalar.md", "---\njust words\n---\nBody")
    write(tmp_path, "open.md", "---\ntitle: never closed\nBody")
    write(tmp_path, "diagram.png", b"\x89PNG")
    write(tmp_path, "ok.md", "# Fine\n\nBody")
    result = import_articles(tmp_path, ImportOptions())
    assert result.created == 1
    assert reasons(result) == {
        "latin1.md": "undecodable bytes",
        "yaml.md": "broken YAML",
        "scalar.md": "broken YAML",
        "open.md": "broken YAML",
        "diagram.png": "not Markdown or HTML",
    }


def test_csv_row_with_bad_bytes_is_skipped_alone(tmp_path):
    path = write(tmp_path, "rows.csv", b'title,body\nGood,Text\nBad\xe4,Text\n"Multi\nline",Text\n')
    result = import_articles(path, ImportOptions())
    assert result.created == 2
    assert reasons(result) == {"rows.csv line 3": "undecodable bytes"}


def test_ambiguous_category_is_written_with_its_ticket_type(tmp_path):
    Category.objects.create(name="Billing", ticket_type=TicketType.FAULT)
    wanted = Category.objects.create(name="Billing", ticket_type=TicketType.COMPLAINT)
    path = write(
        tmp_path,
        "rows.jsonl",
        json.dumps({"title": "A", "body": "B", "categories": "Billing"})
        + "\n"
        + json.dumps({"title": "C", "body": "D", "categories": f"{TicketType.COMPLAINT}/Billing"}),
    )
    result = import_articles(path, ImportOptions())
    assert reasons(result) == {"rows.jsonl line 1": "ambiguous category"}
    assert list(Article.objects.get().categories.all()) == [wanted]


def test_command_prints_summary_and_each_skip(tmp_path):
    path = write(tmp_path, "rows.csv", "title,body,audience\nA,B,public\n,B,\nC,D,everyone\n")
    text = run(str(path))
    assert f"Imported {path}: created 1, updated 0, unchanged 0, skipped 2." in text
    assert "rows.csv line 3: missing title" in text
    assert "rows.csv line 4: unknown audience" in text


def test_command_fails_when_nothing_could_be_imported(tmp_path):
    path = write(tmp_path, "rows.csv", "title,body\n,B\n")
    with pytest.raises(CommandError, match="No row could be imported"):
        run(str(path))


def test_dry_run_counts_but_keeps_nothing(tmp_path):
    write(tmp_path, "a.md", ROUTER.replace("owner: kb-owner\n", "").replace("categories", "x"))
    text = run(str(tmp_path), "--dry-run")
    assert "Dry run (nothing kept)" in text
    assert "created 1" in text
    assert not Article.objects.exists()
    assert not SearchDocument.objects.exists()


def test_unknown_path_and_suffix_are_refused(tmp_path):
    with pytest.raises(CommandError, match="no such file or folder"):
        run(str(tmp_path / "missing"))
    with pytest.raises(CommandError, match="is not read"):
        run(str(write(tmp_path, "rows.txt", "x")))


HTML_PAGE = """<!doctype html><html><head><title>Port forwarding</title>
<style>p { color: red }</style><script>alert("x")</script></head><body>
<h1>Port forwarding</h1>
<p>Forward a port to a <em>fixed</em> address; see <a href="https://example.net/nat">NAT</a>.
Use *stars* and [brackets] as text.</p>
<h2>Steps</h2>
<ol><li><p>Open the router.</p></li><li>Add a rule
<ul><li>TCP</li><li>UDP with <code>port 3074</code></li></ul></li></ol>
<pre><code>curl -I http://192.0.2.1:8080/
  # still reachable?</code></pre>
<blockquote><p>1. Not a list</p></blockquote>
<table><tr><th>Port</th><th>Use</th></tr><tr><td>443</td><td>HTTPS</td></tr></table>
<p>Line one<br>line two</p><hr><img src="nat.png" alt="NAT diagram">
</body></html>"""

HTML_MARKDOWN = """Forward a port to a *fixed* address; see [NAT](https://example.net/nat). \
Use \\*stars\\* and \\[brackets\\] as text.

## Steps

1. Open the router.
2. Add a rule
   - TCP
   - UDP with `port 3074`

```
curl -I http://192.0.2.1:8080/
  # still reachable?
```

> 1\\. Not a list

| Port | Use |
| --- | --- |
| 443 | HTTPS |

Line one\\
line two

---

![NAT diagram](nat.png)"""


def test_html_keeps_headings_lists_links_code_and_tables(tmp_path):
    write(tmp_path, "nat.htm", HTML_PAGE)
    result = import_articles(tmp_path, ImportOptions())
    assert result.created == 1
    article = Article.objects.get()
    assert article.title == "Port forwarding"
    assert article.body == HTML_MARKDOWN
    assert "alert" not in article.body


def test_language_is_kept_as_written_and_a_csv_cell_over_the_limit_refuses_the_file(tmp_path):
    path = write(
        tmp_path, "rows.jsonl", json.dumps({"title": "T", "body": "B", "language": "pt-BR"})
    )
    import_articles(path, ImportOptions())
    assert Article.objects.get().language == "pt-BR"
    huge = write(tmp_path, "huge.csv", "title,body\nA,B\nC," + "x" * 200_000 + "\n")
    with pytest.raises(CommandError, match=r"huge\.csv line 3"):
        run(str(huge))
    assert Article.objects.count() == 1
