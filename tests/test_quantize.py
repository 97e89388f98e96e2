"""Sign bits, int8 codes and the weighted Hamming scan against plain numpy."""

from __future__ import annotations

from pathlib import Path

import apsw
import numpy as np

from semfind.engine.search.vector_index import nearest
from semfind.engine.store.db import APPLICATION_ID
from semfind.engine.store.migrations import LATEST_VERSION, MIGRATIONS
from semfind.engine.store.quantize import BitPlanes, from_int8, int8_codes, sign_bits
from semfind.engine.store.records import EmbedModelRow
from semfind.engine.store.store import Store
from semfind.engine.store.vector_tables import _read_chunks, _read_rows, read_bits


def _unit_rows(n: int, dim: int, seed: int = 0) -> np.ndarray:
    rows = np.random.default_rng(seed).normal(size=(n, dim)).astype(np.float32)
    return rows / np.linalg.norm(rows, axis=1, keepdims=True)


def test_int8_codes_keep_cosines_within_a_hundredth() -> None:
    rows = _unit_rows(200, 384)
    back = from_int8(int8_codes(rows))
    cosines = np.sum(rows * back, axis=1)
    assert cosines.min() > 0.999
    assert int8_codes(np.zeros(4)).tolist() == [[0, 0, 0, 0]]


def test_bit_distances_match_a_plain_weighted_hamming_count() -> None:
    rows = _unit_rows(300, 72, seed=1)  # 72 dimensions: a partial last word
    query = _unit_rows(1, 72, seed=2)[0]
    got = BitPlanes(sign_bits(rows)).distances(query)
    strength = np.argsort(np.argsort(np.abs(query), kind="stable"), kind="stable")
    weight = 1 + (strength >= 36).astype(int)  # two levels: the stronger half counts twice
    expected = (((rows > 0) != (query > 0)) * weight).sum(axis=1)
    assert got.tolist() == expected.tolist()


def test_bits_follow_sqlite_vec_bit_order() -> None:
    conn = apsw.Connection(":memory:")
    import sqlite_vec

    conn.enable_load_extension(True)
    conn.load_extension(sqlite_vec.loadable_path())
    vector = np.array([1, -1, -1, 1, 1, -1, -1, -1, -2, 3, -1, -1, -1, -1, -1, -1], np.float32)
    ours = sign_bits(vector)[0].tobytes()
    theirs = conn.execute("SELECT vec_quantize_binary(?)", (vector.tobytes(),)).fetchone()[0]
    assert ours == theirs


def test_nearest_finds_the_exact_top_ten_on_random_vectors(store: Store) -> None:
    model = store.ensure_model("rand", "rand", 64)
    rows = _unit_rows(3000, 64, seed=3)
    store.add_vectors(model, {f"h{i}": row for i, row in enumerate(rows)})
    ids, bits = read_bits(store.conn, model)
    assert len(ids) == 3000
    query = _unit_rows(1, 64, seed=4)[0]
    found = nearest(store, model, (ids, BitPlanes(bits)), query, 10)
    exact = np.argsort(-(rows @ query))[:10]
    id_of = dict(store.conn.execute("SELECT text_hash, id FROM vectors"))
    assert {vid for vid, _ in found} == {id_of[f"h{i}"] for i in exact}
    assert [s for _, s in found] == sorted((s for _, s in found), reverse=True)


def test_bulk_read_of_sqlite_vec_chunks_equals_reading_rows(store: Store) -> None:
    model = store.ensure_model("rand", "rand", 40)  # 40 bits: 5 bytes a row
    store.add_vectors(model, {f"h{i}": row for i, row in enumerate(_unit_rows(2500, 40))})
    store.conn.execute(f"DELETE FROM {model.bits_table} WHERE rowid % 7 = 0")
    store.conn.execute(f"DELETE FROM {model.codes_table} WHERE id % 7 = 0")
    assert _read_chunks(store.conn, model) is not None  # the bulk path holds after deletions
    bulk, rows = read_bits(store.conn, model), _read_rows(store.conn, model)
    assert np.array_equal(bulk[0], rows[0]) and np.array_equal(bulk[1], rows[1])
    assert len(bulk[0]) == 2500 - 2500 // 7


def test_float_vectors_of_an_older_index_become_bits_and_codes(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    conn = apsw.Connection(str(path))
    import sqlite_vec

    conn.enable_load_extension(True)
    conn.load_extension(sqlite_vec.loadable_path())
    rows = _unit_rows(5000, 16)  # more than one page of the migration
    with conn:  # the schema as semfind wrote it at version 4
        for migration in MIGRATIONS[:4]:
            migration(conn)
        conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")
        conn.execute(
            "INSERT INTO embed_models(key, name, dim, created_at) VALUES ('k', 'm', 16, 0)"
        )
        conn.execute("CREATE VIRTUAL TABLE vec_m1 USING vec0(embedding float[16])")
        for i, row in enumerate(rows, start=1):
            conn.execute(
                "INSERT INTO vectors(id, model_id, text_hash) VALUES (?, 1, ?)", (i, f"h{i}")
            )
            conn.execute("INSERT INTO vec_m1(rowid, embedding) VALUES (?, ?)", (i, row.tobytes()))
        conn.execute("PRAGMA user_version = 4")
    conn.close()
    with Store.open(path) as store:
        assert store.conn.execute("PRAGMA user_version").fetchone()[0] == LATEST_VERSION
        model = EmbedModelRow(1, "k", "m", 16)
        ids, codes = store.codes(model, list(range(1, 5001)))
        assert ids.tolist() == list(range(1, 5001))
        assert np.allclose(from_int8(codes), rows, atol=0.02)
        assert len(read_bits(store.conn, model)[0]) == 5000
        names = {r[0] for r in store.conn.execute("SELECT name FROM sqlite_master")}
        assert "vec_m1" not in names and "vbits_m1" in names


def test_migrations_are_frozen() -> None:
    """Each carries its SQL and code as of its schema: later changes to the store's vector
    or keyword code must not change what an old index is migrated to."""
    import inspect

    from semfind.engine.store import migrations

    assert "semfind" not in inspect.getsource(migrations)
    for migration in migrations.MIGRATIONS:
        assert "semfind" not in inspect.getsource(migration), migration.__name__


def test_migration_7_keeps_the_bigram_rules_of_schema_7() -> None:
    """The frozen copy writes what today's rules write (they have not changed since)."""
    from semfind.engine.store import cjk, migrations

    for text in ("私は金閣寺に行きました", "경복궁 and 猫", "plain English", "𠀋𠀌 ext B", ""):
        assert migrations._fts_text7(text) == cjk.fts_text(text)
