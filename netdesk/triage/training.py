"""Learning the triage model: texts counted into sparse matrices, the
vocabulary and IDF chosen from them, and one logistic regression per target
(scikit-learn). Only the training path imports this module (the worker's
retraining, the `triage` command, the evaluation, the bench): a web process
applies a stored model with `netdesk.triage.textmodel` and never loads
scikit-learn or SciPy."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
from scipy import sparse  # type: ignore[import-untyped]
from sklearn.linear_model import LogisticRegression
from threadpoolctl import threadpool_limits  # type: ignore[import-untyped]

from netdesk.triage import features
from netdesk.triage.labels import TARGETS, Sample, sample_target, words
from netdesk.triage.textmodel import Classifier, Target

# Fewer resolved tickets than this teach nothing a keyword list does not.
MIN_SAMPLES = 20
# A class needs this many tickets to be learned at all.
MIN_PER_CLASS = 2
# Inverse regularisation: TF-IDF rows are short and sparse, so the weights
# need room (chosen on the multilingual ticket set, docs/triage.md).
STRENGTH = 10.0


# --- counting --------------------------------------------------------------------------


@dataclass
class Counts:
    """Raw counts of every feature seen, one row per text."""

    matrix: sparse.csr_matrix  # texts x features, counts
    terms: list[str]


def count(texts: Iterable[str], *, char_grams: bool = True) -> Counts:
    index: dict[str, int] = {}
    indices: list[int] = []
    values: list[int] = []
    pointers = [0]
    for text in texts:
        counted = Counter(features.analyse(text, char_grams=char_grams))
        for feature, times in counted.items():
            indices.append(index.setdefault(feature, len(index)))
            values.append(times)
        pointers.append(len(indices))
    matrix = sparse.csr_matrix(
        (np.asarray(values, dtype=np.float64), np.asarray(indices, dtype=np.int64), pointers),
        shape=(len(pointers) - 1, len(index)),
    )
    return Counts(matrix=matrix, terms=list(index))


def choose(
    counts: Counts, rows: np.ndarray, *, char_grams: bool, max_features: int = features.MAX_FEATURES
) -> tuple[features.Vocabulary, sparse.csr_matrix]:
    """The vocabulary learned from the given rows (features in at least two
    of them, the most frequent first) and those rows weighed with it."""
    subset = counts.matrix[rows]
    documents = np.asarray((subset > 0).sum(axis=0)).ravel()
    totals = np.asarray(subset.sum(axis=0)).ravel()
    eligible = np.flatnonzero(documents >= features.MIN_DOCUMENTS)
    if eligible.size > max_features:
        keep = np.argsort(-totals[eligible], kind="stable")[:max_features]
        eligible = np.sort(eligible[keep])
    # Smoothed IDF, as if one more text held every feature.
    idf = np.log((1.0 + len(rows)) / (1.0 + documents[eligible])) + 1.0
    vocabulary = features.Vocabulary(
        terms=[counts.terms[column] for column in eligible], idf=idf, char_grams=char_grams
    )
    weighed = subset[:, eligible].tocsr()
    weighed.data = 1.0 + np.log(weighed.data)
    weighed = weighed.multiply(idf).tocsr()
    return vocabulary, unit_rows(weighed)


def weigh(vocabulary: features.Vocabulary, texts: Sequence[str]) -> sparse.csr_matrix:
    """Many texts weighed at once, one sparse row each: sublinear TF times
    IDF, each row scaled to unit length (`Vocabulary.weigh_one` gives the
    same row for one text without SciPy)."""
    rows: list[int] = []
    columns: list[int] = []
    values: list[float] = []
    for row, text in enumerate(texts):
        counted = Counter(features.analyse(text, char_grams=vocabulary.char_grams))
        for feature, times in counted.items():
            column = vocabulary.index.get(feature)
            if column is not None:
                rows.append(row)
                columns.append(column)
                values.append((1.0 + math.log(times)) * float(vocabulary.idf[column]))
    matrix = sparse.csr_matrix(
        (values, (rows, columns)), shape=(len(texts), len(vocabulary.terms)), dtype=np.float64
    )
    return unit_rows(matrix)


def unit_rows(matrix: sparse.csr_matrix) -> sparse.csr_matrix:
    lengths = np.sqrt(np.asarray(matrix.multiply(matrix).sum(axis=1)).ravel())
    lengths[lengths == 0] = 1.0
    scaled: sparse.csr_matrix = sparse.diags(1.0 / lengths) @ matrix
    return scaled.tocsr()


def labels_of(classifier: Classifier, rows: sparse.csr_matrix) -> dict[str, list[str]]:
    """The labels alone for many weighed rows (for evaluation); targets the
    model did not learn are left out."""
    labels: dict[str, list[str]] = {}
    for name, target in classifier.targets.items():
        chosen = np.argmax(target.probabilities(rows), axis=1)
        labels[name] = [target.classes[position] for position in chosen]
    return labels


def predict_labels(classifier: Classifier, texts: Sequence[str]) -> dict[str, list[str]]:
    return labels_of(classifier, weigh(classifier.vocabulary, texts))


# --- learning --------------------------------------------------------------------------


def train(samples: Sequence[Sample], *, char_grams: bool = True) -> Classifier:
    """A classifier learned from resolved tickets. Raises ValueError saying
    what is missing when there are too few tickets or types to learn from."""
    check(samples)
    counts = count((sample.text for sample in samples), char_grams=char_grams)
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
    counts: Counts, samples: Sequence[Sample], rows: np.ndarray, *, char_grams: bool
) -> Classifier:
    """Learn from the given rows of counted samples (all of them when
    training, a fold's training part in cross-validation)."""
    vocabulary, matrix = choose(counts, rows, char_grams=char_grams)
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
