"""A tree of hostile files: indexing finishes, lists every failure with a reason, indexes
every good file, and never reads through a link out of the tree (bench/hostile.py runs the
full-size corpus through the real CLI and daemon)."""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from semfind.engine.config import Settings
from semfind.engine.search.searcher import Searcher
from semfind.engine.store.store import Store
from semfind.indexer.extract.sandbox import sandboxed
from semfind.indexer.indexing import Indexer, IndexReport

from .fakes import FakeEmbedder
from .hostile import Manifest, make_corpus, restore_permissions


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Manifest]:
    base = tmp_path_factory.mktemp("hostile")
    manifest = make_corpus(base / "tree", base / "outside", big=False)
    yield manifest
    restore_permissions(base)


@pytest.fixture
def hostile_settings(settings: Settings) -> Settings:
    return dataclasses.replace(
        settings, segmenter="rules", units="both", max_text_mb=0.5, extract_timeout_s=30
    )


def _index(store: Store, settings: Settings, root: Path) -> IndexReport:
    extractor = sandboxed(settings)
    try:
        return Indexer(store, FakeEmbedder(), settings, extractor=extractor).index_paths([root])
    finally:
        extractor.close()


def _shown(path: Path) -> str:
    return os.fsencode(path).decode("utf-8", errors="backslashreplace")


def test_the_corpus_is_large_and_hostile_enough(corpus: Manifest) -> None:
    assert corpus.files >= 100
    assert len(corpus.bad) >= 15 and len(corpus.good) >= 50 and corpus.never


def test_every_good_file_is_indexed_and_every_bad_one_listed_with_a_reason(
    corpus: Manifest, store: Store, hostile_settings: Settings
) -> None:
    report = _index(store, hostile_settings, corpus.root)
    rows = {
        path: (status, error)
        for path, status, error in store.conn.execute("SELECT path, status, error FROM files")
    }
    for path in corpus.good:
        assert rows.get(str(path), ("missing", ""))[0] == "indexed", path
    listed = {state.path: state for state in store.failures()}
    for path, what in corpus.bad.items():
        state = listed.get(str(path))
        assert state is not None and state.status in ("failed", "skipped"), (path, what)
        assert state.error and len(state.error) > 5, (path, state.error)
    for path in [*corpus.either, *corpus.special]:
        status, error = rows.get(_shown(path), ("missing", None))
        assert status == "indexed" or error, (path, status)
    for path in corpus.special:
        assert "not a regular file" in (rows[str(path)][1] or "")
    reported = {path for path, _ in [*report.failed, *report.skipped]}
    assert {str(p) for p in corpus.bad} <= reported


def test_good_files_are_found_by_their_words_and_nothing_from_outside_is(
    corpus: Manifest, store: Store, hostile_settings: Settings
) -> None:
    _index(store, hostile_settings, corpus.root)
    searcher = Searcher(store, FakeEmbedder(), hostile_settings)
    for path, word in corpus.good.items():
        hits = searcher.search(word, k=3, mode="keyword")
        assert hits and hits[0].path == str(path), (word, path)
    outside = str(corpus.never[0].parent)
    assert not [p for (p,) in store.conn.execute("SELECT path FROM files") if outside in p]
    assert not searcher.search("secret", k=5, mode="keyword")
    # Links inside the tree are not indexed twice: their targets are indexed where they live.
    assert not [p for (p,) in store.conn.execute("SELECT path FROM files") if "/links/" in p]


def test_a_long_one_line_file_is_indexed_in_part_and_listed_as_such(
    corpus: Manifest, store: Store, hostile_settings: Settings
) -> None:
    report = _index(store, hostile_settings, corpus.root)
    line = corpus.root / "big" / "one-line.txt"
    notes = dict(report.partial)
    assert "indexed in part" in notes[str(line)]
    kept = store.conn.execute(
        "SELECT max(u.char_end) FROM units u JOIN files f ON f.id = u.file_id WHERE f.path = ?",
        (str(line),),
    ).fetchone()[0]
    assert 0.45e6 < kept <= hostile_settings.max_text_chars
    assert any(s.path == str(line) and s.status == "indexed" for s in store.failures())


def test_a_second_run_changes_nothing_and_lists_the_same_failures(
    corpus: Manifest, store: Store, hostile_settings: Settings
) -> None:
    _index(store, hostile_settings, corpus.root)
    before = store.conn.execute("SELECT path, status, error, content_hash FROM files").fetchall()
    units = store.conn.execute("SELECT count(*) FROM units").fetchone()[0]
    report = _index(store, hostile_settings, corpus.root)
    assert report.indexed == 0 and report.removed == 0
    after = store.conn.execute("SELECT path, status, error, content_hash FROM files").fetchall()
    assert sorted(after) == sorted(before)
    assert store.conn.execute("SELECT count(*) FROM units").fetchone()[0] == units


def test_a_file_deleted_or_rewritten_while_indexing_is_never_kept_stale(
    tmp_path: Path, store: Store, hostile_settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    from semfind.indexer import indexing

    root = tmp_path / "notes"
    root.mkdir()
    for name in ("gone.md", "growing.md", "steady.md"):
        (root / name).write_text(f"The {name} note about herons.\n")
    _index(store, hostile_settings, root)
    real_read = indexing.read_file

    def racing_read(path: Path) -> bytes:
        if path.name == "gone.md":
            path.unlink()
        data = real_read(path)
        if path.name == "growing.md":
            path.write_text("Rewritten while it was read: kingfishers.\n")
            os.utime(path, ns=(1, 1))  # a new stat, whatever the clock's resolution
        return data

    for name in ("gone.md", "growing.md", "steady.md"):  # all three are read again
        (root / name).write_text(f"The {name} note about egrets.\n")
    monkeypatch.setattr(indexing, "read_file", racing_read)
    report = _index(store, hostile_settings, root)
    assert not report.failed and report.removed == 1
    paths = {p for (p,) in store.conn.execute("SELECT path FROM files")}
    assert str(root / "gone.md") not in paths
    monkeypatch.setattr(indexing, "read_file", real_read)
    again = _index(store, hostile_settings, root)
    assert again.indexed == 1  # the rewrite is seen: the stored stat is the one read with
    searcher = Searcher(store, FakeEmbedder(), hostile_settings)
    assert searcher.search("kingfishers", k=1, mode="keyword")[0].path == str(root / "growing.md")


@pytest.mark.skipif(os.geteuid() != 0, reason="as a normal user the corpus test covers this")
def test_unreadable_files_and_folders_are_listed_as_such_for_a_normal_user() -> None:
    """Root reads mode-000 files; a child process that gives up root shows what a user sees."""
    import subprocess
    import sys
    import tempfile

    base = Path(tempfile.mkdtemp(prefix="semfind-perm-"))
    base.chmod(0o777)
    script = f"""
import os, sys
from pathlib import Path
sys.path.insert(0, {str(Path(__file__).resolve().parent.parent)!r})
# Everything is imported as root: the interpreter may live where the user cannot read.
from tests.fakes import FakeEmbedder
from semfind.engine.config import Settings
from semfind.engine.store.store import Store
from semfind.indexer.indexing import Indexer
import semfind.indexer.extract.extractors, semfind.indexer.segment.passages, encodings.idna
os.setgid(65534); os.setuid(65534)
base = Path({str(base)!r})
root = base / "tree"
root.mkdir()
(root / "open.md").write_text("The open note about wrens.")
(root / "closed.md").write_text("The closed note about rooks.")
(root / "closed.md").chmod(0)
(root / "shut").mkdir()
(root / "shut" / "inside.md").write_text("Inside a shut folder.")
(root / "shut").chmod(0)
settings = Settings(db=base / "index.sqlite3", segmenter="none", units="passage")
with Store.open(settings.db_path()) as store:
    report = Indexer(store, FakeEmbedder(), settings).index_paths([root])
    for path, reason in report.failed:
        print("FAILED", Path(path).name, "|", reason)
    print("INDEXED", report.indexed)
"""
    env = {**os.environ, "HOME": str(base), "SEMFIND_DATA_DIR": str(base / "data")}
    try:
        done = subprocess.run(
            [sys.executable, "-c", script], capture_output=True, text=True, env=env, timeout=120
        )
    finally:
        restore_permissions(base)
        subprocess.run(["rm", "-rf", str(base)], check=False)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert "FAILED closed.md | permission denied" in lines
    assert any(line.startswith("FAILED shut | cannot list folder") for line in lines), lines
    assert "INDEXED 1" in lines


def test_hostile_documents_are_listed_with_what_is_wrong(
    corpus: Manifest, store: Store, hostile_settings: Settings
) -> None:
    _index(store, hostile_settings, corpus.root)
    errors = {Path(state.path).name: state.error or "" for state in store.failures()}
    assert "zip bomb" in errors["bomb.docx"] and "zip bomb" in errors["dense.epub"]
    assert "declares XML entities" in errors["laughs.docx"]
    assert "declares XML entities" in errors["xxe.docx"]
    assert "nested" in errors["deep.docx"] or "depth" in errors["deep.docx"]
    assert errors["locked.docx"].startswith("encrypted Word file")
    assert errors["cut.pptx"].startswith("corrupt PowerPoint file")
    secret = corpus.never[0].read_text().split()[1]  # the outside file's own word
    assert not store.conn.execute(
        "SELECT count(*) FROM units WHERE text LIKE ?", (f"%{secret}%",)
    ).fetchone()[0]
