"""A stored model answers with numpy alone: the same labels, confidences
and evidence as the sparse (SciPy) weighing the model was trained with
(that a started web process holds no scikit-learn or SciPy is in
netdesk/core/tests/test_start.py)."""

from __future__ import annotations

import json
import random

import numpy as np

from netdesk.triage import features, textmodel, training
from netdesk.triage.engine import Classifier, Sample

WORDS = {
    "fault": "no internet router blinking red line down outage since morning packet loss "
    "kein Internet Störung seit gestern sin conexión coupure",
    "billing_inquiry": "invoice bill charged twice refund price Rechnung doppelt abgebucht "
    "factura cargo extra facture prélèvement",
    "service_request": "install second line upgrade plan move address Umzug neue Adresse "
    "activar servicio television",
    "complaint": "rude technician unacceptable waited hours Beschwerde queja mal trato",
    "information_request": "which plans offer business change wifi name información tarifas "
    "disponibilidade fibra",
}
SHARED = [
    "please",
    "help",
    "thanks",
    "regards",
    "customer",
    "account",
    "modem",
    "phone",
    "today",
    "again",
]


def _samples(count: int, seed: int) -> list[Sample]:
    """Tickets whose words overlap between types, so the model is unsure
    of some and the probabilities are not all near 0 or 1."""
    chooser = random.Random(seed)
    samples = []
    for _ in range(count):
        kind = chooser.choice(sorted(WORDS))
        other = chooser.choice(sorted(WORDS))
        text = " ".join(
            chooser.sample(WORDS[kind].split(), 3)
            + chooser.sample(WORDS[other].split(), 1)
            + chooser.sample(SHARED, 2)
        )
        samples.append(
            Sample(
                text=text,
                ticket_type=kind,
                category=f"cat-{kind[:4]}-{chooser.randint(1, 2)}",
                group=chooser.choice(("noc", "front-office", "billing")),
                language=chooser.choice(("en", "de", "es")),
            )
        )
    return samples


TEXTS = [
    "",
    "Hello, see attached.",
    "no internet since morning, router blinking red",
    "Meine Rechnung ist doppelt abgebucht worden, bitte Geld zurück",
    "the technician was rude and the line is down again",
    "¿qué tarifas ofrecen para empresas? información por favor",
    "Störung Störungen Stoerung kein Internet kein Internet kein Internet",
    "upgrade " * 200 + "refund",
]


def _sparse_answer(classifier: Classifier, text: str) -> dict[str, tuple[str, float, np.ndarray]]:
    """What the model answered when prediction went through SciPy: the
    sparse row, scores through the sparse product, argmax and its rounding."""
    rows = training.weigh(classifier.vocabulary, [text])
    answers = {}
    for name, target in classifier.targets.items():
        probabilities = target.probabilities(rows)[0]
        position = int(np.argmax(probabilities))
        answers[name] = (
            target.classes[position],
            round(float(probabilities[position]), 3),
            probabilities,
        )
    return answers


def test_numpy_prediction_answers_as_the_sparse_weighing_did():
    trained = training.train(_samples(400, seed=3))
    stored = Classifier.from_json(json.loads(json.dumps(trained.to_json())))
    assert set(stored.targets) == {"ticket_type", "category", "group", "network_fault"}
    texts = TEXTS + [sample.text for sample in _samples(60, seed=11)]
    unsure = 0

    for text in texts:
        prediction = stored.predict(text)
        answers = _sparse_answer(stored, text)
        for name, (label, confidence, probabilities) in answers.items():
            guess = getattr(prediction, name)
            assert (guess.value, guess.confidence) == (label, confidence), (text, name)
            target = stored.targets[name]
            one = target.probabilities_one(stored.vocabulary.weigh_one(text))
            assert np.allclose(one, probabilities, rtol=1e-12, atol=1e-15)
        unsure += answers["ticket_type"][1] < 0.9
    assert unsure >= 5


def test_one_text_weighed_without_scipy_is_the_sparse_row():
    trained = training.train(_samples(200, seed=5))
    vocabulary = trained.vocabulary

    for text in TEXTS:
        row = training.weigh(vocabulary, [text])
        order = np.argsort(row.indices)
        weighed = vocabulary.weigh_one(text)
        assert weighed.columns.tolist() == row.indices[order].tolist()
        assert np.allclose(weighed.values, row.data[order], rtol=1e-14, atol=0)
        if weighed.values.size:
            assert abs(float(weighed.values @ weighed.values) - 1.0) < 1e-12
    assert vocabulary.weigh_one("zzz qqq").values.size == 0
    assert vocabulary.weigh_one("no internet").values.size > 0


def _sparse_evidence(classifier: Classifier, text: str, row, weights: np.ndarray) -> list[str]:
    """The evidence as it was computed from the sparse row (its column
    order, its values)."""
    terms = classifier.vocabulary.terms
    originals = textmodel._original_words(text)
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
    ranked = sorted(credit.items(), key=lambda item: -item[1])[: textmodel.EVIDENCE]
    return [originals.get(term, term) for term, _ in ranked]


def test_evidence_is_the_same_words_as_from_the_sparse_row():
    trained = training.train(_samples(300, seed=7))
    texts = TEXTS[2:] + [sample.text for sample in _samples(40, seed=13)]

    for text in texts:
        row = training.weigh(trained.vocabulary, [text])
        expected: list[str] = []
        for name in ("ticket_type", "network_fault"):
            target = trained.targets[name]
            position = int(np.argmax(target.probabilities(row)[0]))
            if name == "ticket_type" or target.classes[position] == "yes":
                expected += _sparse_evidence(trained, text, row, target.weights_for(position))
        prediction = trained.predict(text)
        assert list(prediction.evidence) == list(dict.fromkeys(expected))[: textmodel.EVIDENCE]
        assert prediction.evidence
