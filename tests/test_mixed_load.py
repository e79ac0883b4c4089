"""The mixed workload's pieces without a server: the requests of the mix,
the memory readings from /proc and the slope that says whether memory grows."""

from __future__ import annotations

import json
import os
from collections import Counter

import pytest

from bench.mixed_load import (
    MIX,
    Desk,
    Reading,
    markdown,
    parse_args,
    peaks,
    processes_under,
    slope_per_minute,
    soak_memory,
)

FACTS = {
    "groups": {"Hotline": 1, "NOC": 2},
    "customers": [10, 20],
    "tickets": [1, 999],
    "search_terms": ["030 1234567", "Müller"],
    "open_refs": ["TT-000007"],
}


def test_the_mix_has_its_shares_and_well_formed_requests() -> None:
    desk = Desk(FACTS, {"desk": "desk-token", "noc": "noc-token"}, "sessionid=abc")
    kinds = Counter(desk.next_request().kind for _ in range(20_000))
    for kind, percent in MIX.items():
        assert kinds[kind] / 20_000 == pytest.approx(percent / 100, abs=0.015)
    alarms = desk.build("alarms")
    assert alarms.method == "POST"
    assert alarms.path == "/api/v1/noc/alarms"
    assert ("Authorization", "Bearer noc-token") in alarms.headers
    assert len(json.loads(alarms.body)["alarms"]) == 10
    update = desk.build("update")
    assert (update.method, update.path) == ("PATCH", "/api/v1/tickets/TT-000007")
    assert json.loads(update.body)["urgency"] in {1, 2, 3}
    create = json.loads(desk.build("create").body)
    assert 10 <= create["customer_id"] <= 20
    search = desk.build("search")
    assert search.path in {"/api/v1/customers?q=030%201234567", "/api/v1/customers?q=M%C3%BCller"}
    html = desk.build("queue_html")
    assert ("Cookie", "sessionid=abc") in html.headers
    assert html.path in {"/?group=1", "/?group=2"}


def test_without_a_session_the_html_queue_is_left_out() -> None:
    desk = Desk(FACTS, {"desk": "d", "noc": "n"}, None)
    assert "queue_html" not in {desk.next_request().kind for _ in range(2_000)}


def test_slope_in_mib_per_minute() -> None:
    assert slope_per_minute([(t, 100.0 + t / 60.0 * 2.5) for t in range(0, 600, 5)]) == (
        pytest.approx(2.5)
    )
    assert slope_per_minute([(t, 80.0) for t in range(0, 600, 5)]) == 0.0
    assert slope_per_minute([(0.0, 1.0)]) == 0.0


def test_soak_memory_fits_only_the_window_after_warm_up() -> None:
    # Grows 50 MiB in the first two minutes (warm-up), then stays flat.
    samples = [
        (1000.0 + t, {42: Reading("web worker", 200.0 + min(t, 120) / 120 * 50, 150.0)})
        for t in range(0, 601, 5)
    ]
    (row,) = soak_memory(samples, began=1000.0, fit_from=120.0)
    assert row["role"] == "web worker"
    assert row["start_mib"] == 200.0
    assert row["fit_start_mib"] == 250.0
    assert row["end_mib"] == 250.0
    assert row["slope_mib_per_min"] == 0.0
    assert row["anon_slope_mib_per_min"] == 0.0
    whole = soak_memory(samples, began=1000.0, fit_from=0.0)[0]
    assert whole["slope_mib_per_min"] > 1.0


def test_peaks_per_role_and_readings_of_this_process() -> None:
    samples = [
        (0.0, {1: Reading("web worker", 100.0, 60.0), 2: Reading("web worker", 90.0, 70.0)}),
        (1.0, {1: Reading("web worker", 120.0, 50.0), 3: Reading("background worker", 300, 200)}),
    ]
    found = peaks(samples)
    assert found["web worker"] == {"processes": 2, "peak_mib": 120.0, "peak_anon_mib": 70.0}
    assert found["background worker"]["processes"] == 1
    mine = processes_under(os.getpid())[os.getpid()]
    assert mine.role == "serve (granian main)"  # the root of the tree
    assert 0 < mine.anon_mib <= mine.rss_mib


def test_a_given_capacity_is_used_and_named_in_the_table() -> None:
    assert parse_args(["--capacity", "105"]).capacity == 105.0
    assert parse_args([]).capacity == 0.0
    result = {
        "db": "sqlite",
        "dataset": {"ticket_count": 1000},
        "capacity": {"rps": 105.0, "given": True, "failed": 0},
        "levels": {},
    }
    assert "| sqlite | 1,000 | capacity | 105.0 | given |" in markdown([result])
