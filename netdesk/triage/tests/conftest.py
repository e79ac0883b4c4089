"""Triage tests: the hook registered among the ticket_preparing hooks (as
in settings), and a classifier whose answer each test chooses."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from netdesk.core.hooks import _hooks
from netdesk.triage import engine, selectors, services

HOOK = "netdesk.triage.services.ticket_preparing"


@pytest.fixture(autouse=True)
def triage_hook(settings) -> Iterator[None]:
    hooks = dict(settings.NETDESK_HOOKS)
    preparing = [path for path in hooks.get("ticket_preparing", []) if path != HOOK]
    hooks["ticket_preparing"] = [HOOK, *preparing]
    settings.NETDESK_HOOKS = hooks
    _hooks.cache_clear()
    yield
    _hooks.cache_clear()


class Answering:
    """A classifier that answers what the test set, for any text."""

    method = "tfidf-logreg"

    def __init__(self) -> None:
        self.prediction = engine.keyword_predict("")
        self.texts: list[str] = []

    def say(
        self,
        ticket_type: tuple[str, float],
        category: tuple[str, float] = ("", 0.0),
        group: tuple[str, float] = ("", 0.0),
        network_fault: tuple[str, float] = ("no", 0.9),
        evidence: tuple[str, ...] = ("no internet",),
    ) -> None:
        self.prediction = engine.Prediction(
            ticket_type=engine.Guess(*ticket_type),
            category=engine.Guess(*category),
            group=engine.Guess(*group),
            network_fault=engine.Guess(*network_fault),
            evidence=evidence,
            method=self.method,
        )

    def predict(self, text: str) -> engine.Prediction:
        self.texts.append(text)
        return self.prediction


@pytest.fixture
def classifier(monkeypatch) -> Answering:
    answering = Answering()
    monkeypatch.setattr(services, "active_classifier", lambda: (None, answering))
    return answering


@pytest.fixture(autouse=True)
def fresh_classifier_memo() -> Iterator[None]:
    selectors._classifier.forget()
    yield
    selectors._classifier.forget()
