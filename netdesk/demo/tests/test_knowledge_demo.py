"""The demo's knowledge base: articles in two languages and every state,
macros per group with placeholders, reuse on resolved tickets, solved cases
to suggest, and `--reset` taking it all away."""

from __future__ import annotations

from collections import Counter
from io import StringIO

import pytest
from django.core.management import call_command

from netdesk.demo.reset import demo_delete
from netdesk.knowledge.models import (
    Article,
    ArticleFeedback,
    ArticleLink,
    DocumentKind,
    Macro,
    SearchDocument,
)
from netdesk.knowledge.search import Reader, keyword_search
from netdesk.knowledge.services.macros import placeholders_in

pytestmark = pytest.mark.django_db

SMALL = {"subscribers": 200, "tickets": 500, "no_serve": True, "verbosity": 0}


def test_demo_loads_the_knowledge_base_and_reset_removes_it() -> None:
    call_command("demo", stdout=StringIO(), **SMALL)

    languages = Counter(Article.objects.values_list("language", flat=True))
    assert languages["en"] >= 25
    assert languages["de"] >= 12
    states = set(Article.objects.values_list("state", flat=True))
    assert states == {"draft", "review", "published", "retired"}
    assert set(Article.objects.values_list("audience", flat=True)) == {"internal", "public"}
    assert Article.objects.filter(external_id__startswith="demo/", owner=None).count() == 0
    macros = list(Macro.objects.prefetch_related("groups"))
    assert len(macros) >= 6
    assert {m.language for m in macros} == {"en", "de"}
    assert any(m.groups.exists() for m in macros)
    assert any(not m.groups.exists() for m in macros)
    assert all(placeholders_in(m.body) for m in macros)
    assert ArticleLink.objects.count() >= 20
    assert ArticleFeedback.objects.filter(helpful=False).count() == 3
    assert SearchDocument.objects.filter(kind=DocumentKind.TICKET).exists()
    public = keyword_search(text="Glasfaser LOS rot", reader=Reader(public_only=True))
    assert public
    assert public[0].title == "Glasfaser-Modem (ONT): rote LOS-Lampe"

    call_command("demo", reset=True, stdout=StringIO(), **SMALL)
    assert Article.objects.count() == 45
    assert Macro.objects.count() == len(macros)
    demo_delete()
    assert not Article.objects.exists()
    assert not Macro.objects.exists()
    assert not SearchDocument.objects.exists()
