"""On PostgreSQL, live events are numbered again as their transaction
commits, under one lock, so ids grow in the order events become visible.

Ids from the sequence are handed out at insert: an event written early by a
transaction that commits late would otherwise appear *below* a listener's
cursor, which has already moved past it, and be skipped. A deferred
constraint trigger runs at commit, after the transaction's own work, takes a
transaction-level advisory lock (released only once the commit is visible)
and gives each of the transaction's events a fresh id. SQLite needs none of
this: one writer at a time commits its ids in order."""

from django.db import migrations
from django.db.backends.base.schema import BaseDatabaseSchemaEditor
from django.db.migrations.state import StateApps

# The advisory lock key 7310415 is any constant: it names the numbering lock.
FORWARD = """
CREATE FUNCTION core_liveevent_commit_order() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_advisory_xact_lock(7310415);
    UPDATE core_liveevent
       SET id = nextval(pg_get_serial_sequence('core_liveevent', 'id'))
     WHERE id = NEW.id;
    RETURN NULL;
END
$$;
CREATE CONSTRAINT TRIGGER core_liveevent_commit_order
    AFTER INSERT ON core_liveevent
    DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION core_liveevent_commit_order();
"""

BACKWARD = """
DROP TRIGGER IF EXISTS core_liveevent_commit_order ON core_liveevent;
DROP FUNCTION IF EXISTS core_liveevent_commit_order();
"""


def forward(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:  # noqa: ARG001
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(FORWARD)


def backward(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:  # noqa: ARG001
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(BACKWARD)


class Migration(migrations.Migration):
    dependencies = [("core", "0004_live_events")]

    operations = [migrations.RunPython(forward, backward)]
