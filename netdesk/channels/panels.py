"""What the mail channel adds to the ticket page: the conversation as mail
and the reply composer (NETDESK_HOOKS["ticket_page_sections"])."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest
from django.template.loader import render_to_string
from django.utils.safestring import SafeString, mark_safe

from netdesk.accounts.permissions import Action, can, user_of
from netdesk.channels.forms import ReplyForm, SenderMergeForm
from netdesk.channels.selectors import (
    reply_templates,
    ticket_conversation,
)
from netdesk.channels.views import reply_initial
from netdesk.tickets.models import Ticket


def ticket_page_section(*, request: HttpRequest, ticket: Ticket) -> SafeString:
    """The ticket's mail, oldest first, and the composer for agents who may
    reply; nothing when the ticket has no mail and the agent may not write."""
    user = user_of(request)
    conversation = ticket_conversation(ticket)
    may_reply = can(user, Action.REPLY_ADD)
    if not conversation and not may_reply:
        return SafeString("")
    may_merge = can(user, Action.SENDER_MERGE)
    entries = [
        {
            "message": message,
            # Sanitised when the mail was taken (parsing), never raw mail.
            "html": mark_safe(message.html) if message.html else "",  # noqa: S308
            # One form per unknown sender's mail, its field ids its own.
            "merge_form": SenderMergeForm(auto_id=f"id_merge_{message.pk}_%s")
            if may_merge and message.inbound and message.customer_is_placeholder
            else None,
        }
        for message in conversation
    ]
    context = {
        "ticket": ticket,
        "entries": entries,
        "mail_server": bool(settings.EMAIL_HOST),
        "reply_form": None,
    }
    if may_reply:
        context["reply_form"] = ReplyForm(
            initial=reply_initial(ticket, user=user, reply_all=False), prefix=None
        )
        context["templates"] = reply_templates(ticket)
    return render_to_string("channels/_conversation.html", context, request=request)
