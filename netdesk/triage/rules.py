"""The cold start: a ticket's type and whether it describes a network fault,
from the keyword lists alone (netdesk/triage/keywords.py), in English,
German, French, Spanish and Portuguese."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import lru_cache

from netdesk.triage import keywords
from netdesk.triage.labels import (
    BILLING_INQUIRY,
    FAULT,
    INFORMATION_REQUEST,
    NO,
    NO_GUESS,
    YES,
    Guess,
    Prediction,
    words,
)

METHOD = "keywords"

# With no word matched, the type is a guess no desk should apply by itself.
UNSURE = 0.2
# The highest confidence the rules claim: words alone can always mislead.
CEILING = 0.95
# Words whose candidate phrases each index keeps.
SEEN_WORDS_MAX = 50_000


@dataclass(frozen=True)
class Phrase:
    text: str  # as written in the list, for the evidence
    tokens: tuple[str, ...]  # folded words
    prefix: bool  # the last word may have any ending
    weight: float


def _phrase(entry: str) -> Phrase:
    strong = entry.endswith("!")
    entry = entry.rstrip("!")
    prefix = entry.endswith("*")
    entry = entry.rstrip("*")
    tokens = tuple(words(entry))
    weight = 2.0 if strong else (1.5 if len(tokens) > 1 else 1.0)
    return Phrase(text=entry + ("…" if prefix else ""), tokens=tokens, prefix=prefix, weight=weight)


def _phrases(by_language: dict[str, tuple[str, ...]]) -> tuple[Phrase, ...]:
    seen: dict[tuple[tuple[str, ...], bool], Phrase] = {}
    for entries in by_language.values():
        for entry in entries:
            phrase = _phrase(entry)
            key = (phrase.tokens, phrase.prefix)
            if phrase.tokens and (key not in seen or seen[key].weight < phrase.weight):
                seen[key] = phrase
    return tuple(seen.values())


@dataclass(frozen=True)
class Index:
    """Phrases by their first word (or, for a one-word stem, by the stem),
    so a text is read once instead of once per phrase."""

    by_word: dict[str, tuple[Phrase, ...]]
    by_stem: dict[str, tuple[Phrase, ...]]
    # The candidates of the words seen so far: every new ticket is read,
    # and its words are mostly the ones read before.
    seen: dict[str, tuple[Phrase, ...]] = field(default_factory=dict, compare=False)

    @classmethod
    def of(cls, phrases: tuple[Phrase, ...]) -> Index:
        by_word: dict[str, list[Phrase]] = {}
        by_stem: dict[str, list[Phrase]] = {}
        for phrase in phrases:
            if phrase.prefix and len(phrase.tokens) == 1:
                by_stem.setdefault(phrase.tokens[0], []).append(phrase)
            else:
                by_word.setdefault(phrase.tokens[0], []).append(phrase)
        return cls(
            {word: tuple(found) for word, found in by_word.items()},
            {stem: tuple(found) for stem, found in by_stem.items()},
        )

    def candidates(self, token: str) -> tuple[Phrase, ...]:
        known = self.seen.get(token)
        if known is not None:
            return known
        found = list(self.by_word.get(token, ()))
        for end in range(1, len(token) + 1):
            found.extend(self.by_stem.get(token[:end], ()))
        if len(self.seen) >= SEEN_WORDS_MAX:
            self.seen.clear()  # a bound on the memory, not a policy
        self.seen[token] = tuple(found)
        return self.seen[token]


@lru_cache(maxsize=1)
def _vocabulary() -> tuple[Index, dict[str, Index]]:
    network = Index.of(_phrases(keywords.NETWORK_FAULT))
    by_type = {name: Index.of(_phrases(lists)) for name, lists in keywords.TICKET_TYPE.items()}
    return network, by_type


def _fits(tokens: list[str], start: int, phrase: Phrase) -> bool:
    size = len(phrase.tokens)
    window = tokens[start : start + size]
    if len(window) < size or window[:-1] != list(phrase.tokens[:-1]):
        return False
    last = window[-1]
    return last == phrase.tokens[-1] or (phrase.prefix and last.startswith(phrase.tokens[-1]))


def _matches(tokens: list[str], index: Index) -> list[Phrase]:
    """The phrases found in the text, each counted once, and a shorter phrase
    not counted again inside a longer one that matched at the same place."""
    hits = [
        (start, phrase)
        for start, token in enumerate(tokens)
        for phrase in index.candidates(token)
        if _fits(tokens, start, phrase)
    ]
    found: dict[Phrase, None] = {}
    covered: set[int] = set()
    for start, phrase in sorted(hits, key=lambda hit: (-len(hit[1].tokens), hit[0])):
        span = set(range(start, start + len(phrase.tokens)))
        if phrase in found or span <= covered:
            continue
        covered |= span
        found[phrase] = None
    return list(found)


def _strength(score: float) -> float:
    """0 for no evidence, rising towards 1 as matched words add up."""
    return 1.0 - math.exp(-score / 2.0)


def keyword_predict(text: str) -> Prediction:
    """Type and network fault from keyword rules. The confidence grows with
    how many and how strong the matches are and shrinks when another type
    matched nearly as much; it stays low when nothing matched."""
    network_index, type_indexes = _vocabulary()
    tokens = words(text)
    network = _matches(tokens, network_index)
    network_score = sum(phrase.weight for phrase in network)
    scores: dict[str, float] = {}
    matched: dict[str, list[Phrase]] = {}
    for name, index in type_indexes.items():
        matched[name] = _matches(tokens, index)
        scores[name] = sum(phrase.weight for phrase in matched[name])
    # Words of a dead line are evidence of a fault as well.
    scores[FAULT] += network_score
    ranked = sorted(scores.items(), key=lambda item: (-item[1], item[0]))
    (best, top), (_, second) = ranked[0], ranked[1]
    if top == 0:
        ticket_type = Guess(INFORMATION_REQUEST, UNSURE)
    else:
        margin = top / (top + second)
        confidence = min(CEILING, UNSURE + (CEILING - UNSURE) * _strength(top) * margin)
        ticket_type = Guess(best, round(confidence, 3))
    # A price rise or a data cap is not an outage even when it mentions the
    # line: billing words outweighing the network ones say so.
    network_fault = _network_guess(network_score, scores[BILLING_INQUIRY])
    evidence_phrases = sorted(
        {*network, *(matched[best] if top else [])}, key=lambda p: (-p.weight, p.text)
    )
    return Prediction(
        ticket_type=ticket_type,
        category=NO_GUESS,
        group=NO_GUESS,
        network_fault=network_fault,
        evidence=tuple(phrase.text for phrase in evidence_phrases[:8]),
        method=METHOD,
    )


def _network_guess(network_score: float, billing_score: float) -> Guess:
    if network_score == 0:
        return Guess(NO, 0.6)
    if billing_score > 2 * network_score:
        return Guess(NO, 0.55)
    confidence = 0.5 + (CEILING - 0.5) * _strength(network_score * 1.5)
    return Guess(YES, round(min(CEILING, confidence), 3))
