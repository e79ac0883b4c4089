"""Satisfaction surveys go out by mail: each due survey's link is queued on
the outbound queue and the survey marked sent in one transaction, so a
worker killed in between leaves neither a mail without a sent survey nor a
sent survey without its mail, and a second worker queues nothing twice."""

from __future__ import annotations

import logging
from datetime import datetime

from django.conf import settings
from django.db import transaction

from netdesk.channels.models import OutboundKind, OutboundMessage
from netdesk.channels.services.outbound import outbound_queue, recipients_checked
from netdesk.channels.services.templates import MessageContext
from netdesk.core.errors import NotFound, ValidationFailed
from netdesk.surveys.models import Survey
from netdesk.surveys.selectors import mail_address, surveys_due
from netdesk.surveys.services import survey_mark_sent, survey_suppress, survey_url

logger = logging.getLogger("netdesk.channels")

NO_ADDRESS = "no address: neither the contact nor the customer has a valid e-mail address"


def survey_link(survey: Survey) -> str:
    """The survey page's absolute address as the customer reaches the desk."""
    base = settings.NETDESK_SURVEY_BASE_URL or settings.NETDESK_PORTAL_URL
    return f"{base.rstrip('/')}{survey_url(survey)}"


def _address(survey: Survey) -> str:
    address = mail_address(survey.contact, survey.customer)
    if not address:
        return ""
    try:
        to, _cc = recipients_checked([address], [])
    except ValidationFailed:
        return ""
    return to[0] if to else ""


@transaction.atomic
def survey_send(*, survey: Survey, now: datetime) -> OutboundMessage | None:
    """Queue one due survey's mail and mark it sent; None when it is no
    longer due (sent by another worker meanwhile) or has no address now
    (then suppressed, saying so)."""
    address = _address(survey)
    if not address:
        survey_suppress(survey=survey, reason=NO_ADDRESS)
        return None
    if not survey_mark_sent(survey=survey, now=now):
        return None
    return outbound_queue(
        kind=OutboundKind.SURVEY,
        to=[address],
        context=MessageContext(
            ticket=survey.ticket,
            contact=survey.contact,
            survey_url=survey_link(survey),
            survey_expires_at=survey.expires_at,
        ),
        ticket=survey.ticket,
        customer=survey.customer,
    )


def surveys_send_due(*, now: datetime, limit: int) -> int:
    """Send up to `limit` due surveys, each in its own transaction; how many
    were due (a full page: more may wait)."""
    due = surveys_due(now, limit=limit)
    for survey in due:
        try:
            survey_send(survey=survey, now=now)
        except NotFound:
            continue  # the ticket and its survey were deleted meanwhile
    return len(due)
