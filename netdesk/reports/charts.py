"""Charts drawn on the server as SVG: line, bar, stacked bar and heatmap,
plus a progress bar for a plan's target. No script and no style element
(the pages' content security policy allows neither); colours come from
classes in desk.css, and every series also has its own pattern or marker,
so a chart reads without colour. Each mark links to the tickets behind it
and carries a <title> tooltip; a table with the same figures and links
follows every chart.

A chart is a dict (see `netdesk.reports.dashboards`): key, title, kind,
unit, x (labels), series [{name, values, links}] and for a heatmap the row
labels as series names.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

WIDTH = 760
HEIGHT = 260
LEFT, RIGHT, TOP, BOTTOM = 52, 12, 14, 52
MARKERS = ("circle", "square", "diamond")
PATTERNS = 3
HEAT_LEVELS = 5
MAX_X_LABELS = 16


def _number(value: float | None, unit: str = "") -> str:
    if value is None:
        return "—"
    text = f"{value:,.1f}".rstrip("0").rstrip(".") if isinstance(value, float) else f"{value:,}"
    return f"{text} {unit}".strip() if unit and unit != "%" else f"{text}{unit}"


def _short(value: float) -> str:
    if value >= 10_000:
        return f"{value / 1000:.0f}k"
    if value >= 1000:
        return f"{value / 1000:.1f}k"
    return f"{value:g}"


def _clipped(label: str, longest: int = 16) -> str:
    """An axis label short enough to stay inside the chart (the tooltip and
    the table keep it whole)."""
    return label if len(label) <= longest else label[: longest - 1] + "…"


def _nice_top(value: float) -> float:
    if value <= 0:
        return 1
    for step in (1, 2, 2.5, 5, 10):
        magnitude = 10 ** (len(str(int(value))) - 1)
        top = step * magnitude
        if top >= value:
            return top
    return value


def _plot() -> tuple[float, float]:
    return WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM


def _y(value: float, top: float) -> float:
    height = _plot()[1]
    return TOP + height - (value / top) * height


def _open(chart: dict[str, Any], extra: str = "") -> list[str]:
    label = escape(f"{chart['title']}: {chart.get('summary', '')}".rstrip(": "))
    prefix = escape(chart["key"])
    parts = [
        f'<svg class="chart chart-{escape(chart["kind"])}" viewBox="0 0 {WIDTH} {HEIGHT}" '
        f'role="img" aria-label="{label}" xmlns="http://www.w3.org/2000/svg">',
        "<defs>",
    ]
    for index in range(PATTERNS):
        lines = {
            0: "",
            1: '<path d="M0,6 L6,0" class="hatch"/>',
            2: '<circle cx="3" cy="3" r="1.3" class="dots"/>',
        }
        parts.append(
            f'<pattern id="{prefix}-p{index}" width="6" height="6" patternUnits="userSpaceOnUse">'
            f'<rect width="6" height="6" class="series-{index}"/>{lines[index]}</pattern>'
        )
    parts.append("</defs>")
    parts.append(extra)
    return parts


def _axes(chart: dict[str, Any], top: float, positions: Sequence[float]) -> list[str]:
    width, height = _plot()
    unit = chart.get("unit", "")
    parts = [
        f'<g class="axis"><line x1="{LEFT}" y1="{TOP + height}" x2="{LEFT + width}" y2="{TOP + height}"/>'
    ]
    for step in range(5):
        value = top * step / 4
        y = _y(value, top)
        parts.append(
            f'<line class="grid" x1="{LEFT}" y1="{y:.1f}" x2="{LEFT + width}" y2="{y:.1f}"/>'
            f'<text x="{LEFT - 6}" y="{y + 4:.1f}" text-anchor="end">{escape(_short(value))}{escape(unit if unit == "%" else "")}</text>'
        )
    labels = chart["x"]
    every = max(1, -(-len(labels) // MAX_X_LABELS))
    for index, (label, x) in enumerate(zip(labels, positions, strict=True)):
        if index % every:
            continue
        parts.append(
            f'<text x="{x:.1f}" y="{TOP + height + 14}" text-anchor="end" '
            f'transform="rotate(-35 {x:.1f} {TOP + height + 14})">{escape(_clipped(label))}</text>'
        )
    parts.append("</g>")
    return parts


def _legend(chart: dict[str, Any], kind: str) -> list[str]:
    parts = ['<g class="legend">']
    x = LEFT
    for index, series in enumerate(chart["series"]):
        if kind == "line":
            parts.append(_marker(index, x + 6, 6, 4))
        else:
            parts.append(
                f'<rect x="{x}" y="0" width="12" height="10" fill="url(#{escape(chart["key"])}-p{index % PATTERNS})" class="mark-edge"/>'
            )
        parts.append(f'<text x="{x + 16}" y="10">{escape(series["name"])}</text>')
        x += 24 + 7 * len(series["name"])
    parts.append("</g>")
    return parts


def _marker(index: int, x: float, y: float, size: float = 3.5, tip: str = "") -> str:
    """A series' own marker shape, so lines read without colour; `tip` is
    its escaped tooltip."""
    shape = MARKERS[index % len(MARKERS)]
    css = f'class="marker series-{index % PATTERNS}"'
    inner = f"<title>{tip}</title>" if tip else ""
    if shape == "circle":
        return f'<circle cx="{x:.1f}" cy="{y:.1f}" r="{size:.1f}" {css}>{inner}</circle>'
    if shape == "square":
        side = 2 * size
        return (
            f'<rect x="{x - size:.1f}" y="{y - size:.1f}" width="{side:.1f}" '
            f'height="{side:.1f}" {css}>{inner}</rect>'
        )
    reach = size + 1
    return (
        f'<path d="M{x:.1f},{y - reach:.1f} L{x + reach:.1f},{y:.1f} L{x:.1f},{y + reach:.1f} '
        f'L{x - reach:.1f},{y:.1f} Z" {css}>{inner}</path>'
    )


def _tip(chart: dict[str, Any], series_name: str, label: str, value: float | None) -> str:
    return escape(f"{series_name}, {label}: {_number(value, chart.get('unit', ''))}")


def _mark_link(href: str, body: str) -> str:
    if not href:
        return body
    return f'<a href="{escape(href)}">{body}</a>'


def _top(chart: dict[str, Any], stacked: bool = False) -> float:
    if chart.get("unit") == "%":
        return 100
    if stacked:
        sums = [sum(s["values"][i] or 0 for s in chart["series"]) for i in range(len(chart["x"]))]
        return _nice_top(max(sums, default=0))
    return _nice_top(max((v or 0 for s in chart["series"] for v in s["values"]), default=0))


def _bars(chart: dict[str, Any], stacked: bool) -> str:
    width, _height = _plot()
    count = max(len(chart["x"]), 1)
    slot = width / count
    groups = 1 if stacked else max(len(chart["series"]), 1)
    bar = max(slot * 0.8 / groups, 1)
    top = _top(chart, stacked)
    centres = [LEFT + slot * (i + 0.5) for i in range(len(chart["x"]))]
    parts = _open(chart) + _axes(chart, top, centres) + _legend(chart, "bar")
    for i, label in enumerate(chart["x"]):
        base = 0.0
        for index, series in enumerate(chart["series"]):
            value = series["values"][i]
            if value is None:
                continue
            x = LEFT + slot * i + slot * 0.1 + (0 if stacked else bar * index)
            y_top, y_base = _y(base + value, top), _y(base, top)
            rect = (
                f'<rect x="{x:.1f}" y="{y_top:.1f}" width="{bar:.1f}" height="{max(y_base - y_top, 0):.1f}" '
                f'fill="url(#{escape(chart["key"])}-p{index % PATTERNS})" class="mark-edge">'
                f"<title>{_tip(chart, series['name'], label, value)}</title></rect>"
            )
            parts.append(_mark_link(series["links"][i], rect))
            if stacked:
                base += value
        if stacked and chart.get("totals"):
            parts.append(
                f'<text class="bar-label" x="{centres[i]:.1f}" y="{_y(base, top) - 3:.1f}" '
                f'text-anchor="middle">{escape(chart["totals"][i])}</text>'
            )
    parts.append("</svg>")
    return "".join(parts)


def _lines(chart: dict[str, Any]) -> str:
    width, _height = _plot()
    count = len(chart["x"])
    step = width / max(count - 1, 1)
    xs = [LEFT + step * i for i in range(count)] if count > 1 else [LEFT + width / 2]
    top = _top(chart)
    parts = _open(chart) + _axes(chart, top, xs) + _legend(chart, "line")
    for index, series in enumerate(chart["series"]):
        points = [
            f"{xs[i]:.1f},{_y(value, top):.1f}"
            for i, value in enumerate(series["values"])
            if value is not None
        ]
        dash = ' stroke-dasharray="6 3"' if index % 2 else ""
        parts.append(
            f'<polyline class="line series-line-{index % PATTERNS}" fill="none" stroke="#1f5fbf"'
            f'{dash} points="{" ".join(points)}"/>'
        )
        for i, value in enumerate(series["values"]):
            if value is None:
                continue
            tip = _tip(chart, series["name"], chart["x"][i], value)
            marker = _marker(index, xs[i], _y(value, top), tip=tip)
            parts.append(_mark_link(series["links"][i], marker))
    parts.append("</svg>")
    return "".join(parts)


def _heatmap(chart: dict[str, Any]) -> str:
    width, height = _plot()
    columns, rows = len(chart["x"]), len(chart["series"])
    cell_w, cell_h = width / max(columns, 1), height / max(rows, 1)
    biggest = max((v or 0 for s in chart["series"] for v in s["values"]), default=0) or 1
    parts = _open(chart)
    for r, series in enumerate(chart["series"]):
        y = TOP + r * cell_h
        parts.append(
            f'<text class="axis" x="{LEFT - 6}" y="{y + cell_h / 2 + 4:.1f}" text-anchor="end">{escape(series["name"])}</text>'
        )
        for c, value in enumerate(series["values"]):
            x = LEFT + c * cell_w
            level = min(HEAT_LEVELS - 1, int((value or 0) / biggest * HEAT_LEVELS))
            cell = (
                f'<rect x="{x:.1f}" y="{y:.1f}" width="{cell_w - 1:.1f}" height="{cell_h - 1:.1f}" '
                f'class="heat heat-{level}"><title>{_tip(chart, series["name"], chart["x"][c], value)}</title></rect>'
                f'<text class="heat-label heat-label-{level}" x="{x + cell_w / 2:.1f}" y="{y + cell_h / 2 + 3:.1f}" '
                f'text-anchor="middle">{escape(_short(value or 0))}</text>'
            )
            parts.append(_mark_link(series["links"][c], cell))
    for c, label in enumerate(chart["x"]):
        parts.append(
            f'<text class="axis" x="{LEFT + c * cell_w + cell_w / 2:.1f}" y="{TOP + height + 14}" text-anchor="middle">{escape(label)}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


def chart_svg(chart: dict[str, Any]) -> SafeString:
    """The chart as an SVG element (every text escaped)."""
    kind = chart["kind"]
    if kind == "heatmap":
        return mark_safe(_heatmap(chart))  # noqa: S308 - every text above is escaped
    if kind == "line":
        return mark_safe(_lines(chart))  # noqa: S308
    return mark_safe(_bars(chart, stacked=kind == "stacked"))  # noqa: S308


def progress_svg(
    *, actual: float | None, target: float, highest: float, good: bool, label: str
) -> SafeString:
    """A bullet bar: the actual value as a bar, the target as a tick."""
    width, height = 240, 22
    scale = max(highest, target, actual or 0) or 1
    bar = 0 if actual is None else max(0.0, min(actual / scale, 1.0)) * width
    tick = max(0.0, min(target / scale, 1.0)) * width
    state = "good" if good else "short"
    svg = (
        f'<svg class="progress" viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
        f'role="img" aria-label="{escape(label)}" xmlns="http://www.w3.org/2000/svg">'
        f'<rect class="progress-track" x="0" y="5" width="{width}" height="12"/>'
        f'<rect class="progress-bar progress-{state}" x="0" y="5" width="{bar:.1f}" height="12"/>'
        f'<line class="progress-target" x1="{tick:.1f}" y1="0" x2="{tick:.1f}" y2="{height}"/>'
        f"<title>{escape(label)}</title></svg>"
    )
    return mark_safe(svg)  # noqa: S308 - the label is escaped
