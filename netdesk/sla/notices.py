"""Delivering escalation notices by e-mail once their delivery time comes."""

from __future__ import annotations

import logging
import smtplib
from datetime import datetime

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.db import transaction
from django.utils import timezone

from netdesk.sla.models import EscalationNotice

logger = logging.getLogger("netdesk.sla")
MAX_ATTEMPTS = 5
NO_SERVER = "not sent: no mail server configured (set NETDESK_EMAIL_HOST)"


def notices_deliver(*, now: datetime | None = None, limit: int = 100) -> int:
    """Send the notices that are due; failures are kept with their reason and
    retried on later ticks, up to MAX_ATTEMPTS."""
    now = now or timezone.now()
    if not settings.EMAIL_HOST:
        # Say so on the notice itself, once, rather than failing every tick.
        EscalationNotice.objects.filter(
            delivered_at__isnull=True, deliver_after__lte=now, last_error=""
        ).update(last_error=NO_SERVER)
        return 0
    sent = 0
    with transaction.atomic():
        due = list(
            EscalationNotice.objects.select_for_update(skip_locked=True, of=("self",))
            .filter(delivered_at__isnull=True, deliver_after__lte=now, attempts__lt=MAX_ATTEMPTS)
            .select_related("recipient")
            .order_by("deliver_after")[:limit]
        )
        if not due:
            return 0
        connection = get_connection(fail_silently=False)
        for notice in due:
            address = notice.recipient.email if notice.recipient else notice.address
            notice.attempts += 1
            if not address:
                notice.last_error = f"{notice.recipient} has no e-mail address"
                notice.attempts = MAX_ATTEMPTS
            else:
                try:
                    EmailMessage(
                        notice.subject,
                        notice.body,
                        settings.DEFAULT_FROM_EMAIL,
                        [address],
                        connection=connection,
                    ).send()
                except (smtplib.SMTPException, OSError) as error:
                    notice.last_error = f"{type(error).__name__}: {error}"[:500]
                else:
                    notice.delivered_at = now
                    notice.last_error = ""
                    sent += 1
            notice.save(update_fields=["attempts", "last_error", "delivered_at"])
    if sent:
        logger.info("sent %d escalation notices", sent)
    return sent
