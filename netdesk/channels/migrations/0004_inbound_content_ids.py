"""Each received mail keeps which stored attachment each `cid:` of its HTML
names; mail taken before is read again once, here, as the conversation used
to read it on every view."""

from typing import Any

from django.db import migrations, models
from django.db.backends.base.schema import BaseDatabaseSchemaEditor
from django.db.migrations.state import StateApps

from netdesk.channels.parsing import UnparseableMail, parse_message

BATCH = 200


def _content_ids(raw: bytes, attachments: list[Any]) -> dict[str, int]:
    """The stored files do not keep the part's Content-ID: the mail's parts
    are matched to them by name and size, else by name."""
    try:
        parsed = parse_message(raw)
    except UnparseableMail:
        return {}
    found: dict[str, int] = {}
    for part in parsed.attachments:
        if not part.content_id:
            continue
        match = next(
            (a for a in attachments if a.filename == part.filename and a.size == len(part.data)),
            None,
        ) or next((a for a in attachments if a.filename == part.filename), None)
        if match is not None:
            found[part.content_id] = match.pk
    return found


def fill(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    inbound = apps.get_model("channels", "InboundMessage")
    # Only HTML naming a cid: part has images to map.
    with_cid = inbound.objects.filter(html__icontains="cid:").order_by("pk")
    after = 0
    while True:
        rows = list(
            with_cid.filter(pk__gt=after).only("pk", "raw").prefetch_related("attachments")[:BATCH]
        )
        if not rows:
            return
        changed = []
        for row in rows:
            row.content_ids = _content_ids(bytes(row.raw), list(row.attachments.all()))
            if row.content_ids:
                changed.append(row)
        inbound.objects.bulk_update(changed, ["content_ids"])
        after = rows[-1].pk


class Migration(migrations.Migration):
    dependencies = [
        ("channels", "0003_notify_orders"),
    ]

    operations = [
        migrations.AddField(
            model_name="inboundmessage",
            name="content_ids",
            field=models.JSONField(
                blank=True,
                default=dict,
                help_text="Content-ID of each stored part -> attachment id.",
            ),
        ),
        migrations.RunPython(fill, migrations.RunPython.noop),
    ]
