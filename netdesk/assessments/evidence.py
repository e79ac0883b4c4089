"""KPI evidence for an assessment, computed from the agents' own work.

The ticket KPIs are the desk's own (`netdesk.tickets.kpis`, which the KPI
report reads too), attributed to an agent as follows:

- response_rate: share of the tickets the agent created in the period that
  have had a first response.
- first_response_time: mean seconds from creation to first response, over
  tickets the agent created in the period that were responded to. Lower is
  better.
- first_contact_resolution: share of the tickets the agent resolved in the
  period (merged duplicates left out) resolved on first contact.
- solved_without_escalation: share of those that never went beyond first
  line (highest tier 1).
- reopen_rate: share of those reopened at least once. Lower is better.
- escalation_accuracy: share of the agent's functional escalations in the
  period that the receiving group did not bounce back, i.e. the ticket was
  never later escalated from the receiving group straight back to the group
  it came from.
- sla_compliance: share of the service-level (SLA, not OLA) targets decided
  in the period on tickets the agent resolved that were met (stopped in the
  period, or still running and breached in it; cancelled ones left out).
- customer_satisfaction: CSAT, the share of the answered surveys of tickets
  the agent resolved in the period (by the survey's resolution time) that
  rated 4 or 5 of 5; suppressed, unanswered and expired surveys are not
  answers. The note gives the mean rating and the number of responses. Under
  MIN_RESPONSES answers the figure is shown but not used as evidence ("not
  enough responses"): a few customers' moods say nothing of the agent.

Case mix. Agents do not get the same tickets: a P1 fibre fault on the phone
is not an email about an invoice. Each KPI is compared with what the
reference population (the whole desk, or only the assessed team) achieved on
the same mix, by indirect standardisation over cells of category ×
priority × channel:

    expected = Σ_cells n_agent,cell × reference_rate_cell / n_agent
    ratio    = observed / expected            (O/E; 1.0 = as expected)

Shrinkage. A ratio from a handful of tickets is mostly noise, so it is
pulled toward the team's pooled ratio (Σ observed / Σ expected over the
assessed agents) with the credibility weight w = n / (n + k):

    shrunk = w × ratio + (1 − w) × team_ratio

With k = 30, an agent with 30 tickets counts half their own figure and half
the team's; with 300 tickets, 91 % their own. The adjusted value, on the
KPI's own scale, is shrunk × the reference population's overall rate.

Tickets handled outside the agent's level (routed to them only because a
requirement was relaxed: routing's decision says not within level) can be left out
of everyone's figures with `exclude_outside_level`.

An indicator's KPI rule names one of these KPIs, or the KPI report's
figure for it (e.g. "resolution.first_contact_rate", see KPI_ALIASES).
Volumes such as "tickets_closed" have no expected value for a ticket mix
and are not used as evidence.

Every figure for a whole team comes from five aggregate queries, whatever
the number of agents or tickets.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, replace
from datetime import date, datetime, time, timedelta
from typing import Any, TypeVar

from django.db.models import Count, F, Model, Q, QuerySet, Sum
from django.utils import timezone

from netdesk.core.hooks import hooks_answers
from netdesk.sla.models import PolicyKind, SlaTimer, TimerState
from netdesk.surveys.models import Survey, SurveyState
from netdesk.tickets import kpis

Row = TypeVar("Row", bound=Model)


@dataclass(frozen=True)
class KpiDefinition:
    name: str
    label: str
    higher_is_better: bool
    unit: str  # "share" (0–1) or "seconds"


KPIS: dict[str, KpiDefinition] = {
    kpi.name: kpi
    for kpi in (
        KpiDefinition("response_rate", "Tickets responded to", True, "share"),
        KpiDefinition("first_response_time", "First response time (mean)", False, "seconds"),
        KpiDefinition("first_contact_resolution", "First-contact resolution", True, "share"),
        KpiDefinition("solved_without_escalation", "Solved without escalation", True, "share"),
        KpiDefinition("escalation_accuracy", "Escalations not bounced back", True, "share"),
        KpiDefinition("reopen_rate", "Reopen rate", False, "share"),
        KpiDefinition("sla_compliance", "SLA targets met", True, "share"),
        KpiDefinition("customer_satisfaction", "Customer satisfaction", True, "share"),
    )
}
# Indicators' KPI rules may name a figure of the desk's KPI report instead.
KPI_ALIASES = {
    "response.rate": "response_rate",
    "first_response_time.mean_seconds": "first_response_time",
    "first_response_time.median_seconds": "first_response_time",
    "resolution.first_contact_rate": "first_contact_resolution",
    "resolution.without_escalation_rate": "solved_without_escalation",
    "resolution.reopen_rate": "reopen_rate",
    "csat": "customer_satisfaction",
}
# Fewer answered surveys than this are shown but not used as evidence.
MIN_RESPONSES = 5

Cell = tuple[int | None, int, str]  # category id, priority, channel


@dataclass(frozen=True)
class CellCount:
    """One agent's (or nobody's) tickets in one cell: how many, and the sum
    of the KPI over them (successes for a share, seconds for a time)."""

    agent_id: int | None
    cell: Cell
    count: int
    total: float


@dataclass(frozen=True)
class KpiEvidence:
    kpi: str
    label: str
    higher_is_better: bool
    unit: str
    tickets: int
    observed: float | None
    expected: float | None
    ratio: float | None
    team_ratio: float | None
    weight: float
    shrunk_ratio: float | None
    adjusted: float | None
    note: str = ""

    def as_json(self) -> dict[str, Any]:
        data = asdict(self)
        for key in ("observed", "expected", "ratio", "team_ratio", "weight", "shrunk_ratio"):
            if data[key] is not None:
                data[key] = round(data[key], 4)
        if data["adjusted"] is not None:
            data["adjusted"] = round(data["adjusted"], 4)
        return data


def standardise(
    rows: Iterable[CellCount],
    *,
    kpi: str,
    agent_ids: Sequence[int],
    shrinkage_k: float,
    reference: str = "desk",
) -> dict[int, KpiEvidence]:
    """Observed, expected (indirect standardisation over cells), O/E,
    the team's pooled O/E and the shrunk O/E of each agent. `reference`:
    "desk" takes every row as the reference, "team" only the agents'."""
    definition = KPIS[kpi]
    team = set(agent_ids)
    rows = list(rows)
    reference_cells: dict[Cell, list[float]] = defaultdict(lambda: [0, 0.0])
    for row in rows:
        if reference == "desk" or row.agent_id in team:
            reference_cells[row.cell][0] += row.count
            reference_cells[row.cell][1] += row.total
    reference_count = sum(c for c, _ in reference_cells.values())
    overall = (
        sum(t for _, t in reference_cells.values()) / reference_count if reference_count else None
    )

    count: dict[int, int] = defaultdict(int)
    observed_total: dict[int, float] = defaultdict(float)
    expected_total: dict[int, float] = defaultdict(float)
    for row in rows:
        if row.agent_id not in team:
            continue
        cell_count, cell_total = reference_cells[row.cell]
        count[row.agent_id] += row.count
        observed_total[row.agent_id] += row.total
        expected_total[row.agent_id] += row.count * (cell_total / cell_count)
    pooled_expected = sum(expected_total[a] for a in team if expected_total[a] > 0)
    pooled_observed = sum(observed_total[a] for a in team if expected_total[a] > 0)
    team_ratio = pooled_observed / pooled_expected if pooled_expected > 0 else None

    evidence: dict[int, KpiEvidence] = {}
    for agent_id in agent_ids:
        n = count[agent_id]
        observed = observed_total[agent_id] / n if n else None
        expected = expected_total[agent_id] / n if n else None
        ratio = (
            observed_total[agent_id] / expected_total[agent_id]
            if expected_total[agent_id] > 0
            else None
        )
        weight = n / (n + shrinkage_k) if n else 0.0
        shrunk = ratio
        if ratio is not None and team_ratio is not None:
            shrunk = weight * ratio + (1 - weight) * team_ratio
        note = ""
        if not n:
            note = "no tickets in the period"
        elif ratio is None:
            note = "the expected value is 0 for every ticket of this mix: no ratio"
        evidence[agent_id] = KpiEvidence(
            kpi=kpi,
            label=definition.label,
            higher_is_better=definition.higher_is_better,
            unit=definition.unit,
            tickets=n,
            observed=observed,
            expected=expected,
            ratio=ratio,
            team_ratio=team_ratio,
            weight=weight,
            shrunk_ratio=shrunk,
            adjusted=shrunk * overall if shrunk is not None and overall is not None else None,
            note=note,
        )
    return evidence


# ---- the five aggregate queries ----------------------------------------------


def period_bounds(start: date, end: date) -> tuple[datetime, datetime]:
    """A cycle's period, both days included, as [start, end) in the desk's time."""
    zone = timezone.get_current_timezone()
    return (
        datetime.combine(start, time.min, tzinfo=zone),
        datetime.combine(end + timedelta(days=1), time.min, tzinfo=zone),
    )


def _within_level(rows: QuerySet[Row], ticket: str, agent: str) -> QuerySet[Row]:
    """Leave out the tickets routed to this agent only because a requirement
    was relaxed. Routing knows which (hook `tickets_outside_level`: a
    condition on the `ticket` and `agent` paths of `rows`)."""
    for outside in hooks_answers("tickets_outside_level", ticket=ticket, agent=agent):
        rows = rows.filter(~outside)
    return rows


CELL = {
    "cell_category": F("category"),
    "cell_priority": F("priority"),
    "cell_channel": F("channel"),
}
TICKET_CELL = {
    "cell_category": F("ticket__category"),
    "cell_priority": F("ticket__priority"),
    "cell_channel": F("ticket__channel"),
}


def _cell(row: dict[str, Any]) -> Cell:
    return (row["cell_category"], row["cell_priority"], row["cell_channel"])


def _scope(
    rows: QuerySet[Any], agent_field: str, agent_ids: Sequence[int], reference: str
) -> QuerySet[Any]:
    # The desk reference needs everyone's rows; the team reference only the team's.
    return rows.filter(**{f"{agent_field}__in": agent_ids}) if reference == "team" else rows


def _resolved_rows(
    start: datetime,
    end: datetime,
    agent_ids: Sequence[int],
    reference: str,
    exclude_outside_level: bool,
) -> list[dict[str, Any]]:
    agent = kpis.RESOLUTION_AGENT
    tickets = kpis.resolved_in(start, end)
    if exclude_outside_level:
        tickets = _within_level(tickets, "pk", agent)
    return list(
        _scope(tickets, agent, agent_ids, reference)
        .values(agent=F(agent), **CELL)
        .annotate(**kpis.resolution_counts())
        .order_by()
    )


def _first_response_rows(
    start: datetime,
    end: datetime,
    agent_ids: Sequence[int],
    reference: str,
    exclude_outside_level: bool,
) -> list[dict[str, Any]]:
    agent = kpis.RESPONSE_AGENT
    tickets = kpis.created_in(start, end)
    if exclude_outside_level:
        tickets = _within_level(tickets, "pk", agent)
    return list(
        _scope(tickets, agent, agent_ids, reference)
        .values(agent=F(agent), **CELL)
        .annotate(
            **kpis.response_counts(),
            # Tickets without a response add NULL, which SUM skips.
            waited=Sum(kpis.response_wait()),
        )
        .order_by()
    )


def _escalation_rows(
    start: datetime,
    end: datetime,
    agent_ids: Sequence[int],
    reference: str,
    exclude_outside_level: bool,
) -> list[dict[str, Any]]:
    agent = kpis.ESCALATION_AGENT
    events = kpis.escalations_in(start, end)
    if exclude_outside_level:
        events = _within_level(events, "ticket", agent)
    return list(
        _scope(events, agent, agent_ids, reference)
        .annotate(bounced=kpis.bounced_back())
        .values(agent=F(agent), **TICKET_CELL)
        .annotate(escalated=Count("id"), kept=Count("id", filter=Q(bounced=False)))
        .order_by()
    )


def _sla_rows(
    start: datetime,
    end: datetime,
    agent_ids: Sequence[int],
    reference: str,
    exclude_outside_level: bool,
) -> list[dict[str, Any]]:
    timers = (
        SlaTimer.objects.filter(kind=PolicyKind.SLA)
        .exclude(state=TimerState.CANCELLED)
        .filter(
            Q(stopped_at__gte=start, stopped_at__lt=end)
            | Q(stopped_at__isnull=True, breached_at__gte=start, breached_at__lt=end)
        )
    )
    if exclude_outside_level:
        timers = _within_level(timers, "ticket", "ticket__resolved_by")
    return list(
        _scope(timers, "ticket__resolved_by", agent_ids, reference)
        .values(agent=F("ticket__resolved_by"), **TICKET_CELL)
        .annotate(due=Count("id"), met=Count("id", filter=Q(breached_at__isnull=True)))
        .order_by()
    )


def _satisfaction_rows(
    start: datetime,
    end: datetime,
    agent_ids: Sequence[int],
    reference: str,
    exclude_outside_level: bool,
) -> list[dict[str, Any]]:
    surveys = Survey.objects.filter(
        state=SurveyState.ANSWERED,
        rating__isnull=False,
        resolved_at__gte=start,
        resolved_at__lt=end,
        agent__isnull=False,
    )
    if exclude_outside_level:
        surveys = _within_level(surveys, "ticket", "agent")
    return list(
        _scope(surveys, "agent", agent_ids, reference)
        .values("agent", **TICKET_CELL)
        .annotate(
            responses=Count("id"),
            satisfied=Count("id", filter=Q(rating__gte=4)),
            rating_total=Sum("rating"),
        )
        .order_by()
    )


def _satisfaction_evidence(
    rows: list[dict[str, Any]], *, agent_ids: Sequence[int], shrinkage_k: float, reference: str
) -> dict[int, KpiEvidence]:
    """CSAT standardised like the other shares; the mean rating and the
    responses in the note; too few responses shown, not used."""
    evidence = standardise(
        [CellCount(r["agent"], _cell(r), r["responses"], r["satisfied"]) for r in rows],
        kpi="customer_satisfaction",
        agent_ids=agent_ids,
        shrinkage_k=shrinkage_k,
        reference=reference,
    )
    rating_totals: dict[int, int] = defaultdict(int)
    for row in rows:
        rating_totals[row["agent"]] += row["rating_total"] or 0
    for agent_id, found in evidence.items():
        if not found.tickets:
            evidence[agent_id] = replace(found, note="no answered survey in the period")
            continue
        mean = rating_totals[agent_id] / found.tickets
        note = f"mean rating {mean:.1f} of 5 over {found.tickets} responses"
        if found.tickets < MIN_RESPONSES:
            evidence[agent_id] = replace(
                found,
                shrunk_ratio=None,
                adjusted=None,
                note=f"not enough responses (under {MIN_RESPONSES}): {note}",
            )
        else:
            evidence[agent_id] = replace(found, note=f"{note}; {found.note}".rstrip("; "))
    return evidence


def _seconds(value: Any) -> float:
    return value.total_seconds() if isinstance(value, timedelta) else float(value or 0)


def kpi_evidence(
    *,
    agent_ids: Sequence[int],
    start: datetime,
    end: datetime,
    shrinkage_k: float = 30.0,
    reference: str = "desk",
    exclude_outside_level: bool = False,
) -> dict[int, dict[str, KpiEvidence]]:
    """Every KPI of every agent in `agent_ids` (the team assessed together)
    over [start, end): agent id → KPI name → evidence."""
    ids = list(dict.fromkeys(agent_ids))
    args = (start, end, ids, reference, exclude_outside_level)
    counts: dict[str, list[CellCount]] = defaultdict(list)
    for row in _resolved_rows(*args):
        cell, agent, solved = _cell(row), row["agent"], row["requests_solved"]
        counts["first_contact_resolution"].append(
            CellCount(agent, cell, solved, row["solved_first_contact"])
        )
        counts["solved_without_escalation"].append(
            CellCount(agent, cell, solved, row["solved_without_escalation"])
        )
        counts["reopen_rate"].append(CellCount(agent, cell, solved, row["reopened"]))
    for row in _first_response_rows(*args):
        cell, agent = _cell(row), row["agent"]
        counts["response_rate"].append(CellCount(agent, cell, row["created"], row["responded"]))
        if row["responded"]:
            counts["first_response_time"].append(
                CellCount(agent, cell, row["responded"], _seconds(row["waited"]))
            )
    for row in _escalation_rows(*args):
        counts["escalation_accuracy"].append(
            CellCount(row["agent"], _cell(row), row["escalated"], row["kept"])
        )
    for row in _sla_rows(*args):
        counts["sla_compliance"].append(CellCount(row["agent"], _cell(row), row["due"], row["met"]))
    satisfaction = _satisfaction_evidence(
        _satisfaction_rows(*args), agent_ids=ids, shrinkage_k=shrinkage_k, reference=reference
    )

    by_kpi: dict[str, dict[int, KpiEvidence]] = {}
    for kpi in KPIS:
        if kpi == "customer_satisfaction":
            by_kpi[kpi] = satisfaction
        else:
            by_kpi[kpi] = standardise(
                counts[kpi],
                kpi=kpi,
                agent_ids=ids,
                shrinkage_k=shrinkage_k,
                reference=reference,
            )
    return {agent_id: {kpi: by_kpi[kpi][agent_id] for kpi in KPIS} for agent_id in ids}


def kpi_named(name: str) -> str | None:
    """The KPI an indicator's rule names, by its own name or the KPI report's."""
    name = name.strip()
    if name in KPIS:
        return name
    return KPI_ALIASES.get(name)
