"""Every word a template shows is marked for translation.

The check reads each template as a person would see it: what is inside ``{% trans %}``
blocks, ``_()`` / ``gettext()`` / ``ngettext()`` calls and Jinja expressions is taken out, and
whatever letters remain in text, or in the attributes people read (``aria-label``, ``title``,
``alt``, ``placeholder``, a button's ``value``), were written in English and never marked.
String literals inside expressions that read like words (a capital and a space, or a capital
word) must be marked as well.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent.parent
TEMPLATES = sorted((ROOT / "templates").rglob("*.html"))

#: Words that are the same in every language (names, formats, codes).
UNTRANSLATED = {
    "Tripartite",
    "CSV",
    "JSON",
    "XLSX",
    "PDF",
    "API",
    "ILO",
    "OIT",
    "UTC",
    "ID",
    "TOTP",
    "sha256",
    "English",
    "Français",
    "Español",
    "SVG",
}
READ_ATTRIBUTES = {"aria-label", "title", "alt", "placeholder", "aria-roledescription"}

_COMMENT = re.compile(r"\{#.*?#\}", re.S)
_TRANS_BLOCK = re.compile(r"\{%-?\s*trans\b.*?%\}.*?\{%-?\s*endtrans\s*-?%\}", re.S)
_MARKED_CALL = re.compile(
    r"\b(?:_|gettext|N_)\(\s*(?:\"(?:[^\"\\]|\\.)*\"|'(?:[^'\\]|\\.)*')"
    r"|\bngettext\(\s*(?:\"(?:[^\"\\]|\\.)*\"|'(?:[^'\\]|\\.)*')\s*,\s*"
    r"(?:\"(?:[^\"\\]|\\.)*\"|'(?:[^'\\]|\\.)*')",
    re.S,
)
_EXPRESSION = re.compile(r"\{\{.*?\}\}|\{%.*?%\}", re.S)
_LITERAL = re.compile(r"\"((?:[^\"\\]|\\.)*)\"|'((?:[^'\\]|\\.)*)'")
_WORDY = re.compile(r"^[A-Z][a-z]+(?:[ ,.:;!?'’-].*)?$|^[a-z]+ [a-z]+ .*[a-z]$", re.S)
_ENTITY = re.compile(r"&[a-zA-Z]+;|&#\d+;")
_SPECIAL = re.compile(r"<(script|style)\b.*?</\1>", re.S)


def _unmarked_words(text: str) -> list[str]:
    leftover = _ENTITY.sub(" ", text)
    words = re.findall(r"[^\W\d_][\w'’-]*", leftover)
    return [w for w in words if w not in UNTRANSLATED]


class _Reader(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=False)
        self.found: list[str] = []

    def handle_data(self, data: str) -> None:
        if _unmarked_words(data):
            self.found.append(data.strip())

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        for name, value in attrs:
            shown = name in READ_ATTRIBUTES or (
                name == "value" and values.get("type") in {"submit", "button"}
            )
            if shown and value and _unmarked_words(value):
                self.found.append(f'{tag} {name}="{value}"')


def unmarked(source: str) -> list[str]:
    """What a template shows that is not marked for translation."""
    source = _COMMENT.sub("", source)
    source = _TRANS_BLOCK.sub("", source)
    source = _MARKED_CALL.sub("_(", source)
    found: list[str] = []
    for expression in _EXPRESSION.findall(source):
        for double, single in _LITERAL.findall(expression):
            literal = double or single
            if _WORDY.match(literal) and _unmarked_words(literal):
                found.append(f"literal {literal!r} in {expression.strip()[:60]}")
    visible = _EXPRESSION.sub(" ", source)
    visible = _SPECIAL.sub(" ", visible)
    reader = _Reader()
    reader.feed(visible)
    return found + reader.found


def test_the_check_finds_unmarked_text():
    assert unmarked("<p>Hello {{ name }}</p>") == ["Hello"]
    assert unmarked('<a title="Edit it" href="/">{{ _("Edit") }}</a>') == ['a title="Edit it"']
    assert unmarked('{{ field("email", "Email address") }}') != []
    assert unmarked('<input type="submit" value="Send">') != []
    assert unmarked("<p>{% trans n=3 %}{{ n }} comments{% endtrans %}</p>") == []
    assert unmarked('<p>{{ _("Hello") }} · {{ round.title }} (CSV)</p>') == []
    assert (
        unmarked('<p class="a-b" id="x">{{ ngettext("%(num)d day", "%(num)d days", 2) }}</p>') == []
    )
    assert unmarked("{% if x == 'visible' %}<b>{{ url_for('rounds.show') }}</b>{% endif %}") == []


@pytest.mark.parametrize("template", TEMPLATES, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_template_marks_its_text_for_translation(template):
    found = unmarked(template.read_text(encoding="utf-8"))
    assert not found, f"unmarked text (wrap it in _() or {{% trans %}}): {found[:8]}"
