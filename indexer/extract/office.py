"""Word (.docx, python-docx), OpenDocument text (.odt, odfpy) and PowerPoint (.pptx,
python-pptx): headings, paragraphs and table rows in reading order, each labelled with its
heading path and paragraph number, or its slide."""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Iterator

from semfind.engine.errors import ExtractionError
from semfind.indexer.extract.containers import checked_zip, library_errors
from semfind.indexer.extract.document import Document, Page
from semfind.indexer.extract.layout import Layout, heading_path, nest, quoted
from semfind.indexer.extract.titles import clean_title

_HEADING_STYLE = re.compile(r"^heading (\d)$", re.IGNORECASE)
_WORD, _ODF, _SLIDES = "Word file", "OpenDocument file", "PowerPoint file"


class _Paragraphs:
    """Numbers paragraphs and keeps the heading path above them."""

    def __init__(self, layout: Layout) -> None:
        self.layout = layout
        self.headings: list[str] = []
        self.number = 0

    def heading(self, level: int, text: str) -> None:
        if text.strip():
            self.headings = nest(self.headings, level, text)
            self.number += 1
            self.layout.heading(level, text, self._label())

    def paragraph(self, text: str) -> None:
        if text.strip():
            self.number += 1
            self.layout.block(text, self._label())

    def table_row(self, table: int, row: int, cells: list[str]) -> None:
        text = " | ".join(dict.fromkeys(c.strip() for c in cells if c.strip()))
        if text:
            self.layout.block(text, self._label(f"table {table} row {row}"))

    def _label(self, where: str | None = None) -> str:
        path = heading_path(self.headings)
        place = where or f"¶{self.number}"
        return f" § {path} {place}" if path else f" {place}"


def extract_docx(data: bytes, file_name: str) -> Document:
    """Body paragraphs and tables in order; headings from the Heading n and Title styles."""
    import docx
    from docx.table import Table

    checked_zip(data, _WORD)
    layout = Layout()
    out = _Paragraphs(layout)
    with library_errors(_WORD):
        word = docx.Document(io.BytesIO(data))
        tables = 0
        # Paragraph.style looks its style up anew in the styles part each time (O(n^2)).
        names = {style.style_id: style.name or "" for style in word.styles}
        for block in word.iter_inner_content():
            if isinstance(block, Table):
                tables += 1
                for r, row in enumerate(block.rows, start=1):
                    out.table_row(tables, r, [cell.text for cell in row.cells])
                continue
            level = _docx_level(names.get(block._p.style or "", ""))
            if level:
                out.heading(level, block.text)
            else:
                out.paragraph(block.text)
        title = clean_title(word.core_properties.title or "")
    return Document("docx", title or file_name, (layout.page(),), has_real_title=bool(title))


def _docx_level(style: str | None) -> int:
    if not style:
        return 0
    if style.lower() == "title":
        return 1
    found = _HEADING_STYLE.match(style)
    return int(found.group(1)) if found else 0


def extract_odt(data: bytes, file_name: str) -> Document:
    """text:h and text:p in order (lists and tables included), headings at their outline
    level; title from the meta.xml dc:title."""
    from odf import teletype
    from odf.opendocument import load

    if _odf_encrypted(checked_zip(data, _ODF)):
        raise ExtractionError(f"encrypted {_ODF} (a password is needed to open it)")
    layout = Layout()
    out = _Paragraphs(layout)
    with library_errors(_ODF):
        odt = load(io.BytesIO(data))
        tables = [0]
        _walk_odf(odt.text, out, teletype.extractText, tables)
        title = clean_title(_odf_title(odt))
    return Document("odt", title or file_name, (layout.page(),), has_real_title=bool(title))


def _odf_encrypted(archive: zipfile.ZipFile) -> bool:
    try:
        return b"encryption-data" in archive.read("META-INF/manifest.xml")
    except KeyError:
        return False


def _walk_odf(node: object, out: _Paragraphs, text_of: object, tables: list[int]) -> None:
    for child in getattr(node, "childNodes", ()):
        name = _local_name(child)
        if name == "h":
            level = int(str(child.getAttribute("outlinelevel") or 1))
            out.heading(level, text_of(child))  # type: ignore[operator]
        elif name == "p":
            out.paragraph(text_of(child))  # type: ignore[operator]
        elif name == "table":
            tables[0] += 1
            for r, row in enumerate(_descendants(child, "table-row"), start=1):
                cells = [text_of(c) for c in _descendants(row, "table-cell")]  # type: ignore[operator]
                out.table_row(tables[0], r, cells)
        else:
            _walk_odf(child, out, text_of, tables)


def _local_name(node: object) -> str:
    qname = getattr(node, "qname", None)
    return str(qname[1]) if isinstance(qname, tuple) else ""


def _descendants(node: object, name: str) -> Iterator[object]:
    for child in getattr(node, "childNodes", ()):
        if _local_name(child) == name:
            yield child
        elif _local_name(child) in ("table-header-rows", "table-rows", "table-row-group"):
            yield from _descendants(child, name)


def _odf_title(odt: object) -> str:
    meta = getattr(odt, "meta", None)
    for child in getattr(meta, "childNodes", ()):
        if _local_name(child) == "title":
            return "".join(str(t) for t in getattr(child, "childNodes", ()))
    return ""


def extract_pptx(data: bytes, file_name: str) -> Document:
    """One page per slide: its title as a heading, the text of its shapes and tables, then
    its speaker notes; labelled "slide N"."""
    import pptx

    checked_zip(data, _SLIDES)
    pages: list[Page] = []
    with library_errors(_SLIDES):
        deck = pptx.Presentation(io.BytesIO(data))
        for number, slide in enumerate(deck.slides, start=1):
            pages.append(_slide_page(slide, number))
        title = clean_title(deck.core_properties.title or "")
    return Document("pptx", title or file_name, tuple(pages), has_real_title=bool(title))


def _slide_page(slide: object, number: int) -> Page:
    layout = Layout()
    shapes = slide.shapes  # type: ignore[attr-defined]
    title_shape = shapes.title
    title = title_shape.text_frame.text if title_shape is not None else ""
    label = f" slide {number}" + (f" {quoted(title)}" if title.strip() else "")
    layout.heading(2, title, label)
    for shape in shapes:
        if title_shape is not None and shape.shape_id == title_shape.shape_id:
            continue
        for text in _shape_texts(shape):
            layout.block(text, label)
    if slide.has_notes_slide:  # type: ignore[attr-defined]
        notes = slide.notes_slide.notes_text_frame  # type: ignore[attr-defined]
        if notes is not None and notes.text.strip():
            layout.block("Notes: " + notes.text, f" slide {number} notes")
    return layout.page(number)


def _shape_texts(shape: object) -> Iterator[str]:
    if getattr(shape, "has_text_frame", False):
        for paragraph in shape.text_frame.paragraphs:  # type: ignore[attr-defined]
            yield paragraph.text
    if getattr(shape, "has_table", False):
        for row in shape.table.rows:  # type: ignore[attr-defined]
            yield " | ".join(dict.fromkeys(c.text.strip() for c in row.cells if c.text.strip()))
    for child in getattr(shape, "shapes", ()):  # group shapes
        yield from _shape_texts(child)
