"""SQLite: a view of the full-text index's vocabulary (fts5vocab), from
which search reads in how many documents each word of a question occurs:
a whole mail's question keeps its rarer words within a work budget instead
of asking for every common one. PostgreSQL: nothing."""

from __future__ import annotations

from django.db import migrations
from django.db.backends.base.schema import BaseDatabaseSchemaEditor
from django.db.migrations.state import StateApps

SQLITE_CREATE = (
    "CREATE VIRTUAL TABLE knowledge_searchdocument_vocab "
    "USING fts5vocab(knowledge_searchdocument_fts, 'row')"
)
SQLITE_DROP = "DROP TABLE IF EXISTS knowledge_searchdocument_vocab"


def create(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:  # noqa: ARG001  # RunPython's signature
    if schema_editor.connection.vendor == "sqlite":
        schema_editor.execute(SQLITE_CREATE)


def drop(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:  # noqa: ARG001  # RunPython's signature
    if schema_editor.connection.vendor == "sqlite":
        schema_editor.execute(SQLITE_DROP)


class Migration(migrations.Migration):
    dependencies = [("knowledge", "0002_full_text_index")]

    operations = [migrations.RunPython(create, drop)]
