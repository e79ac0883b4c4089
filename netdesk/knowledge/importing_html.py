"""HTML articles turned into the Markdown the desk stores: headings,
paragraphs, lists (nested), links, images, emphasis, inline code, code
blocks, quotes, rules and tables keep their shape; scripts, styles and
every other tag are dropped, their text kept. Articles are stored as
Markdown because the renderer leaves raw HTML out (html=False)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from html.parser import HTMLParser

_SPACES = re.compile(r"[ \t\r\n\f]+")
# Text that Markdown would read as markup is escaped, so an HTML page that
# says "*not* a link" or "[1]" reads the same after the import.
_INLINE_SPECIAL = re.compile(r"([\\`*_\[\]<>|])")
_LINE_START_SPECIAL = re.compile(r"^(\s*)(#{1,6}|[+\-=]+|\d+)([.)]?)(?=\s|$)")
_HEADINGS = {"h1": 1, "h2": 2, "h3": 3, "h4": 4, "h5": 5, "h6": 6}
_BLOCKS = {"p", "div", "section", "article", "header", "footer", "main", "aside", "figure"}
_DROPPED = {"script", "style", "head", "template", "noscript", "svg"}
_EMPHASIS = {"strong": "**", "b": "**", "em": "*", "i": "*", "del": "~~", "s": "~~"}


@dataclass
class _List:
    ordered: bool
    number: int = 0


@dataclass
class _Table:
    rows: list[list[str]] = field(default_factory=list)
    header_rows: int = 0


def _line_start_escaped(match: re.Match[str]) -> str:
    space, lead, dot = match.groups()
    if lead.isdigit():
        # "1." and "1)" start an ordered list; "1" alone is just a number.
        return f"{space}{lead}\\{dot}" if dot else match.group(0)
    return f"{space}\\{lead}{dot}"


def _escape(text: str) -> str:
    return _INLINE_SPECIAL.sub(r"\\\1", text)


class _Converter(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.blocks: list[str] = []
        self.line: list[str] = []
        self.lists: list[_List] = []
        self.quote_depth = 0
        self.pre = 0
        self.dropped = 0
        self.links: list[str] = []
        self.table: _Table | None = None
        self.cell: list[str] | None = None
        self.title = ""
        self.in_title = False
        self.first_h1 = ""
        self.heading: list[str] | None = None
        self.marker = ""
        self.list_open = False

    # Blocks -------------------------------------------------------------

    def _prefix(self) -> str:
        return "> " * self.quote_depth

    def _flush(self) -> None:
        text = "".join(self.line).strip()
        self.line = []
        marker, self.marker = self.marker, ""
        if not text:
            # <li><p>…</p></li>: the item's marker waits for its first words.
            self.marker = marker
            return
        lines = _LINE_START_SPECIAL.sub(_line_start_escaped, text).split("\n")
        if self.lists:
            depth = len(self.lists)
            lines = ["   " * depth + line for line in lines]
            if marker:
                lines[0] = "   " * (depth - 1) + marker + lines[0].lstrip(" ")
        prefix = self._prefix()
        block = "\n".join(prefix + line for line in lines)
        # Items of one list stay on consecutive lines (a tight list).
        if self.lists and self.list_open and self.blocks:
            self.blocks[-1] += "\n" + block
        else:
            self.blocks.append(block)
        self.list_open = bool(self.lists)

    def _emit(self, block: str) -> None:
        self._flush()
        prefix = self._prefix()
        lines = [prefix + part if part else prefix.rstrip() for part in block.split("\n")]
        self.blocks.append("\n".join(lines))
        self.list_open = False

    def _write(self, text: str) -> None:
        if self.cell is not None:
            self.cell.append(text)
        elif self.heading is not None:
            self.heading.append(text)
        else:
            self.line.append(text)

    # Parser callbacks ---------------------------------------------------

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: value or "" for name, value in attrs}
        if tag in _DROPPED:
            self.dropped += 1
        elif tag == "title":
            self.in_title = True
        elif tag in _HEADINGS:
            self._flush()
            self.heading = []
        elif tag in _BLOCKS:
            self._flush()
        elif tag in ("ul", "ol"):
            self._flush()
            self.lists.append(_List(ordered=tag == "ol"))
        elif tag == "li":
            self._start_item()
        elif tag == "blockquote":
            self._flush()
            self.quote_depth += 1
        elif tag == "pre":
            self._flush()
            self.pre += 1
        else:
            self._start_inline(tag, values)

    def _start_item(self) -> None:
        self._flush()
        if not self.lists:
            self.lists.append(_List(ordered=False))
        current = self.lists[-1]
        current.number += 1
        self.marker = f"{current.number}. " if current.ordered else "- "

    def _start_inline(self, tag: str, values: dict[str, str]) -> None:
        if tag == "br":
            self._write("\\\n" if self.pre == 0 else "\n")
        elif tag == "hr":
            self._emit("---")
        elif tag in _EMPHASIS and self.pre == 0:
            self._write(_EMPHASIS[tag])
        elif tag == "code" and self.pre == 0:
            self._write("`")
        elif tag == "a":
            self.links.append(values.get("href", ""))
            self._write("[")
        elif tag == "img":
            alt = _escape(values.get("alt", ""))
            self._write(f"![{alt}]({values.get('src', '')})")
        elif tag == "table":
            self._flush()
            self.table = _Table()
        elif tag == "tr" and self.table is not None:
            self.table.rows.append([])
        elif tag in ("td", "th") and self.table is not None:
            self.cell = []
            if tag == "th" and len(self.table.rows) == 1:
                self.table.header_rows = 1

    def handle_endtag(self, tag: str) -> None:
        if tag in _DROPPED:
            self.dropped = max(0, self.dropped - 1)
        elif tag == "title":
            self.in_title = False
        elif tag in _HEADINGS and self.heading is not None:
            text = _SPACES.sub(" ", "".join(self.heading)).strip()
            self.heading = None
            if text:
                if tag == "h1" and not self.first_h1:
                    self.first_h1 = text
                self._emit("#" * _HEADINGS[tag] + " " + text)
        elif tag in _BLOCKS or tag == "li":
            self._flush()
        elif tag in ("ul", "ol"):
            self._flush()
            if self.lists:
                self.lists.pop()
            self.list_open = bool(self.lists)
        elif tag == "blockquote":
            self._flush()
            self.quote_depth = max(0, self.quote_depth - 1)
        elif tag == "pre":
            self._end_pre()
        else:
            self._end_inline(tag)

    def _end_pre(self) -> None:
        code = "".join(self.line).strip("\n")
        self.line = []
        self.pre = max(0, self.pre - 1)
        fence = "````" if "```" in code else "```"
        self._emit(f"{fence}\n{code}\n{fence}")

    def _end_inline(self, tag: str) -> None:
        if tag in _EMPHASIS and self.pre == 0:
            self._write(_EMPHASIS[tag])
        elif tag == "code" and self.pre == 0:
            self._write("`")
        elif tag == "a" and self.links:
            self._write(f"]({self.links.pop()})")
        elif tag in ("td", "th") and self.table is not None and self.cell is not None:
            text = _SPACES.sub(" ", "".join(self.cell)).strip()
            self.cell = None
            if self.table.rows:
                self.table.rows[-1].append(text)
        elif tag == "table" and self.table is not None:
            table, self.table = self.table, None
            self._emit_table(table)

    def _emit_table(self, table: _Table) -> None:
        rows = [row for row in table.rows if row]
        if not rows:
            return
        width = max(len(row) for row in rows)
        rows = [row + [""] * (width - len(row)) for row in rows]
        lines = ["| " + " | ".join(rows[0]) + " |", "|" + " --- |" * width]
        lines += ["| " + " | ".join(row) + " |" for row in rows[1:]]
        self._emit("\n".join(lines))

    def handle_data(self, data: str) -> None:
        if self.dropped:
            return
        if self.in_title:
            self.title += data
            return
        if self.pre:
            self.line.append(data)
            return
        text = _SPACES.sub(" ", data)
        if not "".join(self.line).strip() and self.heading is None and self.cell is None:
            text = text.lstrip()
        if text:
            self._write(_escape(text))

    def result(self) -> str:
        self._flush()
        return "\n\n".join(self.blocks).strip()


def html_markdown(source: str) -> tuple[str, str]:
    """(title, Markdown) of an HTML page: the title is the page's <title>,
    else its first <h1> (then left out of the body), else ""."""
    converter = _Converter()
    converter.feed(source)
    converter.close()
    body = converter.result()
    title = _SPACES.sub(" ", converter.title).strip()
    heading = "# " + converter.first_h1
    # The page's own heading repeats its title: the article shows the title once.
    if converter.first_h1 and (not title or converter.first_h1 == _escape(title)):
        title = title or re.sub(r"\\(.)", r"\1", converter.first_h1)
        if body.startswith(heading):
            body = body[len(heading) :].lstrip("\n")
    return title, body
