"""Complaint spikes per level of the network tree, with and without topic
filtering and national waves, by simulation on Internet Topology Zoo
networks (../shared/data/topology/).

The network is the one of `bench/spike_eval.py` with a national core on
top, so that levels mean the same everywhere: the national core (level 0),
each Zoo PoP's core router (1), aggregation switches (2), OLTs (3) and PON
ports (4); each PoP is an area. Outages are injected as in spike_eval.py
(never at the national core).

Besides network faults, customers complain about bills, price rises and
data caps (1.5 times as often as about faults). A *national wave* is a
day, twice in the evaluation weeks, in which one of them rises to twelve
times its usual rate nationwide and falls back:

- a billing wave (a price-rise letter): no network fault at all, and what
  the desk saw on real data: flagged at the core, masking local outages;
- a network-fault wave (a national slow-down upstream of the desk: a
  peering or DNS provider's problem): real, but no element of the desk's
  own failed; a suspected outage at the national core while it runs is
  counted as the wave found, neither an outage found nor a false alarm.

Variants: with the topic filter the detector sees only network faults (the
simulation's own labels; `bench/spike_text.py` measures it with real text
and the triage model), without it every complaint, as before. "Old
masking" is the rule before levels: a raised place masks everything below
it (`SpikeSettings.local_spikes_under_waves=False`).

    python bench/spike_levels.py                                    # 3 topologies, 2 seeds
    python bench/spike_levels.py --topologies Abilene --seeds 1 --weeks-eval 2
"""

from __future__ import annotations

import argparse
import math
import random
import statistics
import sys
import time
from collections import Counter
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from spike_eval import (  # noqa: E402 - after the path set-up
    AGG,
    CORE,
    DATA,
    FAULTS_PER_SUBSCRIBER_MONTH,
    OLT,
    PORT,
    START,
    Call,
    Network,
    Outage,
    activity,
    background,
    inject_outages,
    matches,
    poisson,
    read_graphml,
)

from netdesk.noc.spikes.baselines import baseline_learn  # noqa: E402
from netdesk.noc.spikes.detector import Complaint, Hint, Spike, SpikeDetector  # noqa: E402
from netdesk.noc.spikes.places import ELEMENT, Node, PathIndex  # noqa: E402
from netdesk.noc.spikes.scoring import SpikeSettings  # noqa: E402

NATIONAL = "national_core"
LEVEL_NAMES: dict[int | None, str] = {0: "national core (0)", 1: "PoP core (1)"}
LEVEL_NAMES |= {2: "aggregation (2)", 3: "OLT (3)", 4: "PON port (4)", None: "area"}
KIND_LEVEL = {CORE: 1, AGG: 2, OLT: 3, PORT: 4}
OTHER_TOPICS_RATIO = 1.5  # billing, price and data-cap complaints per network fault
WAVE_HOURS = 24
WAVE_PEAK = 12.0  # times the topic's usual rate at the wave's height
DEFAULT_TOPOLOGIES = ["Abilene", "Geant2012", "Uninett2011"]


def build_levelled_network(path: Path, rng: random.Random) -> Network:
    """Every Zoo PoP under one national core; the access tree of spike_eval.py."""
    nodes, _ = read_graphml(path)
    network = Network(name=path.stem)
    national = network.add(NATIONAL, None, 0)
    for area, _pop in enumerate(sorted(set(nodes)), start=1):
        core = network.add(CORE, national, area)
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
    return network


def other_topics(
    network: Network, rng: random.Random, start: datetime, end: datetime
) -> list[Call]:
    """Complaints that are no network fault, at OTHER_TOPICS_RATIO times the
    fault rate, shaped like them."""
    calls = background(network, rng, start, end) + background(network, rng, start, end)
    keep = OTHER_TOPICS_RATIO / 2
    return [call for call in calls if rng.random() < keep]


def national_wave(
    network: Network, rng: random.Random, start: datetime, rate_ratio: float
) -> list[Call]:
    """WAVE_HOURS of extra complaints from everywhere, rising to WAVE_PEAK
    times the topic's usual rate (`rate_ratio`: that rate per fault rate)
    and falling back."""
    subscribers = len(network.subscriber_port)
    per_bucket = FAULTS_PER_SUBSCRIBER_MONTH / (30 * 96) * rate_ratio * subscribers
    calls = []
    buckets = WAVE_HOURS * 4
    for number in range(buckets):
        at = start + timedelta(minutes=15 * number)
        height = (WAVE_PEAK - 1) * math.sin(math.pi * number / buckets)
        for _ in range(poisson(rng, per_bucket * height * activity(at))):
            when = at + timedelta(minutes=rng.uniform(0, 15))
            calls.append(Call(when, rng.randrange(subscribers)))
    return calls


@dataclass(frozen=True)
class Variant:
    label: str
    topic_filter: bool
    wave: str | None  # "billing", "fault" or None
    settings: SpikeSettings = field(default_factory=SpikeSettings)


def variants() -> list[Variant]:
    old = replace(SpikeSettings(), local_spikes_under_waves=False)
    return [
        Variant("no topic filter, billing waves, old masking", False, "billing", old),
        Variant("no topic filter, billing waves", False, "billing"),
        Variant("topic filter, billing waves", True, "billing"),
        Variant("topic filter, no wave", True, None),
        Variant("topic filter, network-fault wave, old masking", True, "fault", old),
        Variant("topic filter, network-fault wave", True, "fault"),
    ]


@dataclass
class LevelResult:
    outages: Counter[int] = field(default_factory=Counter)
    found: Counter[int] = field(default_factory=Counter)
    ttd: dict[int, list[float]] = field(default_factory=dict)
    raised: Counter[int | None] = field(default_factory=Counter)
    true_raised: Counter[int | None] = field(default_factory=Counter)
    during_wave: int = 0
    found_during_wave: int = 0
    waves: int = 0
    waves_found: int = 0
    false_at_core: int = 0
    hints: int = 0
    true_hints: int = 0
    weeks: float = 0.0


def run(path: Path, seed: int, variant: Variant, weeks_learn: int, weeks_eval: int) -> LevelResult:
    rng = random.Random(f"{path.stem}:{seed}:levels")
    network = build_levelled_network(path, rng)
    learn_end = START + timedelta(weeks=weeks_learn)
    eval_end = learn_end + timedelta(weeks=weeks_eval)
    paths = PathIndex(network.ancestors)

    def nodes(call: Call) -> tuple[Node, ...]:
        return paths.nodes(
            network.subscriber_port[call.subscriber], network.subscriber_area[call.subscriber]
        )

    history = background(network, rng, START, learn_end)
    history_other = other_topics(network, rng, START, learn_end)
    learned_from = history if variant.topic_filter else history + history_other
    baseline = baseline_learn(
        ((c.at, nodes(c)) for c in learned_from),
        since=START,
        until=learn_end,
        tz=UTC,
        settings=variant.settings,
    )
    outages, outage_calls = inject_outages(network, rng, learn_end, eval_end)
    faults = background(network, rng, learn_end, eval_end) + outage_calls
    others = other_topics(network, rng, learn_end, eval_end)
    wave_starts = sorted(
        learn_end
        + timedelta(hours=rng.uniform(12, weeks_eval * 168 / 2 - WAVE_HOURS))
        + timedelta(hours=half * weeks_eval * 168 / 2)
        for half in range(2)
    )
    waves = [(start, start + timedelta(hours=WAVE_HOURS)) for start in wave_starts]
    for start, _ in waves:
        if variant.wave == "billing":
            others += national_wave(network, rng, start, OTHER_TOPICS_RATIO)
        elif variant.wave == "fault":
            faults += national_wave(network, rng, start, 1.0)
    seen = faults if variant.topic_filter else faults + others
    stream = sorted(seen, key=lambda c: c.at)

    detector = SpikeDetector(baseline=baseline, paths=paths, tz=UTC, settings=variant.settings)
    spikes: list[Spike] = []
    hints: list[Hint] = []
    for number, call in enumerate(stream):
        outcome = detector.observe(
            Complaint(
                ticket_id=number,
                at=call.at,
                customer_id=call.subscriber,
                element_id=network.subscriber_port[call.subscriber],
                area_id=network.subscriber_area[call.subscriber],
            )
        )
        spikes.extend(outcome.raised)
        if outcome.hint is not None:
            hints.append(outcome.hint)
    return score(network, outages, spikes, hints, waves, variant, weeks_eval)


def in_wave(at: datetime, waves: list[tuple[datetime, datetime]]) -> bool:
    return any(start <= at <= end for start, end in waves)


def score(
    network: Network,
    outages: list[Outage],
    spikes: list[Spike],
    hints: list[Hint],
    waves: list[tuple[datetime, datetime]],
    variant: Variant,
    weeks: int,
) -> LevelResult:
    result = LevelResult(weeks=weeks)
    first: dict[int, float] = {}
    wave_found: set[int] = set()
    for spike in spikes:
        level = spike.level
        at_core = spike.node.kind == ELEMENT and level == 0
        # Nothing fails at the national core here: naming it for a local
        # outage that happens to run at the time is no match.
        found = [] if at_core else matches(network, outages, spike)
        if not found and at_core and variant.wave == "fault" and in_wave(spike.at, waves):
            wave_found.add(next(i for i, w in enumerate(waves) if w[0] <= spike.at <= w[1]))
            continue  # the wave found: neither an outage nor a false alarm
        result.raised[level] += 1
        if found:
            result.true_raised[level] += 1
        elif at_core:
            result.false_at_core += 1
        for index, _ in found:
            minutes = (spike.at - outages[index].start).total_seconds() / 60
            first[index] = min(first.get(index, math.inf), minutes)
    result.waves = len(waves) if variant.wave else 0
    result.waves_found = len(wave_found)
    for index, outage in enumerate(outages):
        level = KIND_LEVEL[outage.kind]
        result.outages[level] += 1
        during = in_wave(outage.start, waves) and variant.wave is not None
        result.during_wave += during
        if index in first:
            result.found[level] += 1
            result.ttd.setdefault(level, []).append(first[index])
            result.found_during_wave += during
    for hint in hints:
        fake = Spike(
            node=hint.node, at=hint.at, window_start=hint.at, complaints=1, customers=1,
            expected=hint.expected, score=0.0, threshold=0.0, ticket_ids=(), hour_of_week=0,
            fired=hint.node, top=hint.node, share=1.0,
        )  # fmt: skip
        result.hints += 1
        result.true_hints += bool(matches(network, outages, fake))
    return result


def share(part: float, whole: float) -> str:
    return f"{part / whole:.0%}" if whole else "–"


def print_tables(results: dict[str, list[LevelResult]]) -> None:
    print(
        "| variant | outages | recall | false alarms / week | of them at the national core "
        "| recall of outages starting in a wave | waves found | hints / week | hint precision |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for label, runs in results.items():
        outages = sum(sum(r.outages.values()) for r in runs)
        found = sum(sum(r.found.values()) for r in runs)
        raised = sum(sum(r.raised.values()) for r in runs)
        true = sum(sum(r.true_raised.values()) for r in runs)
        weeks = sum(r.weeks for r in runs)
        waves = sum(r.waves for r in runs)
        print(
            f"| {label} | {outages} | {share(found, outages)} | {(raised - true) / weeks:.2f} | "
            f"{sum(r.false_at_core for r in runs) / weeks:.2f} | "
            f"{share(sum(r.found_during_wave for r in runs), sum(r.during_wave for r in runs))} "
            f"of {sum(r.during_wave for r in runs)} "
            f"| {f'{sum(r.waves_found for r in runs)} of {waves}' if waves else '–'} | "
            f"{sum(r.hints for r in runs) / weeks:.1f} | "
            f"{share(sum(r.true_hints for r in runs), sum(r.hints for r in runs))} |"
        )
    for label, runs in results.items():
        print()
        print(f"**{label}**, per level")
        print()
        print("| level | outages | recall | median TTD (min) | raised there | precision of those |")
        print("|---|---:|---:|---:|---:|---:|")
        for level, name in LEVEL_NAMES.items():
            outages = sum(r.outages[level] for r in runs) if level is not None else 0
            found = sum(r.found[level] for r in runs) if level is not None else 0
            ttd = [m for r in runs for m in r.ttd.get(level, [])] if level is not None else []
            raised = sum(r.raised[level] for r in runs)
            true = sum(r.true_raised[level] for r in runs)
            if not outages and not raised:
                continue
            print(
                f"| {name} | {outages} | {share(found, outages)} | "
                f"{f'{statistics.median(ttd):.0f}' if ttd else '–'} | {raised} | "
                f"{share(true, raised)} |"
            )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=DATA, help="folder of .graphml files")
    parser.add_argument("--topologies", default=",".join(DEFAULT_TOPOLOGIES))
    parser.add_argument("--seeds", type=int, default=2)
    parser.add_argument("--weeks-learn", type=int, default=8)
    parser.add_argument("--weeks-eval", type=int, default=4)
    parser.add_argument("--variants", help="comma-separated numbers (1-6) of the variants to run")
    args = parser.parse_args()
    if not args.data.is_dir():
        print(f"skipped: no topology data at {args.data}")
        return 0
    files = [args.data / f"{name}.graphml" for name in args.topologies.split(",")]
    missing = [f.name for f in files if not f.exists()]
    if missing:
        print(f"skipped: {', '.join(missing)} not in {args.data}")
        return 0
    chosen = variants()
    if args.variants:
        chosen = [chosen[int(n) - 1] for n in args.variants.split(",")]
    results: dict[str, list[LevelResult]] = {}
    for variant in chosen:
        for path in files:
            for seed in range(args.seeds):
                began = time.monotonic()
                result = run(path, seed, variant, args.weeks_learn, args.weeks_eval)
                results.setdefault(variant.label, []).append(result)
                print(
                    f"{variant.label:48} {path.stem:12} seed {seed}: "
                    f"{sum(result.found.values())}/{sum(result.outages.values())} found, "
                    f"{sum(result.raised.values()) - sum(result.true_raised.values())} false, "
                    f"{time.monotonic() - began:.1f} s",
                    file=sys.stderr,
                )
    print_tables(results)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
