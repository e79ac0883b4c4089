"""`netdesk kb embed`: after an import, the articles' embeddings are
computed at once instead of by the worker."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command

from netdesk.knowledge.models import DocumentKind, SearchDocument

pytestmark = pytest.mark.django_db


def test_embed_computes_what_an_import_left_stale(tmp_path):
    path = tmp_path / "rows.csv"
    path.write_text("title,body\nFibre LOS light red,Check the fibre cable.\nDNS,Restart.\n")
    call_command("kb", "import", str(path), "--no-progress", stdout=StringIO())
    documents = SearchDocument.objects.filter(kind=DocumentKind.ARTICLE)
    assert documents.filter(embedded_at=None).count() == 2
    out = StringIO()
    call_command("kb", "embed", "--no-progress", stdout=out)
    assert out.getvalue().strip() == "Embedded 2 search documents."
    assert not documents.filter(embedded_at=None).exists()
    assert all(len(bytes(d.embedding or b"")) == 384 * 4 for d in documents)
