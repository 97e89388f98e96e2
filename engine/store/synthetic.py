"""Synthetic indexes built fast from a real one, for the benchmarks at scale: every stored
file copied inside the database under a folder of its own, with texts rewritten and vectors
given, with no extraction or embedding."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np

from semfind.engine.store.hashing import text_hash
from semfind.engine.store.records import EmbedModelRow
from semfind.engine.store.rows import column_values, first_row, first_value, named_rows
from semfind.engine.store.store import Store
from semfind.engine.store.vector_tables import insert_codes

Codes = Mapping[str, tuple[np.ndarray, np.ndarray]]
"""A text hash's (sign bits, int8 code)."""
_UNIT_COLUMNS = (
    "parent_id, kind, ord, text, embed_hash, page, char_start, char_end, line_start, line_end,"
    " spans, embed_titled"
)


def copy_hash(text_hash_: str, copy: int) -> str:
    """The text hash a unit's copy number `copy` is stored under."""
    return text_hash(f"{text_hash_}/copy{copy}")


def file_ids(store: Store) -> list[int]:
    return [
        int(i) for i in column_values(store.conn.execute("SELECT id FROM files ORDER BY id"), "id")
    ]


def copy_count(store: Store) -> int:
    """How many copies the index holds (folders /copy1, /copy2, ...)."""
    rows = store.conn.execute(
        "SELECT count(DISTINCT substr(path, 1, instr(substr(path, 2), '/'))) AS n FROM files"
        " WHERE path LIKE '/copy%'"
    )
    return int(first_value(rows, "n") or 0)


def copy_files(
    store: Store,
    model: EmbedModelRow,
    files: Sequence[int],
    copy: int,
    rewrite: Callable[[str], str],
    codes: Codes,
) -> None:
    """Copy each file of `files` under /copy{copy}, in one transaction: each unit's text
    through `rewrite` (called in file and unit id order), its text hash through copy_hash,
    and a vector with the codes of its original's hash, where `codes` has them."""
    with store.conn:
        for file_id in files:
            _copy_file(store, model, file_id, copy, rewrite, codes)


def _copy_file(
    store: Store,
    model: EmbedModelRow,
    file_id: int,
    copy: int,
    rewrite: Callable[[str], str],
    codes: Codes,
) -> None:
    conn = store.conn
    new_file = first_row(
        conn.execute(
            "INSERT INTO files(path, kind, title, size, mtime_ns, content_hash, status, error,"
            " indexed_at, segmenter) SELECT '/copy' || ? || path, kind, title, size,"
            " mtime_ns, content_hash, status, error, indexed_at, segmenter FROM files"
            " WHERE id = ? RETURNING id, title",
            (copy, file_id),
        )
    )
    assert new_file is not None, f"no file {file_id}"
    ids: dict[int, int] = {}
    units = list(
        named_rows(
            conn.execute(
                f"SELECT id, {_UNIT_COLUMNS} FROM units WHERE file_id = ? ORDER BY id", (file_id,)
            )
        )
    )
    for unit in units:
        new_hash = copy_hash(unit["embed_hash"], copy)
        text = rewrite(unit["text"])
        new_id = int(
            first_value(
                conn.execute(_INSERT_UNIT, _copied(unit, new_file["id"], ids, text, new_hash)), "id"
            )
        )
        ids[unit["id"]] = new_id
        table = "units_fts" if unit["kind"] == "passage" else "parts_fts"
        conn.execute(
            f"INSERT INTO {table}(rowid, title, text) VALUES (?, ?, ?)",
            (new_id, new_file["title"], text),
        )
        if unit["embed_hash"] in codes:
            _copy_vector(store, model, new_hash, codes[unit["embed_hash"]])


_INSERT_UNIT = (
    "INSERT INTO units(file_id, parent_id, kind, ord, text, embed_text, embed_hash, page,"
    " char_start, char_end, line_start, line_end, spans, embed_titled)"
    " VALUES (?, ?, ?, ?, ?, NULL, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id"
)


def _copied(
    unit: Mapping[str, Any], file_id: int, ids: Mapping[int, int], text: str, new_hash: str
) -> tuple[Any, ...]:
    parent = unit["parent_id"]
    return (
        file_id, ids.get(parent) if parent else None, unit["kind"], unit["ord"], text, new_hash,
        unit["page"], unit["char_start"], unit["char_end"], unit["line_start"], unit["line_end"],
        unit["spans"], unit["embed_titled"],
    )  # fmt: skip


def _copy_vector(
    store: Store, model: EmbedModelRow, new_hash: str, code: tuple[np.ndarray, np.ndarray]
) -> None:
    vid = store.claim_vector_id(model, new_hash)
    if vid is not None:
        bits, int8 = code
        insert_codes(store.conn, model, [int(vid)], bits[None], int8[None])
