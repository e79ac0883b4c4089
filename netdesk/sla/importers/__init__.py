"""Importers that replay another desk's ticket history through NetDesk's SLA
engine. What every importer shares lives here: the account of what it
skipped and why, so nothing is ever dropped silently, and the comparison of
NetDesk's verdicts with the ones the other desk recorded."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from netdesk.core.csvexport import CsvWriter
from netdesk.sla.models import Metric, PolicyKind, SlaTimer

EXAMPLES_PER_REASON = 3


@dataclass(frozen=True)
class Skipped:
    """One incident or event left out, with the reason and the offending value."""

    record: str  # "incident" or "event"
    reference: str  # the foreign ticket number
    reason: str
    detail: str = ""


@dataclass
class SkipLog:
    """Every skip of a run, summarised per reason with a few example numbers."""

    entries: list[Skipped] = field(default_factory=list)
    # Things changed but kept (e.g. events put back in time order): counted
    # beside the skips so the reader sees them too.
    notes: Counter[str] = field(default_factory=Counter)
    note_examples: dict[str, list[str]] = field(default_factory=dict)

    def note(self, what: str, reference: str) -> None:
        self.notes[what] += 1
        examples = self.note_examples.setdefault(what, [])
        if len(examples) < EXAMPLES_PER_REASON:
            examples.append(reference)

    def add(self, record: str, reference: str, reason: str, detail: str = "") -> None:
        self.entries.append(Skipped(record, reference, reason, detail))

    def counts(self) -> Counter[tuple[str, str]]:
        return Counter((entry.record, entry.reason) for entry in self.entries)

    def examples(self, record: str, reason: str) -> list[str]:
        found: list[str] = []
        for entry in self.entries:
            if entry.record == record and entry.reason == reason and entry.reference not in found:
                found.append(entry.reference)
                if len(found) == EXAMPLES_PER_REASON:
                    break
        return found

    def summary_lines(self) -> list[str]:
        lines = ["Skipped: nothing."] if not self.entries else []
        if self.entries:
            lines.append(f"{'skipped':<9} {'reason':<40} {'count':>7}  examples")
        for (record, reason), count in sorted(self.counts().items()):
            examples = ", ".join(self.examples(record, reason))
            lines.append(f"{record:<9} {reason:<40} {count:>7}  {examples}")
        for what, count in sorted(self.notes.items()):
            examples = ", ".join(self.note_examples.get(what, []))
            lines.append(f"{'kept':<9} {what:<40} {count:>7}  {examples}")
        return lines

    def write_csv(self, path: Path) -> None:
        with path.open("w", newline="", encoding="utf-8") as out:
            writer = CsvWriter(out)
            writer.writerow(["record", "number", "reason", "detail"])
            for entry in self.entries:
                writer.writerow([entry.record, entry.reference, entry.reason, entry.detail])


@dataclass(frozen=True)
class PriorityRow:
    """The comparison for one priority: NetDesk's verdict next to the log's."""

    priority: int
    incidents: int
    made_sla: int
    decided: int
    met: int

    @property
    def made_sla_share(self) -> float | None:
        return self.made_sla / self.incidents if self.incidents else None

    @property
    def compliance(self) -> float | None:
        return self.met / self.decided if self.decided else None


def resolution_verdict(timers: list[SlaTimer]) -> bool | None:
    """The resolution verdict: met, breached, or None while still undecided
    (running and not yet due when the log ends), as the compliance report counts."""
    for timer in timers:
        if timer.kind != PolicyKind.SLA or timer.metric != Metric.RESOLUTION:
            continue
        if timer.breached_at is not None:
            return False
        if timer.stopped_at is not None:
            return True
    return None


def report_lines(rows: list[PriorityRow]) -> list[str]:
    def share(value: float | None) -> str:
        return "—" if value is None else f"{value:.1%}"

    lines = [
        f"{'priority':<9} {'incidents':>9} {'made_sla (log)':>15} "
        f"{'decided':>8} {'met':>7} {'NetDesk compliance':>19}"
    ]
    for row in rows:
        lines.append(
            f"P{row.priority:<8} {row.incidents:>9} {share(row.made_sla_share):>15} "
            f"{row.decided:>8} {row.met:>7} {share(row.compliance):>19}"
        )
    total = PriorityRow(
        0,
        sum(r.incidents for r in rows),
        sum(r.made_sla for r in rows),
        sum(r.decided for r in rows),
        sum(r.met for r in rows),
    )
    lines.append(
        f"{'all':<9} {total.incidents:>9} {share(total.made_sla_share):>15} "
        f"{total.decided:>8} {total.met:>7} {share(total.compliance):>19}"
    )
    return lines
