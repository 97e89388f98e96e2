from __future__ import annotations

import os
from pathlib import Path

import apsw
import numpy as np
import pytest

from semfind.engine.errors import NotAnIndexError, SchemaTooNewError, StoreError
from semfind.engine.store.db import APPLICATION_ID
from semfind.engine.store.migrations import LATEST_VERSION
from semfind.engine.store.records import FileMeta, UnitDraft
from semfind.engine.store.store import Store


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
    from semfind.engine.store import migrations

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
    from semfind.engine.store import migrations

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


def _titled(title: str, text: str, ord_: int = 0) -> UnitDraft:
    return UnitDraft(
        "passage", ord_, text, None, 0, len(text), 1, 1, embed_text=f"{title}\n\n{text}"
    )


def test_a_title_over_a_passage_is_flagged_not_stored_and_rebuilt_exactly(store: Store) -> None:
    model = store.ensure_model("k1", "m", 4)
    meta = FileMeta("/d/frost.md", 10, 1, "h1", "markdown", "Frost dates")
    other = UnitDraft("passage", 1, "Sow after frost.", None, 0, 16, 1, 1, embed_text="custom")
    units = [_titled("Frost dates", "Basil hates frost."), other]
    store.write_file(meta, units, model, {})
    stored = store.conn.execute("SELECT embed_text, embed_titled FROM units ORDER BY id")
    assert stored.fetchall() == [(None, 1), ("custom", 0)]
    assert sorted(store.units_without_vectors(model)) == sorted(
        (u.embed_hash, u.embed_input) for u in units
    )


def test_a_move_that_retitles_a_file_keeps_the_text_its_passages_were_embedded_from(
    store: Store,
) -> None:
    model = store.ensure_model("k1", "m", 4)
    unit = _titled("old.md", "Mint spreads by runners.")
    store.write_file(FileMeta("/d/old.md", 10, 1, "h1", "markdown", "old.md"), [unit], model, {})
    assert store.move_files("/d/old.md", "/d/new.md") == 1
    assert store.conn.execute("SELECT title FROM files").fetchone()[0] == "new.md"
    assert store.units_without_vectors(model) == [
        (unit.embed_hash, "old.md\n\nMint spreads by runners.")
    ]


def _version_five(path: Path) -> None:
    """An index as semfind wrote it at schema 5: three passages, two with stored titles."""
    from semfind.engine.store import migrations

    conn = apsw.Connection(str(path))
    conn.enable_load_extension(True)
    import sqlite_vec

    conn.load_extension(sqlite_vec.loadable_path())
    with conn:
        for migration in migrations.MIGRATIONS[:5]:
            migration(conn)
        conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")
        conn.execute("PRAGMA user_version = 5")
        conn.execute(
            "INSERT INTO files(id, path, title, size, mtime_ns, status, indexed_at)"
            " VALUES (1, '/n/garden.md', 'Garden', 1, 1, 'indexed', 0)"
        )
        for unit_id, text, embed_text in (
            (1, "Basil hates frost.", "Garden\n\nBasil hates frost."),
            (2, "Garden\n\nMint.", None),
            (3, "Thyme.", "Other\n\nThyme."),
        ):
            conn.execute(
                "INSERT INTO units(id, file_id, kind, ord, text, embed_text, embed_hash,"
                " char_start, char_end, line_start, line_end) VALUES (?, 1, 'passage', ?, ?, ?,"
                " ?, 0, 1, 1, 1)",
                (unit_id, unit_id, text, embed_text, f"h{unit_id}"),
            )
    conn.close()


def test_version_five_indexes_flag_their_titled_passages(tmp_path: Path) -> None:
    path = tmp_path / "v5.db"
    _version_five(path)
    with Store.open(path) as store:
        rows = store.conn.execute("SELECT id, embed_text, embed_titled FROM units ORDER BY id")
        assert rows.fetchall() == [(1, None, 1), (2, None, 0), (3, "Other\n\nThyme.", 0)]
        model = store.ensure_model("k1", "m", 4)
        assert sorted(store.units_without_vectors(model)) == [
            ("h1", "Garden\n\nBasil hates frost."),
            ("h2", "Garden\n\nMint."),
            ("h3", "Other\n\nThyme."),
        ]


def test_upgrades_of_existing_indexes_are_announced_and_new_indexes_are_not(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from semfind.engine.store import db, notices

    heard: list[tuple[Path, int, int, bool]] = []
    monkeypatch.setattr(notices, "upgrade_notices", [])
    db.on_upgrade(lambda path, old, new, seconds: heard.append((path, old, new, seconds is None)))
    Store.open(tmp_path / "new.db").close()
    assert heard == []
    _version_five(tmp_path / "v5.db")
    Store.open(tmp_path / "v5.db", readonly=True).close()
    v5 = tmp_path / "v5.db"
    assert heard == [(v5, 5, LATEST_VERSION, True), (v5, 5, LATEST_VERSION, False)]
    Store.open(v5).close()
    assert len(heard) == 2


def test_the_cli_says_it_is_upgrading_an_old_index(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from click.testing import CliRunner

    from semfind.app.cli import cli
    from semfind.engine.store import notices

    monkeypatch.setattr(notices, "upgrade_notices", [])
    _version_five(tmp_path / "v5.db")
    result = CliRunner().invoke(cli, ["--db", str(tmp_path / "v5.db"), "status"])
    assert result.exit_code == 0, result.output
    assert "upgrading the index" in result.output and "index upgraded in" in result.output


def test_named_rows_key_values_by_column_name(tmp_path: Path) -> None:
    from semfind.engine.store.rows import named_rows

    with Store.open(tmp_path / "rows.sqlite3") as store:
        store.add_watch(str(tmp_path))
        found = list(named_rows(store.conn.execute("SELECT path, 1 AS one FROM watches")))
        assert found == [{"path": str(tmp_path), "one": 1}]
        assert list(named_rows(store.conn.execute("SELECT path FROM watches WHERE 0"))) == []
        with pytest.raises(ValueError, match="AS names"):
            list(named_rows(store.conn.execute("SELECT path, path FROM watches")))


def test_named_columns_read_by_name_in_the_order_asked() -> None:
    from semfind.engine.store.rows import named_columns

    conn = apsw.Connection(":memory:")
    conn.execute("CREATE TABLE t (a INTEGER, b TEXT); INSERT INTO t VALUES (1, 'x'), (2, 'y')")
    query = "SELECT a, b FROM t ORDER BY a"
    assert list(named_columns(conn.execute(query), "a", "b")) == [(1, "x"), (2, "y")]
    assert list(named_columns(conn.execute(query), "b", "a")) == [("x", 1), ("y", 2)]
    assert list(named_columns(conn.execute("SELECT a FROM t WHERE 0"), "a")) == []
    with pytest.raises(ValueError, match="no column 'c'"):
        list(named_columns(conn.execute(query), "a", "c"))
