"""Query-time reasoning with the local LLM, before retrieval.

`think` (O1 Embedder style): the LLM writes what an answering passage would contain, and
the query is embedded together with that thought. `rewrite`: keyword and semantic
sub-queries plus a hypothetical answering passage (HyDE). Both run within a time budget
and fall back to the plain query past it; what the LLM wrote is cached per query.
"""

from __future__ import annotations

import re
import time
from collections.abc import Sequence

from semfind.engine.ask.prompts import prompt, version
from semfind.engine.ask.thought_cache import ThoughtCache
from semfind.engine.errors import SemfindError
from semfind.engine.llm.base import ChatBackend
from semfind.engine.search.query import Expansion

KINDS = ("think", "rewrite")
MAX_TOKENS = {"think": 96, "rewrite": 128}
_LINE = re.compile(r"^\s*[-*]?\s*(keywords?|question|passage)\s*:\s*(.+)$", re.I | re.M)


class Reasoner:
    """Asks the LLM to think about or rewrite queries, within `budget_s` seconds."""

    def __init__(
        self, llm: ChatBackend, budget_s: float, cache: ThoughtCache | None = None
    ) -> None:
        self.llm, self.budget_s, self.cache = llm, budget_s, cache

    def expand(self, kind: str, query: str) -> Expansion:
        if kind not in KINDS:
            raise ValueError(f"unknown reasoning kind {kind!r}")
        query = " ".join(query.split())
        hit = self.cache.get(kind, self.llm.key, version(), query) if self.cache else None
        if hit is not None:
            return build(kind, query, hit[0], hit[1], cached=True)
        try:
            text, seconds, over = self._generate(kind, query)
        except SemfindError as exc:
            return Expansion(kind, query, "", fallback=f"the LLM failed ({exc})")
        if over:
            return Expansion(
                kind, query, text, seconds=seconds, fallback=f"over the {self.budget_s:g} s budget"
            )
        if not text.strip():
            return Expansion(kind, query, "", seconds=seconds, fallback="the LLM wrote nothing")
        if self.cache is not None:
            self.cache.put(kind, self.llm.key, version(), query, text, seconds)
        return build(kind, query, text, seconds, cached=False)

    def _generate(self, kind: str, query: str) -> tuple[str, float, bool]:
        """The LLM's text, the seconds it took, and whether it ran past the budget."""
        messages = [
            {"role": "system", "content": prompt(kind, "system")},
            {"role": "user", "content": prompt(kind, "user").format(query=query)},
        ]
        start = time.perf_counter()
        pieces: list[str] = []
        stream = self.llm.stream(messages, MAX_TOKENS[kind])
        try:
            for piece in stream:
                pieces.append(piece)
                if time.perf_counter() - start > self.budget_s:
                    return "".join(pieces), time.perf_counter() - start, True
        finally:
            close = getattr(stream, "close", None)
            if close is not None:
                close()
        seconds = time.perf_counter() - start
        return "".join(pieces).strip(), seconds, seconds > self.budget_s


def build(kind: str, query: str, text: str, seconds: float, *, cached: bool) -> Expansion:
    """The searches an LLM's text turns into."""
    if kind == "think":
        return Expansion(kind, query, text, (), (f"{query}\n{text}",), seconds, cached)
    keywords, semantic = parse_rewrite(text)
    return Expansion(kind, query, text, keywords, semantic, seconds, cached)


def parse_rewrite(text: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Keyword queries and semantic texts from a rewrite; an unstructured reply is taken
    whole as the hypothetical passage."""
    keywords: list[str] = []
    semantic: list[str] = []
    for label, value in _LINE.findall(text):
        value = value.strip()
        if value:
            (keywords if label.lower().startswith("keyword") else semantic).append(value)
    if not keywords and not semantic and text.strip():
        semantic.append(text.strip())
    return _unique(keywords), _unique(semantic)


def _unique(items: Sequence[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(items))
