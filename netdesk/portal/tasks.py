"""Background work of the customer portal."""

from __future__ import annotations

from django_tasks import task

from netdesk.channels.services.delivery import outbound_deliver_due
from netdesk.channels.tasks import SEND_LIMIT


@task()
def sign_in_mail_send() -> int:
    """Send the due outbound mail now, a sign-in link among it: the visitor
    is waiting for it. Safe beside the mail tick (rows are claimed one by
    one); returns how many messages the server took."""
    return outbound_deliver_due(limit=SEND_LIMIT)
