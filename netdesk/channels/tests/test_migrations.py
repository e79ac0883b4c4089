"""Data carried over by the mail channel's migrations: a database migrated
back to before a change, given rows as they were, then migrated forward."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from netdesk.channels.models import InboundMessage
from netdesk.channels.tests.conversation_rows import attached
from netdesk.channels.tests.test_conversation import INLINE_IMAGE, INLINE_MAIL
from tests import factories as f

BEFORE_CONTENT_IDS = [("channels", "0003_notify_orders")]


def _migrate(targets: list[tuple[str, str]]) -> MigrationExecutor:
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return MigrationExecutor(connection)


@pytest.mark.django_db(transaction=True)
def test_mail_taken_before_keeps_its_inline_images_mapped() -> None:
    # Given mail stored before the map was kept: an inline image, and a file
    # of the same name but another size stored first (matched by size).
    operator = f.user()
    ticket = f.ticket(operator, channel="email")
    decoy = attached(ticket, actor=operator, name="leds.png", content=INLINE_IMAGE + b"\x00")
    image = attached(ticket, actor=operator, name="leds.png", content=INLINE_IMAGE)
    executor = _migrate(BEFORE_CONTENT_IDS)
    old = executor.loader.project_state(BEFORE_CONTENT_IDS).apps
    inbound = old.get_model("channels", "InboundMessage")
    fields = {"source": "pipe", "received_at": ticket.created_at, "ticket_id": ticket.pk}
    with_image = inbound.objects.create(
        content_hash="1" * 64,
        raw=INLINE_MAIL,
        html='<img src="cid:leds@example.net">',
        **fields,
    )
    with_image.attachments.add(decoy.pk, image.pk)
    plain = inbound.objects.create(content_hash="2" * 64, raw=b"Subject: x\r\n\r\nhi", **fields)

    # When the database is migrated forward
    _migrate(executor.loader.graph.leaf_nodes())

    # Then the stored map names the image's own file, and plain mail has none
    assert InboundMessage.objects.get(pk=with_image.pk).content_ids == {
        "leds@example.net": image.pk
    }
    assert InboundMessage.objects.get(pk=plain.pk).content_ids == {}
