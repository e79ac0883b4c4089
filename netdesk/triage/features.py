"""A ticket's text as TF-IDF features: folded words, word pairs, and the
three- to five-letter pieces of each word (so "Störungen", "Störung" and a
typo of it share most of their features, in any of the desk's languages).

Counting is done once for a whole set of tickets; the vocabulary and its
IDF weights are then chosen from any subset of rows (a cross-validation
fold) without counting again."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from itertools import pairwise

import numpy as np
from scipy import sparse  # type: ignore[import-untyped]

from netdesk.triage.labels import words

CHAR_SIZES = (3, 4, 5)
# A piece of a word is marked so it never meets a word of the same letters.
PIECE = "~"
# Enough for a desk's vocabulary in five languages; the stored model stays
# a few megabytes.
MAX_FEATURES = 40_000
MIN_DOCUMENTS = 2


def analyse(text: str, *, char_grams: bool = True) -> list[str]:
    """The features of one text, each as often as it occurs."""
    tokens = [token for token in words(text) if len(token) > 1]
    features = list(tokens)
    features.extend(f"{first} {second}" for first, second in pairwise(tokens))
    if char_grams:
        for token in tokens:
            features.extend(pieces_of(token))
    return features


def pieces_of(token: str) -> list[str]:
    """The marked three- to five-letter pieces of one word, its edges padded."""
    padded = f" {token} "
    return [
        PIECE + padded[start : start + size]
        for size in CHAR_SIZES
        for start in range(len(padded) - size + 1)
    ]


def is_piece(feature: str) -> bool:
    return feature.startswith(PIECE)


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
        counted = Counter(analyse(text, char_grams=char_grams))
        for feature, times in counted.items():
            indices.append(index.setdefault(feature, len(index)))
            values.append(times)
        pointers.append(len(indices))
    matrix = sparse.csr_matrix(
        (np.asarray(values, dtype=np.float64), np.asarray(indices, dtype=np.int64), pointers),
        shape=(len(pointers) - 1, len(index)),
    )
    return Counts(matrix=matrix, terms=list(index))


@dataclass
class Vocabulary:
    """The features a model uses, their IDF weights, and how to weigh a text."""

    terms: list[str]
    idf: np.ndarray
    char_grams: bool

    def __post_init__(self) -> None:
        self.index = {term: position for position, term in enumerate(self.terms)}

    def weigh(self, texts: Sequence[str]) -> sparse.csr_matrix:
        """Sublinear TF times IDF, each row scaled to unit length."""
        rows: list[int] = []
        columns: list[int] = []
        values: list[float] = []
        for row, text in enumerate(texts):
            counted = Counter(analyse(text, char_grams=self.char_grams))
            for feature, times in counted.items():
                column = self.index.get(feature)
                if column is not None:
                    rows.append(row)
                    columns.append(column)
                    values.append((1.0 + math.log(times)) * float(self.idf[column]))
        matrix = sparse.csr_matrix(
            (values, (rows, columns)), shape=(len(texts), len(self.terms)), dtype=np.float64
        )
        return unit_rows(matrix)


def choose(
    counts: Counts, rows: np.ndarray, *, char_grams: bool, max_features: int = MAX_FEATURES
) -> tuple[Vocabulary, sparse.csr_matrix]:
    """The vocabulary learned from the given rows (features in at least two
    of them, the most frequent first) and those rows weighed with it."""
    subset = counts.matrix[rows]
    documents = np.asarray((subset > 0).sum(axis=0)).ravel()
    totals = np.asarray(subset.sum(axis=0)).ravel()
    eligible = np.flatnonzero(documents >= MIN_DOCUMENTS)
    if eligible.size > max_features:
        keep = np.argsort(-totals[eligible], kind="stable")[:max_features]
        eligible = np.sort(eligible[keep])
    # Smoothed IDF, as if one more text held every feature.
    idf = np.log((1.0 + len(rows)) / (1.0 + documents[eligible])) + 1.0
    vocabulary = Vocabulary(
        terms=[counts.terms[column] for column in eligible], idf=idf, char_grams=char_grams
    )
    weighed = subset[:, eligible].tocsr()
    weighed.data = 1.0 + np.log(weighed.data)
    weighed = weighed.multiply(idf).tocsr()
    return vocabulary, unit_rows(weighed)


def unit_rows(matrix: sparse.csr_matrix) -> sparse.csr_matrix:
    lengths = np.sqrt(np.asarray(matrix.multiply(matrix).sum(axis=1)).ravel())
    lengths[lengths == 0] = 1.0
    scaled: sparse.csr_matrix = sparse.diags(1.0 / lengths) @ matrix
    return scaled.tocsr()
