"""Subscribing to a report mailed on a schedule: creating, changing and
removing a subscription, each checked the same way (the report's own
parameter parser run as the reader, the schedule's fields, the formats,
who it goes to), and who sees which subscriptions.

Anyone subscribes themselves; a manager also subscribes another user or a
bare address. The report is computed as its reader: the recipient user, or
for a bare address the user who subscribed it."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from netdesk.accounts.models import User
from netdesk.accounts.permissions import Action, can, require
from netdesk.core.errors import NotFound, PermissionDenied, ValidationFailed
from netdesk.reports.models import Frequency, ReportSubscription
from netdesk.reports.schedule import Schedule, next_run_after, schedule_of
from netdesk.reports.sending import OUTCOME_LENGTH, subscription_run_recorded
from netdesk.reports.subscribable import report_named
from netdesk.reports.tasks import ensure_report_tick

FORMATS = ("csv", "xlsx")
DAY_OF_MONTH_ACCEPTED = "a day from 1 to 28 (every month has it)"


@dataclass(frozen=True)
class SubscriptionFields:
    """What a subscription is, as asked for (checked by `_checked`)."""

    report: str
    frequency: str
    params: Mapping[str, Any]
    hour: int = 7
    weekday: int | None = None
    day_of_month: int | None = None
    formats: Sequence[str] = ("csv",)
    skip_when_empty: bool = False
    recipient: User | None = None
    address: str = ""
    is_active: bool = True


def subscriptions_visible_to(user: User) -> QuerySet[ReportSubscription]:
    """A manager sees every subscription; anyone else those they made or receive."""
    rows = ReportSubscription.objects.select_related("recipient", "created_by").order_by(
        "report", "pk"
    )
    if can(user, Action.REPORT_SUBSCRIBE_OTHERS):
        return rows
    return rows.filter(Q(created_by=user) | Q(recipient=user))


def subscription_for(*, user: User, subscription_id: int) -> ReportSubscription:
    found = subscriptions_visible_to(user).filter(pk=subscription_id).first()
    if found is None:
        raise NotFound(
            f"No report subscription {subscription_id}.",
            field="id",
            value=subscription_id,
            accepted="the id of a subscription you made or receive",
        )
    return found


def _check_schedule(fields: SubscriptionFields) -> Schedule:
    if fields.frequency not in Frequency.values:
        raise ValidationFailed(
            f"frequency {fields.frequency!r} is not one of the choices.",
            field="frequency",
            value=fields.frequency,
            accepted=list(Frequency.values),
        )
    if not 0 <= fields.hour <= 23:
        raise ValidationFailed(
            "hour is a local hour of the day.",
            field="hour",
            value=fields.hour,
            accepted="0 to 23",
        )
    weekday = day = None
    if fields.frequency == Frequency.WEEKLY:
        weekday = fields.weekday
        if weekday is None or not 0 <= weekday <= 6:
            raise ValidationFailed(
                "A weekly report needs its weekday.",
                field="weekday",
                value=weekday,
                accepted="0 (Monday) to 6 (Sunday)",
            )
    if fields.frequency == Frequency.MONTHLY:
        day = fields.day_of_month
        if day is None or not 1 <= day <= 28:
            raise ValidationFailed(
                "A monthly report needs its day of the month.",
                field="day_of_month",
                value=day,
                accepted=DAY_OF_MONTH_ACCEPTED,
            )
    return Schedule(fields.frequency, fields.hour, weekday, day)


def _check_formats(formats: Sequence[str]) -> list[str]:
    kept = [name for name in FORMATS if name in formats]
    unknown = [name for name in formats if name not in FORMATS]
    if unknown or not kept:
        raise ValidationFailed(
            "formats are the files attached: csv, xlsx or both.",
            field="formats",
            value=", ".join(str(name) for name in formats)[:80],
            accepted=list(FORMATS),
        )
    return kept


def _check_recipient(actor: User, fields: SubscriptionFields) -> tuple[User | None, str]:
    """The recipient user or bare address; only a manager names someone else."""
    address = fields.address.strip()
    if fields.recipient is not None and address:
        raise ValidationFailed(
            "A subscription goes to a user or to an address, not both.",
            field="address",
            value=address[:80],
            accepted="an empty address when a recipient user is named",
        )
    recipient = fields.recipient if fields.recipient is not None or address else actor
    if (recipient is None or recipient.pk != actor.pk) and not can(
        actor, Action.REPORT_SUBSCRIBE_OTHERS
    ):
        raise PermissionDenied(
            "Your role may subscribe only yourself.",
            field="recipient",
            value=recipient.username if recipient else address[:80],
            accepted=[actor.username],
        )
    if address:
        try:
            validate_email(address)
        except ValidationError as error:
            raise ValidationFailed(
                f"{address[:80]!r} is not an e-mail address.",
                field="address",
                value=address[:80],
                accepted="an e-mail address such as noc@example.net",
            ) from error
    # A deactivated recipient's subscription may still be paused or changed.
    if recipient is not None and not recipient.is_active and fields.is_active:
        raise ValidationFailed(
            "The recipient's account is deactivated.",
            field="recipient",
            value=recipient.username,
            accepted="an active user",
        )
    return recipient, address


def _checked(actor: User, fields: SubscriptionFields) -> dict[str, Any]:
    """The model fields of a subscription, every part checked."""
    require(actor, Action.KPI_VIEW_OWN)
    report = report_named(fields.report)
    schedule = _check_schedule(fields)
    formats = _check_formats(fields.formats)
    recipient, address = _check_recipient(actor, fields)
    if not isinstance(fields.params, Mapping):
        raise ValidationFailed(
            "params are the report's parameters as names and values.",
            field="params",
            value=str(fields.params)[:80],
            accepted='an object such as {"group": 3}',
        )
    # Checked as the reader: a report the reader may not see is refused now,
    # not on its first run. (A deactivated reader may see nothing: pausing
    # their subscription checks the parameters as the one who pauses it.)
    reader = recipient if recipient is not None and recipient.is_active else actor
    params = report.check(reader, fields.params)
    return {
        "report": report.name,
        "params": params,
        "frequency": schedule.frequency,
        "hour": schedule.hour,
        "weekday": schedule.weekday,
        "day_of_month": schedule.day_of_month,
        "formats": formats,
        "skip_when_empty": fields.skip_when_empty,
        "recipient": recipient,
        "address": address,
        "is_active": fields.is_active,
    }


@transaction.atomic
def subscription_create(
    *, actor: User, fields: SubscriptionFields, now: datetime | None = None
) -> ReportSubscription:
    """A new subscription, first sent at its next scheduled time."""
    values = _checked(actor, fields)
    now = now or timezone.now()
    subscription = ReportSubscription(created_by=actor, created_at=now, **values)
    subscription.next_run_at = next_run_after(schedule_of(subscription), now)
    subscription.save()
    transaction.on_commit(ensure_report_tick)
    return subscription


def _editable(actor: User, subscription_id: int) -> ReportSubscription:
    """The subscription locked for a change by `actor`: its maker, its
    recipient or a manager."""
    subscription = subscription_for(user=actor, subscription_id=subscription_id)
    return (
        ReportSubscription.objects.select_for_update(of=("self",))
        .select_related("recipient", "created_by")
        .get(pk=subscription.pk)
    )


@transaction.atomic
def subscription_update(
    *,
    actor: User,
    subscription_id: int,
    fields: SubscriptionFields,
    now: datetime | None = None,
) -> ReportSubscription:
    """Change a subscription; its next send time follows the new schedule."""
    subscription = _editable(actor, subscription_id)
    values = _checked(actor, fields)
    for name, value in values.items():
        setattr(subscription, name, value)
    subscription.next_run_at = next_run_after(schedule_of(subscription), now or timezone.now())
    subscription.save()
    transaction.on_commit(ensure_report_tick)
    return subscription


@transaction.atomic
def subscription_delete(*, actor: User, subscription_id: int) -> None:
    _editable(actor, subscription_id).delete()


def fields_of(subscription: ReportSubscription, **changes: Any) -> SubscriptionFields:
    """The fields of a stored subscription, some changed (a partial update)."""
    current: dict[str, Any] = {
        "report": subscription.report,
        "frequency": subscription.frequency,
        "params": subscription.params,
        "hour": subscription.hour,
        "weekday": subscription.weekday,
        "day_of_month": subscription.day_of_month,
        "formats": subscription.formats,
        "skip_when_empty": subscription.skip_when_empty,
        "recipient": subscription.recipient,
        "address": subscription.address,
        "is_active": subscription.is_active,
    }
    return SubscriptionFields(**(current | changes))


def subscription_send_now(
    *, actor: User, subscription_id: int, now: datetime | None = None
) -> ReportSubscription:
    """Send a subscription at once (to try it), for the period a run today
    covers; its schedule is unchanged."""
    now = now or timezone.now()
    with transaction.atomic():
        subscription = _editable(actor, subscription_id)
        outcome = subscription_run_recorded(subscription, run_at=now)
        subscription.last_run_at = now
        subscription.last_outcome = f"on request: {outcome}"[:OUTCOME_LENGTH]
        subscription.save(update_fields=["last_run_at", "last_outcome"])
    return subscription
