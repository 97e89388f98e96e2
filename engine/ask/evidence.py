"""What `semfind ask` hands the LLM: retrieved passages, numbered, packed and ordered."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    from semfind.engine.ask.passage_parts import PassageParts
    from semfind.engine.search.aggregate import Hit
    from semfind.engine.search.query import Filters
    from semfind.engine.search.searcher import Searcher

T = TypeVar("T")
SOURCE_OVERHEAD = 12
"""Tokens of the "[n] path:line" header and blank lines around each source."""
MIN_TRIMMED = 48
"""A source cut to fewer tokens than this to fit is left out instead."""


PER_FILE = 4
"""Evidence passages from one file at most: one long document may hold the answer in
several places, but the other files get a say."""


@dataclass(frozen=True)
class Evidence:
    """Hybrid search results for a question (passages across files, best first), every
    proposition of those passages, and how close the best of them came."""

    hits: list[Hit]
    best_similarity: float
    """Highest cosine similarity of any unit to the question; -1 without vectors."""
    keyword_units: int
    """Units the keyword legs matched."""
    seconds: float
    parts: Mapping[int, PassageParts] = field(default_factory=dict)
    """passage id -> its propositions with their similarity to the question."""
    term_weights: Mapping[str, float] = field(default_factory=dict)
    """The question's search terms and how rare each is in the index."""

    def relevant(self, min_similarity: float) -> bool:
        """Whether anything is close enough to answer from: by vectors when there are any,
        else by keywords."""
        if not self.hits:
            return False
        if self.best_similarity > -1.0:
            return self.best_similarity >= min_similarity
        return self.keyword_units > 0


Retrieve = Callable[[str, int, "Filters"], Evidence]


def gather_evidence(searcher: Searcher, question: str, k: int, filters: Filters) -> Evidence:
    """The `k` best passages for `question` by hybrid search, at most PER_FILE from one
    file, with every proposition of each."""
    from semfind.engine.ask.passage_parts import read_parts
    from semfind.engine.search.aggregate import rank_passages
    from semfind.engine.search.searcher import depth_for

    start = time.perf_counter()
    legs = searcher.legs(question, "hybrid", depth_for(k), filters)
    bonus = searcher.settings.multi_match_bonus
    hits = rank_passages(searcher.store, searcher.fuse(legs), k, bonus, PER_FILE)
    best = max((score for _, score in legs.vector), default=-1.0)
    keyword = len({unit for leg in legs.keyword for unit, _ in leg})
    parts = read_parts(
        searcher.store, [h.passage.id for h in hits], searcher.model, legs.query_vector
    )
    weights = searcher.term_weights(question)
    return Evidence(hits, best, keyword, time.perf_counter() - start, parts, weights)


@dataclass(frozen=True)
class Source:
    """One numbered passage as the model saw it, with where it comes from."""

    number: int
    hit: Hit
    text: str
    """The passage text given to the model (cut short when the context was full)."""

    @property
    def location(self) -> str:
        """file:page:line of the passage's best match (file:line outside PDFs)."""
        return self.hit.location

    def to_json(self) -> dict[str, Any]:
        passage = self.hit.passage
        return {
            "number": self.number,
            "location": self.location,
            "path": self.hit.path,
            "page": self.hit.page,
            "line_start": passage.line_start,
            "line_end": passage.line_end,
            "char_start": passage.char_start,
            "char_end": passage.char_start + len(self.text),
            "text": self.text,
            "matches": [
                {"text": m.text, "line_start": m.line_start, "spans": [list(s) for s in m.spans]}
                for m in self.hit.matches
            ],
        }


def pack(hits: Sequence[Hit], budget: int, count_tokens: Callable[[str], int]) -> list[Source]:
    """Number the passages best first and keep those that fit in `budget` tokens; the last
    one that does not fit whole is cut at a line or word boundary."""
    sources: list[Source] = []
    left = budget
    for hit in hits:
        text = hit.passage.text.strip()
        cost = count_tokens(text) + SOURCE_OVERHEAD
        if cost > left:
            text = _cut(text, left - SOURCE_OVERHEAD, count_tokens)
            if not text:
                break
            cost = count_tokens(text) + SOURCE_OVERHEAD
        sources.append(Source(len(sources) + 1, hit, text))
        left -= cost
    return sources


def _cut(text: str, tokens: int, count_tokens: Callable[[str], int]) -> str:
    if tokens < MIN_TRIMMED:
        return ""
    ratio = tokens / max(1, count_tokens(text))
    cut = text[: int(len(text) * ratio * 0.95)]
    boundary = max(cut.rfind("\n"), cut.rfind(" "))
    cut = cut[:boundary] if boundary > len(cut) // 2 else cut
    return cut.rstrip() + " …" if cut else ""


def edges_first(items: Sequence[T]) -> list[T]:
    """Best evidence at the start and the end of the context, weakest in the middle: models
    use the middle of a long context least (Liu et al., "Lost in the Middle")."""
    return [*items[0::2], *reversed(items[1::2])]
