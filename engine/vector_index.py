"""Exact nearest neighbours from a model's vectors held in memory, for long-lived processes.

sqlite-vec stays the store of record and answers one-shot queries. A process that searches
many times (the TUI, the daemon, benchmarks) loads the vectors once into a matrix: one
matrix-vector product ranks 60,000 vectors in a few milliseconds where a vec0 scan takes
50 ms or more. The matrix is reloaded whenever the database has changed since it was read.
"""

from __future__ import annotations

import numpy as np

from .migrations import PART_SQL
from .records import EmbedModelRow
from .store import Store

SCOPES = ("both", "passage", "proposition")
"""Which units' vectors a search may return: any, passages, or parts (see PART_SQL)."""


class VectorMatrix:
    """All vectors of one model as unit-length rows, with a mask of rows per scope."""

    def __init__(self, store: Store, model: EmbedModelRow) -> None:
        self.store, self.model = store, model
        self._signature: tuple[int, int] | None = None
        self.ids = np.zeros(0, dtype=np.int64)
        self.matrix = np.zeros((0, model.dim), dtype=np.float32)
        self.masks: dict[str, np.ndarray] = {}
        self._units: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        """Per scope: unit ids sorted by their row, and where each row's units start; so
        mapping neighbours to units needs no query."""

    def search(self, vector: np.ndarray, limit: int, scope: str) -> list[tuple[int, float]]:
        """(vector id, cosine similarity) of the `limit` nearest rows in `scope`, best first."""
        self.refresh()
        mask = self.masks.get(scope)
        count = int(mask.sum()) if mask is not None else 0
        limit = min(limit, count)
        if limit < 1 or mask is None:
            return []
        # einsum runs on this thread alone; BLAS would start threads that fight the keyword leg.
        products = np.einsum("ij,j->i", self.matrix, _unit(vector.astype(np.float32)))
        sims = np.where(mask, products, -np.inf)
        top = np.argpartition(-sims, limit - 1)[:limit]
        top = top[np.lexsort((self.ids[top], -sims[top]))]
        return [(int(self.ids[i]), float(sims[i])) for i in top]

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
        conn = self.store.conn
        rows = conn.execute(f"SELECT rowid, embedding FROM {self.model.vec_table} ORDER BY rowid")
        ids, blobs = [], []
        for rowid, blob in rows:
            ids.append(rowid)
            blobs.append(blob)
        self.ids = np.array(ids, dtype=np.int64)
        flat = np.frombuffer(b"".join(blobs), dtype=np.float32)
        self.matrix = _unit(flat.reshape(len(ids), self.model.dim)) if ids else self.matrix[:0]
        self.masks = self._scope_masks()

    def _scope_masks(self) -> dict[str, np.ndarray]:
        """Which rows belong to passages, which to parts; rows of no unit are in neither."""
        cursor = self.store.conn.execute(
            f"SELECT v.id, u.id, u.kind = 'passage', {PART_SQL} FROM vectors v"
            " JOIN units u ON u.embed_hash = v.text_hash WHERE v.model_id = ?",
            (self.model.id,),
        )
        found = np.array([tuple(r) for r in cursor], dtype=np.int64).reshape(-1, 4)
        at = np.searchsorted(self.ids, found[:, 0])
        known = at < len(self.ids)
        known[known] = self.ids[at[known]] == found[known, 0]
        found, at = found[known], at[known]
        scopes = {"passage": found[:, 2] > 0, "proposition": found[:, 3] > 0}
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


def _unit(matrix: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(matrix, axis=-1, keepdims=True)
    return np.asarray(matrix / np.where(norms > 0, norms, 1.0), dtype=np.float32)
