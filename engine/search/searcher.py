"""Keyword (FTS5 BM25), vector (bit scan plus int8 rescoring) and hybrid search, per file."""

from __future__ import annotations

import dataclasses
import math
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import numpy as np

from semfind.engine.config import CHOICES, Settings
from semfind.engine.embed.base import Embedder
from semfind.engine.errors import UsageError
from semfind.engine.search.aggregate import Hit, RowCache, rank_files
from semfind.engine.search.fusion import Scored, convex, rrf
from semfind.engine.search.keyword_plan import KeywordPlanner
from semfind.engine.search.leg_units import OVERFETCH, drop_short, inherit, own_vector_floor
from semfind.engine.search.query import (
    FILE_KINDS,
    MAX_K,
    MODES,
    Expansion,
    content_terms,
    holds_all,
    query_terms,
)
from semfind.engine.search.query import (
    Filters as Filters,  # re-exported: callers predating engine.search.query
)
from semfind.engine.search.vector_index import VectorMatrix, nearest
from semfind.engine.store.migrations import PART_SQL
from semfind.engine.store.quantize import BitPlanes
from semfind.engine.store.records import EmbedModelRow
from semfind.engine.store.rows import in_batches, named_columns
from semfind.engine.store.store import Store
from semfind.engine.store.vector_tables import read_bits

UNITS = CHOICES["units"]
KINDS = FILE_KINDS
VEC_MAX_K = 4096
KEYWORD_TABLES = ("units_fts", "parts_fts")
CANDIDATES = 200
"""Units fetched per leg; independent of k (up to k=100) so rankings agree across k."""


@dataclass(frozen=True)
class Legs:
    """One query's ranked candidates: a list per keyword table, and the vector list."""

    keyword: tuple[Scored, ...]
    vector: Scored
    query_vector: np.ndarray | None = None
    """The query's embedding, where the vector leg ran (ask scores sentences with it)."""


class Searcher:
    """Runs queries against a store; the embedder is needed for vector and hybrid modes.

    `warm` is for processes that search many times. It keeps the model's vectors in memory
    (see VectorMatrix) and runs the keyword leg on a second connection while the query is
    embedded. One-shot searches let sqlite-vec scan the vectors instead.
    """

    def __init__(
        self, store: Store, embedder: Embedder | None, settings: Settings, *, warm: bool = False
    ) -> None:
        self.store, self.embedder, self.settings = store, embedder, settings
        self.model: EmbedModelRow | None = (
            store.find_model(embedder.key) if embedder is not None else None
        )
        self.matrix = VectorMatrix(store, self.model) if warm and self.model else None
        self._uncut_cache: tuple[tuple[int, int], bool] | None = None
        self._bits: tuple[tuple[int, int], tuple[np.ndarray, BitPlanes]] | None = None
        """A one-shot searcher's sign bits, with the index version they were read at."""
        # One connection per keyword table, so both tables are searched at the same time.
        self._readers = (
            [Store.open(store.path, readonly=True) for _ in KEYWORD_TABLES] if warm else [store]
        )
        self._reader = self._readers[0]
        # One per connection: each keeps its own fts5vocab tables and word counts.
        self._planners = [KeywordPlanner(r.conn, settings.keyword_budget) for r in self._readers]
        self._pool = (
            ThreadPoolExecutor(len(KEYWORD_TABLES), thread_name_prefix="semfind-keyword")
            if warm
            else None
        )
        if warm and embedder is not None:
            embedder.spare_cores(1)

    def close(self) -> None:
        """Release the second connection and thread of a warm searcher."""
        if self._pool is not None:
            self._pool.shutdown()
            for reader in self._readers:
                reader.close()
            self._pool = None

    def __enter__(self) -> Searcher:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def vectors_note(self) -> str:
        """While some units have no vector yet (the second indexing pass is still running),
        the line that says how much of the index has them; "" once all do. One indexed
        query when nothing is due."""
        if self.model is None or not self.store.has_vectors_due():
            return ""
        coverage = self.store.vector_coverage(self.model)
        return "" if coverage.complete else coverage.describe()

    def search(
        self,
        query: str,
        k: int = 10,
        mode: str = "hybrid",
        filters: Filters | None = None,
        expansion: Expansion | None = None,
    ) -> list[Hit]:
        """The `k` best files; an expansion (--think, --rewrite) adds its searches to the
        plain query's before fusion."""
        if mode not in MODES:
            raise UsageError(f"unknown mode {mode!r}: choose one of {', '.join(MODES)}")
        if not 1 <= k <= MAX_K:
            raise UsageError(f"-k must be from 1 to {MAX_K:,}")
        filters = filters or Filters(units=self.settings.units)
        if filters.units not in UNITS:
            raise UsageError(f"unknown units {filters.units!r}: choose one of {', '.join(UNITS)}")
        depth = depth_for(k)
        legs = self.legs(query, mode, depth, filters)
        fused = self._fused(legs, mode, depth, filters, expansion)
        floor, terms = self.settings.close_match_cosine, content_terms(query)
        return [signed(hit, legs, floor, terms) for hit in self.rank_files(fused, k)]

    def scores(
        self,
        query: str,
        mode: str,
        depth: int,
        filters: Filters,
        expansion: Expansion | None = None,
    ) -> dict[int, float]:
        """Fused unit scores: the plain query's legs, plus an expansion's own searches."""
        legs = self.legs(query, mode, depth, filters)
        return self._fused(legs, mode, depth, filters, expansion)

    def _fused(
        self,
        legs: Legs,
        mode: str,
        depth: int,
        filters: Filters,
        expansion: Expansion | None,
    ) -> dict[int, float]:
        if expansion is None or not expansion.used:
            return self.fuse(legs)
        lists, weights = self._weighted(legs)
        if mode != "vector":
            for text in expansion.keyword_queries:
                found = self.keyword(text, depth, filters)
                lists, weights = [*lists, *found], [*weights, *([1.0] * len(found))]
        if mode != "keyword":
            for text in expansion.semantic_texts:
                lists.append(self.vector(text, depth, filters))
                weights.append(self.settings.fusion_vector_weight)
        return self.fuse_lists(lists, weights)

    def legs(self, query: str, mode: str, depth: int, filters: Filters) -> Legs:
        """The candidates of the legs `mode` uses, `depth` per leg."""
        if mode == "keyword":
            return Legs(self.keyword(query, depth, filters), [])
        if mode == "vector":
            vector = self.query_vector(query)
            return Legs((), self.knn(vector, depth, filters), vector)
        if self._pool is None:
            keyword = self.keyword(query, depth, filters)
            vector = self.query_vector(query)
            nearest = self.knn(vector, depth, filters)
            return Legs(keyword, self.inherit(keyword, nearest, filters), vector)
        words = query_terms(query)
        tables = self._keyword_tables(filters) if words else []
        pool = self._pool
        jobs = [
            pool.submit(self._fts, table, uncut, words, depth, filters, self._planners[n])
            for n, (table, uncut) in enumerate(tables)
        ]
        vector = self.query_vector(query)
        nearest = self.knn(vector, depth, filters)
        found = tuple(job.result() for job in jobs)
        return Legs(found, self.inherit(found, nearest, filters), vector)

    def inherit(self, keyword: tuple[Scored, ...], nearest: Scored, filters: Filters) -> Scored:
        """`nearest` plus, where propositions' own vectors are left unused (vector_units,
        vector_min_parts), each such proposition of the keyword lists at its passage's
        similarity."""
        floor = own_vector_floor(self.settings, filters)
        return nearest if floor is None else inherit(self.store, keyword, nearest, floor)

    def term_weights(self, query: str) -> dict[str, float]:
        """Each query term's inverse document frequency among the index's units: rare words
        say more about what a sentence must contain to answer."""
        planner = self._planners[0]
        total = max(1, self._reader.unit_span())
        return {
            word: math.log(1.0 + total / (1 + planner.document_frequency("units_fts", word)))
            for word in query_terms(query)
        }

    def fuse(self, legs: Legs) -> dict[int, float]:
        """One score per unit from every non-empty leg."""
        return self.fuse_lists(*self._weighted(legs))

    def _weighted(self, legs: Legs) -> tuple[list[Scored], list[float]]:
        lists = [*legs.keyword, legs.vector]
        weights = [1.0] * len(legs.keyword) + [self.settings.fusion_vector_weight]
        return lists, weights

    def fuse_lists(self, lists: list[Scored], weights: list[float]) -> dict[int, float]:
        if self.settings.fusion == "convex":
            return convex(lists, weights)
        return rrf(lists, weights, self.settings.fusion_k)

    def keyword(self, query: str, limit: int, filters: Filters) -> tuple[Scored, ...]:
        """Per keyword table in scope, units matching any query term by BM25 (higher is better)."""
        words = query_terms(query)
        if not words:
            return ()
        return tuple(
            self._fts(table, uncut, words, limit, filters, self._planners[0])
            for table, uncut in self._keyword_tables(filters)
        )

    def _keyword_tables(self, filters: Filters) -> list[tuple[str, bool]]:
        """The FTS tables in scope; True where only passages without parts may match."""
        if filters.units == "proposition":
            return [("parts_fts", False)] + ([("units_fts", True)] if self._uncut() else [])
        if filters.units == "passage" or self.settings.keyword_units == "passage":
            return [("units_fts", False)]
        return [("units_fts", False), ("parts_fts", False)]

    def _fts(
        self,
        table: str,
        uncut: bool,
        words: list[str],
        limit: int,
        filters: Filters,
        planner: KeywordPlanner,
    ) -> Scored:
        match = planner.expression(table, words)
        where, params = _filter_sql(filters, units=False)
        where += f" AND {PART_SQL}" if uncut else ""
        sql = (
            f"SELECT {table}.rowid AS id, bm25({table}) AS s FROM {table}"
            + (
                f" JOIN units u ON u.id = {table}.rowid JOIN files f ON f.id = u.file_id"
                if where
                else ""
            )
            + f" WHERE {table} MATCH ? {where} ORDER BY s LIMIT ?"
        )
        rows = planner.conn.execute(sql, (match, *params, limit))
        return [(int(unit), -float(score)) for unit, score in named_columns(rows, "id", "s")]

    def _uncut(self) -> bool:
        """Whether some passage has no parts, cached until the database changes."""
        signature = self._reader.version()
        if self._uncut_cache is None or self._uncut_cache[0] != signature:
            self._uncut_cache = (signature, self._reader.has_uncut_passages())
        return self._uncut_cache[1]

    def vector(self, query: str, limit: int, filters: Filters) -> Scored:
        """Units nearest to the query embedding (cosine similarity, higher is better)."""
        return self.knn(self.query_vector(query), limit, filters)

    def query_vector(self, query: str) -> np.ndarray | None:
        if self.embedder is None or self.model is None or not query.strip():
            return None
        return self.embedder.embed_one(query)

    def knn(self, vector: np.ndarray | None, limit: int, filters: Filters) -> Scored:
        """Units nearest to `vector` among the current model's vectors."""
        if vector is None or self.model is None:
            return []
        floor = own_vector_floor(self.settings, filters)
        if floor == math.inf:
            return self._knn(vector, limit, dataclasses.replace(filters, units="passage"))
        if floor is not None and floor > max(1, self.model.part_floor):
            # Simulated: the index holds vectors that this floor leaves unused.
            found = self._knn(vector, limit * OVERFETCH, filters)
            return drop_short(self.store, found, floor, limit)
        return self._knn(vector, limit, filters)

    def _knn(self, vector: np.ndarray, limit: int, filters: Filters) -> Scored:
        if self.matrix is not None:
            return self._knn_matrix(self.matrix, vector, limit, filters)
        fetch = min(VEC_MAX_K, limit * _overfetch(filters))
        return self._units_of(self._knn_bits(vector, fetch), limit, filters)

    def _knn_bits(self, vector: np.ndarray, limit: int) -> list[tuple[int, float]]:
        """The `limit` nearest vectors, for a one-shot search: the sign bits are read in bulk
        from sqlite-vec's chunks (once per index state: --think searches several texts) and
        scanned like a warm searcher's."""
        assert self.model is not None
        version = self.store.version()
        if self._bits is None or self._bits[0] != version:
            ids, bits = read_bits(self.store.conn, self.model)
            self._bits = (version, (ids, BitPlanes(bits)))
        return nearest(self.store, self.model, self._bits[1], vector, limit)

    def _knn_matrix(
        self, matrix: VectorMatrix, vector: np.ndarray, limit: int, filters: Filters
    ) -> Scored:
        extra = 20 if _narrowed(filters) else 1
        nearest = matrix.search(vector, min(VEC_MAX_K, limit * extra), filters.units)
        if not nearest:
            return []
        if not _narrowed(filters):
            units = matrix.units(nearest, filters.units)
            units.sort(key=lambda item: (-item[1], item[0]))
            return units[:limit]
        return self._units_of(nearest, limit, filters)

    def _units_of(self, nearest: list[tuple[int, float]], limit: int, filters: Filters) -> Scored:
        """The units (in scope, passing the filters) of the nearest vectors, best first."""
        sims = dict(nearest)
        where, params = _filter_sql(filters)
        found: list[tuple[int, float]] = []
        for part, marks in in_batches(sims):
            rows = self.store.conn.execute(
                "SELECT u.id AS unit, v.id AS vector FROM vectors v"
                " JOIN units u ON u.embed_hash = v.text_hash"
                f" JOIN files f ON f.id = u.file_id WHERE v.id IN ({marks}) {where}",
                (*part, *params),
            )
            pairs = named_columns(rows, "unit", "vector")
            found += [(int(unit), sims[int(vector)]) for unit, vector in pairs]
        found.sort(key=lambda item: (-item[1], item[0]))
        return found[:limit]

    def rank_files(
        self, scores: dict[int, float], k: int, cache: RowCache | None = None
    ) -> list[Hit]:
        """The `k` best files, each with its best passage and the matches inside it."""
        return rank_files(self.store, scores, k, self.settings.multi_match_bonus, cache)


def signed(hit: Hit, legs: Legs, floor: float, terms: list[str]) -> Hit:
    """`hit` with its absolute relevance: the raw cosine and BM25 of its matches (the
    plain query's legs), and whether it is a close match: its cosine reaches `floor`, or
    its passage holds every content term of the query (an exact name or word can sit far
    from the query in embedding space)."""
    ids = {match.unit_id for match in hit.matches}
    cosines = [score for unit, score in legs.vector if unit in ids]
    bm25s = [score for leg in legs.keyword for unit, score in leg if unit in ids]
    cosine = max(cosines) if cosines else None
    ran_vector = legs.query_vector is not None
    return dataclasses.replace(
        hit,
        cosine=cosine,
        bm25=max(bm25s) if bm25s else None,
        close=(
            (cosine is not None and cosine >= floor)
            or bool(terms and holds_all(hit.passage.text, terms))
            if ran_vector
            else None
        ),
    )


def _overfetch(filters: Filters) -> int:
    """How many more neighbours to fetch so that enough survive the filters."""
    if _narrowed(filters):
        return 20
    # Most units are propositions; passages are about one in six.
    return {"both": 1, "proposition": 2, "passage": 8}[filters.units]


def _narrowed(filters: Filters) -> bool:
    """Whether file filters may drop most of the nearest neighbours."""
    return bool(filters.path_glob or filters.types or filters.modified_since is not None)


def depth_for(k: int) -> int:
    """Candidates per leg for a search returning k files."""
    return max(CANDIDATES, 2 * k)


def _filter_sql(filters: Filters, *, units: bool = True) -> tuple[str, list[Any]]:
    """SQL conditions on `u` (units) and `f` (files); `units=False` leaves out the unit kind."""
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
    if filters.modified_since is not None:
        clauses.append("f.mtime_ns >= ?")
        params.append(int(filters.modified_since * 1e9))
    if units and filters.units == "passage":
        clauses.append("u.kind = 'passage'")
    elif units and filters.units == "proposition":
        clauses.append(PART_SQL)
    return "".join(f" AND {c}" for c in clauses), params
