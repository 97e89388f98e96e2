"""What a search asks for: its words and its filters. Light, so UIs import it freely."""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal, get_args

from semfind.engine.config import Units
from semfind.engine.errors import UsageError
from semfind.engine.store.cjk import CJK_CHARS, CJK_RUN

if TYPE_CHECKING:
    from semfind.engine.search.aggregate import Hit

_WORD = re.compile(f"[{CJK_CHARS}]+|(?:(?![{CJK_CHARS}])\\w)+")
"""A run of CJK characters, or a word of other letters and digits."""
_QUOTED = re.compile(r'"([^"]*)"')
# Lucene's English stop set: such words match almost every unit and add next to nothing to
# BM25, yet make the OR query score every row.
_STOP_LIST = (
    "a an and are as at be but by for if in into is it no not of on or such that the their "
    "then there these they this to was will with"
)
STOPWORDS = frozenset(_STOP_LIST.split())
MAX_K = 1000
"""Most files one search returns: each asks for twice as many candidates per leg."""
Mode = Literal["hybrid", "vector", "keyword"]
MODES: tuple[Mode, ...] = get_args(Mode)
"""How a search matches: both legs fused, or one of them."""
FILE_KINDS = (
    *("text", "markdown", "rst", "code", "html", "pdf"),
    *("docx", "odt", "epub", "pptx", "org", "ipynb", "email", "rtf", "plugin"),
)
"""The kinds of file the indexer tells apart (`--type`, the TUI's type filter)."""
# File modification times are stored in nanoseconds, as SQLite's signed 64-bit integers.
_LATEST = 9.2e9  # just under 2**63 ns, in seconds (the year 2261)
_QUERY_STOP_LIST = (
    "about am been being can could did do does had has have he her him his how i its "
    "me my our ours she should so than too very was we were what when where which who "
    "whom whose why would you your"
)
QUERY_STOPWORDS = STOPWORDS | frozenset(_QUERY_STOP_LIST.split())
"""Words kept out of the keyword query: the stop set plus the pronouns and question words
a question is phrased with ("how do I keep my plants alive" searched `i`, `do`, `my`)."""


@dataclass(frozen=True)
class Filters:
    """Restrict results to some files."""

    path_glob: str | None = None
    """A glob on the file path; one not starting with "/" may match at any depth
    ("*.md", "notes/*")."""
    types: tuple[str, ...] = ()
    """File kinds (markdown, pdf, code, ...) or extensions (md, py, ...)."""
    units: Units = "both"
    """Which units to match: "proposition" (and passages without any), "passage" or "both"."""
    modified_since: float | None = None
    """Only files modified at or after this Unix time; one before (after) any time a file
    can have is clamped to that range, so it matches every (no) file."""

    def __post_init__(self) -> None:
        since = self.modified_since
        if since is None:
            return
        if math.isnan(since):
            raise UsageError("a modified-since time must be a number")
        object.__setattr__(self, "modified_since", min(max(since, -_LATEST), _LATEST))


def parse_types(values: Iterable[str], is_extension: Callable[[str], bool]) -> tuple[str, ...]:
    """File kinds and extensions from `--type` values (repeated, or comma lists such as
    "pdf,md"): kinds as they are, extensions without their dot. `is_extension` says whether
    the indexer reads files with that suffix ("md", "py"); anything else is a UsageError."""
    wanted = [part.strip().lower() for value in values for part in value.split(",")]
    found: list[str] = []
    for item in filter(None, wanted):
        name = item if item in FILE_KINDS else item.removeprefix(".")
        if name not in FILE_KINDS and not (name and is_extension(name)):
            raise UsageError(
                f"unknown file type {item!r}: use a kind ({', '.join(FILE_KINDS)}) or an "
                "extension semfind indexes (md, py, txt, pdf, ...)"
            )
        found.append(name)
    if wanted and not found:
        raise UsageError("--type needs a file kind or extension")
    return tuple(dict.fromkeys(found))


def query_terms(query: str) -> list[str]:
    """The query's words that are searched for, lower-cased. Stopwords and one-letter words
    are dropped unless quoted or unless that leaves nothing; a CJK run is one term."""
    quoted = {w.lower() for part in _QUOTED.findall(query) for w in _WORD.findall(part)}
    words = list(dict.fromkeys(word.lower() for word in _WORD.findall(query)))
    return [w for w in words if w in quoted or not _weak(w)] or words


def content_terms(query: str) -> list[str]:
    """The query terms that say what it is about: empty when it holds only stopwords and
    lone letters (which query_terms falls back to)."""
    terms = query_terms(query)
    quoted = {w.lower() for part in _QUOTED.findall(query) for w in _WORD.findall(part)}
    return [t for t in terms if t in quoted or not _weak(t)]


def holds_all(text: str, terms: list[str]) -> bool:
    """Whether `text` holds every term, as term_pattern finds them."""
    return all(_term_regex(term).search(text) for term in terms)


def _term_regex(term: str) -> re.Pattern[str]:
    if CJK_RUN.match(term) is not None:
        return re.compile(re.escape(term))
    return re.compile(r"\b" + re.escape(term) + r"\w*", re.IGNORECASE)


def _weak(word: str) -> bool:
    """A word that matches almost everything: a stopword or a lone Latin letter."""
    if word in QUERY_STOPWORDS:
        return True
    return len(word) == 1 and word.isalpha() and CJK_RUN.match(word) is None


def term_pattern(query: str) -> re.Pattern[str] | None:
    """Words starting with a searched term, as keyword search stems them ("water" finds
    "watering"); for highlighting. None when the query has no words."""
    terms = sorted(query_terms(query), key=len, reverse=True)
    if not terms:
        return None
    words = "|".join(re.escape(t) for t in terms if CJK_RUN.match(t) is None)
    runs = "|".join(re.escape(t) for t in terms if CJK_RUN.match(t) is not None)
    pattern = "|".join(([r"\b(?:" + words + r")\w*"] if words else []) + ([runs] if runs else []))
    return re.compile(pattern, re.IGNORECASE)


_GLOB_CHARS = "*?["


def path_scope(text: str, cwd: Path | None = None) -> str:
    """The glob for `Filters.path_glob` from what a user typed as a path filter.

    A folder (absolute, relative to `cwd`, with "~", with or without a trailing slash)
    means every file under it; an existing file means that file; a glob is kept ("*.md",
    "notes/*" match at any depth). Anything else is a UsageError rather than a silent
    "no results".
    """
    text = text.strip()
    if not text:
        raise UsageError("--path is empty: give a folder or a glob such as '*.md'")
    path = _absolute(text, cwd)
    if path.is_dir():
        return _glob_escape(str(path).rstrip("/")) + "/*"
    if path.is_file():
        return _glob_escape(str(path))
    if any(ch in text for ch in _GLOB_CHARS):
        return _checked_glob(text, cwd)
    raise UsageError(
        f"--path {text}: no such folder or file ({path}); a glob such as "
        f"'*/{text.strip('/')}/*' matches a folder of that name anywhere"
    )


def _checked_glob(text: str, cwd: Path | None) -> str:
    """A glob; one that names its own folder ("/x/*", "~/x/*", "./x/*") needs that folder."""
    if not text.startswith(("/", "~", "./", "../")):
        return text
    head = text[: min(text.find(ch) for ch in _GLOB_CHARS if ch in text)]
    folder = _absolute(head.rsplit("/", 1)[0] or "/", cwd)
    if not folder.is_dir():
        raise UsageError(f"--path {text}: no folder {folder}, so the glob matches nothing")
    tail = text[len(head.rsplit("/", 1)[0]) :]
    return _glob_escape(str(folder).rstrip("/")) + tail


def _absolute(text: str, cwd: Path | None) -> Path:
    path = Path(text).expanduser()
    if not path.is_absolute():
        path = (cwd or Path.cwd()) / path
    return path.resolve()  # the indexer stores resolved paths


def _glob_escape(text: str) -> str:
    """`text` matched literally by SQLite GLOB."""
    return re.sub(r"([*?\[])", r"[\1]", text)


def any_close(hits: Iterable[Hit]) -> bool | None:
    """Whether some result is a close match; None when none was measured (keyword mode)."""
    known = [hit.close for hit in hits if hit.close is not None]
    return any(known) if known else None


NO_CLOSE_MATCH = "no close match: none of these is near the query or holds all its words"
"""What front ends say above results none of which is a close match."""


@dataclass(frozen=True)
class Expansion:
    """What the LLM added to a query, and the extra searches it turns into."""

    kind: str
    query: str
    text: str
    """What the LLM wrote: shown to the user."""
    keyword_queries: tuple[str, ...] = ()
    semantic_texts: tuple[str, ...] = ()
    """Texts embedded and searched beside the plain query."""
    seconds: float = 0.0
    cached: bool = False
    fallback: str | None = None
    """Why the plain query was searched alone (over budget, no output, LLM failed)."""

    @property
    def used(self) -> bool:
        return self.fallback is None

    def describe(self) -> str:
        """One line for the user about what happened."""
        label = "thought" if self.kind == "think" else "rewrite"
        if self.fallback:
            return f"{label}: not used, {self.fallback}; searched the plain query"
        origin = "cached" if self.cached else f"{self.seconds:.1f} s"
        return f"{label} ({origin}): {' '.join(self.text.split())}"
