"""What triage reads and what it answers, as plain values: no Django, so the
engine runs the same in the worker, a bench script and a unit test."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

# The desk's ticket types (netdesk.tickets.choices.TicketType values), spelt
# out here so the engine stays free of Django.
FAULT = "fault"
SERVICE_REQUEST = "service_request"
COMPLAINT = "complaint"
BILLING_INQUIRY = "billing_inquiry"
INFORMATION_REQUEST = "information_request"
TICKET_TYPES = (FAULT, SERVICE_REQUEST, COMPLAINT, BILLING_INQUIRY, INFORMATION_REQUEST)

YES = "yes"
NO = "no"

# The four things triage guesses, in the order a Prediction holds them.
TARGETS = ("ticket_type", "category", "group", "network_fault")


@dataclass(frozen=True)
class Sample:
    """One resolved ticket, as training data."""

    text: str  # title + "\n" + description
    ticket_type: str  # a TicketType value
    category: str  # category key as str, or "" when the ticket had none
    group: str  # group key as str, or ""
    language: str = ""  # "en", "de", ... or ""


@dataclass(frozen=True)
class Guess:
    value: str  # the predicted label, "" when there is none
    confidence: float  # 0..1


NO_GUESS = Guess("", 0.0)


@dataclass(frozen=True)
class Prediction:
    ticket_type: Guess
    category: Guess
    group: Guess
    network_fault: Guess  # value "yes" or "no"
    evidence: tuple[str, ...]  # the words and phrases that weighed most
    method: str  # "keywords" or "tfidf-logreg"


def is_network_fault_type(ticket_type: str) -> bool:
    """A resolved ticket teaches "network fault" when agents typed it a fault."""
    return ticket_type == FAULT


def sample_target(sample: Sample, target: str) -> str:
    """The label a sample carries for one of TARGETS."""
    if target == "network_fault":
        return YES if is_network_fault_type(sample.ticket_type) else NO
    value: str = getattr(sample, target)
    return value


_APOSTROPHES = re.compile(r"['’`´]")
_WORD = re.compile(r"\w+")


def fold(text: str) -> str:
    """Lower case without accents, so "Störung", "storung" and "STÖRUNG" are
    one word to triage, and "n'est" splits like "n est"."""
    decomposed = unicodedata.normalize("NFKD", text.lower())
    plain = "".join(char for char in decomposed if not unicodedata.combining(char))
    return _APOSTROPHES.sub(" ", plain).replace("ß", "ss")


def words(text: str) -> list[str]:
    """The folded words of a text, underscores and digits kept as words."""
    return _WORD.findall(fold(text))
