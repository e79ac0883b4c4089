"""The public customer-support tickets the knowledge-base benches read
(`../shared/data/tickets/*multi-lang*.csv`: subject, body, agent answer,
queue, language en/de/es/pt/fr), with every row left out counted by reason.

Not part of the desk: the benches only. The files are not copied anywhere;
a bench that needs them stops with a message when they are absent.
"""

from __future__ import annotations

import csv
import hashlib
import os
import re
import sys
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# KB_BENCH_DATA: the folder of the ticket files when not beside the project.
DATA = Path(os.environ.get("KB_BENCH_DATA") or ROOT.parent / "shared" / "data" / "tickets")
LANGUAGES = ("en", "de", "es", "pt", "fr")
BREAKS = re.compile(r"(?:\\n|<br\s*/?>)+", re.IGNORECASE)
SPACES = re.compile(r"[ \t]+")
SENTENCE_END = re.compile(r"(?<=[.!?])\s")


@dataclass(frozen=True)
class Ticket:
    """One usable row: what the customer wrote and what the agent answered."""

    number: int
    subject: str
    body: str
    answer: str
    language: str
    queue: str
    ticket_type: str
    source: str

    @property
    def question(self) -> str:
        return f"{self.subject}\n{self.body}".strip()

    @property
    def split(self) -> str:
        """ "dev" (about 30 %, for tuning) or "test", fixed by the ticket's
        own words so that every run and every bench splits alike."""
        digest = hashlib.sha256(f"{self.subject}\0{self.body}".encode()).digest()
        return "dev" if digest[0] < 77 else "test"

    @property
    def bucket(self) -> int:
        """0..255, fixed by the ticket's words, independent of the split:
        a bench that takes part of the tickets takes the same part each run."""
        return hashlib.sha256(f"{self.subject}\0{self.body}".encode()).digest()[1]

    @property
    def answer_title(self) -> str:
        """The answer's first sentence (at most 120 characters): the title
        of an article that is the answer alone."""
        first = SENTENCE_END.split(self.answer, maxsplit=1)[0]
        return first[:120].strip()


@dataclass
class Loaded:
    tickets: list[Ticket]
    read: int = 0
    skipped: Counter[str] = field(default_factory=Counter)
    files: list[str] = field(default_factory=list)


def clean(text: str) -> str:
    """The files write line breaks as a literal backslash-n or as <br>."""
    return SPACES.sub(" ", BREAKS.sub("\n", text or "")).strip()


def load(folder: Path = DATA) -> Loaded:
    """Every multi-language file in `folder`, duplicates (same subject and
    body in two files) kept once."""
    files = sorted(folder.glob("*multi-lang*.csv"))
    if not files:
        # Not an error: a fresh machine has no data set (../shared/data/DATA.md).
        print(f"kb bench: no *multi-lang*.csv under {folder}; skipped")
        sys.exit(0)
    csv.field_size_limit(10_000_000)
    loaded = Loaded(tickets=[], files=[f.name for f in files])
    seen: set[tuple[str, str]] = set()
    for path in files:
        with path.open(newline="", encoding="utf-8") as handle:
            for row in csv.DictReader(handle):
                loaded.read += 1
                reason = _refusal(row)
                if reason:
                    loaded.skipped[reason] += 1
                    continue
                subject, body = clean(row["subject"]), clean(row["body"])
                if (subject, body) in seen:
                    loaded.skipped["duplicate of a row in another file"] += 1
                    continue
                seen.add((subject, body))
                loaded.tickets.append(
                    Ticket(
                        number=len(loaded.tickets) + 1,
                        subject=subject,
                        body=body,
                        answer=clean(row["answer"]),
                        language=row["language"],
                        queue=row.get("queue") or "",
                        ticket_type=row.get("type") or "",
                        source=path.name,
                    )
                )
    return loaded


def _refusal(row: dict[str | None, object]) -> str:
    if None in row or any(value is None for value in row.values()):
        return "partial line (the file was cut)"
    if row.get("language") not in LANGUAGES:
        return f"language not one of {', '.join(LANGUAGES)}"
    if not str(row.get("body") or "").strip():
        return "no body"
    if not str(row.get("answer") or "").strip():
        return "no answer"
    return ""


def pool_of(tickets: list[Ticket], share: float) -> list[Ticket]:
    """The tickets made into articles: every Spanish, Portuguese and French
    one (few of them) and `share` of the English and German ones, the same
    part every run (by a hash of their words)."""
    return [t for t in tickets if t.language in ("es", "pt", "fr") or t.bucket < share * 256]


def describe(loaded: Loaded) -> str:
    counts = Counter(t.language for t in loaded.tickets)
    langs = ", ".join(f"{lang} {counts[lang]}" for lang in LANGUAGES)
    skipped = "; ".join(f"{n} {why}" for why, n in loaded.skipped.items()) or "none"
    return (
        f"{loaded.read} rows read from {len(loaded.files)} files, "
        f"{len(loaded.tickets)} used ({langs}); skipped: {skipped}"
    )


if __name__ == "__main__":
    print(describe(load()))
