"""Many messages queued at once: an outage's notices and all-clears reach
tens of thousands of customers. Each (event, language) template is read and
compiled once, the sending mailbox read once, every message's recipients
checked as `outbound_queue` checks them, and the rows written a batch per
statement. A message the unique (kind, incident update, customer) already
holds is left as it is and counted, so a repeated run queues nothing twice."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from netdesk.accounts.models import User
from netdesk.channels.models import (
    AUTOMATIC_KINDS,
    Mailbox,
    OutboundKind,
    OutboundMessage,
    OutboundState,
)
from netdesk.channels.parsing import make_message_id
from netdesk.channels.services.outbound import (
    KIND_EVENTS,
    NO_ADDRESS,
    message_language,
    recipients_checked,
    ticket_mailbox,
)
from netdesk.channels.services.templates import (
    CompiledTemplate,
    MessageContext,
    RenderedMessage,
    template_context,
    template_for,
)
from netdesk.core.bulk import insert_rows
from netdesk.core.errors import ValidationFailed
from netdesk.customers.models import Customer
from netdesk.noc.models import IncidentUpdate, NetworkIncident

# Rows per INSERT statement (one executemany) and per check of what landed.
BATCH = 1000
_FIELDS = (
    "kind",
    "mailbox",
    "from_address",
    "to_addresses",
    "cc_addresses",
    "subject",
    "body",
    "message_id",
    "automatic",
    "state",
    "server_answer",
    "next_attempt_at",
    "created_by",
    "incident",
    "incident_update",
    "customer",
)


@dataclass(frozen=True)
class BulkMessage:
    """One message of a bulk queue: its recipients, what it is about and
    when it may leave (now when None). Never about a ticket: mail on a
    ticket is threaded on its conversation by `outbound_queue`."""

    to: Sequence[str]
    context: MessageContext
    customer: Customer | None = None
    cc: Sequence[str] = ()
    send_at: datetime | None = None


@dataclass
class BulkQueued:
    """Rows written, and messages left out because the same kind of message
    about the same incident update was already queued for the customer."""

    queued: int = 0
    already_queued: int = 0


class _Wording:
    """The words of one event, each language's template compiled on first use."""

    def __init__(self, kind: str, mailbox: Mailbox | None) -> None:
        event = KIND_EVENTS.get(OutboundKind(kind))
        if event is None:
            raise ValueError(f"a {kind} message has no template to be worded by")
        self.event, self.mailbox = event, mailbox
        self.compiled: dict[str, CompiledTemplate] = {}
        self.incident_values: dict[tuple[int | None, int | None], Any] = {}

    def _values(self, context: MessageContext) -> dict[str, Any]:
        # Every message of an outage has the same incident values, and working
        # them out (times in the desk's zone) cost a quarter of each message.
        incident, update = context.incident, context.update
        key = (incident.pk if incident else None, update.pk if update else None)
        if key not in self.incident_values:
            self.incident_values[key] = template_context(context)["incident"]
        values = template_context(replace(context, incident=None, update=None))
        values["incident"] = self.incident_values[key]
        return values

    def render(self, message: BulkMessage) -> RenderedMessage:
        language = message_language(None, message.customer, self.mailbox)
        compiled = self.compiled.get(language)
        if compiled is None:
            template = template_for(event=self.event, language=language)
            compiled = self.compiled[language] = CompiledTemplate(template)
        return compiled.render(self._values(message.context))


def _written(rows: list[tuple[object, ...]]) -> int:
    """Insert `rows`; how many landed (a conflict leaves its row out)."""
    insert_rows(OutboundMessage, _FIELDS, rows, ignore_conflicts=True)
    # The Message-IDs are new and unique: those found are the rows written.
    ids = [row[_FIELDS.index("message_id")] for row in rows]
    return OutboundMessage.objects.filter(message_id__in=ids).count()


@transaction.atomic
def outbound_queue_many(
    *,
    kind: str,
    messages: Iterable[BulkMessage],
    actor: User | None,
    mailbox: Mailbox | None = None,
    incident: NetworkIncident | None = None,
    incident_update: IncidentUpdate | None = None,
) -> BulkQueued:
    """Queue one message of `kind` per item of `messages`, worded by the
    kind's template in each customer's language (else the mailbox's, else
    English), from `mailbox` (else the first active one). As
    `outbound_queue`: an address that is not one is refused, naming the
    field, and nothing is queued; a message with no address is written as
    failed with the reason. Messages are read as they are written, a batch
    at a time, so `messages` may be a generator over pages of customers."""
    if kind not in OutboundKind.values:
        raise ValidationFailed(
            f"kind {kind!r} is not accepted.",
            field="kind",
            value=kind,
            accepted=list(OutboundKind.values),
        )
    mailbox = mailbox or ticket_mailbox(None)
    wording = _Wording(kind, mailbox)
    incident = incident or (incident_update.incident if incident_update else None)
    from_address = mailbox.from_address if mailbox else settings.DEFAULT_FROM_EMAIL
    domain: str = settings.NETDESK_MAIL_DOMAIN
    now = timezone.now()
    result = BulkQueued()
    rows: list[tuple[object, ...]] = []
    for message in messages:
        if message.context.ticket is not None:
            raise ValueError("mail on a ticket is queued by outbound_queue, which threads it")
        to, cc = recipients_checked(message.to, message.cc)
        words = wording.render(message)
        rows.append(
            (
                kind,
                mailbox.pk if mailbox else None,
                from_address,
                ", ".join(to),
                ", ".join(cc),
                words.subject,
                words.body,
                make_message_id(None, domain),
                kind in AUTOMATIC_KINDS,
                OutboundState.QUEUED if to else OutboundState.FAILED,
                "" if to else NO_ADDRESS,
                message.send_at or now,
                actor.pk if actor else None,
                incident.pk if incident else None,
                incident_update.pk if incident_update else None,
                message.customer.pk if message.customer else None,
            )
        )
        if len(rows) == BATCH:
            _count(result, rows)
            rows = []
    if rows:
        _count(result, rows)
    return result


def _count(result: BulkQueued, rows: list[tuple[object, ...]]) -> None:
    written = _written(rows)
    result.queued += written
    result.already_queued += len(rows) - written
