"""Evaluate the complaint-spike detector by simulation on real operator
topologies (the Internet Topology Zoo in ../shared/data/topology/).

For each topology and seed:

1. Network. The Zoo's PoPs become core routers, joined into a tree by a
   breadth-first search from the best-connected PoP; each PoP gets 1–3
   aggregation switches, each 2–4 OLTs, each 4–8 PON ports with 8–32
   subscribers. Every PoP is an area.
2. Background complaints. Each subscriber reports a fault about 2.5 % of
   months, shaped by the hour of the day and the weekday, with a day-to-day
   swing for the whole desk (±15 %) and for each area (±25 %, weather, local
   events), and 8 % of callers call again 10–120 minutes later.
3. Learning. Baselines are learned from the first weeks (background only,
   as the real learning leaves incident tickets out).
4. Outages. In the following weeks an outage starts every 4–16 hours on a
   random element (ports 50 %, OLTs 30 %, aggregation 15 %, core 5 %) and
   lasts 30 minutes to 6 hours. Each affected subscriber notices after
   5–60 minutes (log-normal, median 15) and calls with a probability of 40 %
   at the busiest hour of the day, less at night; nobody calls once service
   is back. A core router's failure cuts its own PoP; PoPs behind it are
   rerouted over the mesh.
5. Alarm-only reference. Core routers, aggregation switches and OLTs are
   monitored: a failure raises an alarm 1–5 minutes after it starts, except
   for silent failures (3 %, 5 % and 10 % of them: hung forwarding, a line
   card that keeps answering polls). PON-port-side failures (a feeder or drop
   cut behind the splitter, a silent OLT port) raise none. Without an alarm
   the NOC recognises an outage when the third ticket from under the failed
   element reaches it, each after 20–60 minutes of first-line work.
6. Detection. The detector sees every complaint in time order, exactly as
   `complaint_observe` does. A suspected outage matches an outage when it is
   raised between the start and an hour after the end and names the failed
   element, an element above or below it, or its area; any other is a false
   alarm. With --feedback the simulated NOC dismisses false alarms (raising
   that node's threshold) and confirms true ones.

    python bench/spike_eval.py                        # default topologies, 3 seeds
    python bench/spike_eval.py --topologies Abilene --seeds 1 --weeks-eval 2
    python bench/spike_eval.py --sweep                # thresholds and duration gates
"""

from __future__ import annotations

import argparse
import bisect
import json
import math
import random
import statistics
import sys
import time
import xml.etree.ElementTree as ET
from collections import deque
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from netdesk.noc.spikes.baselines import baseline_learn  # noqa: E402 - after the path set-up
from netdesk.noc.spikes.detector import Complaint, Spike, SpikeDetector  # noqa: E402
from netdesk.noc.spikes.places import AREA, Node, PathIndex  # noqa: E402
from netdesk.noc.spikes.scoring import SpikeSettings, dismissal_offset  # noqa: E402

DATA = ROOT.parent / "shared" / "data" / "topology"
DEFAULT_TOPOLOGIES = ["Abilene", "Geant2012", "Uninett2011", "Interoute", "GtsCe", "Cogentco"]
GRAPHML = "{http://graphml.graphdrawing.org/xmlns}"
START = datetime(2026, 1, 5, tzinfo=UTC)  # a Monday

CORE, AGG, OLT, PORT = "core_router", "aggregation_switch", "olt", "pon_port"
KINDS = (PORT, OLT, AGG, CORE)
OUTAGE_KIND_WEIGHTS = {PORT: 0.5, OLT: 0.3, AGG: 0.15, CORE: 0.05}
ALARM_PROBABILITY = {CORE: 0.97, AGG: 0.95, OLT: 0.9, PORT: 0.0}

FAULTS_PER_SUBSCRIBER_MONTH = 0.025
REPEAT_CALLERS = 0.08
CALL_PROBABILITY_AT_PEAK = 0.4
# Complaints by hour of the day (relative), and by weekday.
HOURLY = [0.25, 0.15, 0.1, 0.1, 0.1, 0.15, 0.35, 0.6, 0.8, 0.9, 0.95, 1.0]
HOURLY += [1.0, 0.95, 0.95, 1.0, 1.1, 1.3, 1.5, 1.6, 1.6, 1.4, 0.9, 0.5]
WEEKDAY = [1.0, 0.98, 0.97, 0.98, 1.0, 1.1, 1.15]
_MEAN = sum(HOURLY) / 24 * sum(WEEKDAY) / 7


def activity(at: datetime) -> float:
    """Complaints at this hour relative to the week's average."""
    return HOURLY[at.hour] * WEEKDAY[at.weekday()] / _MEAN


# the network -------------------------------------------------------------------------


@dataclass
class Network:
    name: str
    upstream: dict[int, int | None] = field(default_factory=dict)
    kind: dict[int, str] = field(default_factory=dict)
    area: dict[int, int] = field(default_factory=dict)
    children: dict[int, list[int]] = field(default_factory=dict)
    subscriber_port: list[int] = field(default_factory=list)  # subscriber → port
    subscriber_area: list[int] = field(default_factory=list)
    area_subscribers: dict[int, list[int]] = field(default_factory=dict)

    def add(self, kind: str, upstream: int | None, area: int) -> int:
        element = len(self.upstream) + 1
        self.upstream[element] = upstream
        self.kind[element] = kind
        self.area[element] = area
        if upstream is not None:
            self.children.setdefault(upstream, []).append(element)
        return element

    def ancestors(self, element: int) -> list[int]:
        found, current = [], self.upstream[element]
        while current is not None:
            found.append(current)
            current = self.upstream[current]
        return found

    def affected(self, element: int) -> list[int]:
        """Subscribers who lose service when `element` fails. A core router
        takes down its own PoP only: the PoPs behind it are rerouted."""
        stack = [
            child
            for child in self.children.get(element, [])
            if self.kind[element] != CORE or self.kind[child] != CORE
        ]
        ports = [element] if self.kind[element] == PORT else []
        while stack:
            current = stack.pop()
            if self.kind[current] == CORE:
                continue
            if self.kind[current] == PORT:
                ports.append(current)
            stack.extend(self.children.get(current, []))
        wanted = set(ports)
        return [s for s, port in enumerate(self.subscriber_port) if port in wanted]


def read_graphml(path: Path) -> tuple[list[str], list[tuple[str, str]]]:
    root = ET.parse(path).getroot()  # noqa: S314 - local, trusted research data
    graph = root.find(f"{GRAPHML}graph")
    if graph is None:
        return [], []
    nodes = [node.attrib["id"] for node in graph.iter(f"{GRAPHML}node")]
    edges = [(e.attrib["source"], e.attrib["target"]) for e in graph.iter(f"{GRAPHML}edge")]
    return nodes, edges


def build_network(path: Path, rng: random.Random) -> Network:
    nodes, edges = read_graphml(path)
    neighbours: dict[str, set[str]] = {node: set() for node in nodes}
    for a, b in edges:
        if a != b and a in neighbours and b in neighbours:
            neighbours[a].add(b)
            neighbours[b].add(a)
    network = Network(name=path.stem)
    first = max(nodes, key=lambda n: (len(neighbours[n]), n))
    core_of: dict[str, int] = {}
    queue = deque([(first, None)])
    seen = {first}
    while queue:
        pop, parent = queue.popleft()
        area = len(core_of) + 1
        core = core_of[pop] = network.add(CORE, parent, area)
        for _ in range(rng.randint(1, 3)):
            agg = network.add(AGG, core, area)
            for _ in range(rng.randint(2, 4)):
                olt = network.add(OLT, agg, area)
                for _ in range(rng.randint(4, 8)):
                    port = network.add(PORT, olt, area)
                    for _ in range(rng.randint(8, 32)):
                        network.area_subscribers.setdefault(area, []).append(
                            len(network.subscriber_port)
                        )
                        network.subscriber_port.append(port)
                        network.subscriber_area.append(area)
        for neighbour in sorted(neighbours[pop]):
            if neighbour not in seen:
                seen.add(neighbour)
                queue.append((neighbour, core))
    return network


# traffic -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Call:
    at: datetime
    subscriber: int
    outage: int | None = None  # index of the outage that made them call


@dataclass
class Outage:
    element: int
    kind: str
    start: datetime
    end: datetime
    affected: int
    calls: list[datetime] = field(default_factory=list)
    alarm_at: datetime | None = None
    manual_at: datetime | None = None  # third escalated ticket reaches the NOC


def poisson(rng: random.Random, mean: float) -> int:
    if mean > 40:
        return max(0, round(rng.gauss(mean, math.sqrt(mean))))
    count, limit, product = 0, math.exp(-mean), rng.random()
    while product > limit:
        count += 1
        product *= rng.random()
    return count


def background(
    network: Network, rng: random.Random, start: datetime, end: datetime, *, bursty: bool = False
) -> list[Call]:
    """Ordinary fault reports: hour-of-week shape, day-to-day swings for the
    desk and per area, repeat callers. `bursty` adds an hourly swing per
    area (±50 %) and short blips: two or three customers of one PON port
    calling within 20 minutes about something that clears by itself, about
    one a day per 10,000 subscribers."""
    per_bucket = FAULTS_PER_SUBSCRIBER_MONTH / (30 * 96)
    areas = sorted(network.area_subscribers)
    ports = sorted(set(network.subscriber_port))
    on_port: dict[int, list[int]] = {}
    for subscriber, port in enumerate(network.subscriber_port):
        on_port.setdefault(port, []).append(subscriber)
    blips_per_bucket = len(network.subscriber_port) / 10_000 / 96
    calls: list[Call] = []
    bucket = timedelta(minutes=15)
    at = start
    day_swing: list[float] = []
    weights: list[float] = []
    day = hour = None
    desk_swing = 1.0
    while at < end:
        if at.date() != day:
            day = at.date()
            desk_swing = rng.gammavariate(45, 1 / 45)
            day_swing = [
                len(network.area_subscribers[a]) * rng.gammavariate(16, 1 / 16) for a in areas
            ]
            weights = accumulate_weights(day_swing)
        if bursty and at.hour != hour:
            hour = at.hour
            weights = accumulate_weights(w * rng.gammavariate(4, 1 / 4) for w in day_swing)
        mean = weights[-1] * per_bucket * activity(at) * desk_swing
        for _ in range(poisson(rng, mean)):
            area = areas[bisect.bisect_left(weights, rng.random() * weights[-1])]
            subscriber = rng.choice(network.area_subscribers[area])
            when = at + rng.random() * bucket
            calls.append(Call(when, subscriber))
            if rng.random() < REPEAT_CALLERS:
                calls.append(Call(when + timedelta(minutes=rng.uniform(10, 120)), subscriber))
        if bursty:
            for _ in range(poisson(rng, blips_per_bucket * activity(at))):
                neighbours = on_port[rng.choice(ports)]
                for subscriber in rng.sample(neighbours, min(len(neighbours), rng.randint(2, 3))):
                    calls.append(Call(at + timedelta(minutes=rng.uniform(0, 20)), subscriber))
        at += bucket
    return calls


def accumulate_weights(values: Iterable[float]) -> list[float]:
    total, found = 0.0, []
    for value in values:
        total += value
        found.append(total)
    return found


def inject_outages(
    network: Network, rng: random.Random, start: datetime, end: datetime
) -> tuple[list[Outage], list[Call]]:
    by_kind = {kind: [e for e, k in network.kind.items() if k == kind] for kind in KINDS}
    outages: list[Outage] = []
    calls: list[Call] = []
    at = start + timedelta(hours=rng.uniform(2, 12))
    while at < end - timedelta(hours=6):
        kind = rng.choices(list(OUTAGE_KIND_WEIGHTS), weights=list(OUTAGE_KIND_WEIGHTS.values()))[0]
        element = rng.choice(by_kind[kind])
        minutes = math.exp(rng.uniform(math.log(30), math.log(360)))
        outage = Outage(element, kind, at, at + timedelta(minutes=minutes), 0)
        affected = network.affected(element)
        outage.affected = len(affected)
        for subscriber in affected:
            delay = min(60.0, max(5.0, rng.lognormvariate(math.log(15), 0.7)))
            when = at + timedelta(minutes=delay)
            if when >= outage.end:
                continue  # service came back before they noticed
            if rng.random() >= CALL_PROBABILITY_AT_PEAK * activity(when) / max_activity():
                continue
            calls.append(Call(when, subscriber, len(outages)))
            outage.calls.append(when)
            if rng.random() < REPEAT_CALLERS:
                calls.append(
                    Call(when + timedelta(minutes=rng.uniform(10, 120)), subscriber, len(outages))
                )
        if rng.random() < ALARM_PROBABILITY[kind]:
            outage.alarm_at = at + timedelta(minutes=rng.uniform(1, 5))
        escalated = sorted(c + timedelta(minutes=rng.uniform(20, 60)) for c in outage.calls)
        if len(escalated) >= 3:
            outage.manual_at = escalated[2]
        outages.append(outage)
        at = outage.end + timedelta(hours=rng.uniform(4, 16))
    return outages, calls


def max_activity() -> float:
    return max(HOURLY) * max(WEEKDAY) / _MEAN


# one run -----------------------------------------------------------------------------


@dataclass
class OutageResult:
    kind: str
    affected: int
    calls: int
    detected_minutes: float | None  # first matching suspected outage
    naming: str | None  # exact / above / below / area
    alarm_minutes: float | None  # alarm-only
    reference_minutes: float | None  # alarm, else third escalation; None: never


@dataclass
class RunResult:
    topology: str
    seed: int
    pops: int
    elements: int
    subscribers: int
    eval_weeks: float
    complaints: int
    false_alarms: int
    extra_alarms: int  # further suspected outages on an outage already detected
    outages: list[OutageResult]
    observe_us_mean: float
    observe_us_median: float
    observe_us_p99: float


def relation(network: Network, outage: Outage, node: Node) -> str | None:
    """How a suspected outage's place relates to the failed element."""
    failed = outage.element
    if node.kind == AREA:
        return "area" if node.id == network.area[failed] else None
    if node.id == failed:
        return "exact"
    if node.id in network.ancestors(failed):
        return "above"
    if failed in network.ancestors(node.id):
        return "below"
    return None


def matches(network: Network, outages: list[Outage], spike: Spike) -> list[tuple[int, str]]:
    found = []
    for index, outage in enumerate(outages):
        if outage.start <= spike.at <= outage.end + timedelta(hours=1):
            how = relation(network, outage, spike.node)
            if how:
                found.append((index, how))
    return found


def run(
    path: Path,
    seed: int,
    *,
    settings: SpikeSettings,
    weeks_learn: int,
    weeks_eval: int,
    feedback: bool,
    bursty: bool = False,
) -> RunResult:
    rng = random.Random(f"{path.stem}:{seed}")
    network = build_network(path, rng)
    learn_end = START + timedelta(weeks=weeks_learn)
    eval_end = learn_end + timedelta(weeks=weeks_eval)
    history = background(network, rng, START, learn_end, bursty=bursty)
    paths = PathIndex(network.ancestors)

    def nodes(call: Call) -> tuple[Node, ...]:
        port = network.subscriber_port[call.subscriber]
        return paths.nodes(port, network.subscriber_area[call.subscriber])

    baseline = baseline_learn(
        ((c.at, nodes(c)) for c in history),
        since=START,
        until=learn_end,
        tz=UTC,
        settings=settings,
    )
    outages, outage_calls = inject_outages(network, rng, learn_end, eval_end)
    stream = sorted(
        background(network, rng, learn_end, eval_end, bursty=bursty) + outage_calls,
        key=lambda c: c.at,
    )

    detector = SpikeDetector(baseline=baseline, paths=paths, tz=UTC, settings=settings)
    dismissals: dict[Node, int] = {}
    spikes: list[Spike] = []
    timings: list[int] = []
    clock = time.perf_counter_ns
    for number, call in enumerate(stream):
        complaint = Complaint(
            ticket_id=number,
            at=call.at,
            customer_id=call.subscriber,
            element_id=network.subscriber_port[call.subscriber],
            area_id=network.subscriber_area[call.subscriber],
        )
        began = clock()
        outcome = detector.observe(complaint)
        timings.append(clock() - began)
        for spike in outcome.raised:
            spikes.append(spike)
            if feedback:
                # The NOC confirms what is real and dismisses the rest.
                real = bool(matches(network, outages, spike))
                dismissals[spike.node] = 0 if real else dismissals.get(spike.node, 0) + 1
                detector.set_threshold_offset(
                    spike.node, dismissal_offset(dismissals[spike.node], settings)
                )

    first: dict[int, tuple[Spike, str]] = {}
    false_alarms = extra = 0
    for spike in spikes:
        found = matches(network, outages, spike)
        if not found:
            false_alarms += 1
        for index, how in found:
            if index in first:
                extra += 1
            else:
                first[index] = (spike, how)

    def minutes(delta: timedelta) -> float:
        return delta.total_seconds() / 60

    results = []
    for index, outage in enumerate(outages):
        hit = first.get(index)
        known = outage.alarm_at or outage.manual_at
        results.append(
            OutageResult(
                kind=outage.kind,
                affected=outage.affected,
                calls=len(outage.calls),
                detected_minutes=minutes(hit[0].at - outage.start) if hit else None,
                naming=hit[1] if hit else None,
                alarm_minutes=minutes(outage.alarm_at - outage.start) if outage.alarm_at else None,
                reference_minutes=minutes(known - outage.start) if known else None,
            )
        )
    ns = sorted(timings)
    return RunResult(
        topology=path.stem,
        seed=seed,
        pops=sum(1 for k in network.kind.values() if k == CORE),
        elements=len(network.kind),
        subscribers=len(network.subscriber_port),
        eval_weeks=weeks_eval,
        complaints=len(stream),
        false_alarms=false_alarms,
        extra_alarms=extra,
        outages=results,
        observe_us_mean=sum(ns) / len(ns) / 1000 if ns else 0.0,
        observe_us_median=ns[len(ns) // 2] / 1000 if ns else 0.0,
        observe_us_p99=ns[int(len(ns) * 0.99)] / 1000 if ns else 0.0,
    )


# reporting ---------------------------------------------------------------------------


def median(values: list[float]) -> str:
    return f"{statistics.median(values):.0f}" if values else "–"


def median_with_never(values: list[float | None]) -> str:
    """Median where None (never known) counts as longer than anything."""
    if not values:
        return "–"
    ordered = sorted(values, key=lambda v: math.inf if v is None else v)
    middle = ordered[len(ordered) // 2]
    return "never" if middle is None else f"{middle:.0f}"


def share(part: int, whole: int) -> str:
    return f"{part / whole:.0%}" if whole else "–"


def earliest(*values: float | None) -> float | None:
    return min((v for v in values if v is not None), default=None)


@dataclass
class Summary:
    runs: int
    outages: int
    detected: int
    false_per_week: float
    extra: int
    median_ttd: str
    p90_ttd: str
    naming: dict[str, int]
    alarmed: int
    alarm_median: str
    before_alarm: int
    reference_median: str
    detector_median_all: str
    combined_median: str
    us_mean: float
    us_median: float
    us_p99: float


SILENT = "no alarm (silent)"


def summarise(results: list[RunResult], kind: str | None = None) -> Summary:
    """Figures over all outages, one kind of failed element, or (SILENT)
    the outages no alarm announced."""
    outages = [
        o
        for r in results
        for o in r.outages
        if kind is None or o.kind == kind or (kind == SILENT and o.alarm_minutes is None)
    ]
    detected = [o for o in outages if o.detected_minutes is not None]
    ttd = sorted(o.detected_minutes for o in detected if o.detected_minutes is not None)
    alarmed = [o for o in outages if o.alarm_minutes is not None]
    naming = {
        k: sum(1 for o in detected if o.naming == k) for k in ("exact", "above", "below", "area")
    }
    weeks = sum(r.eval_weeks for r in results)
    return Summary(
        runs=len(results),
        outages=len(outages),
        detected=len(detected),
        false_per_week=sum(r.false_alarms for r in results) / weeks if weeks else math.nan,
        extra=sum(r.extra_alarms for r in results),
        median_ttd=median(ttd),
        p90_ttd=f"{ttd[int(len(ttd) * 0.9)]:.0f}" if ttd else "–",
        naming=naming,
        alarmed=len(alarmed),
        alarm_median=median([o.alarm_minutes for o in alarmed if o.alarm_minutes is not None]),
        before_alarm=sum(
            1
            for o in alarmed
            if o.detected_minutes is not None
            and o.alarm_minutes is not None
            and o.detected_minutes < o.alarm_minutes
        ),
        reference_median=median_with_never([o.reference_minutes for o in outages]),
        detector_median_all=median_with_never([o.detected_minutes for o in outages]),
        combined_median=median_with_never(
            [earliest(o.detected_minutes, o.reference_minutes) for o in outages]
        ),
        us_mean=statistics.fmean(r.observe_us_mean for r in results),
        us_median=statistics.fmean(r.observe_us_median for r in results),
        us_p99=statistics.median(r.observe_us_p99 for r in results),
    )


def print_tables(everything: dict[str, list[RunResult]], files: list[Path], weeks: int) -> None:
    print(
        "| variant | outages | recall | false alarms / week | median TTD (min) | p90 TTD "
        "| exact element | above / below / area | µs per ticket: mean / median / p99 |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---|---:|")
    for label, results in everything.items():
        s = summarise(results)
        n = s.naming
        print(
            f"| {label} | {s.outages} | {share(s.detected, s.outages)} | {s.false_per_week:.2f} | "
            f"{s.median_ttd} | {s.p90_ttd} | {share(n['exact'], s.detected)} | "
            f"{n['above']} / {n['below']} / {n['area']} | {s.us_mean:.0f} / {s.us_median:.0f} / {s.us_p99:.0f} |"
        )
    default = everything["default"]
    print()
    print(
        "| failed element | outages | detector recall | exact element | median TTD (min) "
        "| alarm-only recall | alarm median (min) | detected before the alarm "
        "| median to know: alarm-only* | detector | both |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for kind in (*KINDS, SILENT, None):
        s = summarise(default, kind)
        if not s.outages:
            continue
        print(
            f"| {kind or 'all'} | {s.outages} | {share(s.detected, s.outages)} | "
            f"{share(s.naming['exact'], s.detected)} | {s.median_ttd} | "
            f"{share(s.alarmed, s.outages)} | {s.alarm_median} | "
            f"{share(s.before_alarm, s.alarmed)} | {s.reference_median} | "
            f"{s.detector_median_all} | {s.combined_median} |"
        )
    silent_found = [
        o
        for r in default
        for o in r.outages
        if o.alarm_minutes is None and o.detected_minutes is not None
    ]
    paired = [o for o in silent_found if o.reference_minutes is not None]
    earlier = sum(
        1
        for o in paired
        if o.detected_minutes is not None
        and o.reference_minutes is not None
        and o.detected_minutes < o.reference_minutes
    )
    print()
    print(
        f"Silent outages the detector found: {len(silent_found)}; median "
        f"{median([o.detected_minutes for o in silent_found if o.detected_minutes is not None])} "
        f"min after the start. Of the {len(paired)} that also reached a third escalation, "
        f"the detector was first in {share(earlier, len(paired))}; third escalation median "
        f"{median([o.reference_minutes for o in paired if o.reference_minutes is not None])} min, "
        f"detector median "
        f"{median([o.detected_minutes for o in paired if o.detected_minutes is not None])} min."
    )
    print()
    print("| customers who called | outages | detector recall | median TTD (min) |")
    print("|---|---:|---:|---:|")
    bands = ((0, 2), (3, 4), (5, 9), (10, 19), (20, None))
    every = [o for r in default for o in r.outages]
    for low, high in bands:
        band = [o for o in every if o.calls >= low and (high is None or o.calls <= high)]
        found = [o.detected_minutes for o in band if o.detected_minutes is not None]
        label = f"{low}–{high}" if high is not None else f"{low} or more"
        print(f"| {label} | {len(band)} | {share(len(found), len(band))} | {median(found)} |")
    print()
    print(
        "| topology | PoPs | elements | subscribers | complaints / week | outages | recall "
        "| false alarms / week | median TTD (min) | µs per ticket (mean / p99) |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for path in files:
        runs = [r for r in default if r.topology == path.stem]
        s = summarise(runs)
        print(
            f"| {path.stem} | {runs[0].pops} | {runs[0].elements} | {runs[0].subscribers} | "
            f"{statistics.fmean(r.complaints for r in runs) / weeks:.0f} | {s.outages} | "
            f"{share(s.detected, s.outages)} | {s.false_per_week:.2f} | {s.median_ttd} | "
            f"{s.us_mean:.0f} / {s.us_p99:.0f} |"
        )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=DATA, help="folder of .graphml files")
    parser.add_argument("--topologies", default=",".join(DEFAULT_TOPOLOGIES))
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--weeks-learn", type=int, default=8)
    parser.add_argument("--weeks-eval", type=int, default=4)
    parser.add_argument("--feedback", action="store_true", help="simulate NOC decisions")
    parser.add_argument("--sweep", action="store_true", help="thresholds and duration gates")
    parser.add_argument(
        "--bursty", action="store_true", help="also a burstier background (hourly swings, blips)"
    )
    parser.add_argument("--json", type=Path, help="write every run's figures here")
    args = parser.parse_args()
    if not args.data.is_dir():
        print(f"skipped: no topology data at {args.data}")
        return 0
    files = [args.data / f"{name}.graphml" for name in args.topologies.split(",")]
    missing = [f.name for f in files if not f.exists()]
    if missing:
        print(f"skipped: {', '.join(missing)} not in {args.data}")
        return 0

    base = SpikeSettings()
    # (label, settings, simulated NOC feedback, bursty background)
    variants: list[tuple[str, SpikeSettings, bool, bool]] = [("default", base, False, False)]
    if args.feedback:
        variants.append(("default + NOC feedback", base, True, False))
    if args.sweep:
        variants += [
            ("threshold 5", replace(base, threshold=5.0), False, False),
            ("threshold 8", replace(base, threshold=8.0), False, False),
            ("hold 0 min", replace(base, hold_minutes=0.0), False, False),
            ("hold 5 min", replace(base, hold_minutes=5.0), False, False),
            ("hold 20 min", replace(base, hold_minutes=20.0), False, False),
            ("no persistence check", replace(base, persist_by_complaint=False), False, False),
            (
                "at least 4 customers",
                replace(base, min_complaints=4, min_customers=4),
                False,
                False,
            ),
            ("window 30 min", replace(base, window_buckets=2), False, False),
            ("window 2 h", replace(base, window_buckets=8), False, False),
        ]
    if args.bursty:
        variants += [
            ("bursty background", base, False, True),
            ("bursty + NOC feedback", base, True, True),
            (
                "bursty, no persistence check",
                replace(base, persist_by_complaint=False),
                False,
                True,
            ),
            (
                "bursty, at least 4 customers",
                replace(base, min_complaints=4, min_customers=4),
                False,
                True,
            ),
        ]
    everything: dict[str, list[RunResult]] = {}
    for label, settings, feedback, bursty in variants:
        results = []
        for path in files:
            for seed in range(args.seeds):
                started = time.monotonic()
                result = run(
                    path,
                    seed,
                    settings=settings,
                    weeks_learn=args.weeks_learn,
                    weeks_eval=args.weeks_eval,
                    feedback=feedback,
                    bursty=bursty,
                )
                results.append(result)
                found = sum(o.detected_minutes is not None for o in result.outages)
                print(
                    f"{label:24} {path.stem:12} seed {seed}: {result.subscribers:>7} subscribers, "
                    f"{len(result.outages):3} outages, {found} detected, "
                    f"{result.false_alarms} false alarms, {time.monotonic() - started:.1f} s",
                    file=sys.stderr,
                )
        everything[label] = results

    print_tables(everything, files, args.weeks_eval)
    if args.json:
        args.json.write_text(
            json.dumps({k: [asdict(r) for r in v] for k, v in everything.items()}, indent=1)
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
