"""Text of a PDF, page by page, with every pypdf failure turned into ExtractionError."""

from __future__ import annotations

import io
import logging

from pypdf import PasswordType, PdfReader
from pypdf.errors import DependencyError

from semfind.engine.errors import ExtractionError
from semfind.indexer.extract.decode import normalise_newlines
from semfind.indexer.extract.document import Document, Page
from semfind.indexer.extract.titles import clean_title

_MAX_REASON_CHARS = 200
_HEADER_WINDOW = 1024  # readers accept junk before %PDF- within the first KiB


def extract_pdf(data: bytes, file_name: str) -> Document:
    """One Page per PDF page, numbered from 1; title from the /Title metadata."""
    _quiet_pypdf()
    reader = _open(data)
    texts = _page_texts(reader)
    pages = tuple(Page(text, number) for number, text in enumerate(texts, start=1))
    title = _metadata_title(reader)
    return Document("pdf", title or file_name, pages, has_real_title=bool(title))


def _quiet_pypdf() -> None:
    """pypdf logs what it repairs in a broken file ("EOF marker not found") as warnings, which
    Python prints on stderr, over the progress bar or the TUI: the file's own outcome is
    what is reported."""
    logger = logging.getLogger("pypdf")
    if logger.propagate:
        logger.addHandler(logging.NullHandler())
        logger.propagate = False


def _open(data: bytes) -> PdfReader:
    if not data.strip():
        raise ExtractionError("corrupt PDF: empty file")
    if b"%PDF-" not in data[:_HEADER_WINDOW]:
        raise ExtractionError("corrupt PDF: not a PDF file (no %PDF header)")
    # pypdf raises far more than its own PyPdfError on malformed input (KeyError,
    # ValueError, struct.error, ...), so everything it raises is caught here.
    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
        if reader.is_encrypted and reader.decrypt("") == PasswordType.NOT_DECRYPTED:
            raise ExtractionError("encrypted PDF (a password is needed to open it)")
        len(reader.pages)  # parses the page tree now, inside this guard
    except ExtractionError:
        raise
    except DependencyError as exc:
        raise ExtractionError(f"encrypted PDF: {_reason(exc)}") from exc
    except Exception as exc:
        raise ExtractionError(f"corrupt PDF: {_reason(exc)}") from exc
    return reader


def _page_texts(reader: PdfReader) -> list[str]:
    """Every page's text; a page that fails is left empty, unless no page yields any text."""
    texts: list[str] = []
    first_failure: Exception | None = None
    for index in range(len(reader.pages)):
        try:
            texts.append(_clean(reader.pages[index].extract_text()))
        except Exception as exc:
            first_failure = first_failure or exc
            texts.append("")
    if first_failure is not None and not any(texts):
        prefix = "unsupported PDF" if isinstance(first_failure, DependencyError) else "corrupt PDF"
        raise ExtractionError(f"{prefix}: {_reason(first_failure)}") from first_failure
    return texts


def _metadata_title(reader: PdfReader) -> str:
    try:
        metadata = reader.metadata
        title = metadata.title if metadata is not None else None
    except Exception:
        return ""  # broken metadata only costs the title
    return clean_title(title) if isinstance(title, str) else ""


def _clean(text: str) -> str:
    return normalise_newlines(text.replace("\x00", ""))


def _reason(exc: BaseException) -> str:
    if isinstance(exc, RecursionError):
        return "structure nested too deeply"
    if isinstance(exc, MemoryError):
        return "too large to process"
    lines = str(exc).strip().splitlines()
    reason = lines[0] if lines else type(exc).__name__
    return reason[:_MAX_REASON_CHARS]
