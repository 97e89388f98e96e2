"""Nearest neighbours from a model's sign bits held in memory, for long-lived processes.

A process that searches many times (the TUI, the daemon, benchmarks) loads every vector's
sign bits once (48 bytes each at 384 dimensions): a weighted Hamming scan over a million of
them takes about 10 ms. The best candidates are then ranked by cosine on their int8 codes,
read from the index. The bits are reloaded whenever the database has changed since they were
read. One-shot searches read the bits for each query and run the same `nearest`.
"""

from __future__ import annotations

import numpy as np

from .quantize import BitPlanes, from_int8
from .records import EmbedModelRow
from .store import Store
from .vector_tables import read_bits

SCOPES = ("both", "passage", "proposition")
"""Which units' vectors a search may return: any, passages, or parts (see PART_SQL)."""


RESCORE_MIN = 1600
"""Candidates from the bit scan that are rescored on int8 codes, at least; recall@10
against exact float search is ≥ 0.98 at a million vectors with this many (bench/scale.py)."""
RESCORE_FACTOR = 8
"""...and at least this many per neighbour asked for."""


def rescore_count(limit: int) -> int:
    return max(RESCORE_MIN, RESCORE_FACTOR * limit)


class VectorMatrix:
    """Sign bits of all vectors of one model, with a mask of rows per scope."""

    def __init__(self, store: Store, model: EmbedModelRow) -> None:
        self.store, self.model = store, model
        self._signature: tuple[int, int] | None = None
        self.ids = np.zeros(0, dtype=np.int64)
        self.bits = BitPlanes(np.zeros((0, 8), dtype=np.uint8))
        self.masks: dict[str, np.ndarray] = {}
        self._units: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        """Per scope: unit ids sorted by their row, and where each row's units start; so
        mapping neighbours to units needs no query."""

    def search(self, vector: np.ndarray, limit: int, scope: str) -> list[tuple[int, float]]:
        """(vector id, cosine similarity) of the `limit` nearest rows in `scope`, best first."""
        self.refresh()
        mask = self.masks.get(scope)
        if mask is None:
            return []
        return nearest(self.store, self.model, (self.ids, self.bits), vector, limit, mask)

    def units(self, nearest: list[tuple[int, float]], scope: str) -> list[tuple[int, float]]:
        """(unit id, similarity) for the units in `scope` of each (vector id, similarity)."""
        unit_ids, starts = self._units[scope]
        found: list[tuple[int, float]] = []
        for vector_id, similarity in nearest:
            row = int(np.searchsorted(self.ids, vector_id))
            found += [(int(u), similarity) for u in unit_ids[starts[row] : starts[row + 1]]]
        return found

    def refresh(self) -> None:
        """Reload when any connection has written to the database since the last load."""
        signature = self.store.version()
        if signature != self._signature:
            self._load()
            self._signature = signature

    def _load(self) -> None:
        self.ids, bits = read_bits(self.store.conn, self.model)
        self.bits = BitPlanes(bits)
        self.masks = self._scope_masks()

    def _scope_masks(self) -> dict[str, np.ndarray]:
        """Which rows belong to passages, which to parts; rows of no unit are in neither."""
        conn = self.store.conn
        cursor = conn.execute(
            "SELECT v.id, u.id, u.kind = 'passage' FROM vectors v"
            " JOIN units u ON u.embed_hash = v.text_hash WHERE v.model_id = ?",
            (self.model.id,),
        )
        found = np.array(cursor.fetchall(), dtype=np.int64).reshape(-1, 3)
        at = np.searchsorted(self.ids, found[:, 0])
        known = at < len(self.ids)
        known[known] = self.ids[at[known]] == found[known, 0]
        found, at = found[known], at[known]
        # PART_SQL in numpy: asking SQL per row cost 1.7 s of 7 at a million units.
        cut = np.array(
            conn.execute(
                "SELECT DISTINCT parent_id FROM units WHERE parent_id IS NOT NULL"
            ).fetchall(),
            dtype=np.int64,
        ).reshape(-1)
        passage = found[:, 2] > 0
        scopes = {"passage": passage, "proposition": ~passage | ~np.isin(found[:, 1], cut)}
        scopes["both"] = scopes["passage"] | scopes["proposition"]
        masks: dict[str, np.ndarray] = {}
        for scope, wanted in scopes.items():
            masks[scope] = np.zeros(len(self.ids), dtype=bool)
            masks[scope][at[wanted]] = True
            order = np.lexsort((found[wanted, 1], at[wanted]))
            rows, units = at[wanted][order], found[wanted, 1][order]
            starts = np.searchsorted(rows, np.arange(len(self.ids) + 1))
            self._units[scope] = (units, starts)
        return masks


def nearest(
    store: Store,
    model: EmbedModelRow,
    table: tuple[np.ndarray, BitPlanes],
    vector: np.ndarray,
    limit: int,
    mask: np.ndarray | None = None,
) -> list[tuple[int, float]]:
    """(vector id, cosine) of the `limit` vectors nearest to `vector` among the rows of
    `table` (ids, sign bits) that `mask` keeps: a bit scan, then int8 rescoring."""
    ids, bits = table
    count = int(mask.sum()) if mask is not None else len(ids)
    if min(limit, count) < 1:
        return []
    query = _unit(vector.astype(np.float32))
    distances = bits.distances(query)
    if mask is not None and count < len(ids):
        distances[~mask] = np.iinfo(distances.dtype).max
    wanted = min(rescore_count(limit), count)
    if wanted < len(ids):
        candidates = ids[np.argpartition(distances, wanted - 1)[:wanted]]
    else:
        candidates = ids if mask is None else ids[mask]
    return rescore(store, model, candidates, query, limit)


def rescore(
    store: Store, model: EmbedModelRow, candidates: np.ndarray, query: np.ndarray, limit: int
) -> list[tuple[int, float]]:
    """(vector id, cosine) of the `limit` candidates nearest to the unit vector `query`, by
    their int8 codes, best first (ties by id)."""
    ids, codes = store.codes(model, candidates.tolist())
    if not len(ids):
        return []
    sims = from_int8(codes) @ query
    top = np.lexsort((ids, -sims))[:limit]
    return [(int(ids[i]), float(sims[i])) for i in top]


def _unit(matrix: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(matrix, axis=-1, keepdims=True)
    return np.asarray(matrix / np.where(norms > 0, norms, 1.0), dtype=np.float32)
