"""Keyword (FTS5 BM25), vector (sqlite-vec KNN) and hybrid search, grouped per file."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import numpy as np

from .aggregate import Hit, RowCache, rank_files
from .config import CHOICES, Settings
from .embedder import Embedder
from .errors import UsageError
from .fusion import Scored, convex, rrf
from .records import EmbedModelRow
from .store import Store

MODES = ("hybrid", "vector", "keyword")
UNITS = CHOICES["units"]
KINDS = ("text", "markdown", "rst", "code", "html", "pdf")
VEC_MAX_K = 4096
CANDIDATES = 200
"""Units fetched per leg; independent of k (up to k=100) so rankings agree across k."""
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

    @property
    def active(self) -> bool:
        return bool(self.path_glob or self.types or self.units != "both")


class Searcher:
    """Runs queries against a store; the embedder is needed for vector and hybrid modes."""

    def __init__(self, store: Store, embedder: Embedder | None, settings: Settings) -> None:
        self.store, self.embedder, self.settings = store, embedder, settings
        self.model: EmbedModelRow | None = (
            store.find_model(embedder.key) if embedder is not None else None
        )

    def search(
        self, query: str, k: int = 10, mode: str = "hybrid", filters: Filters | None = None
    ) -> list[Hit]:
        if mode not in MODES:
            raise UsageError(f"unknown mode {mode!r}: choose one of {', '.join(MODES)}")
        if k < 1:
            raise UsageError("-k must be at least 1")
        filters = filters or Filters(units=self.settings.units)
        if filters.units not in UNITS:
            raise UsageError(f"unknown units {filters.units!r}: choose one of {', '.join(UNITS)}")
        scores = self.unit_scores(query, mode, depth_for(k), filters)
        return self.rank_files(scores, k)

    def unit_scores(self, query: str, mode: str, depth: int, filters: Filters) -> dict[int, float]:
        """Fused score per unit id for `query`, `depth` candidates per leg."""
        if mode == "keyword":
            return dict(self.keyword(query, depth, filters))
        if mode == "vector":
            return dict(self.vector(query, depth, filters))
        return self.fuse(self.keyword(query, depth, filters), self.vector(query, depth, filters))

    def fuse(self, keyword: Scored, vector: Scored) -> dict[int, float]:
        weights = (1.0, self.settings.fusion_vector_weight)
        if self.settings.fusion == "convex":
            return convex((keyword, vector), weights)
        return rrf((keyword, vector), weights, self.settings.fusion_k)

    def keyword(self, query: str, limit: int, filters: Filters) -> list[tuple[int, float]]:
        """Units matching any query term, by BM25 over title and text (higher is better)."""
        match = fts_query(query)
        if not match:
            return []
        where, params = _filter_sql(filters)
        sql = (
            "SELECT units_fts.rowid, bm25(units_fts) AS s FROM units_fts"
            + (
                " JOIN units u ON u.id = units_fts.rowid JOIN files f ON f.id = u.file_id"
                if filters.active
                else ""
            )
            + f" WHERE units_fts MATCH ? {where} ORDER BY s LIMIT ?"
        )
        rows = self.store.conn.execute(sql, (match, *params, limit))
        return [(int(r[0]), -float(r[1])) for r in rows]

    def vector(self, query: str, limit: int, filters: Filters) -> list[tuple[int, float]]:
        """Units nearest to the query embedding (cosine similarity, higher is better)."""
        return self.knn(self.query_vector(query), limit, filters)

    def query_vector(self, query: str) -> np.ndarray | None:
        if self.embedder is None or self.model is None or not query.strip():
            return None
        return self.embedder.embed_one(query)

    def knn(
        self, vector: np.ndarray | None, limit: int, filters: Filters
    ) -> list[tuple[int, float]]:
        """Units nearest to `vector` in the current model's vec0 table."""
        if vector is None or self.model is None:
            return []
        fetch = min(VEC_MAX_K, limit * _overfetch(filters))
        where, params = _filter_sql(filters)
        sql = (
            f"WITH knn AS (SELECT rowid, distance FROM {self.model.vec_table}"
            " WHERE embedding MATCH ? AND k = ?)"
            " SELECT u.id, 1.0 - knn.distance FROM knn"
            " JOIN vectors v ON v.id = knn.rowid"
            " JOIN units u ON u.embed_hash = v.text_hash"
            " JOIN files f ON f.id = u.file_id"
            f" WHERE 1 {where} ORDER BY knn.distance LIMIT ?"
        )
        rows = self.store.conn.execute(sql, (vector.tobytes(), fetch, *params, limit))
        return [(int(r[0]), float(r[1])) for r in rows]

    def rank_files(
        self, scores: dict[int, float], k: int, cache: RowCache | None = None
    ) -> list[Hit]:
        """The `k` best files, each with its best passage and the matches inside it."""
        return rank_files(self.store, scores, k, self.settings.multi_match_bonus, cache)


def _overfetch(filters: Filters) -> int:
    """How many more neighbours to fetch so that enough survive the filters."""
    if filters.path_glob or filters.types:
        return 20
    # Most units are propositions; passages are about one in six.
    return {"both": 1, "proposition": 2, "passage": 8}[filters.units]


def depth_for(k: int) -> int:
    """Candidates per leg for a search returning k files."""
    return max(CANDIDATES, 2 * k)


def fts_query(query: str) -> str:
    """An FTS5 expression OR-ing the query's words, each quoted so no word is syntax."""
    words = list(dict.fromkeys(word.lower() for word in _WORD.findall(query)))
    content = [word for word in words if word not in STOPWORDS] or words
    return " OR ".join(f'"{word}"' for word in content)


def _filter_sql(filters: Filters) -> tuple[str, list[Any]]:
    clauses: list[str] = []
    params: list[Any] = []
    if filters.path_glob:
        pattern = filters.path_glob
        clauses.append("f.path GLOB ?")
        params.append(pattern if pattern.startswith("/") else "*/" + pattern)
    if filters.types:
        wanted = [t.lower() for t in filters.types]
        kinds = [t for t in wanted if t in KINDS]
        exts = [t.lstrip(".") for t in wanted if t not in KINDS]
        parts = [f"f.kind IN ({','.join('?' * len(kinds))})"] if kinds else []
        parts += ["lower(f.path) GLOB ?"] * len(exts)
        clauses.append("(" + " OR ".join(parts) + ")")
        params += kinds + [f"*.{ext}" for ext in exts]
    if filters.units == "passage":
        clauses.append("u.kind = 'passage'")
    elif filters.units == "proposition":
        clauses.append(
            "(u.kind != 'passage' OR NOT EXISTS (SELECT 1 FROM units c WHERE c.parent_id = u.id))"
        )
    return "".join(f" AND {c}" for c in clauses), params
