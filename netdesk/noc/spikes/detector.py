"""The detector: complaints over a sliding window, spikes raised, joined and
released (the rules are in the package's docstring)."""

from __future__ import annotations

import math
from collections import Counter, deque
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, tzinfo

from netdesk.noc.spikes.baselines import Baseline
from netdesk.noc.spikes.places import ELEMENT, Node, PathIndex
from netdesk.noc.spikes.results import NOTHING, Complaint, Entry, Hint, Outcome, Reading, Spike
from netdesk.noc.spikes.scoring import (
    SpikeSettings,
    hour_of_week,
    poisson_tail_score,
    score_below,
)

__all__ = ["NOTHING", "Complaint", "Hint", "Outcome", "Reading", "Spike", "SpikeDetector"]

# How often (in detector time) raised outages are checked for having ended.
RELEASE_CHECK_SECONDS = 60.0


class SpikeDetector:
    """The streaming detector. Feed it complaints in (roughly) time order;
    not thread-safe (the caller holds a lock)."""

    def __init__(
        self,
        *,
        baseline: Baseline,
        paths: PathIndex,
        tz: tzinfo,
        settings: SpikeSettings | None = None,
        threshold_offsets: Mapping[Node, float] | None = None,
    ) -> None:
        self.settings = settings or SpikeSettings()
        if baseline.bucket_minutes != self.settings.bucket_minutes:
            raise ValueError("the baseline was learned with another bucket length")
        self.baseline = baseline
        self.paths = paths
        self.tz = tz
        self._offsets: dict[Node, float] = dict(threshold_offsets or {})
        self._thresholds: dict[Node, float] = {}  # level's threshold + feedback, per node
        # (node, raised place) → whether the node's window all passes it, and
        # the complaint that said so (the newest) or not.
        self._passing: dict[tuple[Node, Node], tuple[bool, Entry]] = {}
        self._windows: dict[Node, deque[Entry]] = {}
        self._pending: dict[Node, float] = {}  # node → when it turned hot
        self._raised: dict[Node, float] = {}  # node → when its outage was raised
        self._seen: dict[int, float] = {}
        self._seen_order: deque[tuple[float, int]] = deque()
        self._hours: dict[int, int] = {}  # bucket number → hour of the week
        self._window = self.settings.window_seconds
        self._bucket = self.settings.bucket_seconds
        self._expectations: dict[Node, tuple[int, float]] = {}
        # Nodes whose complaints raised outages already explain.
        self._explained: set[Node] = set()
        self._released_at = -math.inf
        self._now = -math.inf
        self._observed = 0
        # Access elements seen complaining since the detector started.
        self._complained: set[int] = set()
        self._hinted: deque[float] = deque()  # when recent hints were given

    # levels ------------------------------------------------------------

    def level_of(self, node: Node) -> int | None:
        return self.paths.level(node)

    # feedback ----------------------------------------------------------

    def use_paths(self, paths: PathIndex) -> None:
        """A new topology: its paths, and the levels (so thresholds) with it."""
        self.paths = paths
        self._thresholds.clear()
        self._expectations.clear()

    def threshold_for(self, node: Node) -> float:
        threshold = self._thresholds.get(node)
        if threshold is None:
            base = self.settings.base_threshold(self.paths.level(node))
            threshold = self._thresholds[node] = base + self._offsets.get(node, 0.0)
        return threshold

    def set_threshold_offset(self, node: Node, offset: float) -> None:
        if offset > 0:
            self._offsets[node] = offset
        else:
            self._offsets.pop(node, None)
        self._thresholds.pop(node, None)

    @property
    def threshold_offsets(self) -> dict[Node, float]:
        return dict(self._offsets)

    @property
    def raised(self) -> frozenset[Node]:
        return frozenset(self._raised)

    # streaming ---------------------------------------------------------

    def observe(self, complaint: Complaint) -> Outcome:
        at = complaint.at.timestamp()
        window = self._window
        if complaint.ticket_id in self._seen or at <= self._now - window:
            return NOTHING  # seen before, or too old to count
        self._remember(complaint.ticket_id, at)
        if at > self._now:
            self._now = at
        nodes = self.paths.nodes(complaint.element_id, complaint.area_id)
        entry = Entry(at, complaint.ticket_id, complaint.customer_id, nodes)
        cutoff = self._now - window
        for node in nodes:
            entries = self._windows.get(node)
            if entries is None:
                entries = self._windows[node] = deque()
            entries.append(entry)
            self._evict(entries, cutoff)
            if node in self._pending or node in self._explained or node in self._raised:
                continue
            if self._hot(node, entries):
                self._pending[node] = self._now
        raised = self._mature(nodes)
        # The deepest raised node on the path: the element outage, else the area's.
        joined = next((node for node in nodes if node in self._raised), None)
        hint = None
        if complaint.element_id is not None:
            if not raised and joined is None:
                hint = self._hint(complaint, nodes[0])
            self._complained.add(complaint.element_id)
        if raised or joined is not None or hint is not None:
            return Outcome(raised=tuple(raised), joined=joined, hint=hint)
        return NOTHING

    def advance(self, at: datetime) -> tuple[Spike, ...]:
        """Move the clock without a complaint: duration gates that have run
        their time raise now instead of at the next complaint."""
        now = at.timestamp()
        if now > self._now:
            self._now = now
        return tuple(self._mature(None))

    def reading(self, node: Node, at: datetime | None = None) -> Reading:
        """The node's count, expectation and score in the window ending at `at`
        (default: the latest complaint)."""
        now = self._now if at is None else at.timestamp()
        entries = self._windows.get(node, deque())
        count = sum(1 for entry in entries if now - self._window < entry.at <= now)
        expected = self._expected(node, now)
        return Reading(count, expected, poisson_tail_score(count, expected))

    # inside ------------------------------------------------------------

    def _hint(self, complaint: Complaint, node: Node) -> Hint | None:
        """A hint when this is the first complaint ever from its access
        element, within the desk-wide budget of hints per window."""
        if not self.settings.hints or complaint.element_id in self._complained:
            return None
        if node in self.baseline.means:
            return None
        while self._hinted and self._hinted[0] <= self._now - self._window:
            self._hinted.popleft()
        if len(self._hinted) >= self.settings.hints_per_window:
            return None
        self._hinted.append(self._now)
        return Hint(
            node=node,
            level=self.paths.level(node),
            at=complaint.at,
            ticket_id=complaint.ticket_id,
            expected=self._expected(node, self._now),
        )

    def _waves(self, node: Node, entries: deque[Entry]) -> list[Node]:
        """Raised places over `node`: every complaint it counts passes
        through them and they are not below it (a wide outage, a national
        wave). They do not explain its complaints away; they raise what it
        is expected to bring by their own excess (`_wave_ratio`)."""
        if not self._raised or not entries or not self.settings.local_spikes_under_waves:
            return []
        upstream = self.paths.elements(node.id)[1:] if node.kind == ELEMENT else ()
        found = []
        for upper in self._raised:
            if upper.kind == ELEMENT and node.kind == ELEMENT:
                # Every complaint under an element passes its upstreams: no
                # need to look at them one by one.
                if upper in upstream:
                    found.append(upper)
            elif upper != node and self._all_pass(upper, node, entries):
                found.append(upper)
        return found

    def _all_pass(self, upper: Node, node: Node, entries: deque[Entry]) -> bool:
        """Whether every complaint in the node's window passes through
        `upper`, remembering the answer: while the complaint that said no is
        in the window it stays no, and a yes needs only the complaints that
        came since to be read."""
        key = (node, upper)
        cached = self._passing.get(key)
        last = None
        if cached is not None:
            holds, entry = cached
            if not holds and entry.at > self._now - self._window:
                return False
            last = entry if holds else None
        newest = None
        for entry in reversed(entries):
            newest = newest or entry
            if entry is last:
                break
            if upper not in entry.nodes:
                self._passing[key] = (False, entry)
                return False
        if len(self._passing) > 50_000:
            self._passing.clear()
        if newest is not None:
            self._passing[key] = (True, newest)
        return True

    def _wave_ratio(self, count: int, expected: float, waves: list[Node]) -> float:
        """How many times its usual rate the widest-running wave brings
        outside the node read (`count` complaints, `expected` usually); at
        least 1."""
        ratio = 1.0
        for upper in waves:
            total = len(self._current(upper))
            total_expected = self._expected(upper, self._now)
            rest, rest_expected = total - count, total_expected - expected
            if rest_expected <= 0.05 * total_expected:
                # The node is (nearly) all of the wave: the wave's own ratio.
                rest, rest_expected = total, total_expected
            if rest_expected > 0 and rest > rest_expected:
                ratio = max(ratio, rest / rest_expected)
        return ratio

    def _expected_under(
        self, node: Node, count: int, entries: deque[Entry]
    ) -> tuple[float, Node | None, float]:
        """The node's expectation in the window, raised by any wave over it:
        the expectation, the wave and its ratio."""
        expected = self._expected(node, self._now)
        waves = self._waves(node, entries)
        if not waves:
            return expected, None, 1.0
        ratio = self._wave_ratio(count, expected, waves)
        wave = max(waves, key=lambda w: (self.paths.depth(w), -w.id))
        return expected * ratio, wave, ratio

    def _remember(self, ticket_id: int, at: float) -> None:
        self._seen[ticket_id] = at
        self._seen_order.append((at, ticket_id))
        self._observed += 1
        if self._observed % 1024:
            return
        horizon = self._now - self._window - 3600
        while self._seen_order and self._seen_order[0][0] < horizon:
            _, old = self._seen_order.popleft()
            self._seen.pop(old, None)
        cutoff = self._now - self._window
        for node in list(self._windows):
            entries = self._windows[node]
            self._evict(entries, cutoff)
            if not entries and node not in self._pending and node not in self._raised:
                del self._windows[node]
        if len(self._hours) > 4096:
            self._hours.clear()

    @staticmethod
    def _evict(entries: deque[Entry], cutoff: float) -> None:
        while entries and entries[0].at <= cutoff:
            entries.popleft()

    def _hour(self, bucket: int) -> int:
        how = self._hours.get(bucket)
        if how is None:
            moment = datetime.fromtimestamp(bucket * self._bucket, UTC)
            how = self._hours[bucket] = hour_of_week(moment, self.tz)
        return how

    def _expected(self, node: Node, now: float) -> float:
        """Expected complaints in the window ending at `now`, the baseline's
        rate integrated bucket by bucket; cached per node for a minute of
        detector time (it moves by far less than the noise in a minute)."""
        minute = int(now // 60)
        cached = self._expectations.get(node)
        if cached is not None and cached[0] == minute:
            return cached[1]
        size = self._bucket
        start = now - self._window
        bucket = math.floor(start / size)
        total = 0.0
        rate = self.baseline.rate
        while start < now:
            end = min((bucket + 1) * size, now)
            total += rate(node, self._hour(bucket)) * (end - start)
            start, bucket = end, bucket + 1
        expected = total / size
        if len(self._expectations) > 100_000:
            self._expectations.clear()
        self._expectations[node] = (minute, expected)
        return expected

    def _hot(self, node: Node, entries: deque[Entry]) -> bool:
        """Hot against its own baseline, and, under a raised wave, against
        its baseline times the wave's ratio: a local spike that stands out
        from the wave is hot, a place that only carries its share is not."""
        count = len(entries)
        if count < self.settings.min_complaints:
            return False
        expected = self._expected(node, self._now)
        threshold = self.threshold_for(node)
        if score_below(count, expected, threshold):
            return False
        if self._raised:
            expected, _, _ = self._expected_under(node, count, entries)
            if score_below(count, expected, threshold):
                return False  # carries its share of a wave, no more
        return poisson_tail_score(count, expected) >= threshold

    def _current(self, node: Node) -> deque[Entry]:
        entries = self._windows.get(node)
        if entries is None:
            return deque()
        self._evict(entries, self._now - self._window)
        return entries

    def _read(self, node: Node) -> Reading:
        entries = self._current(node)
        count = len(entries)
        expected, _, _ = self._expected_under(node, count, entries)
        return Reading(count, expected, poisson_tail_score(count, expected))

    def _is_hot(self, node: Node, reading: Reading) -> bool:
        return (
            reading.complaints >= self.settings.min_complaints
            and reading.score >= self.threshold_for(node)
        )

    def _mature(self, touched: tuple[Node, ...] | None) -> list[Spike]:
        """Raise pending nodes whose duration gate has passed; `touched` are
        the nodes the latest complaint counted toward (None: the clock moved)."""
        if self._now - self._released_at >= RELEASE_CHECK_SECONDS:
            self._released_at = self._now
            for node in list(self._raised):
                if self._read(node).score < self.settings.release_threshold:
                    del self._raised[node]
                    self._explained.clear()
        if not self._pending:
            return []
        raised: list[Spike] = []
        hold = self.settings.hold_minutes * 60
        for node, since in list(self._pending.items()):
            if self._now - since < hold:
                continue  # complaints only add to it meanwhile: judge it when the hold ends
            if self.settings.persist_by_complaint and (touched is None or node not in touched):
                continue
            entries = self._current(node)
            if node in self._raised or not self._hot(node, entries):
                del self._pending[node]
                continue
            customers = len({entry.customer_id for entry in entries})
            if customers < self.settings.min_customers:
                continue
            del self._pending[node]
            spike = self._attribute(node)
            if spike is not None:
                raised.append(spike)
        return raised

    def _attribute(self, fired: Node) -> Spike | None:
        """Name the place for the spike `fired` passed its gate with, from
        the complaints no raised outage explains yet; None when they are
        all explained already (the fired node then stays quiet until an
        outage ends). A raised place over `fired` (a wave) explains nothing
        below it: the places under it are read against their baselines
        times the wave's ratio instead."""
        waves = set(self._waves(fired, self._current(fired)))
        explaining = [node for node in self._raised if node not in waves]
        readings: dict[Node, Reading] = {}

        def unexplained(node: Node) -> list[Entry]:
            entries = self._current(node)
            if not explaining:
                return list(entries)
            return [e for e in entries if not any(n in explaining for n in e.nodes)]

        def read(node: Node) -> Reading:
            reading = readings.get(node)
            if reading is None:
                count = len(unexplained(node))
                expected = self._expected(node, self._now)
                if waves:
                    entries = self._current(node)
                    over = [w for w in self._waves(node, entries) if w in waves]
                    if over:
                        expected *= self._wave_ratio(len(entries), expected, over)
                reading = readings[node] = Reading(
                    count, expected, poisson_tail_score(count, expected)
                )
            return reading

        def under_waves(node: Node) -> bool:
            return not waves or waves <= set(self._waves(node, self._current(node)))

        own = unexplained(fired)
        if not self._is_hot(fired, read(fired)) or (
            len({entry.customer_id for entry in own}) < self.settings.min_customers
        ):
            self._explained.add(fired)
            return None
        candidates = [
            node
            for node in dict.fromkeys(node for entry in own for node in entry.nodes)
            if node not in self._raised and under_waves(node)
        ]
        hot = [node for node in candidates if self._is_hot(node, read(node))]
        top = max(hot, key=lambda n: (readings[n].excess, -self.paths.depth(n)))
        named, share = self._deepest_explaining(top, unexplained(top), read)
        named = self._widened(named)
        if named in self._raised or (
            named.kind == ELEMENT
            and any(upper in explaining for upper in self.paths.elements(named.id))
        ):
            self._explained.add(fired)
            return None
        return self._raise(named, fired=fired, top=top, share=share)

    def _deepest_explaining(
        self, top: Node, entries: list[Entry], read: Callable[[Node], Reading]
    ) -> tuple[Node, float]:
        """The deepest hot element under which `explain_share` of the top's
        excess sits, allowing for the normal noise of the complaints outside
        it; the top itself when none does. With the share it holds."""
        top_reading = read(top)
        held = Counter(node for entry in entries for node in entry.nodes if node.kind == ELEMENT)
        best: tuple[int, float, int] | None = None
        named, share = top, 1.0
        for node, count in held.items():
            if node in self._raised:
                continue  # a wave over the spike: it does not name it
            reading = read(node)
            if not self._is_hot(node, reading):
                continue
            holds = count - reading.expected
            outside = max(top_reading.expected - reading.expected, 0.0)
            needed = self.settings.explain_share * top_reading.excess
            if holds < needed - self.settings.noise_sigmas * math.sqrt(outside):
                continue
            rank = (self.paths.depth(node), holds, -node.id)
            if best is None or rank > best:
                best, named = rank, node
                share = holds / top_reading.excess if top_reading.excess > 0 else 1.0
        return named, (min(share, 1.0) if named != top else 1.0)

    def _raise(self, named: Node, *, fired: Node, top: Node, share: float) -> Spike:
        widens = tuple(n for n in self._raised if n != named and self.paths.covers(named, n))
        entries = self._current(named)
        count = len(entries)
        expected, wave, ratio = self._expected_under(named, count, entries)
        self._raised[named] = self._now
        window_start = self._now - self._window
        return Spike(
            node=named,
            at=datetime.fromtimestamp(self._now, UTC),
            window_start=datetime.fromtimestamp(window_start, UTC),
            complaints=count,
            customers=len({entry.customer_id for entry in entries}),
            expected=expected,
            score=poisson_tail_score(count, expected),
            threshold=self.threshold_for(named),
            ticket_ids=tuple(entry.ticket_id for entry in entries),
            hour_of_week=self._hour(math.floor(self._now / self._bucket)),
            fired=fired,
            top=top,
            share=share,
            widens=widens,
            level=self.paths.level(named),
            wave=wave,
            wave_ratio=ratio,
        )

    def _widened(self, named: Node) -> Node:
        """Two sibling elements raised within one window point at the
        element they both hang off: name that one instead."""
        if named.kind != ELEMENT or not self._raised:
            return named
        path = self.paths.elements(named.id)
        if len(path) < 2:
            return named
        upstream = path[1]
        for other in self._raised:
            if other.kind == ELEMENT and other != named:
                other_path = self.paths.elements(other.id)
                if len(other_path) >= 2 and other_path[1] == upstream:
                    return upstream
        return named
