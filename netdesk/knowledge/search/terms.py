"""From what someone typed (a few words or a whole mail) to the words a
full-text query asks for: distinct words, no syntax of either database's
query language, the common words of the desk's languages left out, at most
MAX_TERMS of them (the longest: long words say more than short ones)."""

from __future__ import annotations

import re
import unicodedata

# Letters and digits only: quotes, operators, brackets, NUL and emoji never
# reach a query, so no input can be a syntax error.
_WORD = re.compile(r"[^\W_]+")
MAX_TERMS = 32
MIN_LENGTH = 3
# The longest word a term may be (a pasted hash or base64 blob is no word).
MAX_LENGTH = 40


def fold(word: str) -> str:
    """Lower case without accents, as both indexes compare words."""
    decomposed = unicodedata.normalize("NFKD", word.lower())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


# Words too common to tell documents apart (English, German, French,
# Spanish, Portuguese, Italian): left in, they match nearly every document
# and make ranking slow without changing it.
_COMMON_WORDS = """
    the and for are but not you all any can had her was one our out has have
    him his how its may new now old see two who did get let put say she too use
    this that with from they will would there their what about which when your
    been were than them then some into just like over also very could should
    does here hello thanks thank please regards dear best hi
    der die das und ist nicht ein eine einen einem einer eines ich sie wir ihr
    mit von auf für den dem des bei aus als auch noch nur wie war sind hat
    habe haben wird kann mein meine meinen mir mich dich dir uns euch ihnen
    oder aber wenn dass sich zum zur vom bitte danke hallo grüße freundlichen
    les des une est pas que qui dans pour sur avec par plus vous nous mais
    mon mes ton ses leur sont ont été elle ils bonjour merci
    los las del una por con para que como pero sus más este esta hola gracias
    não uma com para por mas seu sua como mais isso este esta olá obrigado
    che della delle degli per con non una sono come questo questa ciao grazie
"""
STOP_WORDS = frozenset(fold(word) for word in _COMMON_WORDS.split())


def _worth_it(word: str) -> bool:
    """Short words say little, except a short name like IP, TV or 5G."""
    if len(word) >= MIN_LENGTH:
        return True
    return len(word) == 2 and (word.isupper() or any(c.isdigit() for c in word))


def query_terms(text: str) -> list[str]:
    """The distinct words of `text` worth searching for, longest first."""
    seen: dict[str, str] = {}
    for match in _WORD.finditer(text):
        word = match.group().lower()
        if len(word) > MAX_LENGTH or not _worth_it(match.group()):
            continue
        folded = fold(word)
        if folded in STOP_WORDS or folded in seen:
            continue
        seen[folded] = word
    words = list(seen.values())
    # Longest first; ties keep the order in which they were written.
    words.sort(key=len, reverse=True)
    return words[:MAX_TERMS]


def fts5_query(terms: list[str]) -> str:
    """An FTS5 MATCH expression: any of the words (each a quoted string, so
    AND, NEAR and * are words like any other)."""
    return " OR ".join(f'"{term}"' for term in terms)


def tsquery_text(terms: list[str]) -> str:
    """A to_tsquery() argument: any of the words, each a quoted lexeme."""
    return " | ".join(f"'{term}'" for term in terms)
