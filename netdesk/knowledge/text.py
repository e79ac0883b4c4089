"""Article text: Markdown rendered to safe HTML for reading, and reduced to
plain words for the search index."""

from __future__ import annotations

import html
import re

import nh3
from markdown_it import MarkdownIt

# CommonMark plus tables and strikethrough; raw HTML in the source is kept
# as text by the parser and cleaned again by nh3 after rendering.
_markdown = MarkdownIt("commonmark", {"html": False, "linkify": False}).enable(
    ["table", "strikethrough"]
)

_ALLOWED_TAGS = {
    "a", "p", "br", "hr", "strong", "em", "del", "code", "pre", "blockquote",
    "ul", "ol", "li", "h1", "h2", "h3", "h4", "h5", "h6",
    "table", "thead", "tbody", "tr", "th", "td", "img",
}  # fmt: skip
_ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "alt", "title"},
    "th": {"align"},
    "td": {"align"},
}
_SPACES = re.compile(r"\s+")


def markdown_html(source: str) -> str:
    """The article's Markdown as HTML safe to put in a page: only the tags
    above, links with http(s)/mailto or relative targets, rel=noopener."""
    rendered = _markdown.render(source)
    return nh3.clean(
        rendered,
        tags=_ALLOWED_TAGS,
        attributes=_ALLOWED_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer",
    )


def markdown_text(source: str) -> str:
    """The words of the article without markup, for search and snippets."""
    rendered = _markdown.render(source)
    words = nh3.clean(rendered, tags=set())
    return _SPACES.sub(" ", html.unescape(words)).strip()
