"""The full-text index of search documents, kept by the database itself so
that every write (the services, a bulk import) is indexed in its own
transaction.

SQLite: an FTS5 table over the documents' title, body and answer, kept by
triggers, searched with bm25. PostgreSQL: a tsvector column filled by a
trigger (the words as written, plus their stems in the document's language)
under a GIN index."""

from __future__ import annotations

from django.db import migrations
from django.db.backends.base.schema import BaseDatabaseSchemaEditor
from django.db.migrations.state import StateApps

SQLITE_CREATE = [
    """CREATE VIRTUAL TABLE knowledge_searchdocument_fts USING fts5(
        title, body, answer,
        content='knowledge_searchdocument', content_rowid='id',
        tokenize='unicode61 remove_diacritics 2')""",
    """CREATE TRIGGER knowledge_searchdocument_fts_insert AFTER INSERT ON knowledge_searchdocument
    BEGIN
        INSERT INTO knowledge_searchdocument_fts(rowid, title, body, answer)
        VALUES (new.id, new.title, new.body, new.answer);
    END""",
    """CREATE TRIGGER knowledge_searchdocument_fts_delete AFTER DELETE ON knowledge_searchdocument
    BEGIN
        INSERT INTO knowledge_searchdocument_fts(knowledge_searchdocument_fts, rowid, title, body, answer)
        VALUES ('delete', old.id, old.title, old.body, old.answer);
    END""",
    """CREATE TRIGGER knowledge_searchdocument_fts_update
    AFTER UPDATE OF title, body, answer ON knowledge_searchdocument
    BEGIN
        INSERT INTO knowledge_searchdocument_fts(knowledge_searchdocument_fts, rowid, title, body, answer)
        VALUES ('delete', old.id, old.title, old.body, old.answer);
        INSERT INTO knowledge_searchdocument_fts(rowid, title, body, answer)
        VALUES (new.id, new.title, new.body, new.answer);
    END""",
]
SQLITE_DROP = [
    "DROP TRIGGER IF EXISTS knowledge_searchdocument_fts_update",
    "DROP TRIGGER IF EXISTS knowledge_searchdocument_fts_delete",
    "DROP TRIGGER IF EXISTS knowledge_searchdocument_fts_insert",
    "DROP TABLE IF EXISTS knowledge_searchdocument_fts",
]

POSTGRES_CREATE = [
    "ALTER TABLE knowledge_searchdocument ADD COLUMN search_vector tsvector",
    # The stemming configuration of a document's language; 'simple' (words
    # as written, lower case) for languages PostgreSQL has no stemmer for.
    """CREATE FUNCTION knowledge_search_config(language text) RETURNS regconfig
    LANGUAGE sql IMMUTABLE AS $$
        SELECT CASE split_part(lower(language), '-', 1)
            WHEN 'en' THEN 'english'::regconfig
            WHEN 'de' THEN 'german'::regconfig
            WHEN 'fr' THEN 'french'::regconfig
            WHEN 'es' THEN 'spanish'::regconfig
            WHEN 'pt' THEN 'portuguese'::regconfig
            WHEN 'it' THEN 'italian'::regconfig
            WHEN 'nl' THEN 'dutch'::regconfig
            WHEN 'sv' THEN 'swedish'::regconfig
            WHEN 'da' THEN 'danish'::regconfig
            WHEN 'no' THEN 'norwegian'::regconfig
            WHEN 'fi' THEN 'finnish'::regconfig
            WHEN 'ru' THEN 'russian'::regconfig
            WHEN 'hu' THEN 'hungarian'::regconfig
            WHEN 'ro' THEN 'romanian'::regconfig
            WHEN 'tr' THEN 'turkish'::regconfig
            ELSE 'simple'::regconfig
        END
    $$""",
    # Title weighs most (A), then body (B), then a ticket's answer (C); the
    # words as written ('simple') and their stems in the document's language.
    """CREATE FUNCTION knowledge_searchdocument_vector() RETURNS trigger
    LANGUAGE plpgsql AS $$
    DECLARE
        config regconfig := knowledge_search_config(NEW.language);
    BEGIN
        NEW.search_vector :=
            setweight(to_tsvector('simple', coalesce(NEW.title, '')), 'A')
            || setweight(to_tsvector(config, coalesce(NEW.title, '')), 'A')
            || setweight(to_tsvector('simple', coalesce(NEW.body, '')), 'B')
            || setweight(to_tsvector(config, coalesce(NEW.body, '')), 'B')
            || setweight(to_tsvector('simple', coalesce(NEW.answer, '')), 'C')
            || setweight(to_tsvector(config, coalesce(NEW.answer, '')), 'C');
        RETURN NEW;
    END
    $$""",
    """CREATE TRIGGER knowledge_searchdocument_vector
    BEFORE INSERT OR UPDATE OF title, body, answer, language ON knowledge_searchdocument
    FOR EACH ROW EXECUTE FUNCTION knowledge_searchdocument_vector()""",
    """CREATE INDEX knowledge_searchdocument_search_vector
    ON knowledge_searchdocument USING gin (search_vector)""",
]
POSTGRES_DROP = [
    "DROP INDEX IF EXISTS knowledge_searchdocument_search_vector",
    "DROP TRIGGER IF EXISTS knowledge_searchdocument_vector ON knowledge_searchdocument",
    "DROP FUNCTION IF EXISTS knowledge_searchdocument_vector()",
    "DROP FUNCTION IF EXISTS knowledge_search_config(text)",
    "ALTER TABLE knowledge_searchdocument DROP COLUMN IF EXISTS search_vector",
]


def _run(statements: dict[str, list[str]], schema_editor: BaseDatabaseSchemaEditor) -> None:
    for statement in statements.get(schema_editor.connection.vendor, []):
        schema_editor.execute(statement)


def create(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:  # noqa: ARG001  # RunPython's signature
    _run({"sqlite": SQLITE_CREATE, "postgresql": POSTGRES_CREATE}, schema_editor)


def drop(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:  # noqa: ARG001  # RunPython's signature
    _run({"sqlite": SQLITE_DROP, "postgresql": POSTGRES_DROP}, schema_editor)


class Migration(migrations.Migration):
    dependencies = [("knowledge", "0001_initial")]

    operations = [migrations.RunPython(create, drop)]
