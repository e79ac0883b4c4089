"""A ticket's text as TF-IDF features: folded words, word pairs, and the
three- to five-letter pieces of each word (so "Störungen", "Störung" and a
typo of it share most of their features, in any of the desk's languages).

This module is what prediction needs (numpy alone): a web process weighs
one text with it. Counting many texts into sparse matrices, for training and
cross-validation, is in `netdesk.triage.training`."""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass
from itertools import pairwise

import numpy as np

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


@dataclass(frozen=True)
class Weighed:
    """One text weighed: the vocabulary's columns it holds (ascending) and
    their TF-IDF values, scaled so the row has unit length."""

    columns: np.ndarray  # int64
    values: np.ndarray  # float64


@dataclass
class Vocabulary:
    """The features a model uses, their IDF weights, and how to weigh a text."""

    terms: list[str]
    idf: np.ndarray
    char_grams: bool

    def __post_init__(self) -> None:
        self.index = {term: position for position, term in enumerate(self.terms)}

    def weigh_one(self, text: str) -> Weighed:
        """Sublinear TF times IDF, scaled to unit length: the same numbers as
        a row of the training's sparse weighing, without building a matrix."""
        found: dict[int, float] = {}
        for feature, times in Counter(analyse(text, char_grams=self.char_grams)).items():
            column = self.index.get(feature)
            if column is not None:
                found[column] = (1.0 + math.log(times)) * float(self.idf[column])
        columns = np.asarray(sorted(found), dtype=np.int64)
        values = np.asarray([found[column] for column in columns.tolist()], dtype=np.float64)
        length = math.sqrt(float(values @ values)) if values.size else 0.0
        if length:
            values = values * (1.0 / length)
        return Weighed(columns=columns, values=values)
