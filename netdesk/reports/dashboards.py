"""The role dashboards: which charts a hotline operator, the NOC, a team
lead and the manager see, built from the precomputed daily figures
(`netdesk.reports.rollups`), the surveys and the network incidents, each
chart in a fixed number of queries whatever the number of tickets.

Every chart is a dict the SVG builder (`netdesk.reports.charts`) draws and
a subscription (CSV/XLSX) writes as rows: key, title, kind, unit, x,
series [{name, values, links}], heading and rows. Each mark links to the
tickets behind it: the queue with the ticket list filters, the SLA, CSAT or
network failure report for what is not a ticket list.

Only roles that see every ticket get a dashboard: its figures are the
desk's or a group's, which an account manager (their accounts only) or a
field engineer (their groups only) may not read.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from django.utils import timezone

from netdesk.accounts.models import Role, SupportGroup, User
from netdesk.accounts.permissions import Action, can
from netdesk.core.errors import PermissionDenied, ValidationFailed
from netdesk.noc.models import Alarm, AlarmState
from netdesk.noc.selectors import active_incidents
from netdesk.reports.dashboard_charts import Window, role_charts
from netdesk.reports.plans import plan_progress, plans_list
from netdesk.tickets.selectors import ticket_filter_from_query, tickets_filtered

ROLES = ("hotline", "noc", "teamlead", "manager")
ROLE_LABELS = {
    "hotline": "Hotline",
    "noc": "NOC",
    "teamlead": "Team lead",
    "manager": "Manager",
}
OWN_DASHBOARD: dict[str, str] = {
    Role.HOTLINE_OPERATOR: "hotline",
    Role.NOC_ENGINEER: "noc",
    Role.TEAM_LEAD: "teamlead",
    Role.SERVICE_DESK_MANAGER: "manager",
    Role.ADMINISTRATOR: "manager",
}
PERIODS = (30, 90, 180)
AT_RISK_MINUTES = 60
# Plans shown on the manager's dashboard: those running today.
PLANS_SHOWN = 10


def dashboards_for(user: User) -> list[str]:
    """The dashboards a user may open: team leads and managers all of them,
    the hotline and the NOC their own; none for roles that see only part
    of the tickets."""
    if can(user, Action.KPI_VIEW_ALL) and user.role in OWN_DASHBOARD:
        return list(ROLES)
    own = OWN_DASHBOARD.get(user.role)
    return [own] if own else []


def dashboard_role_for(user: User, role: str | None) -> str:
    """The dashboard asked for (the user's own when None), or refused."""
    allowed = dashboards_for(user)
    if role is not None and role not in ROLES:
        raise ValidationFailed(
            f"No dashboard {role!r}.", field="role", value=role, accepted=list(ROLES)
        )
    chosen = role or OWN_DASHBOARD.get(user.role, "")
    if chosen not in allowed:
        raise PermissionDenied(
            f"The role {user.role!r} has no {chosen or 'desk'} dashboard.",
            field="role",
            value=chosen,
            accepted=allowed,
        )
    return chosen


def dashboard_group(user: User, role: str, group_id: int | None) -> SupportGroup | None:
    """The group a hotline or team lead dashboard shows: the one asked for
    (among the user's, or any for a manager), else the user's first; the
    NOC and manager dashboards show the whole desk unless a group is asked."""
    if group_id is not None:
        group = SupportGroup.objects.filter(pk=group_id).first()
        mine = user.support_groups.filter(pk=group_id).exists()
        if group is None or not (mine or can(user, Action.KPI_VIEW_ALL)):
            raise ValidationFailed(
                "No such group for you.",
                field="group",
                value=str(group_id),
                accepted="one of your support groups",
            )
        return group
    if role in ("hotline", "teamlead"):
        return user.support_groups.order_by("name").first()
    return None


def dashboard_window(*, days: int, now: datetime | None = None) -> tuple[date, date]:
    """The last `days` days, today included: (first day, the day after today)
    as `dashboard_data` takes them."""
    if days not in PERIODS:
        raise ValidationFailed(
            f"A dashboard covers {', '.join(map(str, PERIODS))} days.",
            field="days",
            value=str(days),
            accepted=[str(p) for p in PERIODS],
        )
    today = timezone.localdate(now) if now else timezone.localdate()
    return today - timedelta(days=days - 1), today + timedelta(days=1)


def _day(moment: date | datetime, *, end: bool = False) -> date:
    if isinstance(moment, datetime):
        # An end is exclusive: the last day is the one before it.
        return timezone.localtime(moment - timedelta(microseconds=1) if end else moment).date()
    return moment - timedelta(days=1) if end else moment


def _queue_figures(user: User, window: Window) -> list[dict[str, Any]]:
    """Live counts of the queue now (two counts on the queue's indexes)."""
    group = str(window.group.pk) if window.group else "all"
    figures = []
    for label, params in (
        ("Open now", {"group": group, "open": "1"}),
        (
            f"At risk (due within {AT_RISK_MINUTES} min or breached)",
            {"group": group, "at_risk": str(AT_RISK_MINUTES)},
        ),
    ):
        filters = ticket_filter_from_query(user=user, params=params)
        figures.append(
            {
                "label": label,
                "value": tickets_filtered(user=user, filters=filters).count(),
                "link": "/?" + "&".join(f"{k}={v}" for k, v in params.items()),
            }
        )
    return figures


def _network_figures() -> list[dict[str, Any]]:
    """Live NOC counts: active incidents and firing alarms (state indexes)."""
    return [
        {
            "label": "Active network incidents",
            "value": active_incidents().count(),
            "link": "/noc/",
        },
        {
            "label": "Firing alarms",
            "value": Alarm.objects.filter(state=AlarmState.FIRING).count(),
            "link": "/noc/alarms/?state=firing",
        },
    ]


def _running_plans(today: date) -> list[dict[str, Any]]:
    plans = plans_list().filter(period_start__lte=today, period_end__gte=today)
    return [plan_progress(plan) for plan in plans[:PLANS_SHOWN]]


def dashboard_data(
    *,
    user: User,
    role: str,
    start: date | datetime,
    end: date | datetime,
    group: SupportGroup | None = None,
) -> dict[str, Any]:
    """A role's dashboard over [start, end) (dates: the days from start up
    to end, end excluded), for `user`: its charts (each with heading and
    rows for a table), the live queue figures and, for the manager, the
    running service plans. Refused for a dashboard the user may not open."""
    role = dashboard_role_for(user, role)
    first, last = _day(start), _day(end, end=True)
    if last < first:
        raise ValidationFailed(
            "The period ends before it starts.",
            field="end",
            value=str(end),
            accepted=f"after {start}",
        )
    if group is None and role in ("hotline", "teamlead"):
        group = dashboard_group(user, role, None)
    window = Window(first=first, last=last, group=group)
    data: dict[str, Any] = {
        "role": role,
        "role_label": ROLE_LABELS[role],
        "first": first,
        "last": last,
        "group": group,
        "scope_label": f"Group {group.name}" if group else "Whole desk",
        "charts": role_charts(role, window),
        "figures": [],
        "plans": [],
    }
    if role in ("hotline", "teamlead", "manager"):
        data["figures"] = _queue_figures(user, window)
    if role in ("noc", "manager"):
        data["figures"] += _network_figures()
    if role == "manager":
        data["plans"] = _running_plans(timezone.localdate())
    return data
