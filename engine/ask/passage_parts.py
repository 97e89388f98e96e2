"""Every proposition of some passages, with its similarity to a query: what `ask` picks
answer sentences from (the search itself only returns the units that matched)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, replace

import numpy as np

from semfind.engine.store.quantize import from_int8
from semfind.engine.store.records import EmbedModelRow, decode_spans
from semfind.engine.store.rows import in_batches, named_rows
from semfind.engine.store.store import Store


@dataclass(frozen=True)
class Part:
    """A proposition (or a passage that has none) inside an evidence passage."""

    unit_id: int
    text: str
    char_start: int
    char_end: int
    line_start: int
    line_end: int
    spans: tuple[tuple[int, int], ...]
    similarity: float | None
    """Cosine similarity of its vector to the question; None where it has none yet."""


@dataclass(frozen=True)
class PassageParts:
    """A passage's own similarity and its parts in text order."""

    similarity: float | None
    parts: tuple[Part, ...]


def read_parts(
    store: Store,
    passage_ids: Iterable[int],
    model: EmbedModelRow | None,
    query: np.ndarray | None,
) -> dict[int, PassageParts]:
    """passage id -> its parts (its propositions; the passage itself when it has none)."""
    ids = list(dict.fromkeys(passage_ids))
    rows: dict[int, list[tuple[Part, int | None]]] = defaultdict(list)
    own: dict[int, tuple[Part, int | None]] = {}
    for part, marks in in_batches(ids):
        cursor = store.conn.execute(
            "SELECT u.id, u.parent_id, u.text, u.char_start, u.char_end, u.line_start,"
            " u.line_end, u.spans, v.id AS vector_id FROM units u"
            " LEFT JOIN vectors v ON v.model_id = ? AND v.text_hash = u.embed_hash"
            f" WHERE u.parent_id IN ({marks}) OR u.id IN ({marks})",
            (model.id if model else -1, *part, *part),
        )
        for r in named_rows(cursor):
            start, end = r["char_start"], r["char_end"]
            spans = decode_spans(r["spans"], start, end)
            unit = Part(
                unit_id=int(r["id"]),
                text=r["text"],
                char_start=start,
                char_end=end,
                line_start=r["line_start"],
                line_end=r["line_end"],
                spans=spans,
                similarity=None,
            )
            vector_id = int(r["vector_id"]) if r["vector_id"] is not None else None
            if r["parent_id"] is None:
                own[unit.unit_id] = (unit, vector_id)
            else:
                rows[int(r["parent_id"])].append((unit, vector_id))
    sims = _similarities(store, model, query, [*own.values(), *_flat(rows.values())])
    found: dict[int, PassageParts] = {}
    for passage_id in ids:
        if passage_id not in own:
            continue
        passage, vid = own[passage_id]
        children = sorted(rows.get(passage_id, []), key=lambda item: item[0].char_start)
        parts = [_with(p, sims.get(v)) for p, v in children] or [_with(passage, sims.get(vid))]
        found[passage_id] = PassageParts(sims.get(vid), tuple(parts))
    return found


def _flat(groups: Iterable[list[tuple[Part, int | None]]]) -> list[tuple[Part, int | None]]:
    return [item for group in groups for item in group]


def _with(part: Part, similarity: float | None) -> Part:
    return replace(part, similarity=similarity)


def _similarities(
    store: Store,
    model: EmbedModelRow | None,
    query: np.ndarray | None,
    units: list[tuple[Part, int | None]],
) -> dict[int | None, float]:
    """vector id -> cosine to the query, from the stored int8 codes."""
    wanted = sorted({v for _, v in units if v is not None})
    if model is None or query is None or not wanted:
        return {}
    found, codes = store.codes(model, wanted)
    if not len(found):
        return {}
    q = np.asarray(query, dtype=np.float32)
    q = q / max(float(np.linalg.norm(q)), 1e-12)
    sims = from_int8(codes) @ q
    return {int(v): float(s) for v, s in zip(found, sims, strict=True)}
