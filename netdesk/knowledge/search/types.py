"""Who reads and what they get back: the two shapes every caller of search
shares (the suggest API, the agent's ticket form, the portal, the editors'
article list)."""

from __future__ import annotations

from dataclasses import dataclass

from netdesk.accounts.models import User


@dataclass(frozen=True)
class Reader:
    """Whose eyes the results are for. An agent sees live internal and
    public articles, resolved tickets they may see and macros of their
    groups (or of none); the portal and anyone unknown (`user` None) see
    live public articles only."""

    user: User | None = None
    public_only: bool = False

    @property
    def public(self) -> bool:
        return self.public_only or self.user is None


@dataclass(frozen=True)
class Hit:
    """One thing found: an article, a resolved ticket or a macro."""

    kind: str
    object_id: int
    title: str
    # Plain text, at most SNIPPET_LENGTH characters: around the words that
    # matched when the keywords found it, else the start.
    snippet: str
    # A resolved ticket's resolution; "" for articles and macros.
    answer: str
    # Fused rank, higher is better, 0..1 (1: first by keywords and by meaning).
    score: float
    audience: str
    language: str
