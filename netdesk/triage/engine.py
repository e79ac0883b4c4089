"""Text triage, the engine: what a ticket's words say it is. Pure Python and
numpy, no Django models, so the worker, the bench and the tests run the same
code. This is what answers at request time; it never loads scikit-learn.

- `keyword_predict(text)`: the cold start, keyword rules in English, German,
  French, Spanish and Portuguese (type and network fault only).
- `Classifier`: a learned model read back from its plain JSON, predicting
  with numpy from the stored vocabulary, IDF and weights.

Learning is elsewhere, imported only where a model is trained or judged:
`netdesk.triage.training.train(samples)` (TF-IDF and one logistic
regression per target, scikit-learn) and
`netdesk.triage.evaluation.cross_validate(samples)` (accuracy and macro-F1
per target and language beside a majority baseline).
"""

from __future__ import annotations

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
from netdesk.triage.textmodel import Classifier

__all__ = [
    "NO_GUESS",
    "TARGETS",
    "TICKET_TYPES",
    "Classifier",
    "Guess",
    "Prediction",
    "Sample",
    "is_network_fault_type",
    "keyword_predict",
]
