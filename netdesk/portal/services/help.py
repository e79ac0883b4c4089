"""How often the portal searches its help articles for one reader.

The help articles are readable without signing in, so searches and the
suggestions shown while a new ticket is written are counted in the database
(every web process counts alike): per signed-in contact, or before sign-in
per client address, at most NETDESK_PORTAL_KB_RATE."""

from __future__ import annotations

import time

from django.conf import settings

from netdesk.config import parse_rate
from netdesk.core.ratelimit import rate_count_bump
from netdesk.customers.models import Contact
from netdesk.portal.services.signin import Throttled


def help_reader_key(*, contact: Contact | None, client: str) -> str:
    """Whose searches are counted: the contact's (many customers may share
    one address behind carrier-grade NAT), else the address's."""
    if contact is not None:
        return f"portal-kb:contact:{contact.pk}"
    return f"portal-kb:ip:{client}"


def help_search_counted(*, reader_key: str) -> Throttled | None:
    """Counts one search or suggestion for `reader_key`; refused (with how
    long to wait) once past NETDESK_PORTAL_KB_RATE in the current window."""
    limit, period = parse_rate(settings.NETDESK_PORTAL_KB_RATE)
    now = time.time()
    window = int(now // period)
    if rate_count_bump(key=f"{reader_key}:{period}", period_start=window) <= limit:
        return None
    return Throttled(retry_after=int((window + 1) * period - now) + 1)
