"""Which KPI scope a person may ask for, resolved from request parameters."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.utils import timezone

from netdesk.accounts.models import SupportGroup, User
from netdesk.accounts.permissions import Action, can, require
from netdesk.core.errors import PermissionDenied, ValidationFailed
from netdesk.reports.kpis import KpiScope

DEFAULT_PERIOD = timedelta(days=30)
MAX_PERIOD = timedelta(days=400)


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
    end = end or timezone.now()
    start = start or end - DEFAULT_PERIOD
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
    if not can(user, Action.KPI_VIEW_ALL):
        if agent_user is None:
            agent_user = user
        if agent_user.pk != user.pk or group is not None:
            raise PermissionDenied(
                "Your role may only see your own KPIs.",
                field="agent",
                value=agent,
                accepted=[user.username],
            )
    scope = KpiScope(
        start=start,
        end=end,
        agent_id=agent_user.pk if agent_user else None,
        group_id=group.pk if group else None,
    )
    return scope, agent_user, group
