"""EPUB (ebooklib): the chapters in spine order, each read by the HTML extractor, one page
per chapter, labelled "ch. N" with the chapter's title and the line within it."""

from __future__ import annotations

import dataclasses
import io
import re
import warnings
import zipfile

from semfind.engine.errors import ExtractionError
from semfind.indexer.extract.containers import checked_zip, library_errors
from semfind.indexer.extract.document import Document, Page
from semfind.indexer.extract.html_text import extract_html
from semfind.indexer.extract.layout import quoted
from semfind.indexer.extract.titles import clean_title

_WHAT = "EPUB"
_CIPHER_URI = re.compile(rb"<(?:\w+:)?CipherReference[^>]*URI\s*=\s*[\"']([^\"']+)")
_FONT = re.compile(rb"\.(ttf|otf|woff2?)$", re.IGNORECASE)


def extract_epub(data: bytes, file_name: str) -> Document:
    import ebooklib
    from ebooklib import epub

    if _drm(checked_zip(data, _WHAT)):
        raise ExtractionError("encrypted EPUB (DRM-protected chapters cannot be read)")
    pages: list[Page] = []
    with library_errors(_WHAT), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # ebooklib warns about its own future defaults
        book = epub.read_epub(io.BytesIO(data), {"ignore_ncx": True})
        for idref, _linear in book.spine:
            item = book.get_item_with_id(idref)
            if item is None or item.get_type() != ebooklib.ITEM_DOCUMENT:
                continue
            page = _chapter(item.get_content(), item.get_name(), len(pages) + 1)
            if page is not None:
                pages.append(page)
        found = book.get_metadata("DC", "title")
        title = clean_title(str(found[0][0])) if found and found[0][0] else ""
    return Document("epub", title or file_name, tuple(pages), has_real_title=bool(title))


def _chapter(content: bytes, name: str, number: int) -> Page | None:
    chapter = extract_html(content, name)
    page = chapter.pages[0]
    if not page.text.strip():
        return None
    named = f" {quoted(chapter.title)}" if chapter.has_real_title else ""
    label = f" ch. {number}{named}:{{line}}"
    return dataclasses.replace(page, number=number, sections=((0, label),))


def _drm(archive: zipfile.ZipFile) -> bool:
    """Whether META-INF/encryption.xml encrypts more than fonts (fonts are only obfuscated,
    which many plain EPUBs do)."""
    try:
        manifest = archive.read("META-INF/encryption.xml")
    except KeyError:
        return False
    return any(not _FONT.search(uri) for uri in _CIPHER_URI.findall(manifest))
