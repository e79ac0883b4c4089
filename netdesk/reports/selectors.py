"""Which KPI scope a person may ask for, resolved from request parameters,
and the period a report covers when its ends are not given."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from django.utils import timezone

from netdesk.accounts.models import SupportGroup, User
from netdesk.accounts.permissions import Action, can, require
from netdesk.core.errors import PermissionDenied, ValidationFailed
from netdesk.reports.kpis import KpiScope

DEFAULT_PERIOD = timedelta(days=30)
MAX_PERIOD = timedelta(days=400)


def day_start(day: date) -> datetime:
    """Midnight at the start of the day in the reader's zone."""
    return timezone.make_aware(datetime.combine(day, time.min))


def _shifted(moment: datetime, days: int) -> datetime:
    # By the calendar of the reader's zone, so a period of whole days stays
    # whole across a change to or from summer time.
    local = timezone.localtime(moment).replace(tzinfo=None)
    return timezone.make_aware(local + timedelta(days=days))


def report_period(start: datetime | None, end: datetime | None) -> tuple[datetime, datetime]:
    """The period [start, end) of a report. Without ends it is the
    DEFAULT_PERIOD's whole days up to and including today, in the reader's
    zone; with one end, DEFAULT_PERIOD from it (never past today)."""
    end_of_today = day_start(timezone.localdate() + timedelta(days=1))
    if end is None:
        end = (
            end_of_today
            if start is None
            else min(_shifted(start, DEFAULT_PERIOD.days), max(end_of_today, start))
        )
    if start is None:
        start = _shifted(end, -DEFAULT_PERIOD.days)
    return start, end


def checked_period(start: datetime | None, end: datetime | None) -> tuple[datetime, datetime]:
    """`report_period`, refusing a period that ends before it starts or
    spans more than MAX_PERIOD (one rule for every report)."""
    start, end = report_period(start, end)
    if start >= end:
        raise ValidationFailed(
            "The period starts after it ends.",
            field="start",
            value=start.isoformat(),
            accepted=f"a time before end ({end.isoformat()})",
        )
    if end - start > MAX_PERIOD:
        raise ValidationFailed(
            "The period is too long.",
            field="start",
            value=start.isoformat(),
            accepted=f"periods up to {MAX_PERIOD.days} days",
        )
    return start, end


def kpi_scope_for(
    *,
    user: User,
    start: datetime | None,
    end: datetime | None,
    agent: str | None,
    group_id: int | None,
) -> tuple[KpiScope, User | None, SupportGroup | None]:
    """Check the period and the scope; agents may only see their own figures."""
    require(user, Action.KPI_VIEW_OWN)
    start, end = checked_period(start, end)
    may_see_all = can(user, Action.KPI_VIEW_ALL)
    if not may_see_all and ((agent and agent != user.username) or group_id is not None):
        # Decided before any lookup: whether another name exists is not
        # this reader's business, so the answer is the same either way.
        raise PermissionDenied(
            "Your role may only see your own KPIs.",
            field="agent" if group_id is None else "group",
            value=agent if group_id is None else group_id,
            accepted=[user.username],
        )
    agent_user = None
    if agent:
        agent_user = User.objects.filter(username=agent).first()
        if agent_user is None:
            raise ValidationFailed(
                f"No agent is called {agent!r}.",
                field="agent",
                value=agent,
                accepted="an existing user name",
            )
    group = None
    if group_id is not None:
        group = SupportGroup.objects.filter(pk=group_id).first()
        if group is None:
            raise ValidationFailed(
                f"No group has id {group_id}.",
                field="group",
                value=group_id,
                accepted="the id of a support group",
            )
    if not may_see_all:
        agent_user = user
    scope = KpiScope(
        start=start,
        end=end,
        agent_id=agent_user.pk if agent_user else None,
        group_id=group.pk if group else None,
    )
    return scope, agent_user, group
