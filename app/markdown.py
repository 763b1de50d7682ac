"""User markdown rendered once, at write time, to sanitised HTML (markdown-it + nh3)."""

from __future__ import annotations

from functools import lru_cache
from html.parser import HTMLParser

import nh3
from markdown_it import MarkdownIt

_markdown = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})
_markdown.enable("table").enable("strikethrough")

ALLOWED_TAGS = {
    "p",
    "br",
    "strong",
    "em",
    "del",
    "code",
    "pre",
    "blockquote",
    "ul",
    "ol",
    "li",
    "a",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "hr",
    "table",
    "thead",
    "tbody",
    "tr",
    "th",
    "td",
}
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "th": {"align"}, "td": {"align"}}


@lru_cache(maxsize=64)
def _html(text: str) -> str:
    """markdown-it's HTML of a text, kept for the few texts just written: a post renders its
    text, and the search index reads the same text as plain text in the same request."""
    return str(_markdown.render(text))


def render(text: str) -> str:
    """Safe HTML: no raw HTML, no scripts or event handlers, only http(s) and mailto links."""
    html = _html(text)
    return str(
        nh3.clean(
            html,
            tags=ALLOWED_TAGS,
            attributes=ALLOWED_ATTRIBUTES,
            url_schemes={"http", "https", "mailto"},
            link_rel="nofollow noopener noreferrer ugc",
        )
    )


@lru_cache(maxsize=256)
def render_cached(text: str) -> str:
    """``render`` for texts shown on every request (a round's brief)."""
    return render(text)


class _Text(HTMLParser):
    """Rendered markdown read back as plain text: blocks on lines of their own, list items
    as bullets (or numbers), formatting marks gone."""

    _BLOCKS = frozenset(
        {"p", "blockquote", "pre", "ul", "ol", "h1", "h2", "h3", "h4", "h5", "h6", "table", "tr"}
    )

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._lists: list[list[int]] = []  # per open list: [number of the next item] or []

    def _newline(self) -> None:
        if self.parts and not self.parts[-1].endswith("\n"):
            self.parts.append("\n")

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self._BLOCKS or tag in ("br", "hr", "li"):
            self._newline()
        if tag == "ul":
            self._lists.append([])
        elif tag == "ol":
            start = dict(attrs).get("start") or "1"
            self._lists.append([int(start) if start.isdigit() else 1])
        elif tag == "li":
            counter = self._lists[-1] if self._lists else []
            indent = "  " * max(0, len(self._lists) - 1)
            if counter:
                self.parts.append(f"{indent}{counter[0]}. ")
                counter[0] += 1
            else:
                self.parts.append(f"{indent}• ")
        elif tag in ("td", "th") and self.parts and not self.parts[-1].endswith("\n"):
            self.parts.append(" | ")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("ul", "ol") and self._lists:
            self._lists.pop()
        if tag in self._BLOCKS or tag == "li":
            self._newline()

    def handle_data(self, data: str) -> None:
        self.parts.append(data)


def plain_text(text: str | None) -> str:
    """Markdown as plain text for places that cannot show formatting (a spreadsheet cell, a
    one-line preview): ``**bold**`` is just bold's words, a list keeps one item per line with
    a bullet, each paragraph on a line of its own."""
    if not text:
        return ""
    parser = _Text()
    parser.feed(_html(text))
    parser.close()
    lines = [line.rstrip() for line in "".join(parser.parts).splitlines()]
    return "\n".join(line for line in lines if line.strip())
