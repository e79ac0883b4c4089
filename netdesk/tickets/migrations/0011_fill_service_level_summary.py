"""Fill the new service-level summary of existing tickets from their timers,
with one UPDATE per range of ticket ids (no rows through Python), by the same
rules as sla.timers.ticket_summary: a clock runs while it has a warning time
and no stop; paused when clocks remain but none runs; breached when any
target not cancelled was broken."""

from __future__ import annotations

from typing import Any

from django.db import migrations

BATCH = 50_000

LIVE = "t.ticket_id = {ticket}.id AND t.state <> 'cancelled'"
RUNNING = LIVE + " AND t.stopped_at IS NULL AND t.due_at IS NOT NULL AND t.warn_at IS NOT NULL"
SUMMARY_SQL = """
UPDATE {ticket} SET
  sla_next_due_at = (SELECT MIN(t.due_at) FROM {timer} t WHERE {running}),
  sla_warn_at = (SELECT MIN(t.warn_at) FROM {timer} t WHERE {running}),
  sla_paused = (
    NOT EXISTS (SELECT 1 FROM {timer} t WHERE {running})
    AND EXISTS (SELECT 1 FROM {timer} t WHERE {live} AND t.stopped_at IS NULL)
  ),
  sla_breached = EXISTS (SELECT 1 FROM {timer} t WHERE {live} AND t.breached_at IS NOT NULL)
WHERE id >= %s AND id < %s
"""


def fill_summaries(apps: Any, schema_editor: Any) -> None:
    ticket_model = apps.get_model("tickets", "Ticket")
    timer_model = apps.get_model("sla", "SlaTimer")
    quote = schema_editor.connection.ops.quote_name
    ticket = quote(ticket_model._meta.db_table)
    sql = SUMMARY_SQL.format(
        ticket=ticket,
        timer=quote(timer_model._meta.db_table),
        running=RUNNING.format(ticket=ticket),
        live=LIVE.format(ticket=ticket),
    )
    last = ticket_model.objects.order_by("-id").values_list("id", flat=True).first()
    if last is None:
        return
    with schema_editor.connection.cursor() as cursor:
        for start in range(1, last + 1, BATCH):
            cursor.execute(sql, [start, start + BATCH])


class Migration(migrations.Migration):
    dependencies = [
        ("tickets", "0010_service_level_summary_and_saved_views"),
        ("sla", "0005_notices_delivered_by_the_outbound_queue"),
    ]

    operations = [migrations.RunPython(fill_summaries, migrations.RunPython.noop)]
