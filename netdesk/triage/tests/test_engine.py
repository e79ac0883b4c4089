"""The triage engine on synthetic tickets: keyword rules in several
languages, a learned model and its JSON round trip, the errors that name
what is missing, and cross-validation figures beside the baseline."""

from __future__ import annotations

import json
import random

import numpy as np
import pytest

from netdesk.triage import evaluation, training
from netdesk.triage.engine import (
    Classifier,
    Guess,
    Sample,
    is_network_fault_type,
    keyword_predict,
)
from netdesk.triage.evaluation import cross_validate
from netdesk.triage.training import train

PHRASES = {
    "fault": (
        "no internet since this morning",
        "the router keeps disconnecting",
        "kein Internet seit gestern, Router blinkt",
        "sin internet en toda la casa",
        "packet loss and very slow line",
    ),
    "billing_inquiry": (
        "my invoice shows a double charge",
        "the bill is higher than last month",
        "Rechnung doppelt abgebucht",
        "la factura tiene un cargo extra",
    ),
    "service_request": (
        "please install a second line at the office",
        "upgrade my plan to the faster one",
        "Umzug an eine neue Adresse",
        "quiero activar el servicio de television",
    ),
    "complaint": (
        "the technician was rude, unacceptable",
        "Beschwerde über den Techniker",
        "queja por el mal trato recibido",
    ),
    "information_request": (
        "what plans do you offer for business",
        "how can I change the wifi name",
        "información sobre las tarifas nuevas",
    ),
}
FILLERS = ("please help", "thanks", "regards", "asap", "", "best wishes")


def synthetic(count: int, seed: int = 1) -> list[Sample]:
    chooser = random.Random(seed)
    samples = []
    for _ in range(count):
        ticket_type = chooser.choice(sorted(PHRASES))
        text = f"{chooser.choice(PHRASES[ticket_type])}\n{chooser.choice(FILLERS)}"
        samples.append(
            Sample(
                text=text,
                ticket_type=ticket_type,
                category=f"cat-{ticket_type[:4]}",
                group="noc" if ticket_type == "fault" else "front-office",
                language=chooser.choice(("en", "de")),
            )
        )
    return samples


@pytest.mark.parametrize(
    ("text", "ticket_type", "network_fault"),
    [
        ("No internet since yesterday, the router is blinking red", "fault", "yes"),
        ("Kein Internet seit gestern, der Router blinkt rot", "fault", "yes"),
        ("Coupure totale, pas d'internet depuis ce matin", "fault", "yes"),
        ("Sin internet desde ayer en toda la casa", "fault", "yes"),
        ("Estou sem internet, a ligação caiu", "fault", "yes"),
        ("Ma facture est trop élevée, prélèvement en double", "billing_inquiry", "no"),
        ("Meine Rechnung ist doppelt abgebucht worden", "billing_inquiry", "no"),
        ("Quiero presentar una queja, el trato fue inaceptable", "complaint", "no"),
        ("Please install a new line at our branch office", "service_request", "no"),
        ("Gostaria de informações sobre a disponibilidade da fibra", "information_request", "no"),
    ],
)
def test_keyword_rules_read_five_languages(text, ticket_type, network_fault):
    prediction = keyword_predict(text)

    assert prediction.ticket_type.value == ticket_type
    assert prediction.network_fault.value == network_fault
    assert prediction.method == "keywords"
    assert prediction.ticket_type.confidence > 0.4
    assert prediction.evidence


def test_keyword_confidence_grows_with_matches_and_stays_low_without():
    nothing = keyword_predict("Hello, see attached.")
    one = keyword_predict("The line is slow.")
    many = keyword_predict("No internet, line down, packet loss, the router is offline.")

    assert nothing.ticket_type.confidence <= 0.2
    assert nothing.evidence == ()
    assert nothing.network_fault == Guess("no", nothing.network_fault.confidence)
    assert one.network_fault.value == "yes"
    assert many.network_fault.confidence > one.network_fault.confidence
    assert many.ticket_type.confidence > one.ticket_type.confidence


def test_billing_words_outweigh_a_passing_mention_of_the_line():
    prediction = keyword_predict(
        "The price increase on my bill is unfair, my invoice doubled and the data cap is "
        "too low; the line was slow once."
    )

    assert prediction.ticket_type.value == "billing_inquiry"
    assert prediction.network_fault.value == "no"


def test_keyword_rules_answer_no_category_or_group():
    prediction = keyword_predict("no internet")

    assert prediction.category == Guess("", 0.0)
    assert prediction.group == Guess("", 0.0)


def test_learned_model_predicts_all_four_targets_with_evidence():
    classifier = train(synthetic(300))

    prediction = classifier.predict("No internet at all, the router is offline")

    assert prediction.method == "tfidf-logreg"
    assert prediction.ticket_type.value == "fault"
    assert prediction.group.value == "noc"
    assert prediction.category.value == "cat-faul"
    assert prediction.network_fault.value == "yes"
    assert 0.5 < prediction.ticket_type.confidence <= 1.0
    assert "internet" in prediction.evidence or "router" in prediction.evidence
    billing = classifier.predict("the invoice has a double charge")
    assert billing.ticket_type.value == "billing_inquiry"
    assert billing.network_fault.value == "no"


def test_json_round_trip_predicts_the_same():
    classifier = train(synthetic(200))
    stored = json.loads(json.dumps(classifier.to_json()))

    restored = Classifier.from_json(stored)

    for text in ("Rechnung doppelt", "sin internet", "please install", "rude technician"):
        assert restored.predict(text) == classifier.predict(text)
    assert "terms" in stored
    assert set(stored["targets"]) == {"ticket_type", "category", "group", "network_fault"}


def test_json_of_another_format_is_refused_by_name():
    stored = train(synthetic(100)).to_json()
    stored["format"] = 99

    with pytest.raises(ValueError, match="format 99"):
        Classifier.from_json(stored)


def test_too_few_samples_name_what_is_missing():
    with pytest.raises(ValueError, match=r"samples: .*at least 20 .*got 5"):
        train(synthetic(5))


def test_a_single_type_names_the_types_it_got():
    samples = [Sample(f"no internet {n}", "fault", "", "") for n in range(30)]

    with pytest.raises(ValueError, match=r"ticket_type: .*two types.*'fault': 30"):
        train(samples)


def test_a_target_with_one_class_falls_back():
    samples = [
        Sample(sample.text, sample.ticket_type, "", "noc", sample.language)
        for sample in synthetic(120)
    ]

    prediction = train(samples).predict("no internet")

    assert prediction.category == Guess("", 0.0)
    assert prediction.group == Guess("", 0.0)
    assert prediction.ticket_type.value == "fault"


def test_network_fault_without_fault_tickets_comes_from_the_rules():
    samples = [s for s in synthetic(200) if s.ticket_type != "fault"]

    prediction = train(samples).predict("no internet, line down")

    assert prediction.network_fault.value == "yes"


def test_cross_validation_beats_the_majority_baseline_on_learnable_text():
    figures = cross_validate(synthetic(250), folds=5, seed=0)

    ticket_type = figures["targets"]["ticket_type"]
    assert ticket_type["scored"] == 250
    assert ticket_type["accuracy"] > ticket_type["baseline_accuracy"] + 0.3
    assert ticket_type["macro_f1"] > ticket_type["baseline_macro_f1"]
    assert set(figures["languages"]) == {"en", "de"}
    assert "keywords" in figures


def test_cross_validation_cannot_beat_the_baseline_on_random_labels():
    chooser = random.Random(3)
    samples = [
        Sample(sample.text, chooser.choice(["fault", "complaint"]), "", "", "en")
        for sample in synthetic(200)
    ]

    figures = cross_validate(samples, folds=4, seed=0)

    assert figures["targets"]["ticket_type"]["accuracy"] < 0.7


def test_cross_validation_refuses_an_unknown_target():
    with pytest.raises(ValueError, match="stratify: 'priority'"):
        cross_validate(synthetic(50), stratify="priority")


def test_only_faults_teach_network_fault():
    assert is_network_fault_type("fault")
    assert not is_network_fault_type("complaint")


def test_held_out_rows_are_weighed_as_their_text_would_be():
    samples = synthetic(120)
    counts = training.count(sample.text for sample in samples)
    model = training.fit(counts, samples, np.arange(100), char_grams=True)

    from_counts = evaluation._weigh_rows(model, counts, np.arange(100, 120))
    from_text = training.weigh(model.vocabulary, [sample.text for sample in samples[100:]])

    assert np.allclose(from_counts.toarray(), from_text.toarray())
    assert from_text.shape == (20, len(model.vocabulary.terms))


def test_empty_text_gets_an_unsure_answer_from_both():
    classifier = train(synthetic(100))

    for prediction in (keyword_predict(""), classifier.predict("")):
        assert 0.0 <= prediction.ticket_type.confidence <= 1.0
        assert prediction.network_fault.value in ("yes", "no")
    assert keyword_predict("").ticket_type.confidence <= 0.2


def test_evidence_names_words_as_written():
    samples = [Sample(f"Störung der Leitung {n}", "fault", "", "", "de") for n in range(15)] + [
        Sample(f"Rechnung zu hoch {n}", "billing_inquiry", "", "", "de") for n in range(15)
    ]

    prediction = train(samples).predict("Große Störung heute")

    assert prediction.ticket_type.value == "fault"
    assert "störung" in prediction.evidence


def test_a_target_no_fold_could_learn_has_no_figures():
    samples = [
        Sample(sample.text, sample.ticket_type, sample.category, "", sample.language)
        for sample in synthetic(120)
        if sample.ticket_type != "fault"
    ]

    figures = cross_validate(samples, folds=3)

    assert set(figures["not_learned"]) == {"group", "network_fault"}
    assert "group" not in figures["targets"]
    assert "network_fault" not in figures["targets"]
    assert "network_fault" not in figures["languages"]["en"]
    assert figures["targets"]["category"]["accuracy"] > 0.5
