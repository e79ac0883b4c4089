"""The new part of a reply: the quoted history and the signature folded
away (the whole text is kept elsewhere). Rules for what English, German,
French, Spanish, Italian and Dutch mail programs write."""

from __future__ import annotations

import re

_I = re.IGNORECASE
# "On <date>, <name> wrote:" and its translations: the start of the quote
# whether or not ">" lines follow.
_ATTRIBUTION = re.compile(
    r"^(On\s.{0,300}\swrote|Am\s.{0,300}\sschrieb.{0,300}|Le\s.{0,300}\sa\sécrit\s?"
    r"|El\s.{0,300}\sescribió\s?|Il\s.{0,300}\sha\sscritto|Op\s.{0,300}\sschreef.{0,300})\s?:$",
    _I,
)
# "<name> wrote:" alone is a quote only when ">" lines follow.
_SHORT_ATTRIBUTION = re.compile(
    r"^.{1,300}\s(wrote|schrieb|a écrit|escribió|ha scritto|schreef)(\sam\s.{1,100})?\s?:$", _I
)
_SEPARATOR = re.compile(
    r"^[-_=\s]{2,}(Original Message|Ursprüngliche Nachricht|Originalnachricht"
    r"|Message d'origine|Mensaje original|Messaggio originale|Oorspronkelijk bericht)"
    r"[-_=\s]{2,}$",
    _I,
)
# Outlook's header block: "From:" followed within a few lines by "Sent:".
_HEADER_FROM = re.compile(r"^\*?(From|Von|De|Da|Van|Från)\s?:\*?\s*\S", _I)
_HEADER_SENT = re.compile(
    r"^\*?(Sent|Date|Gesendet|Datum|Envoyé|Enviado|Fecha|Inviato|Data|Verzonden)(\sel)?\s?:", _I
)
_RULE = re.compile(r"^_{10,}$")
_FORWARD = re.compile(
    r"(Forwarded message|Weitergeleitete Nachricht|Message transféré|Mensaje reenviado"
    r"|Messaggio inoltrato|Doorgestuurd bericht|Begin forwarded message)",
    _I,
)
_MOBILE_SIGNATURE = re.compile(
    r"^(Sent from my .{1,60}|Sent from (Outlook|Mail) for .{1,40}|Get Outlook for .{1,40}"
    r"|Von meinem .{1,60} gesendet|Gesendet von .{1,40}|Envoyé de mon .{1,60}"
    r"|Enviado desde mi .{1,60}|Inviato da(l mio)? .{1,60}|Verzonden vanaf mijn .{1,60})$",
    _I,
)


def _quoted(line: str) -> bool:
    return line.lstrip().startswith(">")


def _next_text_line(lines: list[str], start: int) -> str:
    for line in lines[start:]:
        if line.strip():
            return line
    return ""


def _history_start(lines: list[str]) -> int | None:
    """The line where the quoted history starts, or None."""
    for index, raw in enumerate(lines):
        line = raw.strip()
        if not line or _quoted(line):
            continue
        if _SEPARATOR.match(line) or _outlook_header(lines, index):
            start = index
            if index and _RULE.match(lines[index - 1].strip()):
                start = index - 1
            return start
        attribution = _attribution_end(lines, index)
        if attribution is not None and not _quoted(_next_text_line(lines, attribution + 1)):
            return index
    return None


def _attribution_end(lines: list[str], index: int) -> int | None:
    """Where an attribution starting at `index` ends (mail programs wrap
    long ones onto a second line), or None."""
    line = lines[index].strip()
    if _ATTRIBUTION.match(line):
        return index
    joined = f"{line} {lines[index + 1].strip()}" if index + 1 < len(lines) else ""
    if joined and _ATTRIBUTION.match(joined):
        return index + 1
    if _SHORT_ATTRIBUTION.match(line) and _quoted(_next_text_line(lines, index + 1)):
        return index
    return None


def _outlook_header(lines: list[str], index: int) -> bool:
    if not _HEADER_FROM.match(lines[index].strip()):
        return False
    before = " ".join(lines[max(0, index - 2) : index])
    if _FORWARD.search(before):
        return False
    return any(_HEADER_SENT.match(line.strip()) for line in lines[index + 1 : index + 5])


def _without_quotes(lines: list[str]) -> list[str]:
    """Inline and bottom quoting: drop the ">" lines and their attribution."""
    kept: list[str] = []
    index = 0
    while index < len(lines):
        end = _attribution_end(lines, index) if lines[index].strip() else None
        if end is not None:
            index = end + 1
            continue
        if not _quoted(lines[index]):
            kept.append(lines[index])
        index += 1
    return kept


def _without_signature(lines: list[str]) -> list[str]:
    for index, line in enumerate(lines):
        if line.rstrip() in {"--", "-- "} and any(part.strip() for part in lines[:index]):
            lines = lines[:index]
            break
    while lines and not lines[-1].strip():
        lines.pop()
    if lines and _MOBILE_SIGNATURE.match(lines[-1].strip()):
        lines = lines[:-1]
    return lines


def _tidy(lines: list[str]) -> str:
    text = "\n".join(line.rstrip() for line in lines)
    return re.sub(r"\n{3,}", "\n\n", text).strip("\n")


def fold_reply(text: str, *, forwarded: bool = False) -> str:
    """The new part of `text`. A forwarded mail keeps everything: what was
    forwarded is the request. Never empty when `text` has words: a mail
    that is all quote shows whole."""
    if forwarded:
        return text.strip("\n")
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    start = _history_start(lines)
    if start is not None:
        lines = lines[:start]
    lines = _without_signature(_without_quotes(lines))
    folded = _tidy(lines)
    return folded if folded.strip() else text.strip("\n")
