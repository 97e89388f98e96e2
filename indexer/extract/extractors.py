"""Which files semfind reads, and turning each into a Document."""

from __future__ import annotations

import dataclasses
import importlib
import re
from collections.abc import Callable
from pathlib import Path

from semfind.engine.errors import (
    ConfigError,
    ExtractionError,
    FileGoneError,
    UnsupportedFileError,
)
from semfind.indexer.extract.decode import decode_text, looks_binary
from semfind.indexer.extract.document import Document, Page
from semfind.indexer.extract.epub import extract_epub
from semfind.indexer.extract.html_text import extract_html
from semfind.indexer.extract.mail import extract_email
from semfind.indexer.extract.notebook import extract_ipynb
from semfind.indexer.extract.office import extract_docx, extract_odt, extract_pptx
from semfind.indexer.extract.org_text import extract_org
from semfind.indexer.extract.pdf_text import extract_pdf
from semfind.indexer.extract.rtf_text import extract_rtf
from semfind.indexer.extract.titles import markdown_title, rst_title

_PROGRAMMING = (
    ".py .pyi .js .mjs .cjs .jsx .ts .mts .cts .tsx .go .rs .c .h .cc .cpp .cxx .hh .hpp .hxx"
    " .java .kt .kts .rb .php .cs .fs .swift .scala .clj .ex .exs .erl .hs .ml .dart .jl .zig"
    " .nim .r .lua .pl .pm .vue .svelte .sql .proto .graphql"
)
_SCRIPTS = ".sh .bash .zsh .fish .ps1 .cmake .gradle .mk"
# Hand-written configuration. JSON is left out: it is mostly generated data.
_CONFIG = ".toml .yaml .yml .ini .cfg .conf .tf"
_CODE_SUFFIXES = frozenset(f"{_PROGRAMMING} {_SCRIPTS} {_CONFIG}".split())
_CODE_NAMES = frozenset(
    [
        "makefile",
        "gnumakefile",
        "dockerfile",
        "containerfile",
        "justfile",
        "rakefile",
        "gemfile",
        "vagrantfile",
        "jenkinsfile",
        "procfile",
        "cmakelists.txt",
    ]
)
_CODE_STEMS = frozenset({"dockerfile", "containerfile"})  # Dockerfile.dev and the like
_TEXT_NAMES = frozenset({"readme", "changelog", "todo"})
_KIND_BY_SUFFIX = {
    **dict.fromkeys((".txt", ".text"), "text"),
    **dict.fromkeys((".md", ".markdown", ".mdown", ".mkd", ".mdx"), "markdown"),
    ".rst": "rst",
    **dict.fromkeys(_CODE_SUFFIXES, "code"),
    **dict.fromkeys((".html", ".htm", ".xhtml"), "html"),
    ".pdf": "pdf",
    **{f".{kind}": kind for kind in ("docx", "odt", "epub", "pptx", "org", "ipynb", "rtf")},
    **dict.fromkeys((".eml", ".mbox"), "email"),
}
_DOCUMENTS: dict[str, Callable[[bytes, str], Document]] = {
    "pdf": extract_pdf,
    "docx": extract_docx,
    "odt": extract_odt,
    "epub": extract_epub,
    "pptx": extract_pptx,
}
"""Binary formats, read by their own extractor before the binary-content check."""
_TEXT_DOCUMENTS: dict[str, Callable[[bytes, str], Document]] = {
    "html": extract_html,
    "org": extract_org,
    "ipynb": extract_ipynb,
    "email": extract_email,
    "rtf": extract_rtf,
}


_PLUGINS: dict[str, str] = {}
"""Extra extractors from the `extractors` setting: suffix -> "module:function"."""


def use_plugins(specs: tuple[str, ...]) -> None:
    """Register extractors given as ".suffix=module:function"; the function takes the file's
    bytes and name and returns its text."""
    plugins: dict[str, str] = {}
    for spec in specs:
        suffix, _, target = spec.partition("=")
        if not suffix.startswith(".") or ":" not in target:
            raise ConfigError(f"extractor {spec!r}: expected '.suffix=module:function'")
        plugins[suffix.lower()] = target
    _PLUGINS.clear()
    _PLUGINS.update(plugins)


def plugins() -> tuple[str, ...]:
    return tuple(f"{suffix}={target}" for suffix, target in _PLUGINS.items())


def detect_kind(path: Path) -> str | None:
    """The extractor kind for a file name (text, markdown, rst, code, html, pdf, a document
    kind such as docx or email, plugin), or None."""
    name = Path(path.name.lower())
    if name.suffix in _PLUGINS:
        return "plugin"
    if name.name in _CODE_NAMES or name.stem in _CODE_STEMS:
        return "code"
    if name.name in _TEXT_NAMES:
        return "text"
    return _KIND_BY_SUFFIX.get(name.suffix)


def extract(path: Path, data: bytes | None = None, max_chars: int | None = None) -> Document:
    """Extract the text of `path` (or of `data`, its already-read bytes), at most
    `max_chars` characters of it.

    Raises UnsupportedFileError for unknown kinds and binary content, and
    ExtractionError, with a short reason as its message, for anything else.
    """
    kind = detect_kind(path)
    if kind is None:
        raise UnsupportedFileError("unsupported file type")
    raw = read_file(path) if data is None else data
    doc = _extract(kind, raw, path.name)
    del raw  # a large file's bytes need not live on beside its text
    return _storable(doc if max_chars is None else cap_text(doc, max_chars))


def cap_text(doc: Document, max_chars: int) -> Document:
    """`doc` with at most `max_chars` characters of text, cut at a space or newline when one
    is near; later pages are dropped."""
    kept: list[Page] = []
    room = max_chars
    for page in doc.pages:
        if len(page.text) <= room:
            kept.append(page)
            room -= len(page.text)
            continue
        start = max(0, room - _CUT_SEARCH)
        window = page.text[start:room]
        space = max(window.rfind(" "), window.rfind("\n"))
        cut = start + space if space > 0 else room
        if cut > 0:
            kept.append(dataclasses.replace(page, text=page.text[:cut]))
        break
    else:
        return doc
    total = sum(len(p.text) for p in doc.pages)
    left_out = total - sum(len(p.text) for p in kept)
    return dataclasses.replace(doc, pages=tuple(kept), left_out=left_out)


_CUT_SEARCH = 200


def _extract(kind: str, raw: bytes, file_name: str) -> Document:
    if kind == "plugin":
        return _plugin(raw, file_name)
    if kind in _DOCUMENTS:
        return _DOCUMENTS[kind](raw, file_name)
    if looks_binary(raw):
        raise UnsupportedFileError("binary content")
    if kind in _TEXT_DOCUMENTS:
        return _TEXT_DOCUMENTS[kind](raw, file_name)
    return _plain(kind, decode_text(raw), file_name)


_SURROGATE = re.compile("[\ud800-\udfff]")


def _storable(doc: Document) -> Document:
    """Lone surrogates (broken PDF ToUnicode maps) cannot be stored as UTF-8; U+FFFD keeps
    every offset where it was."""
    if not any(_SURROGATE.search(p.text) for p in doc.pages) and not _SURROGATE.search(doc.title):
        return doc
    pages = tuple(dataclasses.replace(p, text=_SURROGATE.sub("\ufffd", p.text)) for p in doc.pages)
    return dataclasses.replace(doc, title=_SURROGATE.sub("\ufffd", doc.title), pages=pages)


def read_file(path: Path) -> bytes:
    """The file's bytes, or ExtractionError with a short reason."""
    try:
        return path.read_bytes()
    except PermissionError as exc:
        raise ExtractionError("permission denied") from exc
    except FileNotFoundError as exc:
        raise FileGoneError("file not found") from exc
    except IsADirectoryError as exc:
        raise ExtractionError("is a directory") from exc
    except MemoryError as exc:
        raise ExtractionError("too large to read") from exc
    except OSError as exc:
        raise ExtractionError(f"cannot read: {exc.strerror or exc}") from exc


def _plugin(raw: bytes, file_name: str) -> Document:
    target = _PLUGINS[Path(file_name.lower()).suffix]
    module_name, _, function = target.partition(":")
    try:
        func = getattr(importlib.import_module(module_name), function)
    except (ImportError, AttributeError) as exc:
        raise ExtractionError(f"extractor {target} cannot be loaded: {exc}") from exc
    text = func(raw, file_name)
    if not isinstance(text, str):
        raise ExtractionError(f"extractor {target} returned {type(text).__name__}, not text")
    return Document("text", file_name, (Page(text),), has_real_title=False)


def _plain(kind: str, text: str, file_name: str) -> Document:
    """Text, Markdown, reST and code: the decoded text verbatim as one page."""
    if kind == "markdown":
        title = markdown_title(text)
    elif kind == "rst":
        title = rst_title(text)
    else:
        title = ""
    return Document(kind, title or file_name, (Page(text),), has_real_title=bool(title))
