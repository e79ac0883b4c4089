"""HTML bodies: sanitised for showing (nh3) and turned into plain text."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import nh3

_TAGS = {
    "a", "abbr", "b", "blockquote", "br", "caption", "center", "code", "col", "colgroup",
    "dd", "del", "div", "dl", "dt", "em", "font", "h1", "h2", "h3", "h4", "h5", "h6", "hr",
    "i", "img", "ins", "kbd", "li", "ol", "p", "pre", "q", "s", "samp", "small", "span",
    "strike", "strong", "sub", "sup", "table", "tbody", "td", "tfoot", "th", "thead", "tr",
    "tt", "u", "ul",
    # Kept so that their text stays on lines of its own.
    "address", "article", "aside", "details", "figcaption", "figure", "footer", "header",
    "main", "nav", "section", "summary",
}  # fmt: skip
_ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "alt", "title", "width", "height"},
    "td": {"colspan", "rowspan", "align", "valign"},
    "th": {"colspan", "rowspan", "align", "valign"},
    "ol": {"start"},
    "font": {"color"},
}
# The whole element goes, content included.
_DROPPED_WITH_CONTENT = {"script", "style", "title", "head", "template", "noscript"}
_INLINE_IMAGE = re.compile(r"^(cid:|data:image/(png|jpeg|gif|webp);)", re.IGNORECASE)


def _keep_attribute(element: str, attribute: str, value: str) -> str | None:
    # Remote images tell the sender that (and when) the mail was read: only
    # images the mail carries itself are shown.
    if element == "img" and attribute == "src":
        return value if _INLINE_IMAGE.match(value.strip()) else None
    if attribute == "href" and not value.strip().lower().startswith(("http:", "https:", "mailto:")):
        return None
    return value


def sanitise_html(html: str) -> str:
    """Safe HTML: a fixed set of tags and attributes, no scripts, styles,
    event handlers or remote images; `cid:` image sources stay so the page
    can point them at the stored attachment."""
    return nh3.clean(
        html,
        tags=_TAGS,
        clean_content_tags=_DROPPED_WITH_CONTENT,
        attributes=_ATTRIBUTES,
        attribute_filter=_keep_attribute,
        url_schemes={"http", "https", "mailto", "cid", "data"},
        link_rel="noopener noreferrer nofollow",
        strip_comments=True,
    ).strip()


_BLOCKS = {
    "address", "article", "aside", "blockquote", "center", "dd", "div", "dl", "dt",
    "fieldset", "figure", "footer", "form", "h1", "h2", "h3", "h4", "h5", "h6", "header",
    "hr", "li", "main", "nav", "ol", "p", "pre", "section", "table", "tr", "ul",
}  # fmt: skip
# Blocks set apart by an empty line.
_PARAGRAPHS = {"p", "h1", "h2", "h3", "h4", "h5", "h6", "table", "ul", "ol", "pre", "hr"}
_SKIPPED = {"script", "style", "head", "title", "template", "noscript"}


class _TextWriter(HTMLParser):
    """Collects lines; text inside <blockquote> gets "> " per level, so the
    quoted history of an HTML-only mail folds like a plain-text one."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.lines: list[str] = []
        self._line: list[str] = []
        self._line_depth = 0
        self._quote_depth = 0
        self._skipping = 0
        self._pre = 0
        self._link: str | None = None
        self._link_text: list[str] = []

    def _break(self, *, blank: bool = False) -> None:
        text = "".join(self._line)
        text = text.rstrip() if self._pre else " ".join(text.split())
        if text:
            self.lines.append("> " * self._line_depth + text)
        if blank and self.lines and self.lines[-1] != "":
            self.lines.append("")
        self._line = []
        self._line_depth = self._quote_depth

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIPPED:
            self._skipping += 1
        elif tag == "br":
            self._break()
        elif tag in _BLOCKS:
            self._break(blank=tag in _PARAGRAPHS)
            if tag == "blockquote":
                self._quote_depth += 1
                self._line_depth = self._quote_depth
            elif tag == "pre":
                self._pre += 1
            elif tag == "li":
                self._line.append("- ")
        elif tag in {"td", "th"} and self._line:
            self._line.append(" ")
        elif tag == "a":
            self._link = dict(attrs).get("href") or None
            self._link_text = []

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIPPED:
            self._skipping = max(0, self._skipping - 1)
        elif tag in _BLOCKS:
            self._break(blank=tag in _PARAGRAPHS)
            if tag == "blockquote":
                self._quote_depth = max(0, self._quote_depth - 1)
                self._line_depth = self._quote_depth
            elif tag == "pre":
                self._pre = max(0, self._pre - 1)
        elif tag == "a" and self._link is not None:
            shown = " ".join("".join(self._link_text).split())
            if self._link.startswith(("http:", "https:")) and self._link not in shown:
                self._line.append(f" ({self._link})" if shown else self._link)
            self._link = None

    def handle_data(self, data: str) -> None:
        if self._skipping:
            return
        if not self._line:
            self._line_depth = self._quote_depth
        if self._pre:
            parts = data.split("\n")
            for index, part in enumerate(parts):
                if index:
                    self._break()
                self._line.append(part)
        else:
            self._line.append(data)
        if self._link is not None:
            self._link_text.append(data)

    def text(self) -> str:
        self._break()
        return "\n".join(self.lines).strip("\n")


def html_to_text(html: str) -> str:
    """Readable plain text of an HTML body: blocks on lines, list items
    with "- ", links with their address, quotes with "> ". Give it what
    sanitise_html returned: html.parser takes quadratic time on some
    malformed HTML, never on the well-formed HTML nh3 writes."""
    writer = _TextWriter()
    writer.feed(html)
    writer.close()
    return writer.text()
