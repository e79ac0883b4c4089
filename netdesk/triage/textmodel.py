"""The learned triage as it answers: TF-IDF features and one logistic
regression per target (type, category, group, network fault), stored as
plain JSON (terms, IDF, weights), never as pickled objects, and applied with
numpy alone. Learning the weights (scikit-learn, SciPy) is in
`netdesk.triage.training`, which a web process never imports: loading
scikit-learn cost every web start and every command about 1.5 s."""

from __future__ import annotations

import base64
import re
from dataclasses import dataclass
from typing import Any

import numpy as np

from netdesk.triage import features
from netdesk.triage.labels import (
    NO_GUESS,
    TARGETS,
    Guess,
    Prediction,
    words,
)
from netdesk.triage.rules import keyword_predict

METHOD = "tfidf-logreg"
FORMAT = 1
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

    def probabilities(self, rows: Any) -> np.ndarray:
        """Class probabilities of weighed rows (a SciPy sparse matrix from
        training, or a dense array)."""
        return self.probabilities_of(np.asarray(rows @ self.coef.T) + self.intercept)

    def probabilities_one(self, row: features.Weighed) -> np.ndarray:
        """Class probabilities of one weighed text: only the columns it
        holds are read from the weights."""
        scores = self.coef[:, row.columns] @ row.values + self.intercept
        return self.probabilities_of(scores.reshape(1, -1))[0]

    def probabilities_of(self, scores: np.ndarray) -> np.ndarray:
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
        row = self.vocabulary.weigh_one(text)
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
            probabilities = target.probabilities_one(row)
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

    def _evidence(self, text: str, row: features.Weighed, weights: np.ndarray) -> list[str]:
        """The words of the text that pushed most towards the chosen class;
        a piece of a word counts, shared out, for the words it was cut from."""
        terms = self.vocabulary.terms
        originals = _original_words(text)
        credit: dict[str, float] = {}
        pieces: dict[str, float] = {}
        # Columns from the highest down, the order SciPy's sparse product
        # holds them in: words that weigh exactly the same rank alike here
        # and in training's sparse rows.
        for column, value in zip(
            row.columns[::-1].tolist(), row.values[::-1].tolist(), strict=True
        ):
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
