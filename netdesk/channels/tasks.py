"""Mail in the background: a tick that fetches every mailbox whose turn has
come and sends the outbound messages that are due, then queues the next
tick. Several workers may run ticks at once: each mailbox is claimed by one
of them, and stranded inbound and due outbound rows are claimed one by one."""

from __future__ import annotations

import logging
from datetime import timedelta

from django.db import transaction
from django.utils import timezone
from django_tasks import task

from netdesk.accounts.models import User
from netdesk.channels.imap import mailbox_fetch, mailboxes_claim_due
from netdesk.channels.models import NotifyOrder
from netdesk.channels.services.delivery import outbound_deliver_due
from netdesk.channels.services.escalation_backlog import escalation_notices_queue_missing
from netdesk.channels.services.inbound import mail_process_stranded
from netdesk.channels.services.incident_notices import (
    incident_all_clear,
    incident_notify,
    incident_notify_fail,
    incident_notify_step,
    notify_orders_stranded,
)
from netdesk.channels.services.surveys import surveys_send_due
from netdesk.core.errors import ServiceError
from netdesk.core.ticks import tick_schedule
from netdesk.noc.models import IncidentUpdate, NetworkIncident
from netdesk.surveys.services import surveys_expire

logger = logging.getLogger(__name__)

TICK_SECONDS = 10
# Messages one tick takes from one mailbox; the rest waits for the next
# tick, which then comes at once, so a full mailbox does not hold up sending.
FETCH_LIMIT = 500
# Outbound messages one tick sends.
SEND_LIMIT = 100
# How long a claimed mailbox is left to its worker; a worker killed while
# fetching leaves the mailbox to the others after this. Short, because a
# claim that runs out while its fetch goes on costs nothing: the fetch lock
# (channels.fetch_lock) keeps the second worker out, and the first one sets
# the next fetch time when it is done.
CLAIM = timedelta(seconds=30)
# Mail stored but still unprocessed after this was left by a process killed
# in between (a pipe's `netdesk mail ingest`, a fetcher): the tick takes it.
# Longer than any one mail takes, so mail still on its way is left alone.
STRANDED_AFTER = timedelta(seconds=60)
STRANDED_LIMIT = 100
# Satisfaction surveys one tick queues (before sending, so they leave in it).
SURVEY_LIMIT = 100


@task()
def mail_tick() -> int:
    """Fetch the due mailboxes, process mail left unprocessed, send what is
    due; the number of messages taken."""
    taken = 0
    more_waiting = False
    try:
        for mailbox in mailboxes_claim_due(lease=CLAIM):
            report = mailbox_fetch(mailbox, limit=FETCH_LIMIT)
            taken += len(report.taken)
            more_waiting = more_waiting or report.more_waiting
        stranded = mail_process_stranded(older_than=STRANDED_AFTER, limit=STRANDED_LIMIT)
        taken += stranded
        more_waiting = stranded >= STRANDED_LIMIT or more_waiting
        for order_id in notify_orders_stranded(older_than=STRANDED_AFTER):
            incident_notify_send.enqueue(order_id)
        more_waiting = surveys_tick() or more_waiting
        # A full batch sent: more may be due.
        more_waiting = outbound_deliver_due(limit=SEND_LIMIT) >= SEND_LIMIT or more_waiting
    finally:
        schedule_mail_tick(delay=timedelta(seconds=0 if more_waiting else TICK_SECONDS))
    return taken


def surveys_tick() -> bool:
    """Expire the surveys past their time and queue the due ones; whether a
    full page was due. A failure here is logged and never stops the mail."""
    now = timezone.now()
    try:
        surveys_expire(now=now)
        return surveys_send_due(now=now, limit=SURVEY_LIMIT) >= SURVEY_LIMIT
    except Exception:
        logger.exception("satisfaction surveys not sent this tick")
        return False


def schedule_mail_tick(*, delay: timedelta = timedelta(0)) -> None:
    """Queue the next tick unless one is already waiting; two racing
    workers may queue two, which is harmless (see mail_tick)."""
    tick_schedule(mail_tick, run_after=timezone.now() + delay)


def ensure_mail_tick() -> None:
    """Called when a worker starts: make sure mail is read and sent, the
    escalation notices from before the outbound queue included."""
    escalation_notices_queue_missing()
    schedule_mail_tick()


@task()
def incident_all_clear_send(incident_id: int, update_id: int, actor_id: int | None) -> int:
    """Queue the all-clear of a resolved incident (`update_id` its
    resolution); how many messages were queued. A second run, or one after
    a worker died half-way, queues only the customers still without it."""
    update = IncidentUpdate.objects.select_related("incident").filter(pk=update_id).first()
    if update is None or update.incident_id != incident_id:  # deleted meanwhile
        return 0
    actor = User.objects.filter(pk=actor_id).first() if actor_id is not None else None
    return incident_all_clear(incident=update.incident, update=update, actor=actor)


def incident_notify_start(
    *,
    actor: User,
    incident: NetworkIncident,
    update: IncidentUpdate | None = None,
    confirm: bool = False,
) -> NotifyOrder:
    """Take the order to notify the incident's affected customers (the
    checks of `incident_notify`) and queue the task that carries it out.
    The task row is written in the order's transaction, so a worker never
    sees one without the other. An order of the same update still under way
    is answered as it is, its task already queued."""
    with transaction.atomic():
        order, new = incident_notify(actor=actor, incident=incident, update=update, confirm=confirm)
        if new:
            incident_notify_send.enqueue(order.pk)
    return order


@task()
def incident_notify_send(order_id: int) -> int:
    """Queue the notices of a notify order, a page of customers per
    transaction; the notices it queued in all. Safe to run twice or after a
    worker died half-way: each page moves the order's position on with its
    rows, and a customer gets an update's notice once (a unique row). An
    order this run cannot finish is marked stopped with the reason; one left
    open by a killed worker is queued again by the mail tick."""
    try:
        while incident_notify_step(order_id=order_id):
            pass
    except ServiceError as error:
        incident_notify_fail(order_id=order_id, problem=error.message)
    except Exception as error:
        logger.exception("notify order %s stopped", order_id)
        incident_notify_fail(order_id=order_id, problem=f"{type(error).__name__}: {error}")
        raise
    order = NotifyOrder.objects.filter(pk=order_id).first()
    return order.queued if order else 0
