"""The dashboards' charts: each built from the precomputed daily figures
(`netdesk.reports.rollups`), the surveys or the network incidents in a
fixed number of queries whatever the number of tickets.

A chart is a dict the SVG builder (`netdesk.reports.charts`) draws and a
subscription (CSV/XLSX) writes as rows: key, title, kind, unit, x, series
[{name, values, links}], heading and rows. Each mark links to what is
behind it: the queue with the ticket list filters, or the SLA, CSAT or
network failure report for what is not a ticket list.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any
from urllib.parse import urlencode

from django.db.models import Count, DateField, QuerySet, Sum
from django.db.models.functions import TruncWeek

from netdesk.accounts.models import SupportGroup
from netdesk.noc.models import NetworkIncident
from netdesk.reports.models import BreakdownKind, DayBreakdown, DayFigures
from netdesk.reports.rollups import MEASURES
from netdesk.reports.selectors import day_start
from netdesk.surveys.models import Survey
from netdesk.surveys.stats import csat_counts, figures_of
from netdesk.tickets.choices import Channel, RootCause
from netdesk.tickets.models import Category

WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
TOP = 10
# The charts of each role, in the order shown.
ROLE_CHARTS: dict[str, tuple[str, ...]] = {
    "hotline": ("flow", "backlog", "channels", "heatmap", "resolution", "csat"),
    "noc": ("incidents", "root_causes", "flow", "heatmap"),
    "teamlead": ("sla", "backlog", "flow", "resolution", "csat", "categories", "root_causes"),
    "manager": (
        "flow",
        "backlog",
        "sla",
        "resolution",
        "csat",
        "channels",
        "heatmap",
        "categories",
        "root_causes",
        "incidents",
    ),
}


@dataclass(frozen=True)
class Window:
    """The days a dashboard covers (first..last, inclusive) and its group
    (None: the whole desk)."""

    first: date
    last: date
    group: SupportGroup | None = None

    @property
    def days(self) -> list[date]:
        return [self.first + timedelta(days=n) for n in range((self.last - self.first).days + 1)]

    def weeks(self) -> list[tuple[date, date]]:
        """Monday-based weeks cut to the window: (first day, last day)."""
        result = []
        start = self.first
        while start <= self.last:
            end = min(start + timedelta(days=6 - start.weekday()), self.last)
            result.append((start, end))
            start = end + timedelta(days=1)
        return result


# ---- links to what is behind a mark ---------------------------------------------


def queue_link(window: Window, **params: Any) -> str:
    """The queue showing the tickets of a mark (the ticket list filters)."""
    query = {"group": window.group.pk if window.group else "all", **params}
    return "/?" + urlencode(query)


def _created(first: date, last: date) -> dict[str, str]:
    return {
        "created_after": first.isoformat(),
        "created_before": (last + timedelta(days=1)).isoformat(),
    }


def _resolved(first: date, last: date) -> dict[str, str]:
    return {
        "resolved_after": first.isoformat(),
        "resolved_before": (last + timedelta(days=1)).isoformat(),
    }


def _report_link(path: str, first: date, last: date) -> str:
    return f"{path}?" + urlencode({"start": first.isoformat(), "end": last.isoformat()})


def _percent(part: float, whole: float) -> float | None:
    return round(100 * part / whole, 1) if whole else None


def _chart(
    key: str,
    title: str,
    kind: str,
    x: list[str],
    series: list[dict[str, Any]],
    *,
    unit: str = "",
    x_heading: str = "Day",
    note: str = "",
) -> dict[str, Any]:
    return {
        "key": key,
        "title": title,
        "kind": kind,
        "unit": unit,
        "x": x,
        "series": series,
        "note": note,
        "heading": [x_heading, *(s["name"] for s in series)],
        "rows": [[label, *(s["values"][i] for s in series)] for i, label in enumerate(x)],
    }


# ---- the figures read per dashboard ------------------------------------------------


def _daily(window: Window) -> dict[date, dict[str, float]]:
    """One query: the day figures of the window summed over segments (and
    groups, for the whole desk)."""
    figures = DayFigures.objects.filter(day__gte=window.first, day__lte=window.last)
    if window.group is not None:
        figures = figures.filter(group=window.group)
    rows = figures.values("day").annotate(**{name: Sum(name) for name in MEASURES}).order_by()
    per_day: dict[date, dict[str, float]] = {day: dict.fromkeys(MEASURES, 0) for day in window.days}
    for row in rows:
        per_day[row["day"]] = {name: row[name] or 0 for name in MEASURES}
    return per_day


def _breakdown(window: Window, kind: str) -> QuerySet[DayBreakdown]:
    rows = DayBreakdown.objects.filter(kind=kind, day__gte=window.first, day__lte=window.last)
    if window.group is not None:
        rows = rows.filter(group=window.group)
    return rows.order_by()


def _weekly(daily: dict[date, dict[str, float]], window: Window) -> list[dict[str, float]]:
    weeks = []
    for first, last in window.weeks():
        totals = dict.fromkeys(MEASURES, 0.0)
        day = first
        while day <= last:
            for name in MEASURES:
                totals[name] += daily[day][name]
            day += timedelta(days=1)
        weeks.append(totals)
    return weeks


# ---- the charts -----------------------------------------------------------------


def flow_chart(window: Window, daily: dict[date, dict[str, float]]) -> dict[str, Any]:
    days = window.days
    return _chart(
        "flow",
        "Tickets in and out per day",
        "bar",
        [day.isoformat() for day in days],
        [
            {
                "name": "Tickets in",
                "values": [int(daily[d]["created"]) for d in days],
                "links": [queue_link(window, **_created(d, d)) for d in days],
            },
            {
                "name": "Tickets out (resolved)",
                "values": [int(daily[d]["resolved"]) for d in days],
                "links": [queue_link(window, **_resolved(d, d)) for d in days],
            },
        ],
    )


def backlog_chart(window: Window, daily: dict[date, dict[str, float]]) -> dict[str, Any]:
    days = window.days
    return _chart(
        "backlog",
        "Backlog at the end of each day",
        "line",
        [day.isoformat() for day in days],
        [
            {
                "name": "Open tickets",
                "values": [int(daily[d]["backlog"]) for d in days],
                # Of a day's backlog, the queue can show those still open.
                "links": [
                    queue_link(window, open=1, created_before=(d + timedelta(days=1)).isoformat())
                    for d in days
                ],
            }
        ],
        note="A point links to the tickets of that backlog still open now.",
    )


def sla_chart(window: Window, daily: dict[date, dict[str, float]]) -> dict[str, Any]:
    weeks = window.weeks()
    totals = _weekly(daily, window)
    links = [_report_link("/reports/sla/", first, last) for first, last in weeks]
    met = [int(t["sla_due"] - t["sla_breached"]) for t in totals]
    chart = _chart(
        "sla",
        "SLA compliance per week",
        "stacked",
        [first.isoformat() for first, _ in weeks],
        [
            {"name": "Targets met", "values": met, "links": links},
            {
                "name": "Targets breached",
                "values": [int(t["sla_breached"]) for t in totals],
                "links": links,
            },
        ],
        x_heading="Week from",
    )
    shares = [_percent(t["sla_due"] - t["sla_breached"], t["sla_due"]) for t in totals]
    chart["totals"] = ["" if s is None else f"{s:g}%" for s in shares]
    chart["heading"].append("Compliance (%)")
    for row, share in zip(chart["rows"], shares, strict=True):
        row.append(share)
    return chart


def resolution_chart(window: Window, daily: dict[date, dict[str, float]]) -> dict[str, Any]:
    weeks = window.weeks()
    totals = _weekly(daily, window)
    return _chart(
        "resolution",
        "First contact and held resolution per week",
        "line",
        [first.isoformat() for first, _ in weeks],
        [
            {
                "name": "First contact resolution",
                "values": [_percent(t["resolved_first_contact"], t["resolved"]) for t in totals],
                "links": [queue_link(window, fcr=1, **_resolved(a, b)) for a, b in weeks],
            },
            {
                "name": "Held resolution",
                "values": [_percent(t["held"], t["held_decided"]) for t in totals],
                "links": [queue_link(window, **_resolved(a, b)) for a, b in weeks],
            },
        ],
        unit="%",
        x_heading="Week from",
    )


def csat_chart(window: Window) -> dict[str, Any]:
    """Satisfaction of the surveys of tickets resolved each week, as the
    CSAT report counts it (one grouped query on the surveys' resolved_at
    index)."""
    weeks = window.weeks()
    surveys = Survey.objects.filter(
        resolved_at__gte=day_start(window.first),
        resolved_at__lt=day_start(window.last + timedelta(days=1)),
    )
    if window.group is not None:
        surveys = surveys.filter(group=window.group)
    rows = (
        surveys.annotate(week=TruncWeek("resolved_at", output_field=DateField()))
        .values("week")
        .annotate(**csat_counts())
        .order_by()
    )
    per_week = {row["week"]: figures_of(row) for row in rows}
    empty = {"csat": None, "response_rate": None}
    figures = [per_week.get(first - timedelta(days=first.weekday()), empty) for first, _ in weeks]
    links = [_report_link("/reports/csat/", first, last) for first, last in weeks]
    return _chart(
        "csat",
        "Satisfaction (CSAT, rated 4–5) per week",
        "line",
        [first.isoformat() for first, _ in weeks],
        [
            {
                "name": "CSAT",
                "values": [
                    None if f["csat"] is None else round(100 * f["csat"], 1) for f in figures
                ],
                "links": links,
            },
            {
                "name": "Response rate",
                "values": [
                    None if f["response_rate"] is None else round(100 * f["response_rate"], 1)
                    for f in figures
                ],
                "links": links,
            },
        ],
        unit="%",
        x_heading="Week from",
    )


def _totals(window: Window, kind: str) -> list[tuple[str, int]]:
    rows = _breakdown(window, kind).values("key").annotate(count=Sum("count"))
    return sorted(((row["key"], int(row["count"])) for row in rows), key=lambda r: (-r[1], r[0]))


def _bars_per_key(
    window: Window,
    totals: list[tuple[str, int]],
    *,
    chart_id: str,
    title: str,
    labels: list[str],
    series: str,
    filter_name: str,
    period: dict[str, str],
    x_heading: str,
) -> dict[str, Any]:
    """One bar per breakdown key, each linking to the queue filtered by that
    key over the window (channels, categories, root causes)."""
    return _chart(
        chart_id,
        title,
        "bar",
        labels,
        [
            {
                "name": series,
                "values": [count for _, count in totals],
                "links": [queue_link(window, **{filter_name: key}, **period) for key, _ in totals],
            }
        ],
        x_heading=x_heading,
    )


def channel_chart(window: Window) -> dict[str, Any]:
    totals = _totals(window, BreakdownKind.CHANNEL)
    labels = dict(Channel.choices)
    return _bars_per_key(
        window,
        totals,
        chart_id="channels",
        title="Contacts per channel",
        labels=[str(labels.get(key, key or "—")) for key, _ in totals],
        series="Tickets created",
        filter_name="channel",
        period=_created(window.first, window.last),
        x_heading="Channel",
    )


def category_chart(window: Window) -> dict[str, Any]:
    totals = [row for row in _totals(window, BreakdownKind.CATEGORY) if row[0]][:TOP]
    names = dict(
        Category.objects.filter(pk__in=[int(key) for key, _ in totals]).values_list("pk", "name")
    )
    return _bars_per_key(
        window,
        totals,
        chart_id="categories",
        title=f"Top {TOP} categories of new tickets",
        labels=[names.get(int(key), key) for key, _ in totals],
        series="Tickets created",
        filter_name="category",
        period=_created(window.first, window.last),
        x_heading="Category",
    )


def root_cause_chart(window: Window) -> dict[str, Any]:
    totals = [row for row in _totals(window, BreakdownKind.ROOT_CAUSE) if row[0]][:TOP]
    labels = dict(RootCause.choices)
    return _bars_per_key(
        window,
        totals,
        chart_id="root_causes",
        title="Root causes of resolved tickets",
        labels=[str(labels.get(key, key)) for key, _ in totals],
        series="Tickets resolved",
        filter_name="root_cause",
        period=_resolved(window.first, window.last),
        x_heading="Root cause",
    )


def heatmap_chart(window: Window) -> dict[str, Any]:
    """Arrivals per weekday and hour over the window (the hour breakdown
    summed per day, then per weekday)."""
    rows = _breakdown(window, BreakdownKind.HOUR).values("day", "key").annotate(count=Sum("count"))
    cells: dict[tuple[int, int], int] = defaultdict(int)
    for row in rows:
        cells[(row["day"].weekday(), int(row["key"]))] += int(row["count"])
    hours = list(range(24))
    created = _created(window.first, window.last)
    return _chart(
        "heatmap",
        "Arrivals per hour of the week",
        "heatmap",
        [str(hour) for hour in hours],
        [
            {
                "name": name,
                "values": [cells[(weekday, hour)] for hour in hours],
                "links": [
                    queue_link(window, weekday=weekday + 1, hour=hour, **created) for hour in hours
                ],
            }
            for weekday, name in enumerate(WEEKDAYS)
        ],
        x_heading="Weekday",
    )


def incident_chart(window: Window) -> dict[str, Any]:
    """Network incidents started each week and the customers they
    affected (merged incidents counted in the one they joined)."""
    weeks = window.weeks()
    rows = (
        NetworkIncident.objects.filter(
            started_at__gte=day_start(window.first),
            started_at__lt=day_start(window.last + timedelta(days=1)),
            merged_into__isnull=True,
        )
        .annotate(week=TruncWeek("started_at", output_field=DateField()))
        .values("week")
        .annotate(incidents=Count("id"), customers=Sum("affected_customers"))
        .order_by()
    )
    per_week = {row["week"]: row for row in rows}
    values = []
    for first, _last in weeks:
        monday = first - timedelta(days=first.weekday())
        values.append(per_week.get(monday, {"incidents": 0, "customers": 0}))
    links = [f"/reports/failures/?month={first.strftime('%Y-%m')}" for first, _ in weeks]
    return _chart(
        "incidents",
        "Network incidents and affected customers per week",
        "bar",
        [first.isoformat() for first, _ in weeks],
        [
            {"name": "Incidents", "values": [int(v["incidents"]) for v in values], "links": links},
            {
                "name": "Affected customers",
                "values": [int(v["customers"] or 0) for v in values],
                "links": links,
            },
        ],
        x_heading="Week from",
        note="A bar links to the month's network failure report.",
    )


DailyChart = Callable[[Window, dict[date, dict[str, float]]], dict[str, Any]]
DAILY_CHARTS: dict[str, DailyChart] = {
    "flow": flow_chart,
    "backlog": backlog_chart,
    "sla": sla_chart,
    "resolution": resolution_chart,
}
OTHER_CHARTS: dict[str, Callable[[Window], dict[str, Any]]] = {
    "csat": csat_chart,
    "channels": channel_chart,
    "categories": category_chart,
    "root_causes": root_cause_chart,
    "heatmap": heatmap_chart,
    "incidents": incident_chart,
}


def role_charts(role: str, window: Window) -> list[dict[str, Any]]:
    """The role's charts; the day figures are read once for all that use them."""
    keys = ROLE_CHARTS[role]
    daily = _daily(window) if any(key in DAILY_CHARTS for key in keys) else {}
    return [
        DAILY_CHARTS[key](window, daily) if key in DAILY_CHARTS else OTHER_CHARTS[key](window)
        for key in keys
    ]
