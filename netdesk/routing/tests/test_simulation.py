"""The routing simulation: deterministic per seed, sane figures, the effect
least-sufficient routing is meant to have, the history profile, the command."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from netdesk.routing.engine import Policy, Rule, TicketFacts
from netdesk.routing.simulation import model as sim
from netdesk.routing.simulation.report import markdown
from netdesk.routing.simulation.run import compare, simulate

SMALL = sim.Settings(volume=60, agents=4)


def test_same_seed_same_results_and_other_seeds_differ():
    world = sim.builtin_world()
    first = compare(world, SMALL, [1, 2])
    again = compare(world, SMALL, [1, 2])
    assert first == again
    by_seed = {(r.seed, r.policy): r for r in first}
    assert by_seed[(1, "least_sufficient")] != by_seed[(2, "least_sufficient")]


def test_every_ticket_is_resolved_and_figures_are_shares():
    results = compare(sim.builtin_world(), SMALL, [3])
    assert {r.policy for r in results} == {p.value for p in sim.POLICIES}
    for result in results:
        assert result.tickets == 60
        assert result.agents == 4
        for share in (
            result.first_contact_resolution,
            result.sla_compliance,
            result.first_response_met,
            result.within_level,
        ):
            assert 0.0 <= share <= 1.0
        assert result.p90_wait >= 0.0
        assert result.last_resolution > 0.0


def test_least_sufficient_keeps_the_expert_free_for_hard_tickets():
    # Given one expert and two juniors, easy tickets and urgent ones only
    # the expert may take (hard requirement at level 4)
    easy = TicketFacts(ticket_type="information_request", priority=3)
    hard = TicketFacts(ticket_type="fault", priority=1)
    world = sim.World(
        profile=sim.Profile((1.0,) * 24, ((easy, 4.0), (hard, 1.0)), 80, "test"),
        rules=(
            Rule("easy", 1, 1, ticket_type="information_request"),
            Rule("hard", 1, 4, hard=True, ticket_type="fault"),
        ),
        skill_codes={1: "NET-DIAG"},
        agent_pool=None,
    )
    settings = replace(SMALL, volume=80, agents=3)
    day = sim.make_day(world, settings, seed=5)
    day = replace(day, agents=({1: 5}, {1: 2}, {1: 2}))
    least = simulate(world, settings, Policy.LEAST_SUFFICIENT, 5, day)
    most = simulate(world, settings, Policy.MOST_PROFICIENT, 5, day)
    # Then urgent tickets wait less when the expert is kept free
    assert least.urgent_mean_wait < most.urgent_mean_wait


def test_profile_from_history_reads_hours_mix_and_a_busy_day():
    monday = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
    rows = []
    for day in range(10):
        count = 20 if day % 7 == 0 else 10  # Mondays are busier
        for n in range(count):
            rows.append(
                sim.HistoryRow(
                    created_at=monday + timedelta(days=day, minutes=n),
                    ticket_type="fault" if n % 2 else "complaint",
                    category="No internet",
                    priority=3,
                    channel="phone",
                    segment="residential",
                    key_account=False,
                )
            )
    profile = sim.profile_from_history(rows, time_zone="UTC", start_hour=8, end_hour=18)
    assert profile is not None
    assert profile.hour_weights[9] == len(rows)
    assert profile.daily_volume == 20  # the busiest quarter of weekdays
    assert {facts.ticket_type for facts, _ in profile.mix} == {"fault", "complaint"}
    assert sim.profile_from_history(rows[:50], time_zone="UTC", start_hour=8, end_hour=18) is None


def test_markdown_table_has_a_row_per_policy():
    world = sim.builtin_world()
    text = markdown(compare(world, SMALL, [1, 2]), world, SMALL)
    assert "| least-sufficient |" in text
    assert "| most-proficient |" in text
    assert "| round-robin |" in text


@pytest.mark.django_db
def test_simulate_command_on_an_empty_desk_falls_back_to_the_built_in_profile(tmp_path):
    out = StringIO()
    target = tmp_path / "report.md"
    call_command(
        "simulate",
        "routing",
        "--seeds",
        "2",
        "--tickets",
        "40",
        "--output",
        str(target),
        stdout=out,
    )
    assert "built-in profile" in out.getvalue()
    assert target.read_text(encoding="utf-8").startswith("Rules: Faults: NET-DIAG ≥ 2")
    out = StringIO()
    call_command(
        "simulate", "routing", "--source", "builtin", "--seeds", "1", "--tickets", "30", "--json",
        stdout=out,
    )  # fmt: skip
    assert len(json.loads(out.getvalue())) == 3
    with pytest.raises(CommandError):
        call_command("simulate", "routing", "--thresholds", "90,50", stdout=StringIO())
