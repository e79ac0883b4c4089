"""Sending subscribed reports: each due subscription is claimed alone
(SKIP LOCKED, so two workers never send it twice), rendered as its reader
for the period it covers, and queued as one mail with its tables attached
(CSV, XLSX) on the desk's outbound queue, which delivers and retries it.

What became of a run is kept on the subscription (`last_outcome`): sent,
skipped (empty, a deactivated account) or failed with the reason; in every
case the next run is scheduled, so a failing report is tried again next
period and never dropped silently. A run missed while no worker ran is
sent once, for the latest period due."""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator, Sequence
from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from netdesk.accounts.models import User
from netdesk.channels.models import OutboundKind
from netdesk.channels.services.outbound import MailFile, outbound_queue
from netdesk.core.csvexport import csv_text
from netdesk.core.errors import ServiceError
from netdesk.core.xlsxexport import XLSX_ILLEGAL_CHARACTERS, XLSX_TYPE, xlsx_write
from netdesk.reports.models import ReportSubscription
from netdesk.reports.report_tables import RenderedReport
from netdesk.reports.schedule import covered_period, desk_zone, next_run_after, schedule_of
from netdesk.reports.subscribable import report_named

logger = logging.getLogger("netdesk.reports")

BATCH = 50
OUTCOME_LENGTH = 300
SKIPPED_EMPTY = "skipped: empty"


def subscription_reader(subscription: ReportSubscription) -> User:
    """Whose permissions the report is computed with: the recipient user,
    or for a bare address the user who subscribed it."""
    return subscription.recipient or subscription.created_by


def subscription_address(subscription: ReportSubscription) -> str:
    if subscription.recipient is not None:
        return subscription.recipient.email
    return subscription.address


def _period_label(start: datetime, end: datetime) -> str:
    zone = desk_zone()
    first = start.astimezone(zone).date()
    last = (end - timedelta(seconds=1)).astimezone(zone).date()
    return first.isoformat() if first == last else f"{first.isoformat()}-to-{last.isoformat()}"


def _storable_in_xlsx(rows: Sequence[Sequence[Any]]) -> Iterator[list[Any]]:
    """Rows without the control characters an XLSX cell cannot hold (a
    ticket title from a mail may carry them); CSV keeps them."""
    for row in rows:
        yield [
            XLSX_ILLEGAL_CHARACTERS.sub("", cell) if isinstance(cell, str) else cell for cell in row
        ]


def _when(rendered: RenderedReport, label: str) -> str:
    zone = desk_zone()
    if rendered.as_of is not None:
        return f"As of {rendered.as_of.astimezone(zone):%Y-%m-%d %H:%M} ({zone.key})"
    return f"Period: {label.replace('-to-', ' to ')} ({zone.key})"


def report_files(rendered: RenderedReport, formats: list[str], label: str) -> list[MailFile]:
    """Each table in each format asked for, as files to attach."""
    files: list[MailFile] = []
    for table in rendered.tables:
        stem = f"{table.name}-{label}"
        if "csv" in formats:
            content = csv_text(table.heading, table.rows).encode()
            files.append(MailFile(f"{stem}.csv", "text/csv", content))
        if "xlsx" in formats:
            out = io.BytesIO()
            xlsx_write(out, table.heading, _storable_in_xlsx(table.rows), title=table.name[:31])
            files.append(MailFile(f"{stem}.xlsx", XLSX_TYPE, out.getvalue()))
    return files


def subscription_render(
    subscription: ReportSubscription, *, run_at: datetime
) -> tuple[RenderedReport, datetime, datetime]:
    """The report as its reader sees it, for the period a run at `run_at` covers."""
    start, end = covered_period(subscription.frequency, run_at)
    report = report_named(subscription.report)
    with timezone.override(desk_zone()):
        rendered = report.render(subscription_reader(subscription), subscription.params, start, end)
    return rendered, start, end


def _body(
    subscription: ReportSubscription, rendered: RenderedReport, label: str, files: list[MailFile]
) -> str:
    page = report_named(subscription.report).page_link(subscription.params)
    lines = [
        rendered.title,
        _when(rendered, label),
        f"Attached: {', '.join(file.filename for file in files)}",
        *rendered.notes,
        "",
        f"On the desk: {page}",
        f"This report is sent {subscription.frequency} at {subscription.hour:02d}:00;"
        f" change or stop it at {reverse('report_subscriptions')}.",
    ]
    return "\n".join(lines) + "\n"


def subscription_run(subscription: ReportSubscription, *, run_at: datetime) -> str:
    """Render and queue one run; returns its outcome. Raises what rendering
    raises (the caller records it)."""
    reader = subscription_reader(subscription)
    if not reader.is_active:
        return f"skipped: {reader.username}'s account is deactivated"
    address = subscription_address(subscription)
    if not address:
        return f"failed: {reader.username} has no e-mail address"
    rendered, start, end = subscription_render(subscription, run_at=run_at)
    if rendered.empty and subscription.skip_when_empty:
        return SKIPPED_EMPTY
    label = (
        _period_label(start, end)
        if rendered.as_of is None
        else rendered.as_of.astimezone(desk_zone()).date().isoformat()
    )
    files = report_files(rendered, list(subscription.formats), label)
    message = outbound_queue(
        kind=OutboundKind.REPORT,
        to=[address],
        subject=f"{rendered.title}, {label.replace('-to-', ' to ')}",
        body=_body(subscription, rendered, label, files),
        language="en",
        files=files,
    )
    return f"sent to {address} ({len(files)} files), mail {message.pk}"


def subscription_run_recorded(subscription: ReportSubscription, *, run_at: datetime) -> str:
    """A run whose failure is an outcome, not an exception: what it queued
    is undone (savepoint) and the reason kept."""
    try:
        with transaction.atomic():
            return subscription_run(subscription, run_at=run_at)
    except ServiceError as error:
        return f"failed: {error.message}"
    except Exception as error:
        # Any fault of one report is recorded and logged; the next one runs.
        logger.exception("report subscription %s failed", subscription.pk)
        return f"failed: {type(error).__name__}: {error}"


def _latest_due(subscription: ReportSubscription, now: datetime) -> datetime:
    """The latest scheduled time not after `now` (runs missed while no
    worker ran are not sent one by one)."""
    schedule = schedule_of(subscription)
    run_at = subscription.next_run_at
    while (following := next_run_after(schedule, run_at)) <= now:
        run_at = following
    return run_at


def _send_one(now: datetime) -> bool:
    """Claim, run and record one due subscription; False when none is due."""
    with transaction.atomic():
        subscription = (
            ReportSubscription.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("recipient", "created_by")
            .filter(is_active=True, next_run_at__lte=now)
            .order_by("next_run_at", "pk")
            .first()
        )
        if subscription is None:
            return False
        run_at = _latest_due(subscription, now)
        outcome = subscription_run_recorded(subscription, run_at=run_at)
        subscription.last_run_at = now
        subscription.last_outcome = outcome[:OUTCOME_LENGTH]
        subscription.next_run_at = next_run_after(schedule_of(subscription), now)
        subscription.save(update_fields=["last_run_at", "last_outcome", "next_run_at"])
    logger.info("report subscription %s: %s", subscription.pk, outcome)
    return True


def subscriptions_send_due(*, now: datetime | None = None, limit: int = BATCH) -> int:
    """Run up to `limit` due subscriptions, each in its own transaction;
    returns how many ran. Safe with many workers at once."""
    now = now or timezone.now()
    ran = 0
    while ran < limit and _send_one(now):
        ran += 1
    return ran
