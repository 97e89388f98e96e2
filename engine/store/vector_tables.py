"""The two tables that hold one embedding model's vectors (see engine/store/quantize.py)."""

from __future__ import annotations

from collections.abc import Sequence

import apsw
import numpy as np

from semfind.engine.store.quantize import int8_codes, sign_bits
from semfind.engine.store.records import EmbedModelRow
from semfind.engine.store.rows import first_value


def bit_width(dim: int) -> int:
    """Bits stored per vector: vec0 wants whole bytes, so the last byte is zero-padded."""
    return -(-dim // 8) * 8


def create_vector_tables(conn: apsw.Connection, model: EmbedModelRow) -> None:
    conn.execute(
        f"CREATE VIRTUAL TABLE {model.bits_table} USING vec0(bits bit[{bit_width(model.dim)}])"
    )
    conn.execute(f"CREATE TABLE {model.codes_table} (id INTEGER PRIMARY KEY, code BLOB NOT NULL)")


def insert_vectors(
    conn: apsw.Connection, model: EmbedModelRow, ids: Sequence[int], vectors: np.ndarray
) -> None:
    """Store the sign bits and int8 codes of `vectors` (one row each) under `ids`."""
    insert_codes(conn, model, ids, sign_bits(vectors), int8_codes(vectors))


def insert_codes(
    conn: apsw.Connection,
    model: EmbedModelRow,
    ids: Sequence[int],
    bits: np.ndarray,
    codes: np.ndarray,
) -> None:
    """Store already computed sign bits and int8 codes, row for row with `ids`."""
    conn.executemany(
        f"INSERT INTO {model.bits_table}(rowid, bits) VALUES (?, vec_bit(?))",
        [(vid, row.tobytes()) for vid, row in zip(ids, bits, strict=True)],
    )
    conn.executemany(
        f"INSERT INTO {model.codes_table}(id, code) VALUES (?, ?)",
        [(vid, row.tobytes()) for vid, row in zip(ids, codes, strict=True)],
    )


def read_bits(conn: apsw.Connection, model: EmbedModelRow) -> tuple[np.ndarray, np.ndarray]:
    """(vector ids ascending, sign bits as (n, bytes) rows) of every vector of `model`.

    Reads sqlite-vec's chunk tables in bulk: a million rows through the vec0 table itself
    take several seconds, its chunks a few tens of milliseconds. Should the layout ever not
    match what is expected, the rows are read one by one instead.
    """
    try:
        found = _read_chunks(conn, model)
    except (apsw.SQLError, ValueError, KeyError):
        found = None
    return found if found is not None else _read_rows(conn, model)


def _read_chunks(
    conn: apsw.Connection, model: EmbedModelRow
) -> tuple[np.ndarray, np.ndarray] | None:
    width = bit_width(model.dim) // 8
    table = model.bits_table
    blobs = dict(conn.execute(f"SELECT rowid, vectors FROM {table}_vector_chunks00"))
    ids: list[np.ndarray] = []
    rows: list[np.ndarray] = []
    for chunk_id, size, validity, rowids in conn.execute(
        f"SELECT chunk_id, size, validity, rowids FROM {table}_chunks ORDER BY chunk_id"
    ):
        valid = np.unpackbits(np.frombuffer(validity, np.uint8), bitorder="little")[:size] > 0
        chunk_ids = np.frombuffer(rowids, np.int64)[:size]
        chunk_bits = np.frombuffer(blobs[chunk_id], np.uint8)[: size * width].reshape(-1, width)
        if len(valid) != size or len(chunk_ids) != size or len(chunk_bits) != size:
            return None
        ids.append(chunk_ids[valid])
        rows.append(chunk_bits[valid])
    all_ids = np.concatenate(ids) if ids else np.zeros(0, np.int64)
    all_bits = np.concatenate(rows) if rows else np.zeros((0, width), np.uint8)
    # sqlite-vec's rowid table is small per row; counting the codes would read them all.
    expected = first_value(conn.execute(f"SELECT count(*) AS n FROM {table}_rowids"), "n")
    if expected is None or int(expected) != len(all_ids):
        return None
    order = np.argsort(all_ids, kind="stable")
    return all_ids[order], all_bits[order]


def _read_rows(conn: apsw.Connection, model: EmbedModelRow) -> tuple[np.ndarray, np.ndarray]:
    width = bit_width(model.dim) // 8
    ids: list[int] = []
    blobs: list[bytes] = []
    for rowid, blob in conn.execute(f"SELECT rowid, bits FROM {model.bits_table} ORDER BY rowid"):
        ids.append(int(rowid))
        blobs.append(blob)
    flat = np.frombuffer(b"".join(blobs), dtype=np.uint8)
    return np.array(ids, dtype=np.int64), flat.reshape(len(ids), width)
