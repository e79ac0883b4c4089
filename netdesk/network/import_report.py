"""What an inventory import did: rows created, updated and unchanged per
record, every skipped row with its reason (counted per reason, and written
one per line to a CSV when asked), notes on things kept but changed (a
renamed duplicate, an ignored bad coordinate) and the time of each stage."""

from __future__ import annotations

import json
import sys
import time
from collections import Counter
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

from django.db import transaction
from tqdm import tqdm

from netdesk.core.csvexport import CsvWriter
from netdesk.core.errors import ImportFailed

EXAMPLES_PER_REASON = 3
OUTCOMES = ("created", "updated", "unchanged")
SKIPPED_CSV_COLUMNS = ("record", "reference", "reason", "detail", "row")


class ImportReport:
    """Collects outcomes as the stages run. Skipped rows go straight to the
    skipped-rows CSV (an import of a million rows may skip many), so only
    counts and a few examples per reason stay in memory."""

    def __init__(self, *, skipped_csv: Path | None = None, dry_run: bool = False) -> None:
        self.dry_run = dry_run
        self.counts: dict[str, Counter[str]] = {}
        self.skips: Counter[tuple[str, str]] = Counter()
        self.skip_examples: dict[tuple[str, str], list[str]] = {}
        self.notes: Counter[tuple[str, str]] = Counter()
        self.note_examples: dict[tuple[str, str], list[str]] = {}
        self.seconds: dict[str, float] = {}
        self.started = time.monotonic()
        self.skipped_csv = skipped_csv
        self._skipped_file: IO[str] | None = None
        self._skipped_writer: CsvWriter | None = None
        if skipped_csv is not None:
            # Opened now so a path that cannot be written fails before the import writes.
            try:
                self._skipped_file = skipped_csv.open("w", newline="", encoding="utf-8")
            except OSError as exc:
                raise ImportFailed(
                    f"--skipped-csv {skipped_csv}: cannot be written ({exc.strerror})."
                ) from exc
            # Skipped rows quote what the file said: the export writer keeps
            # a formula in it from running when the CSV is opened.
            self._skipped_writer = CsvWriter(self._skipped_file)
            self._skipped_writer.writerow(SKIPPED_CSV_COLUMNS)

    def count(self, record: str, outcome: str, number: int = 1) -> None:
        self.counts.setdefault(record, Counter())[outcome] += number

    def skip(
        self,
        record: str,
        reference: str,
        reason: str,
        detail: str = "",
        row: Mapping[str, Any] | list[Any] | None = None,
    ) -> None:
        key = (record, reason)
        self.skips[key] += 1
        examples = self.skip_examples.setdefault(key, [])
        if len(examples) < EXAMPLES_PER_REASON:
            examples.append(reference)
        if self._skipped_writer is not None:
            raw = "" if row is None else json.dumps(row, ensure_ascii=False, default=str)
            self._skipped_writer.writerow([record, reference, reason, detail, raw])

    def note(self, record: str, what: str, reference: str) -> None:
        key = (record, what)
        self.notes[key] += 1
        examples = self.note_examples.setdefault(key, [])
        if len(examples) < EXAMPLES_PER_REASON:
            examples.append(reference)

    def shortened(
        self, record: str, field: str, value: str, max_length: int, reference: str
    ) -> str:
        """`value` cut to what the field holds; a cut is noted, never silent."""
        if len(value) <= max_length:
            return value
        self.note(record, f"{field} over {max_length} characters: shortened", reference)
        return value[:max_length]

    @property
    def skipped(self) -> int:
        return sum(self.skips.values())

    @contextmanager
    def stage(self, name: str) -> Iterator[None]:
        started = time.monotonic()
        try:
            yield
        finally:
            self.seconds[name] = self.seconds.get(name, 0.0) + time.monotonic() - started

    def close(self) -> None:
        if self._skipped_file is not None:
            self._skipped_file.close()
            self._skipped_file = None
            self._skipped_writer = None

    def summary_lines(self) -> list[str]:
        lines: list[str] = []
        verbs = ("would create", "would update", "unchanged") if self.dry_run else OUTCOMES
        for record, outcomes in self.counts.items():
            parts = [
                f"{verb} {outcomes[outcome]}" for verb, outcome in zip(verbs, OUTCOMES, strict=True)
            ]
            skipped = sum(count for (rec, _), count in self.skips.items() if rec == record)
            parts.append(f"skipped {skipped}")
            lines.append(f"{record + 's':<11} " + ", ".join(parts))
        if self.skips:
            lines.append("")
            lines.append(f"{'skipped':<9} {'reason':<44} {'count':>8}  examples")
            for (record, reason), count in sorted(self.skips.items()):
                examples = "; ".join(self.skip_examples[(record, reason)])
                lines.append(f"{record:<9} {reason:<44} {count:>8}  {examples}")
        else:
            lines.append("Skipped: nothing.")
        if self.notes:
            lines.append("")
            lines.append(f"{'kept':<9} {'but':<44} {'count':>8}  examples")
            for (record, what), count in sorted(self.notes.items()):
                examples = "; ".join(self.note_examples[(record, what)])
                lines.append(f"{record:<9} {what:<44} {count:>8}  {examples}")
        stages = ", ".join(f"{name} {seconds:.1f} s" for name, seconds in self.seconds.items())
        total = time.monotonic() - self.started
        lines.append("")
        lines.append(f"Time: {stages + ', ' if stages else ''}total {total:.1f} s.")
        return lines

    def as_dict(self) -> dict[str, Any]:
        """The same facts for scripts (the benchmark prints them as JSON)."""
        return {
            "counts": {record: dict(outcomes) for record, outcomes in self.counts.items()},
            "skipped": {f"{record}: {reason}": n for (record, reason), n in self.skips.items()},
            "notes": {f"{record}: {what}": n for (record, what), n in self.notes.items()},
            "seconds": {name: round(value, 2) for name, value in self.seconds.items()},
        }


def progress_bar(description: str, *, total: int | None, enabled: bool, unit: str = "rows") -> Any:
    """A bar on stderr for one stage; silent when `enabled` is false (tests)."""
    return tqdm(
        total=total,
        desc=description,
        unit=unit,
        # "1.00M rows" reads well for big stages, "2.00/2.00" does not for small ones.
        unit_scale=total is None or total >= 100_000,
        file=sys.stderr,
        disable=not enabled,
        mininterval=0.5,
        leave=True,
    )


@contextmanager
def written_unless_dry_run(dry_run: bool) -> Iterator[None]:
    """A dry run does all the work inside one transaction and rolls it back,
    so its counts are those a real run would give."""
    if not dry_run:
        yield
        return
    with transaction.atomic():
        yield
        transaction.set_rollback(True)
