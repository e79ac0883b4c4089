"""Text triage, the engine: what a ticket's words say it is. Pure Python and
scikit-learn, no Django models, so the worker, the bench and the tests run
the same code.

- `keyword_predict(text)`: the cold start, keyword rules in English, German,
  French, Spanish and Portuguese (type and network fault only).
- `train(samples)`: TF-IDF (words, word pairs, pieces of words) and one
  logistic regression per target, learned from resolved tickets; the
  `Classifier` predicts and round-trips through plain JSON.
- `cross_validate(samples)`: accuracy and macro-F1 per target and language
  beside a majority baseline.
"""

from __future__ import annotations

from netdesk.triage.evaluation import cross_validate, keyword_scores
from netdesk.triage.labels import (
    NO_GUESS,
    TARGETS,
    TICKET_TYPES,
    Guess,
    Prediction,
    Sample,
    is_network_fault_type,
)
from netdesk.triage.rules import keyword_predict
from netdesk.triage.textmodel import MIN_SAMPLES, Classifier, train

__all__ = [
    "MIN_SAMPLES",
    "NO_GUESS",
    "TARGETS",
    "TICKET_TYPES",
    "Classifier",
    "Guess",
    "Prediction",
    "Sample",
    "cross_validate",
    "is_network_fault_type",
    "keyword_predict",
    "keyword_scores",
    "train",
]
