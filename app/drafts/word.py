"""A Word (.docx) or OpenDocument (.odt) file read as a draft text in markdown. Pure: bytes in,
markdown out, or a ``DomainError`` saying why the file cannot be used (no web, no database).

**Kind** is told by content, never by name, and the file passes the checks every upload passes
(``app.documents.checks``: zip bombs, macros and embedded files refused): a Word file or an
OpenDocument text is converted, anything else is refused.

**What is kept**: headings (as markdown headings), paragraphs, bold, italic, struck-through
text and web links, bulleted and numbered lists (nested too) and tables (markdown pipe tables,
which ``app.markdown`` renders). Images, footnote marks and page layout are left out.

**Numbering.** The number a word processor draws in front of a paragraph is not in its text:
it is computed here from the file's numbering definitions (Word: ``numbering.xml``, each
level's ``lvlText`` such as ``Article %1`` or ``%1.%2``, its start value and format; OpenDocument:
the list style's or outline style's ``num-prefix``, ``num-format``, ``num-suffix`` and
``display-levels``). A paragraph numbered as an article or section -- a heading, or a
paragraph of a numbering whose labels carry words (``Article %1``) or several levels
(``%1.%2``) -- gets its label written at the start of its text in bold (``**Article 3.**
Scope``, ``**3.1** Each member ...``: ``app.drafts.rules.paragraph_label`` reads it back). A
plain numbered or bulleted list (``1.``, ``a)``, bullets) stays a markdown list. Numbers
typed into the text stay as they are.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import IO, Any

from lxml import etree  # type: ignore[import-untyped]
from lxml import html as lxml_html

from app.documents import checks
from app.errors import DomainError
from app.i18n import gettext as _

#: The largest file a moderator may upload as a draft text.
MAX_FILE_BYTES = 10 * 1024 * 1024


def _refused(message: str) -> DomainError:
    return DomainError(message, field="file")


def _unreadable() -> DomainError:
    return _refused(
        _(
            "This file cannot be read as a Word or OpenDocument text. Open it in your word "
            "processor, save it again as .docx or .odt, and upload that copy."
        )
    )


def read_upload(upload: bytes | IO[bytes]) -> bytes:
    """The file's bytes, refused past ``MAX_FILE_BYTES`` (read no further than that)."""
    data = upload if isinstance(upload, bytes) else upload.read(MAX_FILE_BYTES + 1)
    if len(data) > MAX_FILE_BYTES:
        raise _refused(
            _(
                "This file is larger than %(size)s MB: a draft text's file can be %(size)s MB "
                "at most."
            )
            % {"size": MAX_FILE_BYTES // (1024 * 1024)}
        )
    if not data:
        raise _refused(_("Choose a .docx or .odt file to import."))
    return data


def convert(upload: bytes | IO[bytes]) -> str:
    """The draft text (markdown) of an uploaded Word or OpenDocument file, or the refusal.
    The file is checked as every upload is (app/documents/checks.py: its kind by its bytes,
    zip bombs, macros and embedded files refused) before it is converted."""
    data = read_upload(upload)
    try:
        found = checks.identify(io.BytesIO(data))
    except DomainError:
        found = None
    if found is None or found not in (checks.FileKind.DOCX, checks.FileKind.ODT):
        raise _refused(
            _(
                "Only Word (.docx) and OpenDocument text (.odt) files can be imported as a "
                "draft text."
            )
        )
    checks.check_safe(io.BytesIO(data), found)
    try:
        text = docx_to_markdown(data) if found is checks.FileKind.DOCX else odt_to_markdown(data)
    except DomainError:
        raise
    except Exception as error:  # a damaged file breaks the readers in many ways
        raise _unreadable() from error
    if not text.strip():
        raise _refused(_("This file has no text to import."))
    return text


# -- numbers as a word processor draws them ---------------------------------------------------

_ROMAN = (
    (1000, "m"),
    (900, "cm"),
    (500, "d"),
    (400, "cd"),
    (100, "c"),
    (90, "xc"),
    (50, "l"),
    (40, "xl"),
    (10, "x"),
    (9, "ix"),
    (5, "v"),
    (4, "iv"),
    (1, "i"),
)


def roman(number: int) -> str:
    parts = []
    for value, letters in _ROMAN:
        count, number = divmod(number, value)
        parts.append(letters * count)
    return "".join(parts)


def letters(number: int) -> str:
    """a, b, ... z, aa, bb, ... (as Word and LibreOffice count)."""
    if number < 1:
        return str(number)
    repeat, index = divmod(number - 1, 26)
    return chr(ord("a") + index) * (repeat + 1)


def format_number(number: int, style: str) -> str:
    """``number`` in a numbering format: Word's names (``decimal``, ``lowerLetter``,
    ``upperRoman``...) or OpenDocument's (``1``, ``a``, ``A``, ``i``, ``I``)."""
    if style in ("lowerLetter", "a"):
        return letters(number)
    if style in ("upperLetter", "A"):
        return letters(number).upper()
    if style in ("lowerRoman", "i"):
        return roman(number) if number > 0 else str(number)
    if style in ("upperRoman", "I"):
        return roman(number).upper() if number > 0 else str(number)
    if style == "decimalZero":
        return f"{number:02d}"
    if style in ("none", "", "bullet"):
        return ""
    return str(number)


def _has_words(text: str) -> bool:
    return re.search(r"[^\W\d_]", text) is not None


# -- Word ---------------------------------------------------------------------------------------

W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"


def _w(name: str) -> str:
    return f"{{{W}}}{name}"


def _val(element: Any, name: str) -> str | None:
    child = element.find(_w(name)) if element is not None else None
    return None if child is None else child.get(_w("val"))


@dataclass(frozen=True)
class _Level:
    format: str
    text: str
    start: int
    legal: bool
    style_id: str | None


def _level(element: Any) -> tuple[int, _Level]:
    start = _val(element, "start")
    return int(element.get(_w("ilvl"), "0")), _Level(
        format=_val(element, "numFmt") or "decimal",
        text=_val(element, "lvlText") or "",
        start=int(start) if start and start.lstrip("-").isdigit() else 1,
        legal=element.find(_w("isLgl")) is not None,
        style_id=_val(element, "pStyle"),
    )


@dataclass
class _WordNumbering:
    """Word's numbering definitions, and the counters as the document is read in order."""

    abstract: dict[str, dict[int, _Level]] = field(default_factory=dict)
    #: numId -> (abstractNumId, levels overridden, start values overridden)
    nums: dict[str, tuple[str, dict[int, _Level], dict[int, int]]] = field(default_factory=dict)
    counters: dict[str, dict[int, int]] = field(default_factory=dict)
    seen: set[str] = field(default_factory=set)

    @classmethod
    def read(cls, root: Any) -> _WordNumbering:
        numbering = cls()
        if root is None:
            return numbering
        for abstract in root.iter(_w("abstractNum")):
            levels = dict(_level(lvl) for lvl in abstract.iter(_w("lvl")))
            numbering.abstract[abstract.get(_w("abstractNumId"), "")] = levels
        for num in root.iter(_w("num")):
            overrides: dict[int, _Level] = {}
            starts: dict[int, int] = {}
            for override in num.iter(_w("lvlOverride")):
                ilvl = int(override.get(_w("ilvl"), "0"))
                start = _val(override, "startOverride")
                if start and start.isdigit():
                    starts[ilvl] = int(start)
                lvl = override.find(_w("lvl"))
                if lvl is not None:
                    overrides[ilvl] = _level(lvl)[1]
            abstract_id = _val(num, "abstractNumId") or ""
            numbering.nums[num.get(_w("numId"), "")] = (abstract_id, overrides, starts)
        return numbering

    def levels(self, num_id: str) -> dict[int, _Level]:
        abstract_id, overrides, _starts = self.nums.get(num_id, ("", {}, {}))
        return {**self.abstract.get(abstract_id, {}), **overrides}

    def level_of_style(self, num_id: str, style_id: str) -> int | None:
        return next(
            (n for n, level in self.levels(num_id).items() if level.style_id == style_id), None
        )

    def is_labelled(self, num_id: str) -> bool:
        """Numbered as articles or sections (words or several levels in a label), not a list."""
        for level in self.levels(num_id).values():
            if level.format in ("bullet", "none"):
                continue
            literal = re.sub(r"%\d", "", level.text)
            if len(re.findall(r"%\d", level.text)) > 1 or _has_words(literal):
                return True
        return False

    def next_label(self, num_id: str, ilvl: int) -> str:
        """The label of the next paragraph numbered ``num_id`` at level ``ilvl``."""
        abstract_id, _overrides, starts = self.nums.get(num_id, ("", {}, {}))
        levels = self.levels(num_id)
        counters = self.counters.setdefault(abstract_id, {})
        if num_id not in self.seen:
            self.seen.add(num_id)
            for n, start in starts.items():
                counters[n] = start - 1
        level = levels.get(ilvl, _Level("decimal", f"%{ilvl + 1}.", 1, False, None))
        counters[ilvl] = counters.get(ilvl, level.start - 1) + 1
        for deeper in [n for n in counters if n > ilvl]:
            del counters[deeper]

        def number(match: re.Match[str]) -> str:
            n = int(match.group(1)) - 1
            shown = levels.get(n, level)
            value = counters.get(n, shown.start)
            style = "decimal" if level.legal and n < ilvl else shown.format
            return format_number(value, style)

        return re.sub(r"%(\d)", number, level.text).strip()


@dataclass(frozen=True)
class _Style:
    name: str
    based_on: str | None
    num_id: str | None
    ilvl: int | None


def _word_styles(root: Any) -> dict[str, _Style]:
    styles: dict[str, _Style] = {}
    if root is None:
        return styles
    for style in root.iter(_w("style")):
        num_pr = style.find(f"{_w('pPr')}/{_w('numPr')}")
        ilvl = _val(num_pr, "ilvl")
        styles[style.get(_w("styleId"), "")] = _Style(
            name=(_val(style, "name") or "").lower(),
            based_on=_val(style, "basedOn"),
            num_id=_val(num_pr, "numId"),
            ilvl=int(ilvl) if ilvl and ilvl.isdigit() else None,
        )
    return styles


def _style_chain(styles: dict[str, _Style], style_id: str | None) -> list[tuple[str, _Style]]:
    chain: list[tuple[str, _Style]] = []
    while style_id and style_id in styles and all(style_id != s for s, _ in chain):
        chain.append((style_id, styles[style_id]))
        style_id = styles[style_id].based_on
    return chain


def _is_heading(chain: list[tuple[str, _Style]]) -> bool:
    return any(s.name.startswith("heading") or s.name == "title" for _, s in chain)


def _paragraph_numbering(
    paragraph: Any, styles: dict[str, _Style], numbering: _WordNumbering
) -> tuple[str, int, bool] | None:
    """(numId, level, is a heading) of a numbered paragraph, from its own properties or its
    style's; None if it is not numbered."""
    ppr = paragraph.find(_w("pPr"))
    chain = _style_chain(styles, _val(ppr, "pStyle"))
    num_pr = ppr.find(_w("numPr")) if ppr is not None else None
    num_id, ilvl_text = _val(num_pr, "numId"), _val(num_pr, "ilvl")
    ilvl = int(ilvl_text) if ilvl_text and ilvl_text.isdigit() else None
    for style_id, style in chain:
        if num_id is None and style.num_id is not None:
            num_id = style.num_id
            ilvl = ilvl if ilvl is not None else style.ilvl
            if ilvl is None:
                ilvl = numbering.level_of_style(num_id, style_id)
    if num_id is None or num_id == "0" or num_id not in numbering.nums:
        return None
    return num_id, ilvl or 0, _is_heading(chain)


def _label_run(label: str) -> list[Any]:
    bold = etree.Element(_w("r"))
    etree.SubElement(etree.SubElement(bold, _w("rPr")), _w("b"))
    etree.SubElement(bold, _w("t")).text = label
    space = etree.Element(_w("r"))
    text = etree.SubElement(space, _w("t"))
    text.text = " "
    text.set("{http://www.w3.org/XML/1998/namespace}space", "preserve")
    return [bold, space]


def _write_word_labels(document: Any) -> None:
    """Each paragraph numbered as an article or section gets its label written in front of
    its text (and its numbering taken off, so that it is not also read as a list item)."""
    numbering_part = None
    try:
        numbering_part = document.part.numbering_part.element
    except (KeyError, NotImplementedError):
        numbering_part = None
    numbering = _WordNumbering.read(numbering_part)
    styles = _word_styles(document.styles.element)
    for paragraph in document.element.body.iter(_w("p")):
        found = _paragraph_numbering(paragraph, styles, numbering)
        if found is None:
            continue
        num_id, ilvl, heading = found
        level = numbering.levels(num_id).get(ilvl)
        label = numbering.next_label(num_id, ilvl)
        if level is None or level.format == "bullet":
            continue
        if not (heading or numbering.is_labelled(num_id)) or not label:
            continue
        ppr = paragraph.find(_w("pPr"))
        if ppr is None:
            ppr = etree.SubElement(paragraph, _w("pPr"))
            paragraph.insert(0, ppr)
        for old in ppr.findall(_w("numPr")):
            ppr.remove(old)
        num_pr = etree.Element(_w("numPr"))
        etree.SubElement(num_pr, _w("ilvl")).set(_w("val"), "0")
        etree.SubElement(num_pr, _w("numId")).set(_w("val"), "0")
        ppr.insert(0, num_pr)
        at = list(paragraph).index(ppr) + 1
        for offset, run in enumerate(_label_run(label)):
            paragraph.insert(at + offset, run)


#: How Word's styles become HTML before it is read as markdown (mammoth's style map; its
#: defaults handle headings, lists, bold, italics, tables and links).
STYLE_MAP = """
p[style-name='Title'] => h1:fresh
p[style-name='Subtitle'] => h2:fresh
p[style-name='Quote'] => blockquote > p:fresh
p[style-name='Intense Quote'] => blockquote > p:fresh
r[style-name='Strong'] => strong
"""


def docx_to_markdown(data: bytes) -> str:
    import docx  # python-docx
    import mammoth  # type: ignore[import-untyped]

    document = docx.Document(io.BytesIO(data))
    _write_word_labels(document)
    labelled = io.BytesIO()
    document.save(labelled)
    labelled.seek(0)
    result = mammoth.convert_to_html(
        labelled,
        style_map=STYLE_MAP,
        convert_image=mammoth.images.img_element(lambda image: {}),
    )
    return html_to_markdown(result.value)


# -- OpenDocument -------------------------------------------------------------------------------

TEXT = "urn:oasis:names:tc:opendocument:xmlns:text:1.0"
TABLE = "urn:oasis:names:tc:opendocument:xmlns:table:1.0"
STYLE = "urn:oasis:names:tc:opendocument:xmlns:style:1.0"
FO = "urn:oasis:names:tc:opendocument:xmlns:xsl-fo-compatible:1.0"
XLINK = "http://www.w3.org/1999/xlink"
_SKIPPED = {"note", "number", "bookmark", "bookmark-start", "bookmark-end", "soft-page-break"}
_SKIPPED |= {"tracked-changes", "sequence-decls", "variable-decls", "table-of-content"}


@dataclass(frozen=True)
class _OdtLevel:
    number: bool
    format: str
    prefix: str
    suffix: str
    display: int
    start: int


def _odt_levels(style: Any) -> dict[int, _OdtLevel]:
    levels: dict[int, _OdtLevel] = {}
    for child in style.childNodes:
        if (
            child.qname[0] != TEXT
            or not child.qname[1].endswith("-style-number")
            and not (
                child.qname[1].endswith("-style-bullet") or child.qname[1] == "outline-level-style"
            )
        ):
            continue
        number = child.qname[1] in ("list-level-style-number", "outline-level-style")
        start = child.getAttrNS(TEXT, "start-value") or "1"
        display = child.getAttrNS(TEXT, "display-levels") or "1"
        levels[int(child.getAttrNS(TEXT, "level") or "1")] = _OdtLevel(
            number=number and bool(child.getAttrNS(STYLE, "num-format")),
            format=child.getAttrNS(STYLE, "num-format") or "",
            prefix=child.getAttrNS(STYLE, "num-prefix") or "",
            suffix=child.getAttrNS(STYLE, "num-suffix") or "",
            display=int(display) if display.isdigit() else 1,
            start=int(start) if start.isdigit() else 1,
        )
    return levels


def _odt_label(levels: dict[int, _OdtLevel], counters: dict[int, int], depth: int) -> str:
    level = levels[depth]
    shown = range(max(1, depth - level.display + 1), depth + 1)
    numbers = ".".join(
        format_number(
            counters.get(n, levels[n].start if n in levels else 1), _odt_format(levels, n)
        )
        for n in shown
    )
    return f"{level.prefix}{numbers}{level.suffix}".strip()


def _odt_format(levels: dict[int, _OdtLevel], n: int) -> str:
    return levels[n].format if n in levels else "1"


def _odt_is_labelled(levels: dict[int, _OdtLevel]) -> bool:
    return any(
        level.number and (level.display > 1 or _has_words(level.prefix + level.suffix))
        for level in levels.values()
    )


def _count(counters: dict[int, int], levels: dict[int, _OdtLevel], depth: int) -> None:
    start = levels[depth].start if depth in levels else 1
    counters[depth] = counters.get(depth, start - 1) + 1
    for deeper in [n for n in counters if n > depth]:
        del counters[deeper]


def _append_text(element: Any, text: str) -> None:
    if len(element):
        element[-1].tail = (element[-1].tail or "") + text
    else:
        element.text = (element.text or "") + text


class _OdtReader:
    """An OpenDocument text walked in order into an HTML tree, read as markdown after."""

    def __init__(self, document: Any) -> None:
        self.formats: dict[str, tuple[bool, bool, bool]] = {}
        self.list_styles: dict[str, dict[int, _OdtLevel]] = {}
        self.outline: dict[int, _OdtLevel] = {}
        self.outline_counters: dict[int, int] = {}
        self.last_counters: dict[str, dict[int, int]] = {}
        self.paragraph_lists: dict[str, str] = {}
        for styles in (document.styles, document.automaticstyles):
            for style in styles.childNodes:
                kind = style.qname
                name = style.getAttrNS(STYLE, "name") if kind[0] == STYLE else None
                if kind == (STYLE, "style") and name:
                    self._read_style(name, style)
                elif kind == (TEXT, "list-style"):
                    self.list_styles[style.getAttrNS(STYLE, "name")] = _odt_levels(style)
                elif kind == (TEXT, "outline-style"):
                    self.outline = _odt_levels(style)

    def _read_style(self, name: str, style: Any) -> None:
        list_style = style.getAttrNS(STYLE, "list-style-name")
        if list_style:
            self.paragraph_lists[name] = list_style
        for props in style.childNodes:
            if props.qname == (STYLE, "text-properties"):
                weight = props.getAttrNS(FO, "font-weight") or ""
                italic = props.getAttrNS(FO, "font-style") in ("italic", "oblique")
                struck = (props.getAttrNS(STYLE, "text-line-through-style") or "none") != "none"
                bold = weight == "bold" or (weight.isdigit() and int(weight) >= 600)
                self.formats[name] = (bold, italic, struck)

    # -- inline text ---------------------------------------------------------------------

    def inline(self, node: Any, into: Any) -> None:
        for child in node.childNodes:
            if child.nodeType == child.TEXT_NODE:
                _append_text(into, str(child.data))
                continue
            ns, name = child.qname
            if ns == TEXT and name in _SKIPPED:
                continue
            if (ns, name) == (TEXT, "s"):
                _append_text(into, " " * int(child.getAttrNS(TEXT, "c") or "1"))
            elif (ns, name) == (TEXT, "tab"):
                _append_text(into, " ")
            elif (ns, name) == (TEXT, "line-break"):
                etree.SubElement(into, "br")
            elif (ns, name) == (TEXT, "a"):
                link = etree.SubElement(into, "a", href=child.getAttrNS(XLINK, "href") or "")
                self.inline(child, link)
            elif (ns, name) == (TEXT, "span"):
                target = into
                bold, italic, struck = self.formats.get(
                    child.getAttrNS(TEXT, "style-name") or "", (False, False, False)
                )
                for wanted, tag in ((bold, "strong"), (italic, "em"), (struck, "del")):
                    if wanted:
                        target = etree.SubElement(target, tag)
                self.inline(child, target)
            else:
                self.inline(child, into)

    def paragraph(self, node: Any, into: Any, label: str = "", tag: str = "p") -> None:
        element = etree.SubElement(into, tag)
        if label:
            etree.SubElement(element, "strong").text = label
            etree.SubElement(element, "span").text = " "
        self.inline(node, element)

    def heading(self, node: Any, into: Any, label: str = "") -> None:
        depth = int(node.getAttrNS(TEXT, "outline-level") or "1")
        if not label and self.outline.get(depth, _OdtLevel(False, "", "", "", 1, 1)).number:
            _count(self.outline_counters, self.outline, depth)
            label = _odt_label(self.outline, self.outline_counters, depth)
        self.paragraph(node, into, label, f"h{min(max(depth, 1), 6)}")

    # -- blocks --------------------------------------------------------------------------

    def blocks(self, node: Any, into: Any) -> None:
        for child in node.childNodes:
            if child.nodeType != child.ELEMENT_NODE:
                continue
            kind = child.qname
            if kind == (TEXT, "h"):
                self.heading(child, into)
            elif kind == (TEXT, "p"):
                self.paragraph(child, into)
            elif kind == (TEXT, "list"):
                self.list(child, into, 1, None, None)
            elif kind == (TABLE, "table"):
                self.table(child, into)
            elif kind[0] == TEXT and kind[1] in _SKIPPED:
                continue
            else:
                self.blocks(child, into)

    def list(
        self,
        node: Any,
        into: Any,
        depth: int,
        style: str | None,
        counters: dict[int, int] | None,
    ) -> None:
        style = node.getAttrNS(TEXT, "style-name") or style
        if style is None:
            style = self._paragraph_list_style(node)
        levels = self.list_styles.get(style or "", {})
        level = levels.get(depth, _OdtLevel(False, "", "", "", 1, 1))
        if counters is None:
            continues = node.getAttrNS(TEXT, "continue-numbering") == "true" or bool(
                node.getAttrNS(TEXT, "continue-list")
            )
            counters = self.last_counters.get(style or "", {}) if continues else {}
            self.last_counters[style or ""] = counters
        labelled = level.number and (_odt_is_labelled(levels) or self._holds_heading(node))
        element = into
        if not labelled:
            element = etree.SubElement(into, "ol" if level.number else "ul")
            if level.number and level.format not in ("1", ""):
                element.set("type", level.format)
        for item in node.childNodes:
            if item.qname not in ((TEXT, "list-item"), (TEXT, "list-header")):
                continue
            numbered = item.qname == (TEXT, "list-item")
            if numbered and level.number:
                start = item.getAttrNS(TEXT, "start-value")
                if start and start.isdigit():
                    counters[depth] = int(start) - 1
                _count(counters, levels, depth)
            label = _odt_label(levels, counters, depth) if numbered and level.number else ""
            if labelled:
                self._labelled_item(item, into, depth, style, counters, label)
                continue
            li = etree.SubElement(element, "li")
            if label and level.format not in ("1", ""):
                li.set("label", label)
            self._item(item, li, depth, style, counters)

    def _labelled_item(
        self,
        item: Any,
        into: Any,
        depth: int,
        style: str | None,
        counters: dict[int, int],
        label: str,
    ) -> None:
        first = True
        for child in item.childNodes:
            if child.qname == (TEXT, "list"):
                self.list(child, into, depth + 1, style, counters)
            elif child.qname == (TEXT, "h"):
                self.heading(child, into, label if first else "")
            elif child.qname == (TEXT, "p"):
                self.paragraph(child, into, label if first else "")
            else:
                self.blocks(child, into)
            first = False

    def _item(
        self, item: Any, li: Any, depth: int, style: str | None, counters: dict[int, int]
    ) -> None:
        for child in item.childNodes:
            if child.qname == (TEXT, "list"):
                self.list(child, li, depth + 1, style, counters)
            elif child.qname in ((TEXT, "p"), (TEXT, "h")):
                if len(li) or (li.text or "").strip():
                    etree.SubElement(li, "br")
                self.inline(child, li)
            else:
                self.blocks(child, li)

    def _paragraph_list_style(self, node: Any) -> str | None:
        for item in node.childNodes:
            for child in getattr(item, "childNodes", []):
                if child.qname in ((TEXT, "p"), (TEXT, "h")):
                    name = child.getAttrNS(TEXT, "style-name") or ""
                    return self.paragraph_lists.get(name)
        return None

    def _holds_heading(self, node: Any) -> bool:
        return any(
            child.qname == (TEXT, "h")
            for item in node.childNodes
            for child in getattr(item, "childNodes", [])
        )

    def table(self, node: Any, into: Any) -> None:
        table = etree.SubElement(into, "table")
        for row in _odt_rows(node):
            tr = etree.SubElement(table, "tr")
            for cell in row.childNodes:
                if cell.qname not in ((TABLE, "table-cell"), (TABLE, "covered-table-cell")):
                    continue
                repeated = cell.getAttrNS(TABLE, "number-columns-repeated") or "1"
                for _column in range(min(int(repeated) if repeated.isdigit() else 1, 64)):
                    td = etree.SubElement(tr, "td")
                    self.blocks(cell, td)


def _odt_rows(node: Any) -> Iterable[Any]:
    for child in node.childNodes:
        if child.qname == (TABLE, "table-row"):
            yield child
        elif child.qname in (
            (TABLE, "table-header-rows"),
            (TABLE, "table-rows"),
            (TABLE, "table-row-group"),
        ):
            yield from _odt_rows(child)


def odt_to_markdown(data: bytes) -> str:
    from odf.opendocument import load  # type: ignore[import-untyped]

    document = load(io.BytesIO(data))
    root = etree.Element("div")
    _OdtReader(document).blocks(document.text, root)
    return tree_to_markdown(root)


# -- HTML read as markdown ----------------------------------------------------------------------

_INLINE_SPECIAL = re.compile(r"([\\`*_\[\]<~])")
_LINE_START = re.compile(r"^(\s*)([#>+=|-]|\d+[.)](?=\s|$))")


def _escape(text: str) -> str:
    return _INLINE_SPECIAL.sub(r"\\\1", text.replace("\t", " ").replace("\n", " "))


def _escape_line_start(line: str) -> str:
    def escaped(match: re.Match[str]) -> str:
        mark = match.group(2)
        if mark[0].isdigit():
            return f"{mark[:-1]}\\{mark[-1]}"
        return f"\\{mark}"

    return _LINE_START.sub(escaped, line.lstrip(), count=1)


def _wrap(inner: str, mark: str) -> str:
    """``inner`` between emphasis marks, its outer spaces left outside (CommonMark wants
    the marks against the text)."""
    stripped = inner.strip()
    if not stripped:
        return inner
    lead = inner[: len(inner) - len(inner.lstrip())]
    trail = inner[len(inner.rstrip()) :]
    return f"{lead}{mark}{stripped}{mark}{trail}"


def _inline(element: Any) -> str:
    parts = [_escape(element.text or "")]
    for child in element:
        tag = child.tag if isinstance(child.tag, str) else ""
        inner = _inline(child)
        if tag in ("strong", "b"):
            parts.append(_wrap(inner, "**"))
        elif tag in ("em", "i"):
            parts.append(_wrap(inner, "*"))
        elif tag in ("s", "del", "strike"):
            parts.append(_wrap(inner, "~~"))
        elif tag == "br":
            parts.append("\n")
        elif tag == "a":
            href = child.get("href") or ""
            if re.match(r"(https?:|mailto:)", href) and inner.strip():
                parts.append(f"[{inner}](<{href.replace('>', '%3E')}>)")
            else:
                parts.append(inner)
        elif tag in ("img", "script", "style"):
            pass
        elif tag in ("ul", "ol", "table", "p", "div") or tag in _HEADINGS:
            parts.append(" " + inner + " ")
        else:
            parts.append(inner)
        parts.append(_escape(child.tail or ""))
    return "".join(parts)


def _line(element: Any) -> str:
    """An element's inline content as markdown lines (line breaks kept as hard breaks)."""
    lines = [re.sub(r" {2,}", " ", line).strip() for line in _inline(element).split("\n")]
    lines = [_escape_line_start(line) for line in lines if line]
    return "\\\n".join(lines)


_HEADINGS = {f"h{n}": n for n in range(1, 7)}


def _list(element: Any, indent: str = "") -> list[str]:
    ordered = element.tag == "ol"
    start = element.get("start", "1")
    number = int(start) if start.isdigit() else 1
    lines: list[str] = []
    for item in element:
        if item.tag != "li":
            continue
        label = item.get("label")
        marker = f"{number}." if ordered and not label else "-"
        number += 1
        child_indent = indent + " " * (len(marker) + 1)
        nested = [child for child in item if child.tag in ("ul", "ol")]
        for child in nested:
            item.remove(child)  # read the item's own text, then its nested lists
            child.tail = None
        text = _line(item)
        if label:
            text = f"{_escape(label)} {text}"
        lines.append(f"{indent}{marker} {text}".rstrip())
        for child in nested:
            lines += _list(child, child_indent)
    return lines


def _table(element: Any) -> str:
    rows = element.xpath("./tr|./thead/tr|./tbody/tr|./tfoot/tr")
    cells: list[list[str]] = []
    for row in rows:
        cells.append([])
        for cell in row:
            if cell.tag not in ("td", "th"):
                continue
            text = " ".join(" ".join(_blocks(cell)).split()).replace("|", "\\|")
            span = cell.get("colspan", "1")
            cells[-1] += [text] + [""] * ((int(span) if span.isdigit() else 1) - 1)
    cells = [row for row in cells if row]
    if not any(text for row in cells for text in row):
        return ""
    width = max(len(row) for row in cells)
    cells = [row + [""] * (width - len(row)) for row in cells]
    lines = ["| " + " | ".join(row) + " |" for row in cells]
    lines.insert(1, "|" + " --- |" * width)
    return "\n".join(lines)


def _blocks(element: Any) -> list[str]:
    """The markdown blocks of an element's children, in order (loose inline content in a
    paragraph of its own)."""
    blocks: list[str] = []
    loose = etree.Element("p")
    loose.text = element.text

    def flush() -> None:
        nonlocal loose
        text = _line(loose)
        if text:
            blocks.append(text)
        loose = etree.Element("p")

    for child in element:
        tag = child.tag if isinstance(child.tag, str) else ""
        tail, child.tail = child.tail, None
        block = _block(child, tag)
        if block is None:
            loose.append(child)
        else:
            flush()
            if block:
                blocks.append(block)
        if tail:
            _append_text(loose, tail)
    flush()
    return blocks


def _block(child: Any, tag: str) -> str | None:
    """A block element as markdown ("" for an empty one); None for inline content."""
    if tag in _HEADINGS:
        text = _line(child).replace("\\\n", " ")
        return f"{'#' * _HEADINGS[tag]} {text}" if text else ""
    if tag == "p":
        return _line(child)
    if tag in ("ul", "ol"):
        return "\n".join(_list(child))
    if tag == "table":
        return _table(child)
    if tag == "blockquote":
        inner = "\n\n".join(_blocks(child))
        return "\n".join(f"> {line}".rstrip() for line in inner.split("\n")) if inner else ""
    if tag in ("div", "section", "article", "pre"):
        return "\n\n".join(_blocks(child))
    if tag == "hr":
        return ""
    return None


def tree_to_markdown(root: Any) -> str:
    return "\n\n".join(block for block in _blocks(root) if block.strip())


def html_to_markdown(html: str) -> str:
    """HTML (as mammoth writes it) read as markdown."""
    if not html.strip():
        return ""
    root = lxml_html.fragment_fromstring(html, create_parent="div")
    return tree_to_markdown(root)
