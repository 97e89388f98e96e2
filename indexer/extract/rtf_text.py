"""RTF (striprtf): the text with control words removed; located by line."""

from __future__ import annotations

import re
from collections.abc import Callable

from semfind.indexer.extract.containers import library_errors
from semfind.indexer.extract.decode import normalise_newlines
from semfind.indexer.extract.document import Document, Page
from semfind.indexer.extract.titles import clean_title

_TITLE = re.compile(r"\{\\info[^{}]*\{\\title\s+([^{}]*)\}")


def extract_rtf(data: bytes, file_name: str) -> Document:
    from striprtf import striprtf

    rtf_to_text: Callable[..., str] = striprtf.rtf_to_text  # the library is untyped
    raw = data.decode("latin-1")  # RTF is 7-bit; \'hh escapes are decoded by striprtf
    with library_errors("RTF file"):
        text = normalise_newlines(rtf_to_text(raw, errors="replace"))
    found = _TITLE.search(raw[:65536])
    title = clean_title(rtf_to_text(found.group(1))) if found else ""
    return Document("rtf", title or file_name, (Page(text),), has_real_title=bool(title))
