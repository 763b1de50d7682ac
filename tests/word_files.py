"""Word and OpenDocument files built in code for the import tests: a .docx with Word's own
auto-numbering ("Article %1" headings, "%1.%2" paragraphs, a nested bulleted list, a decimal
list, a table) and an .odt with numbered list styles and an outline numbering."""

from __future__ import annotations

import io

import docx
from docx.oxml import parse_xml
from docx.oxml.ns import nsdecls
from odf import style as odf_style
from odf import table as odf_table
from odf import text as odf_text
from odf.opendocument import OpenDocumentText

NUMBERING = f"""
<w:numbering {nsdecls("w")}>
  <w:abstractNum w:abstractNumId="10">
    <w:multiLevelType w:val="multilevel"/>
    <w:lvl w:ilvl="0"><w:start w:val="1"/><w:numFmt w:val="decimal"/>
      <w:lvlText w:val="Article %1."/><w:pStyle w:val="Heading2"/></w:lvl>
    <w:lvl w:ilvl="1"><w:start w:val="1"/><w:numFmt w:val="decimal"/>
      <w:lvlText w:val="%1.%2"/></w:lvl>
    <w:lvl w:ilvl="2"><w:start w:val="1"/><w:numFmt w:val="lowerLetter"/>
      <w:lvlText w:val="%1.%2.%3"/></w:lvl>
    <w:lvl w:ilvl="3"><w:start w:val="1"/><w:numFmt w:val="lowerRoman"/>
      <w:lvlText w:val="(%4)"/></w:lvl>
  </w:abstractNum>
  <w:abstractNum w:abstractNumId="20">
    <w:multiLevelType w:val="hybridMultilevel"/>
    <w:lvl w:ilvl="0"><w:start w:val="1"/><w:numFmt w:val="bullet"/>
      <w:lvlText w:val="\u2022"/></w:lvl>
    <w:lvl w:ilvl="1"><w:start w:val="1"/><w:numFmt w:val="bullet"/>
      <w:lvlText w:val="o"/></w:lvl>
  </w:abstractNum>
  <w:abstractNum w:abstractNumId="30">
    <w:multiLevelType w:val="hybridMultilevel"/>
    <w:lvl w:ilvl="0"><w:start w:val="1"/><w:numFmt w:val="decimal"/>
      <w:lvlText w:val="%1."/></w:lvl>
    <w:lvl w:ilvl="1"><w:start w:val="1"/><w:numFmt w:val="lowerLetter"/>
      <w:lvlText w:val="%2)"/></w:lvl>
  </w:abstractNum>
  <w:num w:numId="1"><w:abstractNumId w:val="10"/></w:num>
  <w:num w:numId="2"><w:abstractNumId w:val="20"/></w:num>
  <w:num w:numId="3"><w:abstractNumId w:val="30"/></w:num>
</w:numbering>
"""


def _numbered(paragraph, num_id: int, ilvl: int) -> None:  # type: ignore[no-untyped-def]
    ppr = paragraph._p.get_or_add_pPr()
    ppr.append(
        parse_xml(
            f'<w:numPr {nsdecls("w")}><w:ilvl w:val="{ilvl}"/><w:numId w:val="{num_id}"/></w:numPr>'
        )
    )


def _with_numbering(document) -> None:  # type: ignore[no-untyped-def]
    """Word's numbering definitions written into the document's numbering part."""
    part = document.part.numbering_part
    element = part.element
    for child in list(element):
        element.remove(child)
    for child in parse_xml(NUMBERING):
        element.append(child)


def numbered_docx() -> bytes:
    """A convention's draft as a Word user writes it: numbered articles and paragraphs."""
    document = docx.Document()
    _with_numbering(document)
    document.add_heading("Convention on pensions", level=1)
    document.add_paragraph("The Members agree as follows.")
    # the heading style itself carries the "Article %1." numbering (as legal templates do)
    heading2 = document.styles["Heading 2"].element
    ppr = heading2.get_or_add_pPr()
    ppr.append(parse_xml(f'<w:numPr {nsdecls("w")}><w:numId w:val="1"/></w:numPr>'))
    document.add_heading("Scope", level=2)
    first = document.add_paragraph("Each member covers ")
    first.add_run("every").bold = True
    first.add_run(" worker.")
    _numbered(first, 1, 1)
    _numbered(document.add_paragraph("Periods of insurance are added together:"), 1, 1)
    _numbered(document.add_paragraph("in the member State; and"), 1, 2)
    _numbered(document.add_paragraph("abroad."), 1, 2)
    _numbered(document.add_paragraph("self-employed work"), 1, 3)
    document.add_heading("Payment", level=2)
    _numbered(document.add_paragraph("Pensions are paid in full abroad."), 1, 1)
    document.add_paragraph("3.5 This number was typed in.")
    return _saved(document)


def lists_docx() -> bytes:
    """A nested bulleted list, a decimal list with a lettered level, a table and a link."""
    document = docx.Document()
    _with_numbering(document)
    document.add_heading("Annex", level=1)
    _numbered(document.add_paragraph("data is exchanged"), 2, 0)
    _numbered(document.add_paragraph("under safeguards"), 2, 1)
    _numbered(document.add_paragraph("with consent"), 2, 1)
    _numbered(document.add_paragraph("and audited"), 2, 0)
    document.add_paragraph("Steps:")
    _numbered(document.add_paragraph("apply"), 3, 0)
    _numbered(document.add_paragraph("in writing"), 3, 1)
    _numbered(document.add_paragraph("wait"), 3, 0)
    table = document.add_table(rows=3, cols=2)
    for row, values in zip(
        table.rows, [("Group", "Weight"), ("Workers", "1"), ("A | B", "2")], strict=True
    ):
        for cell, value in zip(row.cells, values, strict=True):
            cell.text = value
    document.add_paragraph("Read *this* [carefully]_.")
    return _saved(document)


def docx_with(*paragraphs: str) -> bytes:
    document = docx.Document()
    for text in paragraphs:
        document.add_paragraph(text)
    return _saved(document)


def _saved(document) -> bytes:  # type: ignore[no-untyped-def]
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


# -- OpenDocument -----------------------------------------------------------------------------


def _number_level(level: int, **attributes: str):  # type: ignore[no-untyped-def]
    return odf_text.ListLevelStyleNumber(level=level, **attributes)


def numbered_odt() -> bytes:
    """Headings numbered "Article 1" by the outline style, paragraphs "1.1" by a list style,
    a bulleted list nested in a numbered one, a table."""
    document = OpenDocumentText()
    outline = odf_text.OutlineStyle(name="Outline")
    outline.addElement(
        odf_text.OutlineLevelStyle(level=1, numformat="1", numprefix="Article ", numsuffix=".")
    )
    document.styles.addElement(outline)
    sections = odf_text.ListStyle(name="Sections")
    sections.addElement(_number_level(1, numformat="1", numsuffix="."))
    sections.addElement(_number_level(2, numformat="1", displaylevels="2"))
    sections.addElement(_number_level(3, numformat="a", displaylevels="3"))
    document.automaticstyles.addElement(sections)
    plain = odf_text.ListStyle(name="Plain")
    plain.addElement(_number_level(1, numformat="1", numsuffix="."))
    plain.addElement(odf_text.ListLevelStyleBullet(level=2, bulletchar="•"))
    document.automaticstyles.addElement(plain)
    bold = odf_style.Style(name="Bold", family="text")
    bold.addElement(odf_style.TextProperties(fontweight="bold"))
    document.automaticstyles.addElement(bold)

    body = document.text
    body.addElement(odf_text.H(outlinelevel=1, text="Scope"))
    # a numbering of sections: items of level 2 are "1.1", "1.2"; of level 3 "1.2.a"
    sections_list = odf_text.List(stylename="Sections")
    item = odf_text.ListItem()
    inner = odf_text.List()
    first = odf_text.ListItem()
    paragraph = odf_text.P(text="Each member covers ")
    paragraph.addElement(odf_text.Span(stylename="Bold", text="every"))
    paragraph.addText(" worker.")
    first.addElement(paragraph)
    inner.addElement(first)
    second = odf_text.ListItem()
    second.addElement(odf_text.P(text="Periods are added together:"))
    deeper = odf_text.List()
    deeper_item = odf_text.ListItem()
    deeper_item.addElement(odf_text.P(text="at home;"))
    deeper.addElement(deeper_item)
    second.addElement(deeper)
    inner.addElement(second)
    item.addElement(inner)
    sections_list.addElement(item)
    body.addElement(sections_list)

    body.addElement(odf_text.H(outlinelevel=1, text="Payment"))
    body.addElement(odf_text.P(text="2.5 Typed in by hand."))
    steps = odf_text.List(stylename="Plain")
    for words, nested in (("apply", ["in writing", "signed"]), ("wait", [])):
        step = odf_text.ListItem()
        step.addElement(odf_text.P(text=words))
        if nested:
            bullets = odf_text.List()
            for word in nested:
                bullet = odf_text.ListItem()
                bullet.addElement(odf_text.P(text=word))
                bullets.addElement(bullet)
            step.addElement(bullets)
        steps.addElement(step)
    body.addElement(steps)

    grid = odf_table.Table(name="Weights")
    grid.addElement(odf_table.TableColumn(numbercolumnsrepeated=2))
    for values in (("Group", "Weight"), ("Workers", "1")):
        row = odf_table.TableRow()
        for value in values:
            cell = odf_table.TableCell()
            cell.addElement(odf_text.P(text=value))
            row.addElement(cell)
        grid.addElement(row)
    body.addElement(grid)
    buffer = io.BytesIO()
    document.write(buffer)
    return buffer.getvalue()


def empty_odt() -> bytes:
    document = OpenDocumentText()
    document.text.addElement(odf_text.P(text="   "))
    buffer = io.BytesIO()
    document.write(buffer)
    return buffer.getvalue()
