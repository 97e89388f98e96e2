"""Vectors composed from separately embedded pieces of text.

A mean-pooling model's vector of a text is the mean of its token outputs. Embedding the
pieces of a text one by one (a proposition's context and its statement; a passage's
headings and its propositions) and taking the token-weighted mean of their pooled vectors
approximates the vector of the whole, without embedding any text twice. What is lost is
the attention across piece boundaries (docs/benchmarks.md measures what that costs).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from semfind.engine.embed.base import Embedder, normalise


@dataclass(frozen=True)
class Piece:
    """One separately embedded text: its pooled (not normalised) vector and its tokens."""

    vector: np.ndarray
    tokens: int


def compose(pieces: Sequence[Piece]) -> np.ndarray:
    """The normalised token-weighted mean of `pieces` (at least one)."""
    total = np.zeros_like(pieces[0].vector, dtype=np.float32)
    for piece in pieces:
        total += piece.tokens * piece.vector
    result: np.ndarray = normalise(total[np.newaxis])[0]
    return result


class PieceCache:
    """Pooled vectors of pieces embedded so far in one stretch of work (a page of files):
    a title or heading shared by many propositions is embedded once."""

    def __init__(self, embedder: Embedder, limit: int = 50_000) -> None:
        self.embedder = embedder
        self.limit = limit
        """Pieces held at most (about 1.5 KB each at 384 dimensions): past it the cache
        starts again, so one enormous file cannot hold them all in memory."""
        self._pieces: dict[str, Piece] = {}

    def __contains__(self, text: str) -> bool:
        return text in self._pieces

    def __getitem__(self, text: str) -> Piece:
        return self._pieces[text]

    def add(self, texts: Sequence[str]) -> dict[str, int]:
        """Embed the texts not held yet; returns those it embedded with their tokens."""
        fresh = list(dict.fromkeys(t for t in texts if t not in self._pieces))
        if not fresh:
            return {}
        if len(self._pieces) + len(fresh) > self.limit:
            self._pieces = {t: self._pieces[t] for t in texts if t in self._pieces}
        vectors, counts = self.embedder.embed_pooled(fresh)
        for text, vector, count in zip(fresh, vectors, counts, strict=True):
            self._pieces[text] = Piece(vector, count)
        return dict(zip(fresh, counts, strict=True))
