"""`semfind doctor`, and the other commands on an index that is locked, damaged, foreign
or too new: clear one-line errors that point to the doctor, and files left byte for byte."""

from __future__ import annotations

import dataclasses
import os
import random
import re
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path

import apsw
import pytest
from click.testing import CliRunner

from semfind.app.cli import main
from semfind.engine.config import Settings
from semfind.engine.models import registry as models
from semfind.engine.search.searcher import Searcher
from semfind.engine.store import db as index_db
from semfind.engine.store import doctor
from semfind.engine.store.lock import WriterLock
from semfind.engine.store.migrations import LATEST_VERSION
from semfind.engine.store.store import Store

from .fakes import FakeEmbedder

FIXTURE = Path(__file__).parent / "fixtures" / "index-v6.sqlite3"
FIXTURE_COUNTS = {"files": 4, "failed": 1, "skipped": 0, "units": 12, "vectors": 11}
WATCHED = "/fixture/docs"


@dataclasses.dataclass(frozen=True)
class Ran:
    code: int
    out: str
    err: str


@pytest.fixture(autouse=True)
def quick_and_offline(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Locks are given up on at once, and `semfind index` embeds with the fake model."""
    monkeypatch.setattr(index_db, "BUSY_TIMEOUT_MS", 50)
    monkeypatch.setattr(doctor, "CHECK_BUSY_MS", 50)
    monkeypatch.setattr(models, "open_embedder", lambda settings, spec=None: FakeEmbedder())
    monkeypatch.setenv("SEMFIND_RUNTIME_DIR", str(tmp_path / "run"))


def semfind(monkeypatch: pytest.MonkeyPatch, *args: str, answer: str | None = None) -> Ran:
    """`semfind ARGS` through main(), the edge that turns errors into messages and codes."""
    runner = CliRunner()
    code = 0
    with runner.isolation(input=answer) as (out, err, _), monkeypatch.context() as patch:
        patch.setattr(sys, "argv", ["semfind", *args])
        try:
            main()
        except SystemExit as exc:
            code = int(exc.code or 0)
        sys.stdout.flush()
        sys.stderr.flush()
        return Ran(code, out.getvalue().decode(), err.getvalue().decode())


@pytest.fixture
def index(tmp_path: Path) -> Path:
    """A copy of the committed fixture, opened (so migrated) by this semfind."""
    path = tmp_path / "data" / "index.sqlite3"
    path.parent.mkdir()
    shutil.copyfile(FIXTURE, path)
    Store.open(path).close()
    return path


@pytest.fixture
def docs(tmp_path: Path) -> Path:
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "note.md").write_text("A note about sourdough starters.\n")
    return folder


def _normal_commands(monkeypatch: pytest.MonkeyPatch, db: Path, docs: Path) -> list[Ran]:
    return [
        semfind(monkeypatch, "--db", str(db), "search", "sourdough", "--mode", "keyword"),
        semfind(monkeypatch, "--db", str(db), "status"),
        semfind(monkeypatch, "--db", str(db), "index", "-q", str(docs)),
    ]


def _assert_refused(runs: list[Ran], *words: str) -> None:
    for ran in runs:
        assert ran.code == 1, ran
        message = ran.err.strip()
        assert "\n" not in message, message
        assert message.startswith("semfind: ") and "`semfind doctor`" in message, message
        assert "Traceback" not in message
        for word in words:
            assert word in message, message


def _aside(db: Path) -> list[Path]:
    """Old files moved aside, without their -wal, -shm companions."""
    moved = db.parent.glob(db.name + ".broken-*")
    return sorted(p for p in moved if not p.name.endswith(doctor.SIDE_SUFFIXES))


# -- the committed fixture, which guards future migrations ------------------------------


def test_fixture_is_a_small_self_contained_schema_6_index() -> None:
    header = FIXTURE.read_bytes()[:100]  # read, never opened: SQLite could leave a -shm
    assert FIXTURE.stat().st_size < 256 * 1024
    assert header[:16] == index_db.SQLITE_MAGIC
    assert header[18:20] == b"\x01\x01"  # rollback journal, so no -wal belongs to it
    assert int.from_bytes(header[60:64], "big") == 6  # user_version
    assert int.from_bytes(header[68:72], "big") == index_db.APPLICATION_ID
    for suffix in ("-wal", "-shm", "-journal"):
        assert not FIXTURE.with_name(FIXTURE.name + suffix).exists()


def test_fixture_index_opens_with_this_semfind_and_still_finds_its_files(
    tmp_path: Path,
) -> None:
    path = tmp_path / "old.sqlite3"
    shutil.copyfile(FIXTURE, path)
    with Store.open(path) as store:
        assert store.conn.execute("PRAGMA user_version").fetchone()[0] == LATEST_VERSION
        assert store.counts() == FIXTURE_COUNTS
        assert store.watches() == [WATCHED]
        assert [m.name for m in store.models()] == ["fake-fake-v1"]
        searcher = Searcher(store, FakeEmbedder(), Settings(db=path))
        assert searcher.search("sourdough starter", mode="keyword")[0].path.endswith(
            "/fixture/docs/kitchen.md"
        )
        assert searcher.search("cactus sun water", mode="vector")[0].path.endswith(
            "garden/cactus.txt"
        )
        hits = searcher.search("passport rain jacket")
        assert hits[0].path == "/fixture/docs/travel/packing.md"
        assert "Passport" in hits[0].text
        assert not store.units_without_vectors(store.models()[0])


# -- healthy and missing ----------------------------------------------------------------


def test_a_healthy_index_gets_its_facts_and_exit_code_zero(
    monkeypatch: pytest.MonkeyPatch, index: Path
) -> None:
    before = index.read_bytes()
    ran = semfind(monkeypatch, "--db", str(index), "doctor")
    assert ran.code == 0, ran
    lines = ran.out.splitlines()
    assert lines[0] == f"The index {index} is healthy: quick_check found no problems."
    assert f"  schema {LATEST_VERSION} (current)" in lines
    assert "  4 files indexed, 1 failed, 0 skipped; 12 units; 11 vectors" in lines
    assert "  1 watched folder" in lines
    pages = len(before) // 4096  # the file as it is, read before doctor ran
    assert f"  {len(before) / 1024:.1f} KiB in {pages} pages of 4,096 bytes" in lines
    full = semfind(monkeypatch, "--db", str(index), "doctor", "--full")
    assert full.code == 0 and "integrity_check found no problems" in full.out
    assert index.read_bytes() == before


def test_an_older_schema_is_healthy_and_upgraded_on_next_use(
    monkeypatch: pytest.MonkeyPatch, index: Path
) -> None:
    monkeypatch.setattr(doctor, "LATEST_VERSION", LATEST_VERSION + 1)
    found = doctor.diagnose(index)
    assert found.state is doctor.State.HEALTHY and found.version == LATEST_VERSION
    assert found.explain()[1] == (
        f"schema {LATEST_VERSION}; this semfind upgrades it to {LATEST_VERSION + 1} the next "
        "time it opens it"
    )


def test_no_index_yet_is_not_a_fault(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    db = tmp_path / "none.sqlite3"
    ran = semfind(monkeypatch, "--db", str(db), "doctor")
    assert ran.code == 0 and "There is no index at" in ran.out and "semfind index" in ran.out
    refused = semfind(monkeypatch, "--db", str(db), "doctor", "--rebuild", "--yes")
    assert refused.code == 2 and "not rebuilding" in refused.err
    assert not db.exists()


def test_a_healthy_index_is_not_rebuilt(monkeypatch: pytest.MonkeyPatch, index: Path) -> None:
    before = index.read_bytes()
    ran = semfind(monkeypatch, "--db", str(index), "doctor", "--rebuild", "--yes")
    assert ran.code == 2 and "it is healthy" in ran.err
    assert index.read_bytes() == before and _aside(index) == []


# -- locked -----------------------------------------------------------------------------


def test_an_index_another_semfind_writes_to_names_its_pid(
    monkeypatch: pytest.MonkeyPatch, index: Path, docs: Path
) -> None:
    before = index.read_bytes()
    with WriterLock(index):
        ran = semfind(monkeypatch, "--db", str(index), "doctor")
        assert ran.code == 1
        assert f"semfind process {os.getpid()} is writing to it" in ran.out
        assert "Nothing was checked or changed" in ran.out
        assert "semfind daemon stop" in ran.out
        indexing = semfind(monkeypatch, "--db", str(index), "index", str(docs))
        _assert_refused([indexing], f"another semfind process (pid {os.getpid()})")
        rebuild = semfind(monkeypatch, "--db", str(index), "doctor", "--rebuild", "--yes")
        assert rebuild.code == 1 and "not rebuilding" in rebuild.err
        # Readers are not blocked by a writer: searching goes on meanwhile.
        search = semfind(
            monkeypatch, "--db", str(index), "search", "sourdough", "--mode", "keyword"
        )
        assert search.code == 0 and "kitchen.md" in search.out
    assert index.read_bytes() == before and _aside(index) == []


def test_an_index_another_program_holds_locked(
    monkeypatch: pytest.MonkeyPatch, index: Path, docs: Path
) -> None:
    before = index.read_bytes()
    holder = apsw.Connection(str(index))
    holder.execute("PRAGMA locking_mode = EXCLUSIVE")
    holder.execute("BEGIN EXCLUSIVE")
    try:
        ran = semfind(monkeypatch, "--db", str(index), "doctor")
        assert ran.code == 1
        assert ran.out.startswith(f"The index {index} is locked by another process")
        assert "Nothing was checked or changed" in ran.out
        _assert_refused(_normal_commands(monkeypatch, index, docs), "locked by another process")
        rebuild = semfind(monkeypatch, "--db", str(index), "doctor", "--rebuild", "--yes")
        assert rebuild.code == 1 and "not rebuilding" in rebuild.err
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert index.read_bytes() == before and _aside(index) == []


# -- damaged ----------------------------------------------------------------------------


def _garble_all_but_schema_and_watches(path: Path) -> None:
    """Random bytes over every page but those of the schema and the watches table."""
    conn = apsw.Connection(str(path), flags=apsw.SQLITE_OPEN_READONLY)
    try:
        keep = {
            int(r[0])
            for r in conn.execute(
                "SELECT pageno FROM dbstat WHERE name IN"
                " ('sqlite_schema', 'watches', 'sqlite_autoindex_watches_1')"
            )
        }
        page_size = int(conn.execute("PRAGMA page_size").fetchone()[0])
        pages = int(conn.execute("PRAGMA page_count").fetchone()[0])
    finally:
        conn.close()
    noise = random.Random(9)
    with path.open("r+b") as fh:
        for page in range(2, pages + 1):
            if page not in keep:
                fh.seek((page - 1) * page_size)
                fh.write(noise.randbytes(page_size))


def test_a_damaged_index_is_explained_left_alone_and_rebuilt_with_its_watches(
    monkeypatch: pytest.MonkeyPatch, index: Path, docs: Path
) -> None:
    _garble_all_but_schema_and_watches(index)
    before = index.read_bytes()
    ran = semfind(monkeypatch, "--db", str(index), "doctor")
    assert ran.code == 1
    assert ran.out.startswith(f"The index {index} is damaged: quick_check reported: ")
    assert "Nothing was changed" in ran.out
    assert "keeps its 1 watched folder" in ran.out
    _assert_refused(_normal_commands(monkeypatch, index, docs))
    assert index.read_bytes() == before

    rebuilt = semfind(monkeypatch, "--db", str(index), "doctor", "--rebuild", "--yes")
    assert rebuilt.code == 0, rebuilt
    (aside,) = _aside(index)
    assert re.fullmatch(r"index\.sqlite3\.broken-\d{8}-\d{6}", aside.name)
    assert aside.read_bytes() == before
    assert "moved aside, nothing deleted: index.sqlite3 -> index.sqlite3.broken-" in rebuilt.out
    assert "watching the 1 folder the old one watched" in rebuilt.out
    assert f"daemon start` (it indexes them), or `semfind --db {index} index {WATCHED}`" in (
        rebuilt.out
    )
    with Store.open(index) as store:
        assert store.watches() == [WATCHED]
        assert store.counts() == dict.fromkeys(FIXTURE_COUNTS, 0)
    healthy = semfind(monkeypatch, "--db", str(index), "doctor")
    assert healthy.code == 0 and "is healthy" in healthy.out and "1 watched folder" in healthy.out
    filled = semfind(monkeypatch, "--db", str(index), "index", "-q", str(docs))
    assert filled.code == 0, filled
    found = semfind(monkeypatch, "--db", str(index), "search", "sourdough", "--mode", "keyword")
    assert found.code == 0 and "note.md" in found.out


def test_a_file_that_is_not_sqlite_is_rebuilt_only_when_confirmed(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, docs: Path
) -> None:
    db = tmp_path / "index.sqlite3"
    junk = random.Random(1).randbytes(8192)
    db.write_bytes(junk)
    ran = semfind(monkeypatch, "--db", str(db), "doctor")
    assert ran.code == 1
    assert ran.out.startswith(f"The file {db} is not a SQLite database")
    assert "its watched folders cannot be read from it" in ran.out
    _assert_refused(_normal_commands(monkeypatch, db, docs), "not a SQLite database")
    assert db.read_bytes() == junk

    declined = semfind(monkeypatch, "--db", str(db), "doctor", "--rebuild", answer="n\n")
    assert declined.code == 1 and "nothing was changed" in declined.err
    assert "start a new, empty index? [y/N]" in declined.err
    assert db.read_bytes() == junk and _aside(db) == []

    accepted = semfind(monkeypatch, "--db", str(db), "doctor", "--rebuild", answer="y\n")
    assert accepted.code == 0, accepted
    (aside,) = _aside(db)
    assert aside.read_bytes() == junk
    assert "watched folders could not be read" in accepted.out
    with Store.open(db) as store:
        assert store.watches() == [] and store.counts()["files"] == 0


def test_companion_files_move_aside_with_the_database(tmp_path: Path) -> None:
    db = tmp_path / "index.sqlite3"
    db.write_bytes(b"not sqlite at all" * 10)
    wal = tmp_path / "index.sqlite3-wal"
    wal.write_bytes(b"old wal")
    aside = doctor.aside_path(db, 0.0)
    (tmp_path / aside.name).write_bytes(b"an earlier rescue")  # never overwritten
    aside = doctor.aside_path(db, 0.0)
    assert aside.name.endswith("-2")
    done = doctor.rebuild(db, aside)
    assert [(a.name, b.name) for a, b in done.moved] == [
        ("index.sqlite3", aside.name),
        ("index.sqlite3-wal", aside.name + "-wal"),
    ]
    assert Path(str(aside) + "-wal").read_bytes() == b"old wal"
    assert not wal.exists() or wal.read_bytes() != b"old wal"
    assert doctor.diagnose(db).state is doctor.State.HEALTHY


# -- foreign and too new -----------------------------------------------------------------


def test_a_foreign_database_is_named_and_left_alone(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, docs: Path
) -> None:
    db = tmp_path / "books.db"
    conn = apsw.Connection(str(db))
    conn.execute("CREATE TABLE invoices(id INTEGER PRIMARY KEY, total REAL)")
    conn.close()
    before = db.read_bytes()
    ran = semfind(monkeypatch, "--db", str(db), "doctor")
    assert ran.code == 1
    assert ran.out.startswith(
        f"The file {db} is a SQLite database but not a semfind index (its tables: invoices)."
    )
    assert "give semfind another file with --db" in ran.out
    _assert_refused(_normal_commands(monkeypatch, db, docs), "not a semfind index")
    assert db.read_bytes() == before
    rebuilt = semfind(monkeypatch, "--db", str(db), "doctor", "--rebuild", "--yes")
    assert rebuilt.code == 0, rebuilt
    (aside,) = _aside(db)
    assert aside.read_bytes() == before


@pytest.fixture
def too_new(index: Path) -> Iterator[Path]:
    conn = apsw.Connection(str(index))
    conn.execute(f"PRAGMA user_version = {LATEST_VERSION + 1}")
    conn.close()
    yield index


def test_a_newer_schema_says_upgrade_and_is_never_rebuilt(
    monkeypatch: pytest.MonkeyPatch, too_new: Path, docs: Path
) -> None:
    before = too_new.read_bytes()
    ran = semfind(monkeypatch, "--db", str(too_new), "doctor")
    assert ran.code == 1
    assert ran.out.startswith(
        f"The index {too_new} was written by a newer semfind (schema {LATEST_VERSION + 1}; "
        f"this one knows up to {LATEST_VERSION})."
    )
    assert "Upgrade semfind" in ran.out
    _assert_refused(_normal_commands(monkeypatch, too_new, docs), "newer semfind")
    rebuild = semfind(monkeypatch, "--db", str(too_new), "doctor", "--rebuild", "--yes")
    assert rebuild.code == 1
    assert rebuild.err.strip().startswith(f"semfind: not rebuilding {too_new}")
    assert "upgrade semfind" in rebuild.err
    assert too_new.read_bytes() == before and _aside(too_new) == []
