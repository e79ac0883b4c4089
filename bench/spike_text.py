"""Complaint spikes from real ticket text: the multilingual support tickets
of ../shared/data/tickets/*multi-lang*.csv replayed onto Internet Topology
Zoo networks (../shared/data/topology/), the detector seeing only what
text triage calls a network fault.

1. Texts. Every ticket's subject and body (about 5,200, in English,
   German, Spanish, French and Portuguese), split at random into a learning
   half and an evaluation half. A ticket is a **network fault** when its type
   is Incident or Problem and its queue is "Service Outages and Maintenance"
   or one of its tags is Network, Connectivity, Network Issue, Outage or
   Service Outage (23 % of them). The labels are the dataset's own and noisy:
   "Outage" also tags a SaaS platform's downtime.
2. Triage. `netdesk.triage.training.train` learns from the learning half
   (network faults as type "fault", the rest by their type; queue as the
   group); a ticket counts when it says network fault with confidence 0.5
   or more, as `netdesk.triage.selectors.is_network_fault` does. The
   keyword rules (`engine.keyword_predict`) are measured beside it, and so
   are no filter at all and the dataset's labels themselves.
3. Network. A national core (level 0), every Zoo PoP a router and an area
   under it (level 1), 4–12 access sites per PoP (level 2, the places
   customers report from: a town's ZIP code) with 20–150 customers each.
4. Traffic. Every customer opens a ticket in 2.5 % of months (the shape of
   the week and the swings of spike_eval.py), its text drawn from all texts
   of the half in play. Every 6–24 hours an outage hits a site (80 %) or a
   PoP (20 %) for 30 minutes to 6 hours; affected customers call as in
   spike_eval.py, each with a network-fault text.
   With --waves, twice in the evaluation weeks a national billing wave (a
   price-rise letter: a day rising to twelve times the usual rate, as in
   bench/spike_levels.py) of texts from the "Billing and Payments" queue.
5. Scoring as spike_eval.py, for suspected outages and for hints apart: a
   hint matches an outage when it is raised during it (or an hour after)
   at the failed element, above or below it, or in its area.

    python bench/spike_text.py                       # 3 topologies, 2 seeds
    python bench/spike_text.py --topologies Abilene --seeds 1 --weeks-eval 2
"""

from __future__ import annotations

import argparse
import csv
import math
import random
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from spike_eval import (  # noqa: E402 - after the path set-up
    CALL_PROBABILITY_AT_PEAK,
    CORE,
    DATA,
    PORT,
    REPEAT_CALLERS,
    START,
    Call,
    Network,
    Outage,
    activity,
    background,
    matches,
    max_activity,
    read_graphml,
)
from spike_levels import WAVE_HOURS, national_wave  # noqa: E402

from netdesk.noc.spikes.baselines import baseline_learn  # noqa: E402
from netdesk.noc.spikes.detector import Complaint, Hint, Spike, SpikeDetector  # noqa: E402
from netdesk.noc.spikes.places import Node, PathIndex  # noqa: E402
from netdesk.noc.spikes.scoring import SpikeSettings  # noqa: E402
from netdesk.triage import engine, training  # noqa: E402

TICKETS = ROOT.parent / "shared" / "data" / "tickets"
DEFAULT_TOPOLOGIES = ["Abilene", "Geant2012", "Uninett2011"]
NETWORK_TAGS = {"Network", "Connectivity", "Network Issue", "Outage", "Service Outage"}
OUTAGE_QUEUE = "Service Outages and Maintenance"
TYPES = {"Incident": "complaint", "Problem": "complaint", "Request": "service_request"}
TYPES["Change"] = "service_request"
NATIONAL = "national_core"
SITE = PORT  # the access site plays the PON port's part in spike_eval's helpers
SITE_OUTAGES = 0.8
CONFIDENCE = 0.5  # as netdesk.triage.selectors.NETWORK_FAULT_CONFIDENCE


@dataclass(frozen=True)
class Text:
    text: str
    network_fault: bool  # by the dataset's labels (see the rule above)
    ticket_type: str
    queue: str
    language: str


def load_texts(folder: Path) -> list[Text]:
    found: dict[str, Text] = {}
    for path in sorted(folder.glob("*multi-lang*.csv")):
        with path.open(encoding="utf-8-sig", newline="") as handle:
            for row in csv.DictReader(handle):
                kind, queue = row.get("type") or "", row.get("queue") or ""
                body = (row.get("subject") or "") + "\n" + (row.get("body") or "")
                if not kind or not queue or not body.strip():
                    continue  # the uploader's cut: a partial last line
                tags = {v for k, v in row.items() if k and k.startswith("tag_") and v}
                fault = kind in ("Incident", "Problem") and (
                    queue == OUTAGE_QUEUE or bool(tags & NETWORK_TAGS)
                )
                found.setdefault(body, Text(body, fault, kind, queue, row.get("language") or ""))
    return list(found.values())


def triage_filters(learn: list[Text], texts: list[Text]) -> dict[str, Callable[[Text], bool]]:
    """What each filter counts as a network fault, decided once per text."""
    samples = [
        engine.Sample(
            text=t.text,
            ticket_type="fault" if t.network_fault else TYPES.get(t.ticket_type, "complaint"),
            category="",
            group=t.queue,
            language=t.language,
        )
        for t in learn
    ]
    began = time.monotonic()
    try:
        learned: engine.Classifier | None = training.train(samples)
    except ValueError as error:
        print(f"the learned triage is not there ({error}); keyword rules only", file=sys.stderr)
        learned = None
    print(f"triage trained in {time.monotonic() - began:.1f} s", file=sys.stderr)

    def says(prediction: engine.Prediction) -> bool:
        guess = prediction.network_fault
        return guess.value == "yes" and guess.confidence >= CONFIDENCE

    by_keywords = {t.text: says(engine.keyword_predict(t.text)) for t in texts}
    filters: dict[str, Callable[[Text], bool]] = {
        "no filter": lambda _text: True,
        "keyword rules": lambda t: by_keywords[t.text],
    }
    if learned is not None:
        by_model = {t.text: says(learned.predict(t.text)) for t in texts}
        filters["learned triage (TF-IDF)"] = lambda t: by_model[t.text]
    filters["dataset labels"] = lambda t: t.network_fault
    return filters


def build_network(path: Path, rng: random.Random) -> Network:
    nodes, _ = read_graphml(path)
    network = Network(name=path.stem)
    national = network.add(NATIONAL, None, 0)
    for area, _pop in enumerate(sorted(set(nodes)), start=1):
        pop = network.add(CORE, national, area)
        for _ in range(rng.randint(4, 12)):
            site = network.add(SITE, pop, area)
            for _ in range(rng.randint(20, 150)):
                network.area_subscribers.setdefault(area, []).append(len(network.subscriber_port))
                network.subscriber_port.append(site)
                network.subscriber_area.append(area)
    return network


def inject(
    network: Network, rng: random.Random, start: datetime, end: datetime
) -> tuple[list[Outage], list[Call]]:
    sites = [e for e, kind in network.kind.items() if kind == SITE]
    pops = [e for e, kind in network.kind.items() if kind == CORE]
    on_site: dict[int, list[int]] = {}
    for subscriber, site in enumerate(network.subscriber_port):
        on_site.setdefault(site, []).append(subscriber)
    outages: list[Outage] = []
    calls: list[Call] = []
    at = start + timedelta(hours=rng.uniform(2, 12))
    while at < end - timedelta(hours=6):
        element = rng.choice(sites) if rng.random() < SITE_OUTAGES else rng.choice(pops)
        minutes = math.exp(rng.uniform(math.log(30), math.log(360)))
        outage = Outage(element, network.kind[element], at, at + timedelta(minutes=minutes), 0)
        below = [element] if network.kind[element] == SITE else network.children[element]
        affected = [s for site in below for s in on_site.get(site, [])]
        outage.affected = len(affected)
        for subscriber in affected:
            when = at + timedelta(
                minutes=min(60.0, max(5.0, rng.lognormvariate(math.log(15), 0.7)))
            )
            if when >= outage.end:
                continue
            if rng.random() >= CALL_PROBABILITY_AT_PEAK * activity(when) / max_activity():
                continue
            calls.append(Call(when, subscriber, len(outages)))
            outage.calls.append(when)
            if rng.random() < REPEAT_CALLERS:
                calls.append(
                    Call(when + timedelta(minutes=rng.uniform(10, 120)), subscriber, len(outages))
                )
        outages.append(outage)
        at = outage.end + timedelta(hours=rng.uniform(6, 24))
    return outages, calls


@dataclass
class TextResult:
    weeks: float
    outages: int = 0
    found: int = 0
    found_by_hint: int = 0
    found_by_either: int = 0
    single_caller: int = 0  # outages with one or two callers
    single_found: int = 0  # of those, found by an outage or a hint
    raised: int = 0
    false: int = 0
    hints: int = 0
    true_hints: int = 0
    ttd: list[float] = field(default_factory=list)
    counted: int = 0  # complaints the detector saw
    complaints: int = 0


def as_spike(hint: Hint) -> Spike:
    return Spike(
        node=hint.node, at=hint.at, window_start=hint.at, complaints=1, customers=1,
        expected=hint.expected, score=0.0, threshold=0.0, ticket_ids=(), hour_of_week=0,
        fired=hint.node, top=hint.node, share=1.0,
    )  # fmt: skip


def run(
    path: Path,
    seed: int,
    counts: Callable[[Text], bool],
    halves: tuple[list[Text], list[Text], list[Text], list[Text]],
    weeks_learn: int,
    weeks_eval: int,
    waves: bool,
) -> TextResult:
    rng = random.Random(f"{path.stem}:{seed}:text")
    learn_texts, eval_texts, eval_faults, eval_bills = halves
    network = build_network(path, rng)
    learn_end = START + timedelta(weeks=weeks_learn)
    eval_end = learn_end + timedelta(weeks=weeks_eval)
    paths = PathIndex(network.ancestors)
    settings = SpikeSettings()

    def nodes(call: Call) -> tuple[Node, ...]:
        return paths.nodes(
            network.subscriber_port[call.subscriber], network.subscriber_area[call.subscriber]
        )

    history = [(c, rng.choice(learn_texts)) for c in background(network, rng, START, learn_end)]
    baseline = baseline_learn(
        ((c.at, nodes(c)) for c, text in history if counts(text)),
        since=START,
        until=learn_end,
        tz=UTC,
        settings=settings,
    )
    outages, outage_calls = inject(network, rng, learn_end, eval_end)
    stream = [(c, rng.choice(eval_texts)) for c in background(network, rng, learn_end, eval_end)]
    stream += [(c, rng.choice(eval_faults)) for c in outage_calls]
    if waves:
        for half in range(2):
            start = learn_end + timedelta(
                hours=half * weeks_eval * 84 + rng.uniform(12, weeks_eval * 84 - WAVE_HOURS)
            )
            stream += [(c, rng.choice(eval_bills)) for c in national_wave(network, rng, start, 1.0)]
    stream.sort(key=lambda pair: pair[0].at)
    detector = SpikeDetector(baseline=baseline, paths=paths, tz=UTC, settings=settings)
    result = TextResult(weeks=weeks_eval, complaints=len(stream))
    first: dict[int, float] = {}
    hinted: set[int] = set()
    for number, (call, text) in enumerate(stream):
        if not counts(text):
            continue
        result.counted += 1
        outcome = detector.observe(
            Complaint(
                ticket_id=number,
                at=call.at,
                customer_id=call.subscriber,
                element_id=network.subscriber_port[call.subscriber],
                area_id=network.subscriber_area[call.subscriber],
            )
        )
        for spike in outcome.raised:
            result.raised += 1
            found = matches(network, outages, spike)
            result.false += not found
            for index, _ in found:
                minutes = (spike.at - outages[index].start).total_seconds() / 60
                first[index] = min(first.get(index, math.inf), minutes)
        if outcome.hint is not None:
            result.hints += 1
            found = matches(network, outages, as_spike(outcome.hint))
            result.true_hints += bool(found)
            hinted.update(index for index, _ in found)
    result.outages = len(outages)
    result.found = len(first)
    result.found_by_hint = len(hinted)
    result.found_by_either = len(set(first) | hinted)
    result.ttd = sorted(first.values())
    for index, outage in enumerate(outages):
        if len(outage.calls) <= 2:
            result.single_caller += 1
            result.single_found += index in first or index in hinted
    return result


def share(part: float, whole: float) -> str:
    return f"{part / whole:.0%}" if whole else "–"


def print_triage(texts: list[Text], filters: dict[str, Callable[[Text], bool]]) -> None:
    print("| filter | counted as network fault | precision | recall (against the labels) |")
    print("|---|---:|---:|---:|")
    truth = sum(t.network_fault for t in texts)
    for label, counts in filters.items():
        said = [t for t in texts if counts(t)]
        right = sum(t.network_fault for t in said)
        print(f"| {label} | {share(len(said), len(texts))} | {share(right, len(said))} | "
              f"{share(right, truth)} |")  # fmt: skip


def print_results(results: dict[str, list[TextResult]]) -> None:
    print()
    print(
        "| filter | complaints the detector saw | outages | recall (outages) "
        "| precision (outages) | false alarms / week | median TTD (min) | hints / week "
        "| hint precision "
        "| outages with a hint | recall (outage or hint) | of outages with 1–2 callers |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for label, runs in results.items():
        weeks = sum(r.weeks for r in runs)
        outages = sum(r.outages for r in runs)
        ttd = [m for r in runs for m in r.ttd]
        hints = sum(r.hints for r in runs)
        print(
            f"| {label} | {share(sum(r.counted for r in runs), sum(r.complaints for r in runs))} "
            f"| {outages} | {share(sum(r.found for r in runs), outages)} | "
            f"{share(sum(r.raised - r.false for r in runs), sum(r.raised for r in runs))} | "
            f"{sum(r.false for r in runs) / weeks:.2f} | "
            f"{f'{statistics.median(ttd):.0f}' if ttd else '–'} | {hints / weeks:.1f} | "
            f"{share(sum(r.true_hints for r in runs), hints)} | "
            f"{share(sum(r.found_by_hint for r in runs), outages)} | "
            f"{share(sum(r.found_by_either for r in runs), outages)} | "
            f"{share(sum(r.single_found for r in runs), sum(r.single_caller for r in runs))} |"
        )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=DATA, help="folder of .graphml files")
    parser.add_argument("--tickets", type=Path, default=TICKETS, help="folder of ticket CSVs")
    parser.add_argument("--topologies", default=",".join(DEFAULT_TOPOLOGIES))
    parser.add_argument("--seeds", type=int, default=2)
    parser.add_argument("--weeks-learn", type=int, default=8)
    parser.add_argument("--weeks-eval", type=int, default=4)
    parser.add_argument("--waves", action="store_true", help="also with national billing waves")
    args = parser.parse_args()
    for folder in (args.data, args.tickets):
        if not folder.is_dir():
            print(f"skipped: no data at {folder}")
            return 0
    files = [args.data / f"{name}.graphml" for name in args.topologies.split(",")]
    missing = [f.name for f in files if not f.exists()]
    texts = load_texts(args.tickets)
    if missing or not texts:
        print(f"skipped: {', '.join(missing) or 'no ticket texts'} not in the data folders")
        return 0
    random.Random(0).shuffle(texts)
    learn, held = texts[: len(texts) // 2], texts[len(texts) // 2 :]
    filters = triage_filters(learn, learn + held)
    print(f"{len(texts)} texts, {sum(t.network_fault for t in texts)} network faults by the labels")
    print()
    print_triage(held, filters)
    bills = [t for t in held if t.queue == "Billing and Payments"]
    halves = (learn, held, [t for t in held if t.network_fault], bills)
    results: dict[str, list[TextResult]] = {}
    runs = [(False, label, counts) for label, counts in filters.items()]
    if args.waves:
        runs += [(True, f"{label}, billing waves", counts) for label, counts in filters.items()]
    for waves, label, counts in runs:
        for path in files:
            for seed in range(args.seeds):
                began = time.monotonic()
                result = run(path, seed, counts, halves, args.weeks_learn, args.weeks_eval, waves)
                results.setdefault(label, []).append(result)
                print(
                    f"{label:40} {path.stem:12} seed {seed}: {result.found}/{result.outages} "
                    f"found, {result.false} false, {result.hints} hints "
                    f"({result.true_hints} true), {time.monotonic() - began:.1f} s",
                    file=sys.stderr,
                )
    print_results(results)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
