"""What a search asks for: its words and its filters. Light, so UIs import it freely."""

from __future__ import annotations

import re
from dataclasses import dataclass

_WORD = re.compile(r"\w+", re.UNICODE)
# Lucene's English stop set: such words match almost every unit and add next to nothing to
# BM25, yet make the OR query score every row.
_STOP_LIST = (
    "a an and are as at be but by for if in into is it no not of on or such that the their "
    "then there these they this to was will with"
)
STOPWORDS = frozenset(_STOP_LIST.split())


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
    """Only files modified at or after this Unix time."""


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
