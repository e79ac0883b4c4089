"""Service-level escalation notices left behind by the upgrade that moved
their delivery into the outbound queue: notices created before it, never
delivered, have no outbound message (the `escalation_notice_created` hook
queues one only for notices created since). Each is queued once."""

from __future__ import annotations

from django.db import transaction

from netdesk.channels.models import OutboundMessage
from netdesk.channels.services.outbound import escalation_notice_queue
from netdesk.sla.models import EscalationNotice


def escalation_notices_queue_missing() -> int:
    """Queue every escalation notice not delivered and without an outbound
    message, each in its own transaction under the notice's lock (two
    workers starting at once queue it once); how many were queued."""
    waiting = (
        EscalationNotice.objects.filter(delivered_at__isnull=True, outbound__isnull=True)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    queued = 0
    for pk in list(waiting):
        with transaction.atomic():
            notice = (
                EscalationNotice.objects.select_for_update(of=("self",))
                .select_related("ticket", "recipient")
                .filter(pk=pk, delivered_at__isnull=True)
                .first()
            )
            if notice is None or OutboundMessage.objects.filter(escalation_notice=notice).exists():
                continue
            escalation_notice_queue(notice=notice)
            queued += 1
    return queued
