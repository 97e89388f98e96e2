"""Which propositions the vector leg scores by their own vectors (issue 23).

Settings vector_units and vector_min_parts simulate, on an index holding every vector, how
search ranks when propositions are not embedded (or only in passages with several of them):
such a proposition takes its passage's similarity, so it is scored by its passage's vector
plus its own keyword match.
"""

from __future__ import annotations

import math

from semfind.engine.config import Settings
from semfind.engine.search.fusion import Scored
from semfind.engine.search.query import Filters
from semfind.engine.store.rows import in_batches
from semfind.engine.store.store import Store

OVERFETCH = 4
"""Nearest units fetched per one kept where propositions of short passages are dropped."""


def own_vector_floor(settings: Settings, filters: Filters) -> float | None:
    """The fewest propositions a passage needs for its propositions' own vectors to count;
    None where every proposition's vector counts (the default, or units other than both)."""
    if filters.units != "both":
        return None
    if settings.vector_units == "passage":
        return math.inf
    return float(settings.vector_min_parts) if settings.vector_min_parts > 1 else None


def _parts(store: Store, units: set[int]) -> dict[int, tuple[int, int]]:
    """proposition id -> (its passage id, how many propositions that passage has)."""
    found: dict[int, tuple[int, int]] = {}
    for part, marks in in_batches(units):
        rows = store.conn.execute(
            "SELECT u.id, u.parent_id, (SELECT count(*) FROM units c"
            " WHERE c.parent_id = u.parent_id) FROM units u"
            f" WHERE u.id IN ({marks}) AND u.parent_id IS NOT NULL",
            tuple(part),
        )
        found.update({int(u): (int(p), int(n)) for u, p, n in rows})
    return found


def drop_short(store: Store, nearest: Scored, floor: float, limit: int) -> Scored:
    """`nearest` without the propositions of passages holding fewer than `floor`."""
    parts = _parts(store, {unit for unit, _ in nearest})
    kept = [(u, s) for u, s in nearest if u not in parts or parts[u][1] >= floor]
    return kept[:limit]


def inherit(store: Store, keyword: tuple[Scored, ...], nearest: Scored, floor: float) -> Scored:
    """`nearest` plus each proposition of the keyword lists that has no vector of its own
    (its passage holds fewer than `floor`) at its passage's similarity, where that passage
    is among the nearest."""
    if not nearest:
        return nearest
    sims = dict(nearest)
    parts = _parts(store, {unit for leg in keyword for unit, _ in leg if unit not in sims})
    extra = [(u, sims[p]) for u, (p, n) in parts.items() if n < floor and p in sims]
    return sorted([*nearest, *extra], key=lambda item: (-item[1], item[0]))
