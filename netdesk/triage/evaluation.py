"""How well triage would have done on tickets it had not seen: stratified
k-fold cross-validation, accuracy and macro-F1 per target, overall and per
language, beside the majority-class baseline and the keyword rules."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Sequence
from typing import Any

import numpy as np
from sklearn.metrics import accuracy_score, f1_score
from sklearn.model_selection import StratifiedKFold

from netdesk.triage import features, textmodel, training
from netdesk.triage.labels import TARGETS, TICKET_TYPES, Sample, sample_target
from netdesk.triage.rules import keyword_predict


def cross_validate(
    samples: Sequence[Sample],
    folds: int = 5,
    seed: int = 0,
    *,
    stratify: str = "ticket_type",
    char_grams: bool = True,
) -> dict[str, Any]:
    """Figures for a model trained as `train` does, on each fold's rest.
    Text is counted once; each fold chooses its own vocabulary and IDF from
    its training part only, so nothing of the held-out tickets leaks in."""
    if stratify not in TARGETS:
        raise ValueError(f"stratify: {stratify!r} is not one of {', '.join(TARGETS)}")
    if folds < 2:
        raise ValueError(f"folds: {folds} is too few, at least 2 are needed")
    training.check(samples)
    if len(samples) < folds:
        raise ValueError(f"samples: {len(samples)} tickets cannot be split into {folds} folds")
    started = time.perf_counter()
    counts = training.count((sample.text for sample in samples), char_grams=char_grams)
    counted = time.perf_counter() - started
    truth = {name: [sample_target(sample, name) for sample in samples] for name in TARGETS}
    predicted: dict[str, list[str]] = {name: [""] * len(samples) for name in TARGETS}
    baseline: dict[str, list[str]] = {name: [""] * len(samples) for name in TARGETS}
    fitting = 0.0
    learned: set[str] = set()
    for train_rows, test_rows in _splits(truth[stratify], folds, seed):
        started = time.perf_counter()
        model = training.fit(counts, samples, train_rows, char_grams=char_grams)
        fitting += time.perf_counter() - started
        rows = _weigh_rows(model, counts, test_rows)
        labels = training.labels_of(model, rows)
        learned |= labels.keys()
        for name in TARGETS:
            majority = _majority([truth[name][row] for row in train_rows])
            for position, row in enumerate(test_rows):
                if name in labels:
                    predicted[name][row] = labels[name][position]
                baseline[name][row] = majority
    languages = sorted({sample.language for sample in samples if sample.language})
    result: dict[str, Any] = {
        "samples": len(samples),
        "folds": folds,
        "seed": seed,
        "stratified_by": stratify,
        "seconds": {"counting": round(counted, 2), "training_per_fold": round(fitting / folds, 2)},
        # A target no fold could learn (one class, as network fault on a desk
        # without fault tickets) has no figures rather than a score of zero.
        "not_learned": [name for name in TARGETS if name not in learned],
        "targets": _scores(truth, predicted, baseline, list(range(len(samples))), learned),
        "languages": {
            language: _scores(
                truth,
                predicted,
                baseline,
                [row for row, sample in enumerate(samples) if sample.language == language],
                learned,
            )
            for language in languages
        },
    }
    if all(sample.ticket_type in TICKET_TYPES for sample in samples):
        result["keywords"] = keyword_scores(samples)
    return result


def keyword_scores(samples: Sequence[Sample]) -> dict[str, Any]:
    """The cold-start rules on labelled tickets (they learn nothing, so no folds)."""
    guesses = [keyword_predict(sample.text) for sample in samples]
    rows = list(range(len(samples)))
    truth = {name: [sample_target(sample, name) for sample in samples] for name in TARGETS}
    predicted = {
        "ticket_type": [guess.ticket_type.value for guess in guesses],
        "network_fault": [guess.network_fault.value for guess in guesses],
    }
    figures: dict[str, Any] = {}
    for name, values in predicted.items():
        figures[name] = score([truth[name][row] for row in rows], values)
    return figures


def score(truth: Sequence[str], predicted: Sequence[str]) -> dict[str, Any]:
    """Accuracy and macro-F1 over the tickets that carry a label."""
    pairs = [(true, guess) for true, guess in zip(truth, predicted, strict=True) if true]
    if not pairs:
        return {"scored": 0}
    true_values = [true for true, _ in pairs]
    guessed = [guess for _, guess in pairs]
    return {
        "scored": len(pairs),
        "classes": len(set(true_values)),
        "accuracy": round(float(accuracy_score(true_values, guessed)), 4),
        "macro_f1": round(
            float(
                f1_score(
                    true_values,
                    guessed,
                    labels=sorted(set(true_values)),
                    average="macro",
                    zero_division=0,
                )
            ),
            4,
        ),
    }


def _scores(
    truth: dict[str, list[str]],
    predicted: dict[str, list[str]],
    baseline: dict[str, list[str]],
    rows: list[int],
    learned: set[str],
) -> dict[str, Any]:
    figures: dict[str, Any] = {}
    for name in TARGETS:
        if name not in learned:
            continue
        true_values = [truth[name][row] for row in rows]
        model = score(true_values, [predicted[name][row] for row in rows])
        if model.get("scored", 0) == 0:
            continue
        majority = score(true_values, [baseline[name][row] for row in rows])
        model["baseline_accuracy"] = majority["accuracy"]
        model["baseline_macro_f1"] = majority["macro_f1"]
        figures[name] = model
    return figures


def _splits(labels: list[str], folds: int, seed: int) -> list[tuple[np.ndarray, np.ndarray]]:
    """Stratified folds; classes too rare to reach every fold are pooled
    for the split alone (their tickets keep their own labels)."""
    counted = Counter(labels)
    pooled = [label if counted[label] >= folds else "\x00rare" for label in labels]
    if Counter(pooled)["\x00rare"] and Counter(pooled)["\x00rare"] < folds:
        pooled = [label if label != "\x00rare" else _majority(labels) for label in pooled]
    splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
    return list(splitter.split(np.zeros(len(labels)), pooled))


def _weigh_rows(model: textmodel.Classifier, counts: training.Counts, rows: np.ndarray) -> Any:
    """Held-out rows weighed with the fold's vocabulary, from the counts
    already made (the same as weighing their text again)."""
    vocabulary = model.vocabulary
    columns = np.asarray([counts_index for counts_index in _columns(counts, vocabulary)])
    subset = counts.matrix[rows][:, columns].tocsr()
    subset.data = 1.0 + np.log(subset.data)
    subset = subset.multiply(vocabulary.idf).tocsr()
    return training.unit_rows(subset)


def _columns(counts: training.Counts, vocabulary: features.Vocabulary) -> list[int]:
    position = {term: column for column, term in enumerate(counts.terms)}
    return [position[term] for term in vocabulary.terms]


def _majority(labels: Sequence[str]) -> str:
    counted = Counter(label for label in labels if label)
    return counted.most_common(1)[0][0] if counted else ""
