"""Nearest neighbours from a model's sign bits held in memory, for long-lived processes.

A process that searches many times (the TUI, the daemon, benchmarks) loads every vector's
sign bits once (48 bytes each at 384 dimensions): a weighted Hamming scan over a million of
them takes about 10 ms. The best candidates are then ranked by cosine on their int8 codes,
read from the index. The bits are reloaded whenever the database has changed since they were
read (in the background when that takes long). One-shot searches read the bits for each
query and run the same `nearest`.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass

import numpy as np

from semfind.engine.store.quantize import BitPlanes, from_int8
from semfind.engine.store.records import EmbedModelRow
from semfind.engine.store.store import Store
from semfind.engine.store.vector_tables import read_bits

SCOPES = ("both", "passage", "proposition")
"""Which units' vectors a search may return: any, passages, or parts (see PART_SQL)."""


RESCORE_MIN = 1600
"""Candidates from the bit scan that are rescored on int8 codes, at least; recall@10
against exact float search is ≥ 0.98 at a million vectors with this many (bench/scale.py)."""
RESCORE_FACTOR = 8
"""...and at least this many per neighbour asked for."""


def rescore_count(limit: int) -> int:
    return max(RESCORE_MIN, RESCORE_FACTOR * limit)


SYNC_RELOAD_S = 0.25
"""A reload that took less than this last time runs inside the search that needs it;
a longer one (about 3 s at a million vectors) runs in the background while searches use
the vectors already loaded, and new text is found by its keywords meanwhile."""
RELOAD_GAP = 4.0
"""Background reloads are at least this many load times apart, so an index written to
without pause (the daemon at work) costs a searcher a fraction of a core, not all of it."""

log = logging.getLogger("semfind.search")


@dataclass(frozen=True)
class Loaded:
    """One reading of a model's vectors: replaced whole, never changed in place."""

    ids: np.ndarray
    bits: BitPlanes
    masks: dict[str, np.ndarray]
    """Which rows each scope may return."""
    units: dict[str, tuple[np.ndarray, np.ndarray]]
    """Per scope: unit ids sorted by their row, and where each row's units start; so
    mapping neighbours to units needs no query."""


EMPTY = Loaded(np.zeros(0, dtype=np.int64), BitPlanes(np.zeros((0, 8), dtype=np.uint8)), {}, {})


class VectorMatrix:
    """Sign bits of all vectors of one model, with a mask of rows per scope."""

    def __init__(self, store: Store, model: EmbedModelRow) -> None:
        self.store, self.model = store, model
        self.loaded = EMPTY
        self._signature: tuple[int, int] | None = None
        self._load_s = 0.0
        self._next_reload = 0.0
        self._reloading: threading.Thread | None = None
        self._guard = threading.Lock()

    def search(self, vector: np.ndarray, limit: int, scope: str) -> list[tuple[int, float]]:
        """(vector id, cosine similarity) of the `limit` nearest rows in `scope`, best first."""
        self.refresh()
        loaded = self.loaded
        mask = loaded.masks.get(scope)
        if mask is None:
            return []
        return nearest(self.store, self.model, (loaded.ids, loaded.bits), vector, limit, mask)

    def units(self, nearest: list[tuple[int, float]], scope: str) -> list[tuple[int, float]]:
        """(unit id, similarity) for the units in `scope` of each (vector id, similarity)."""
        loaded, signature = self.loaded, self._signature
        unit_ids, starts = loaded.units[scope]
        pairs: list[tuple[int, int, float]] = []
        for vector_id, similarity in nearest:
            row = int(np.searchsorted(loaded.ids, vector_id))
            if row < len(loaded.ids) and loaded.ids[row] == vector_id:  # may be a newer reading
                units = unit_ids[starts[row] : starts[row + 1]]
                pairs += [(int(u), vector_id, similarity) for u in units]
        if signature != self.store.version():
            # A reading older than the index may name units since deleted, or ids reused by
            # other text: keep only the units that still hold the text of their vector.
            pairs = self.store.current_units(self.model, pairs)
        return [(unit, similarity) for unit, _, similarity in pairs]

    def refresh(self) -> None:
        """Reload when any connection has written to the database since the last load: at
        once when that is quick or nothing is loaded yet, else in the background."""
        signature = self.store.version()
        if signature == self._signature:
            return
        if self._signature is None or (self._load_s < SYNC_RELOAD_S and not self._reloads()):
            started = time.perf_counter()
            self.loaded = load(self.store, self.model)
            self._signature, self._load_s = signature, time.perf_counter() - started
            return
        with self._guard:
            if self._reloads() or time.monotonic() < self._next_reload:
                return
            self._next_reload = float("inf")  # set when this reload ends
            self._reloading = threading.Thread(
                target=self._reload, args=(signature,), name="semfind-vectors", daemon=True
            )
            self._reloading.start()

    def _reloads(self) -> bool:
        return self._reloading is not None and self._reloading.is_alive()

    def wait(self, timeout: float | None = None) -> None:
        """Until a background reload in progress has finished (tests, benchmarks)."""
        thread = self._reloading
        if thread is not None:
            thread.join(timeout)

    def _reload(self, signature: tuple[int, int]) -> None:
        started = time.perf_counter()
        try:
            with Store.open(self.store.path, readonly=True) as reader:
                loaded: Loaded | None = load(reader, self.model)
        except Exception as exc:  # a thread's traceback would land on the TUI's screen
            log.warning("could not reload the vectors: %s", exc)
            loaded = None
        elapsed = time.perf_counter() - started
        with self._guard:
            if loaded is not None:
                self.loaded, self._signature, self._load_s = loaded, signature, elapsed
            # A failed load waits as long as a good one before the next try.
            self._next_reload = time.monotonic() + RELOAD_GAP * max(elapsed, self._load_s)


def load(store: Store, model: EmbedModelRow) -> Loaded:
    """Every vector of `model` in `store`, and which units and scopes each belongs to."""
    ids, bits = read_bits(store.conn, model)
    masks, units = _scopes(store, model, ids)
    return Loaded(ids, BitPlanes(bits), masks, units)


def _scopes(
    store: Store, model: EmbedModelRow, ids: np.ndarray
) -> tuple[dict[str, np.ndarray], dict[str, tuple[np.ndarray, np.ndarray]]]:
    """Which rows belong to passages, which to parts (rows of no unit are in neither), and
    the units of each row per scope."""
    conn = store.conn
    # Units outside, each looked up in the covering (model, hash) index: 3.3 s at a million
    # against 4.7 s the other way round.
    cursor = conn.execute(
        "SELECT v.id, u.id, u.kind = 'passage' FROM units u CROSS JOIN vectors v"
        " ON v.model_id = ? AND v.text_hash = u.embed_hash",
        (model.id,),
    )
    found = np.array(cursor.fetchall(), dtype=np.int64).reshape(-1, 3)
    at = np.searchsorted(ids, found[:, 0])
    known = at < len(ids)
    known[known] = ids[at[known]] == found[known, 0]
    found, at = found[known], at[known]
    # PART_SQL in numpy: asking SQL per row cost 1.7 s of 7 at a million units.
    cut = np.array(
        conn.execute("SELECT DISTINCT parent_id FROM units WHERE parent_id IS NOT NULL").fetchall(),
        dtype=np.int64,
    ).reshape(-1)
    passage = found[:, 2] > 0
    scopes = {"passage": passage, "proposition": ~passage | ~np.isin(found[:, 1], cut)}
    scopes["both"] = scopes["passage"] | scopes["proposition"]
    masks: dict[str, np.ndarray] = {}
    units: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    for scope, wanted in scopes.items():
        masks[scope] = np.zeros(len(ids), dtype=bool)
        masks[scope][at[wanted]] = True
        order = np.lexsort((found[wanted, 1], at[wanted]))
        rows, unit_ids = at[wanted][order], found[wanted, 1][order]
        units[scope] = (unit_ids, np.searchsorted(rows, np.arange(len(ids) + 1)))
    return masks, units


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
