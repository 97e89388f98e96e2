"""What a search asks for: its words and its filters. Light, so UIs import it freely."""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from .errors import UsageError

_WORD = re.compile(r"\w+", re.UNICODE)
# Lucene's English stop set: such words match almost every unit and add next to nothing to
# BM25, yet make the OR query score every row.
_STOP_LIST = (
    "a an and are as at be but by for if in into is it no not of on or such that the their "
    "then there these they this to was will with"
)
STOPWORDS = frozenset(_STOP_LIST.split())
MAX_K = 1000
"""Most files one search returns: each asks for twice as many candidates per leg."""
FILE_KINDS = ("text", "markdown", "rst", "code", "html", "pdf", "plugin")
"""The kinds of file the indexer tells apart (`--type`, the TUI's type filter)."""
# File modification times are stored in nanoseconds, as SQLite's signed 64-bit integers.
_LATEST = 9.2e9  # just under 2**63 ns, in seconds (the year 2261)


@dataclass(frozen=True)
class Filters:
    """Restrict results to some files."""

    path_glob: str | None = None
    """A glob on the file path; one not starting with "/" may match at any depth
    ("*.md", "notes/*")."""
    types: tuple[str, ...] = ()
    """File kinds (markdown, pdf, code, ...) or extensions (md, py, ...)."""
    units: str = "both"
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
    """The query's words that are searched for: lower-cased, stopwords dropped unless that
    leaves nothing."""
    words = list(dict.fromkeys(word.lower() for word in _WORD.findall(query)))
    return [word for word in words if word not in STOPWORDS] or words


def term_pattern(query: str) -> re.Pattern[str] | None:
    """Words starting with a searched term, as keyword search stems them ("water" finds
    "watering"); for highlighting. None when the query has no words."""
    terms = sorted(query_terms(query), key=len, reverse=True)
    if not terms:
        return None
    return re.compile(r"\b(?:" + "|".join(re.escape(t) for t in terms) + r")\w*", re.IGNORECASE)
