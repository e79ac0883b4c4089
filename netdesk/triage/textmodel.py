"""The learned triage: TF-IDF features and one logistic regression per
target (type, category, group, network fault), trained on the desk's
resolved tickets and stored as plain JSON (terms, IDF, weights), never as
pickled objects."""

from __future__ import annotations

import base64
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import sparse  # type: ignore[import-untyped]
from sklearn.linear_model import LogisticRegression
from threadpoolctl import threadpool_limits  # type: ignore[import-untyped]

from netdesk.triage import features
from netdesk.triage.labels import (
    NO_GUESS,
    TARGETS,
    Guess,
    Prediction,
    Sample,
    sample_target,
    words,
)
from netdesk.triage.rules import keyword_predict

METHOD = "tfidf-logreg"
FORMAT = 1
# Fewer resolved tickets than this teach nothing a keyword list does not.
MIN_SAMPLES = 20
# A class needs this many tickets to be learned at all.
MIN_PER_CLASS = 2
# Inverse regularisation: TF-IDF rows are short and sparse, so the weights
# need room (chosen on the multilingual ticket set, docs/triage.md).
STRENGTH = 10.0
EVIDENCE = 6
_WORD = re.compile(r"\w+")
_APOSTROPHES = re.compile(r"['’`´]")


@dataclass
class Target:
    """One target's regression: a row of weights per class (one row for two
    classes, as scikit-learn keeps them)."""

    classes: list[str]
    coef: np.ndarray  # classes (or 1) x features
    intercept: np.ndarray

    def probabilities(self, rows: sparse.csr_matrix) -> np.ndarray:
        scores = np.asarray(rows @ self.coef.T) + self.intercept
        if len(self.classes) == 2:
            positive = 1.0 / (1.0 + np.exp(-scores[:, 0]))
            return np.column_stack([1.0 - positive, positive])
        scores -= scores.max(axis=1, keepdims=True)
        exp = np.exp(scores)
        result: np.ndarray = exp / exp.sum(axis=1, keepdims=True)
        return result

    def weights_for(self, position: int) -> np.ndarray:
        if len(self.classes) == 2:
            row: np.ndarray = self.coef[0] if position == 1 else -self.coef[0]
            return row
        chosen: np.ndarray = self.coef[position]
        return chosen


class Classifier:
    """Predicts from the words it learned; a target it could not learn
    answers nothing (category, group) or falls back to the keyword rules
    (type, network fault)."""

    method = METHOD

    def __init__(
        self, vocabulary: features.Vocabulary, targets: dict[str, Target], samples: int
    ) -> None:
        self.vocabulary = vocabulary
        self.targets = targets
        self.samples = samples

    def predict(self, text: str) -> Prediction:
        row = self.vocabulary.weigh([text])
        guesses: dict[str, Guess] = {}
        evidence: list[str] = []
        fallback: Prediction | None = None
        for name in TARGETS:
            target = self.targets.get(name)
            if target is None:
                if name in ("ticket_type", "network_fault"):
                    fallback = fallback or keyword_predict(text)
                    guesses[name] = getattr(fallback, name)
                else:
                    guesses[name] = NO_GUESS
                continue
            probabilities = target.probabilities(row)[0]
            position = int(np.argmax(probabilities))
            guesses[name] = Guess(
                target.classes[position], round(float(probabilities[position]), 3)
            )
            if name == "ticket_type" or (
                name == "network_fault" and target.classes[position] == "yes"
            ):
                evidence.extend(self._evidence(text, row, target.weights_for(position)))
        if fallback is not None and "ticket_type" not in self.targets:
            evidence.extend(fallback.evidence)
        return Prediction(
            ticket_type=guesses["ticket_type"],
            category=guesses["category"],
            group=guesses["group"],
            network_fault=guesses["network_fault"],
            evidence=tuple(dict.fromkeys(evidence))[:EVIDENCE],
            method=self.method,
        )

    def predict_labels(self, texts: Sequence[str]) -> dict[str, list[str]]:
        """The labels alone for many texts at once (for evaluation); targets
        the model did not learn are left out."""
        rows = self.vocabulary.weigh(texts)
        return self.labels_of(rows)

    def labels_of(self, rows: sparse.csr_matrix) -> dict[str, list[str]]:
        labels: dict[str, list[str]] = {}
        for name, target in self.targets.items():
            chosen = np.argmax(target.probabilities(rows), axis=1)
            labels[name] = [target.classes[position] for position in chosen]
        return labels

    def _evidence(self, text: str, row: sparse.csr_matrix, weights: np.ndarray) -> list[str]:
        """The words of the text that pushed most towards the chosen class;
        a piece of a word counts, shared out, for the words it was cut from."""
        terms = self.vocabulary.terms
        originals = _original_words(text)
        credit: dict[str, float] = {}
        pieces: dict[str, float] = {}
        for column, value in zip(row.indices, row.data, strict=True):
            contribution = float(value * weights[column])
            if contribution <= 0:
                continue
            term = terms[column]
            if features.is_piece(term):
                pieces[term] = contribution
            else:
                credit[term] = credit.get(term, 0.0) + contribution
        if pieces:
            cut = {word: set(features.pieces_of(word)) & pieces.keys() for word in originals}
            holders: dict[str, int] = {}
            for found in cut.values():
                for piece in found:
                    holders[piece] = holders.get(piece, 0) + 1
            for word, found in cut.items():
                share = sum(pieces[piece] / holders[piece] for piece in found)
                if share:
                    credit[word] = credit.get(word, 0.0) + share
        ranked = sorted(credit.items(), key=lambda item: -item[1])[:EVIDENCE]
        return [originals.get(term, term) for term, _ in ranked]

    def to_json(self) -> dict[str, Any]:
        return {
            "format": FORMAT,
            "method": self.method,
            "samples": self.samples,
            "char_grams": self.vocabulary.char_grams,
            "terms": self.vocabulary.terms,
            "idf": _encode(self.vocabulary.idf),
            "targets": {
                name: {
                    "classes": target.classes,
                    "coef": _encode(target.coef),
                    "intercept": [float(value) for value in target.intercept],
                }
                for name, target in self.targets.items()
            },
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Classifier:
        if data.get("format") != FORMAT or data.get("method") != METHOD:
            raise ValueError(
                f"triage model: format {data.get('format')!r} method {data.get('method')!r} "
                f"is not one this desk reads (format {FORMAT}, method {METHOD!r})"
            )
        vocabulary = features.Vocabulary(
            terms=list(data["terms"]), idf=_decode(data["idf"]), char_grams=bool(data["char_grams"])
        )
        targets = {
            name: Target(
                classes=list(stored["classes"]),
                coef=_decode(stored["coef"]),
                intercept=np.asarray(stored["intercept"], dtype=np.float64),
            )
            for name, stored in data["targets"].items()
        }
        return cls(vocabulary, targets, samples=int(data["samples"]))


def train(samples: Sequence[Sample], *, char_grams: bool = True) -> Classifier:
    """A classifier learned from resolved tickets. Raises ValueError saying
    what is missing when there are too few tickets or types to learn from."""
    check(samples)
    counts = features.count((sample.text for sample in samples), char_grams=char_grams)
    return fit(counts, samples, np.arange(len(samples)), char_grams=char_grams)


def check(samples: Sequence[Sample]) -> None:
    if len(samples) < MIN_SAMPLES:
        raise ValueError(
            f"samples: triage needs at least {MIN_SAMPLES} resolved tickets to learn from, "
            f"got {len(samples)}"
        )
    types = Counter(sample.ticket_type for sample in samples if sample.ticket_type)
    learnable = sorted(name for name, times in types.items() if times >= MIN_PER_CLASS)
    if len(learnable) < 2:
        raise ValueError(
            "ticket_type: triage needs resolved tickets of at least two types with "
            f"{MIN_PER_CLASS} tickets each, got {dict(types) or 'none'}"
        )
    if not any(len(words(sample.text)) for sample in samples):
        raise ValueError("text: the resolved tickets have no words to learn from")


def fit(
    counts: features.Counts, samples: Sequence[Sample], rows: np.ndarray, *, char_grams: bool
) -> Classifier:
    """Learn from the given rows of counted samples (all of them when
    training, a fold's training part in cross-validation)."""
    vocabulary, matrix = features.choose(counts, rows, char_grams=char_grams)
    targets: dict[str, Target] = {}
    chosen = [samples[row] for row in rows]
    for name in TARGETS:
        labels = [sample_target(sample, name) for sample in chosen]
        target = _fit_target(matrix, labels)
        if target is not None:
            targets[name] = target
    return Classifier(vocabulary, targets, samples=len(rows))


def _fit_target(matrix: sparse.csr_matrix, labels: list[str]) -> Target | None:
    """None when the labels do not hold two classes with enough tickets."""
    counted = Counter(label for label in labels if label)
    if sum(1 for times in counted.values() if times >= MIN_PER_CLASS) < 2:
        return None
    keep = np.asarray([bool(label) and counted[label] >= MIN_PER_CLASS for label in labels])
    kept_labels = np.asarray(labels, dtype=object)[keep]
    model = LogisticRegression(C=STRENGTH, solver="newton-cg", max_iter=300)
    # One thread: the regression is small, and several BLAS threads on a
    # shared worker cost many times the CPU for the same weights.
    with threadpool_limits(limits=1):
        model.fit(matrix[keep], kept_labels)
    return Target(
        classes=[str(value) for value in model.classes_],
        coef=np.asarray(model.coef_, dtype=np.float64),
        intercept=np.asarray(model.intercept_, dtype=np.float64),
    )


def _original_words(text: str) -> dict[str, str]:
    """Folded word -> the word as written, for evidence an agent reads."""
    folded = words(text)
    written = words_as_written(text)
    if len(folded) != len(written):
        return {word: word for word in folded}
    return dict(zip(folded, written, strict=True))


def words_as_written(text: str) -> list[str]:
    return _WORD.findall(_APOSTROPHES.sub(" ", text.lower()))


def _encode(array: np.ndarray) -> dict[str, Any]:
    """float32, little-endian, base64: a tenth of the size of decimal lists."""
    data = np.ascontiguousarray(array, dtype="<f4")
    return {
        "dtype": "<f4",
        "shape": list(data.shape),
        "data": base64.b64encode(data.tobytes()).decode("ascii"),
    }


def _decode(stored: dict[str, Any]) -> np.ndarray:
    if stored.get("dtype") != "<f4":
        raise ValueError(f"triage model: array dtype {stored.get('dtype')!r} is not '<f4'")
    raw = np.frombuffer(base64.b64decode(stored["data"]), dtype="<f4")
    return raw.reshape(stored["shape"]).astype(np.float64)
