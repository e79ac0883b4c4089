"""Channel records: mailboxes, received and sent messages, templates."""

from netdesk.channels.models.inbound import InboundMessage, InboundState, Outcome, Source
from netdesk.channels.models.mailbox import ImapSecurity, Mailbox
from netdesk.channels.models.notices import OPEN_NOTIFY_STATES, NotifyOrder, NotifyState
from netdesk.channels.models.outbound import (
    AUTOMATIC_KINDS,
    MessageTemplate,
    OutboundAttachment,
    OutboundKind,
    OutboundMessage,
    OutboundState,
    TemplateEvent,
)

__all__ = [
    "AUTOMATIC_KINDS",
    "OPEN_NOTIFY_STATES",
    "ImapSecurity",
    "InboundMessage",
    "InboundState",
    "Mailbox",
    "MessageTemplate",
    "NotifyOrder",
    "NotifyState",
    "OutboundAttachment",
    "OutboundKind",
    "OutboundMessage",
    "OutboundState",
    "Outcome",
    "Source",
    "TemplateEvent",
]
