"""How often the portal searches its help articles for one reader.

The help articles are readable without signing in, so searches and the
suggestions shown while a new ticket is written are counted in the database
(every web process counts alike): per signed-in contact, or before sign-in
per client address, at most NETDESK_PORTAL_KB_RATE.

What was suggested while a contact wrote a new ticket is recorded
(HelpSuggestion): the articles shown, the ones opened, and the ticket opened
anyway, for the figures of tickets the help articles spared. Shown and
opened are recorded by GET requests (the suggestions and the article page
are read by GET); the session cookie is SameSite=Lax, so no other site
can make a signed-in contact's browser record anything behind their back."""

from __future__ import annotations

import re
import secrets
import time
from collections.abc import Sequence

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from netdesk.config import parse_rate
from netdesk.core.ratelimit import rate_count_bump
from netdesk.customers.models import Contact
from netdesk.portal.models import HelpSuggestion
from netdesk.portal.services.signin import Throttled
from netdesk.tickets.models import Ticket

_WRITING = re.compile(r"^[0-9a-f]{16}$")


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


def writing_key() -> str:
    """A new key for one new-ticket form as shown (not a secret: it only
    groups what was suggested while that ticket was written)."""
    return secrets.token_hex(8)


def writing_checked(raw: object) -> str:
    """The key a request carries, or "" when it is not one writing_key makes."""
    text = str(raw or "")
    return text if _WRITING.match(text) else ""


@transaction.atomic
def help_suggestions_shown(*, contact: Contact, writing: str, article_ids: Sequence[int]) -> None:
    """Record that these public articles were suggested to the contact
    while writing; an article suggested again in the same writing counts
    once (one statement, whatever the number)."""
    if not writing or not article_ids:
        return
    now = timezone.now()
    HelpSuggestion.objects.bulk_create(
        [
            HelpSuggestion(contact=contact, article_id=article_id, writing=writing, shown_at=now)
            for article_id in article_ids
        ],
        ignore_conflicts=True,
    )


@transaction.atomic
def help_suggestion_opened(*, contact: Contact, writing: str, article_id: int) -> None:
    """The contact opened a suggested article (the first time counts)."""
    if writing:
        HelpSuggestion.objects.filter(
            contact=contact, writing=writing, article_id=article_id, opened_at__isnull=True
        ).update(opened_at=timezone.now())


@transaction.atomic
def help_suggestions_ticket(*, contact: Contact, writing: str, ticket: Ticket) -> None:
    """The contact opened a ticket anyway after these suggestions."""
    if writing:
        HelpSuggestion.objects.filter(contact=contact, writing=writing).update(ticket=ticket)
