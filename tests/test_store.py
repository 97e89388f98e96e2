from __future__ import annotations

import os
from pathlib import Path

import apsw
import numpy as np
import pytest

from semfind.engine.db import APPLICATION_ID
from semfind.engine.errors import NotAnIndexError, SchemaTooNewError, StoreError
from semfind.engine.migrations import LATEST_VERSION
from semfind.engine.records import FileMeta, UnitDraft
from semfind.engine.store import Store


def _unit(text: str, ord_: int = 0) -> UnitDraft:
    return UnitDraft("passage", ord_, text, None, 0, len(text), 1, 1)


def _vec(seed: int, dim: int = 4) -> np.ndarray:
    v = np.random.default_rng(seed).standard_normal(dim).astype(np.float32)
    return v / np.linalg.norm(v)


def test_new_index_is_migrated_and_marked(tmp_path: Path) -> None:
    with Store.open(tmp_path / "i.db") as store:
        assert store.conn.execute("PRAGMA user_version").fetchone()[0] == LATEST_VERSION
        assert store.conn.execute("PRAGMA application_id").fetchone()[0] == APPLICATION_ID
        assert store.conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_garbage_file_is_refused_and_left_untouched(tmp_path: Path) -> None:
    path = tmp_path / "i.db"
    junk = os.urandom(4096)
    path.write_bytes(junk)
    with pytest.raises(NotAnIndexError, match="not a SQLite database"):
        Store.open(path)
    assert path.read_bytes() == junk


def test_foreign_sqlite_database_is_refused_and_left_untouched(tmp_path: Path) -> None:
    path = tmp_path / "other.db"
    conn = apsw.Connection(str(path))
    conn.execute("CREATE TABLE invoices(id INTEGER PRIMARY KEY, total REAL)")
    conn.close()
    before = path.read_bytes()
    with pytest.raises(NotAnIndexError, match="not a semfind index"):
        Store.open(path)
    assert path.read_bytes() == before


def test_newer_schema_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "i.db"
    Store.open(path).close()
    conn = apsw.Connection(str(path))
    conn.execute(f"PRAGMA user_version = {LATEST_VERSION + 1}")
    conn.close()
    with pytest.raises(SchemaTooNewError, match="newer semfind"):
        Store.open(path)


def test_readonly_open_of_missing_index_explains(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="semfind index"):
        Store.open(tmp_path / "none.db", readonly=True)


def test_write_replace_and_delete_file(store: Store) -> None:
    model = store.ensure_model("k1", "m", 4)
    meta = FileMeta("/d/a.md", 10, 1, "h1", "markdown", "A")
    units = [_unit("alpha beta"), _unit("gamma", 1)]
    store.write_file(meta, units, model, {u.embed_hash: _vec(i) for i, u in enumerate(units)})
    assert store.counts()["units"] == 2 and store.vector_count(model) == 2
    store.write_file(meta, [_unit("delta")], model, {_unit("delta").embed_hash: _vec(9)})
    assert store.counts()["units"] == 1
    fts = store.conn.execute("SELECT count(*) FROM units_fts WHERE units_fts MATCH 'alpha'")
    assert fts.fetchone()[0] == 0
    assert store.prune_vectors() == 2
    state = store.file_state("/d/a.md")
    assert state is not None
    store.delete_files([state.id])
    assert store.counts() == {"files": 0, "failed": 0, "skipped": 0, "units": 0, "vectors": 1}
    assert store.prune_vectors() == 1


def test_models_keep_separate_vectors(store: Store) -> None:
    first = store.ensure_model("k1", "one", 4)
    second = store.ensure_model("k2", "two", 8)
    unit = _unit("shared text")
    store.write_file(FileMeta("/a", 1, 1, "h"), [unit], first, {unit.embed_hash: _vec(1)})
    assert store.missing_hashes(first, [unit.embed_hash]) == set()
    assert store.missing_hashes(second, [unit.embed_hash]) == {unit.embed_hash}
    assert store.units_without_vectors(second) == [(unit.embed_hash, "shared text")]
    store.add_vectors(second, {unit.embed_hash: _vec(2, 8)})
    assert store.vector_count(first) == 1 and store.vector_count(second) == 1
    assert store.ensure_model("k1", "one", 4) == first
    with pytest.raises(StoreError, match="dimension"):
        store.ensure_model("k1", "one", 5)


def test_failure_is_recorded_and_listed(store: Store) -> None:
    store.write_status(FileMeta("/d/bad.pdf", 5, 1, None), "failed", "corrupt PDF: eof")
    failures = store.failures()
    assert [(f.path, f.status, f.error) for f in failures] == [
        ("/d/bad.pdf", "failed", "corrupt PDF: eof")
    ]


def test_files_under_matches_whole_path_components(store: Store) -> None:
    for path in ("/notes/a.md", "/notes/sub/b.md", "/notes2/c.md", "/notes"):
        store.write_status(FileMeta(path, 1, 1, None), "skipped", "x")
    assert sorted(s.path for s in store.files_under("/notes")) == [
        "/notes",
        "/notes/a.md",
        "/notes/sub/b.md",
    ]


def test_index_from_the_first_schema_is_migrated_even_when_opened_read_only(tmp_path: Path) -> None:
    from semfind.engine import migrations

    path = tmp_path / "old.db"
    conn = apsw.Connection(str(path))
    with conn:
        migrations.MIGRATIONS[0](conn)
        conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")
        conn.execute("PRAGMA user_version = 1")
        conn.execute(
            "INSERT INTO files(path, size, mtime_ns, status, indexed_at)"
            " VALUES ('/a', 1, 1, 'indexed', 0)"
        )
    conn.close()
    with Store.open(path, readonly=True) as store:
        assert store.conn.execute("PRAGMA user_version").fetchone()[0] == LATEST_VERSION
        state = store.file_state("/a")
        assert state is not None and state.segmenter is None


def test_a_directory_in_place_of_the_index_is_a_store_error(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="cannot open index"):
        Store.open(tmp_path)


def test_version_two_indexes_move_parts_to_their_own_keyword_table(tmp_path: Path) -> None:
    from semfind.engine import migrations

    path = tmp_path / "v2.db"
    conn = apsw.Connection(str(path))
    with conn:
        migrations.MIGRATIONS[0](conn)
        migrations.MIGRATIONS[1](conn)
        conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")
        conn.execute("PRAGMA user_version = 2")
        conn.execute(
            "INSERT INTO files(id, path, size, mtime_ns, status, indexed_at)"
            " VALUES (1, '/n/garden.md', 1, 1, 'indexed', 0)"
        )
        for unit_id, parent, kind, text in (
            (1, None, "passage", "Basil hates frost. Mint spreads."),
            (2, 1, "proposition", "Basil hates frost."),
            (3, 1, "proposition", "Mint spreads."),
        ):
            conn.execute(
                "INSERT INTO units(id, file_id, parent_id, kind, ord, text, embed_hash,"
                " char_start, char_end, line_start, line_end) VALUES (?, 1, ?, ?, ?, ?, 'h',"
                " 0, 1, 1, 1)",
                (unit_id, parent, kind, unit_id, text),
            )
            conn.execute(
                "INSERT INTO units_fts(rowid, title, text) VALUES (?, NULL, ?)", (unit_id, text)
            )
    conn.close()
    with Store.open(path) as store:

        def matching(table: str, word: str) -> list[int]:
            sql = f"SELECT rowid FROM {table} WHERE {table} MATCH ? ORDER BY rowid"
            return [int(r[0]) for r in store.conn.execute(sql, (word,))]

        assert matching("units_fts", "basil") == [1]
        assert matching("parts_fts", "basil") == [2]
        assert matching("parts_fts", "mint") == [3]
        assert matching("parts_fts", "title:garden") == [2, 3]


def _fts_hits(store: Store, match: str) -> int:
    row = store.conn.execute("SELECT count(*) FROM units_fts WHERE units_fts MATCH ?", (match,))
    return int(row.fetchone()[0])


def test_a_move_keeps_ids_and_vectors_and_renames_a_name_title(store: Store) -> None:
    model = store.ensure_model("k1", "m", 4)
    named = FileMeta("/d/sub/old-name.txt", 10, 1, "h1", "text", "old-name.txt")
    titled = FileMeta("/d/sub/t.md", 10, 1, "h2", "markdown", "Real title")
    replaced = FileMeta("/e/sub/t.md", 3, 1, "h3", "markdown", "Gone soon")
    for number, meta in enumerate((named, titled, replaced)):
        unit = _unit(f"body text number{number}")
        store.write_file(meta, [unit], model, {unit.embed_hash: _vec(number)})
    before = {path: store.file_state(path) for path in (named.path, titled.path)}
    units_before = store.conn.execute("SELECT id, text FROM units ORDER BY id").fetchall()

    assert store.move_files("/d/sub", "/e/sub") == 2
    assert store.move_files("/e/sub/old-name.txt", "/e/sub/new-name.txt") == 1

    assert store.files_under("/d") == []
    moved = store.file_state("/e/sub/new-name.txt")
    assert moved is not None and before[named.path] is not None
    assert moved.id == before[named.path].id  # type: ignore[union-attr]
    kept = store.file_state("/e/sub/t.md")
    assert kept is not None and kept.content_hash == "h2"  # the replaced file left
    units_after = store.conn.execute("SELECT id, text FROM units ORDER BY id").fetchall()
    assert units_after == [u for u in units_before if u[1] != "body text number2"]
    assert store.vector_count(model) == 3 and store.prune_vectors() == 1
    titles = dict(store.conn.execute("SELECT path, title FROM files").fetchall())
    assert titles == {"/e/sub/new-name.txt": "new-name.txt", "/e/sub/t.md": "Real title"}
    assert _fts_hits(store, 'title:"new name"') == 1 and _fts_hits(store, 'title:"old"') == 0
    assert _fts_hits(store, "number0") == 1 and _fts_hits(store, "number2") == 0
    assert store.conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
