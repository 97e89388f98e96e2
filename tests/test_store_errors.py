"""The store translates SQLite's errors at its boundary: every caller of its connection,
the searcher's included, gets semfind's errors with a message, never an apsw exception."""

from __future__ import annotations

from pathlib import Path

import apsw
import pytest

from semfind.engine.config import Settings
from semfind.engine.errors import DiskFullError, NotAnIndexError
from semfind.engine.search.query import Filters
from semfind.engine.session.engine import Engine
from semfind.engine.store.store import Store
from semfind.indexer.indexing import Indexer

from .fakes import FakeEmbedder
from .helpers import garden_tree
from .test_doctor import _garble_all_but_schema_and_watches


@pytest.fixture
def indexed(tmp_path: Path) -> Settings:
    settings = Settings(db=tmp_path / "index.sqlite3", units="both")
    with Engine(settings, writer=True, open_embedder=lambda s: FakeEmbedder()) as engine:
        Indexer(engine.store(), engine.embedder(), settings).index_paths(
            [garden_tree(tmp_path / "docs")]
        )
    return settings


def test_damage_met_in_a_read_is_a_store_error(indexed: Settings) -> None:
    _garble_all_but_schema_and_watches(indexed.db_path())
    with Store.open(indexed.db_path(), readonly=True) as store:
        with pytest.raises(NotAnIndexError, match=r"the index is damaged .*semfind doctor"):
            store.counts()
        with pytest.raises(NotAnIndexError):
            list(store.conn.execute("SELECT text FROM units"))


def test_damage_met_by_a_search_is_a_store_error(indexed: Settings) -> None:
    _garble_all_but_schema_and_watches(indexed.db_path())
    engine = Engine(indexed, embed_queries=False)
    with engine, pytest.raises(NotAnIndexError):
        engine.searcher().search("tomatoes", k=3, mode="keyword", filters=Filters())


def test_a_full_disk_in_any_write_is_disk_full(indexed: Settings) -> None:
    with Store.open(indexed.db_path()) as store:
        pages = store.conn.execute("PRAGMA page_count").fetchone()[0]
        store.conn.execute(f"PRAGMA max_page_count = {pages}")  # SQLite's own full disk
        with pytest.raises(DiskFullError, match="is full; the last write was undone"):
            store.conn.execute("CREATE TABLE filler(x)")
            store.conn.execute("INSERT INTO filler VALUES (zeroblob(1000000))")


def test_a_bug_stays_a_sqlite_error(indexed: Settings) -> None:
    with Store.open(indexed.db_path(), readonly=True) as store, pytest.raises(apsw.SQLError):
        store.conn.execute("SELECT nothing FROM nowhere")
