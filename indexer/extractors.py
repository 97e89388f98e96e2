"""Which files semfind reads, and turning each into a Document."""

from __future__ import annotations

from pathlib import Path

from semfind.engine.errors import ExtractionError, UnsupportedFileError

from .decode import decode_text, looks_binary
from .document import Document, Page
from .html_text import extract_html
from .pdf_text import extract_pdf
from .titles import markdown_title, rst_title

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
}


def detect_kind(path: Path) -> str | None:
    """The extractor kind for a file name (text, markdown, rst, code, html, pdf), or None."""
    name = Path(path.name.lower())
    if name.name in _CODE_NAMES or name.stem in _CODE_STEMS:
        return "code"
    if name.name in _TEXT_NAMES:
        return "text"
    return _KIND_BY_SUFFIX.get(name.suffix)


def extract(path: Path, data: bytes | None = None) -> Document:
    """Extract the text of `path` (or of `data`, its already-read bytes).

    Raises UnsupportedFileError for unknown kinds and binary content, and
    ExtractionError, with a short reason as its message, for anything else.
    """
    kind = detect_kind(path)
    if kind is None:
        raise UnsupportedFileError("unsupported file type")
    raw = _read(path) if data is None else data
    if kind == "pdf":
        return extract_pdf(raw, path.name)
    if looks_binary(raw):
        raise UnsupportedFileError("binary content")
    if kind == "html":
        return extract_html(raw, path.name)
    return _plain(kind, decode_text(raw), path.name)


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except PermissionError as exc:
        raise ExtractionError("permission denied") from exc
    except FileNotFoundError as exc:
        raise ExtractionError("file not found") from exc
    except IsADirectoryError as exc:
        raise ExtractionError("is a directory") from exc
    except MemoryError as exc:
        raise ExtractionError("too large to read") from exc
    except OSError as exc:
        raise ExtractionError(f"cannot read: {exc.strerror or exc}") from exc


def _plain(kind: str, text: str, file_name: str) -> Document:
    """Text, Markdown, reST and code: the decoded text verbatim as one page."""
    if kind == "markdown":
        title = markdown_title(text)
    elif kind == "rst":
        title = rst_title(text)
    else:
        title = ""
    return Document(kind, title or file_name, (Page(text),), has_real_title=bool(title))
