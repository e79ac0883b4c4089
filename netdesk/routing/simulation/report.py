"""The comparison of the routing policies as a Markdown report: each
figure's mean and spread over the seeds, and each policy paired with
least-sufficient on the same days."""

from __future__ import annotations

import statistics
from collections.abc import Sequence

from netdesk.routing.engine import Policy
from netdesk.routing.simulation.model import POLICIES, Settings, World
from netdesk.routing.simulation.run import Result

COLUMNS = (
    ("first_contact_resolution", "FCR", "%"),
    ("sla_compliance", "SLA met", "%"),
    ("first_response_met", "first response met", "%"),
    ("mean_wait", "mean wait (min)", "min"),
    ("p90_wait", "p90 wait (min)", "min"),
    ("urgent_mean_wait", "P1–P2 mean wait (min)", "min"),
    ("within_level", "within level", "%"),
)


def summary(results: Sequence[Result]) -> dict[str, dict[str, tuple[float, float]]]:
    """Per policy and figure: the mean over seeds and its standard deviation."""
    table: dict[str, dict[str, tuple[float, float]]] = {}
    for policy in POLICIES:
        runs = [r for r in results if r.policy == policy.value]
        if not runs:
            continue
        table[policy.value] = {}
        for name, _, _ in (*COLUMNS, ("escalations", "", "")):
            values = [float(getattr(r, name)) for r in runs]
            spread = statistics.stdev(values) if len(values) > 1 else 0.0
            table[policy.value][name] = (statistics.fmean(values), spread)
    return table


def markdown(results: Sequence[Result], world: World, settings: Settings) -> str:
    seeds = sorted({r.seed for r in results})
    table = summary(results)
    runs = [r for r in results if r.policy == POLICIES[0].value]
    lines = [
        f"Arrivals: {world.profile.source}. Rules: {world.rules_source}. "
        f"Agents: {world.agents_source}.",
        "",
        f"Working day {settings.start_hour:02d}:00–{settings.end_hour:02d}:00, "
        f"{statistics.fmean(r.tickets for r in runs):.0f} tickets and "
        f"{statistics.fmean(r.agents for r in runs):.0f} agents on shift "
        f"(target utilisation {settings.utilisation:.0%}), relaxation at "
        f"{', '.join(f'{t} %' for t in settings.thresholds)} of the SLA target, "
        f"seeds {', '.join(str(s) for s in seeds)}; mean ± standard deviation over the seeds.",
        "",
        "| policy | " + " | ".join(label for _, label, _ in COLUMNS) + " | escalations |",
        "|---|" + "---:|" * (len(COLUMNS) + 1),
    ]
    for policy, figures in table.items():
        cells = []
        for name, _, unit in COLUMNS:
            mean, spread = figures[name]
            if unit == "%":
                cells.append(f"{mean:.1%} ± {spread:.1%}")
            else:
                cells.append(f"{mean:.1f} ± {spread:.1f}")
        mean, spread = figures["escalations"]
        cells.append(f"{mean:.0f} ± {spread:.0f}")
        lines.append(f"| {policy.replace('_', '-')} | " + " | ".join(cells) + " |")
    lines += ["", *paired(results)]
    return "\n".join(lines) + "\n"


PAIRED = (
    ("first_contact_resolution", "FCR", 100.0, "pt"),
    ("sla_compliance", "SLA met", 100.0, "pt"),
    ("mean_wait", "mean wait", 1.0, "min"),
    ("p90_wait", "p90 wait", 1.0, "min"),
)


def paired(results: Sequence[Result]) -> list[str]:
    """Each policy against least-sufficient on the same days: the mean
    per-seed difference ± its standard deviation, and on how many seeds
    least-sufficient did better."""
    base = {r.seed: r for r in results if r.policy == Policy.LEAST_SUFFICIENT.value}
    lines = [
        "Paired with least-sufficient on the same days (other minus least-sufficient; "
        "in brackets, the seeds on which least-sufficient did better):",
        "",
        "| policy | " + " | ".join(f"Δ {label}" for _, label, _, _ in PAIRED) + " |",
        "|---|" + "---:|" * len(PAIRED),
    ]
    for policy in POLICIES[1:]:
        runs = [r for r in results if r.policy == policy.value and r.seed in base]
        if not runs:
            continue
        cells = []
        for name, _, scale, unit in PAIRED:
            deltas = [(getattr(r, name) - getattr(base[r.seed], name)) * scale for r in runs]
            higher_is_better = unit == "pt"
            wins = sum(1 for d in deltas if (d < 0 if higher_is_better else d > 0))
            spread = statistics.stdev(deltas) if len(deltas) > 1 else 0.0
            cells.append(
                f"{statistics.fmean(deltas):+.1f} ± {spread:.1f} {unit} ({wins}/{len(deltas)})"
            )
        lines.append(f"| {policy.value.replace('_', '-')} | " + " | ".join(cells) + " |")
    return lines
