"""The text of an attached file, for search and for reading without opening it. Pure: bytes
in, text out.

PDF pages are read by pypdf (whose filters bound what a stream inflates to). Word, OpenDocument
and Excel files are read straight from their XML, streamed (``iterparse``), one paragraph or
table row at a time: a document's whole tree is never held, a ``<text:s text:c="…">`` run of
spaces is capped, and nothing is read from an archive declaring more than ``MAX_UNPACKED``.
Paragraphs come out one a line; a table row's cells, and a spreadsheet row's, are separated
by tabs. Images have no text. A file that turns out damaged gives "" (it is still kept).
"""

from __future__ import annotations

import re
import warnings
import zipfile
from collections.abc import Callable, Iterator
from typing import IO, BinaryIO
from xml.etree import ElementTree

from pypdf import PdfReader

from app.documents.checks import MAX_UNPACKED, FileKind, unpacked_size

MAX_CHARS = 2_000_000
_SPACES_MAX = 100
_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_TEXT = "{urn:oasis:names:tc:opendocument:xmlns:text:1.0}"
_TABLE = "{urn:oasis:names:tc:opendocument:xmlns:table:1.0}"
#: Everything but tabs and line breaks that has no place in stored text (PostgreSQL refuses NUL).
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def extract_text(source: BinaryIO, kind: FileKind, *, max_chars: int = MAX_CHARS) -> str:
    """The text of ``source`` (at most ``max_chars`` characters); "" for an image or a file
    that cannot be read. Leaves ``source`` rewound."""
    reader = _READERS.get(kind)
    if reader is None:
        return ""
    lines: list[str] = []
    count = 0
    source.seek(0)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            for line in reader(source):
                line = _CONTROL.sub("", line).rstrip()
                lines.append(line)
                count += len(line) + 1
                if count >= max_chars:
                    break
    except Exception:  # a damaged file: its text is unknown, the file is still kept
        return ""
    finally:
        source.seek(0)
    text = re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()
    return text[:max_chars]


def _pdf(source: BinaryIO) -> Iterator[str]:
    for page in PdfReader(source, strict=False).pages:
        yield page.extract_text()
        yield ""


def _archive(source: BinaryIO) -> zipfile.ZipFile:
    archive = zipfile.ZipFile(source)
    if unpacked_size(archive) > MAX_UNPACKED:
        raise ValueError("too big to read")
    return archive


def _docx(source: BinaryIO) -> Iterator[str]:
    with _archive(source) as archive, archive.open("word/document.xml") as xml:
        yield from _paragraphs(xml, {_W + "p"}, _W + "tbl", _W + "tr", _W + "tc", _docx_text)


def _docx_text(element: ElementTree.Element) -> Iterator[str]:
    for node in element.iter():
        if node.tag == _W + "t" and node.text:
            yield node.text
        elif node.tag == _W + "tab":
            yield "\t"
        elif node.tag in {_W + "br", _W + "cr"}:
            yield "\n"
        elif node.tag == _W + "p" and node is not element:
            yield " "


def _odt(source: BinaryIO) -> Iterator[str]:
    with _archive(source) as archive, archive.open("content.xml") as xml:
        paragraphs = {_TEXT + "p", _TEXT + "h"}
        row, cell = _TABLE + "table-row", _TABLE + "table-cell"
        yield from _paragraphs(xml, paragraphs, _TABLE + "table", row, cell, _odf_text)


def _odf_text(element: ElementTree.Element) -> Iterator[str]:
    """Like odfpy's ``teletype.extractText``, with runs of spaces capped."""
    if element.text:
        yield element.text
    for child in element:
        if child.tag == _TEXT + "s":
            count = child.get(_TEXT + "c", "1")
            yield " " * min(int(count) if count.isdigit() else 1, _SPACES_MAX)
        elif child.tag == _TEXT + "tab":
            yield "\t"
        elif child.tag == _TEXT + "line-break":
            yield "\n"
        else:
            if child.tag in {_TEXT + "p", _TEXT + "h"}:
                yield " "
            yield from _odf_text(child)
        if child.tail:
            yield child.tail


def _paragraphs(
    xml: IO[bytes],
    paragraphs: set[str],
    table: str,
    row: str,
    cell: str,
    text: Callable[[ElementTree.Element], Iterator[str]],
) -> Iterator[str]:
    """Streams a text's paragraphs outside tables, one a line, and its tables' rows, cells
    joined by tabs; each element is dropped once written."""
    tables = 0
    for event, element in ElementTree.iterparse(xml, events=("start", "end")):
        if element.tag == table:
            tables += 1 if event == "start" else -1
        if event != "end":
            continue
        if element.tag in paragraphs and tables == 0:
            yield "".join(text(element))
            element.clear()
        elif element.tag == row and tables == 1:
            cells = [c for c in element if c.tag == cell]
            yield "\t".join(" ".join("".join(text(c)).split()) for c in cells)
            element.clear()


def _xlsx(source: BinaryIO) -> Iterator[str]:
    with _archive(source) as archive:
        names = set(archive.namelist())
        shared: list[str] = []
        if "xl/sharedStrings.xml" in names:
            with archive.open("xl/sharedStrings.xml") as xml:
                for _event, element in ElementTree.iterparse(xml):
                    if _local(element.tag) == "si":
                        shared.append("".join(_texts(element, {"rPh"})))
                        element.clear()
        sheets = [n for n in names if re.fullmatch(r"xl/worksheets/sheet\d+\.xml", n)]
        for name in sorted(sheets, key=lambda n: int(re.sub(r"\D", "", n))):
            with archive.open(name) as xml:
                yield from _xlsx_rows(xml, shared)
            yield ""


def _xlsx_rows(xml: IO[bytes], shared: list[str]) -> Iterator[str]:
    cells: list[str] = []
    for _event, element in ElementTree.iterparse(xml):
        tag = _local(element.tag)
        if tag == "c":
            kind = element.get("t")
            value = next((v.text or "" for v in element if _local(v.tag) == "v"), "")
            if kind == "s":
                index = int(value) if value.isdigit() else -1
                value = shared[index] if 0 <= index < len(shared) else ""
            elif kind == "inlineStr":
                value = "".join(_texts(element, {"rPh"}))
            cells.append(value)
            element.clear()
        elif tag == "row":
            if any(cells):
                yield "\t".join(cells).rstrip("\t")
            cells = []
            element.clear()


def _texts(element: ElementTree.Element, skip: set[str]) -> Iterator[str]:
    """The ``<t>`` texts under ``element``, outside the ``skip`` elements (phonetic runs)."""
    for child in element:
        tag = _local(child.tag)
        if tag == "t":
            yield child.text or ""
        elif tag not in skip:
            yield from _texts(child, skip)


def _ods(source: BinaryIO) -> Iterator[str]:
    with _archive(source) as archive, archive.open("content.xml") as xml:
        for _event, element in ElementTree.iterparse(xml):
            if element.tag == _TABLE + "table-row":
                cells = [
                    " ".join("".join(_odf_text(c)).split())
                    for c in element
                    if c.tag in {_TABLE + "table-cell", _TABLE + "covered-table-cell"}
                ]
                if any(cells):
                    yield "\t".join(cells).rstrip("\t")
                element.clear()
            elif element.tag == _TABLE + "table":
                yield ""
                element.clear()


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


_READERS: dict[FileKind, Callable[[BinaryIO], Iterator[str]]] = {
    FileKind.PDF: _pdf,
    FileKind.DOCX: _docx,
    FileKind.ODT: _odt,
    FileKind.XLSX: _xlsx,
    FileKind.ODS: _ods,
}
