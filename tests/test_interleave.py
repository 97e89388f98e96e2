"""Live edits go ahead of bulk scans, and the daemon's log says what happened to each file."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator, Sequence
from pathlib import Path

import numpy as np
import pytest

from semfind.engine.config import Settings
from semfind.engine.store.store import Store
from semfind.indexer.daemon.daemon import Daemon
from semfind.indexer.daemon.runtime import DaemonFiles
from semfind.indexer.indexing import Indexer

from .fakes import FakeEmbedder
from .helpers import daemon_thread, wait_until


def _folder(root: Path, count: int, word: str = "heron") -> Path:
    root.mkdir(parents=True)
    for number in range(count):
        (root / f"n{number:03}.md").write_text(f"The {word} number {number} waits by the river.\n")
    return root


def _texts(store: Store) -> dict[str, str]:
    rows = store.conn.execute(
        "SELECT f.path, group_concat(u.text, ' ') FROM files f JOIN units u ON u.file_id = f.id"
        " GROUP BY f.path"
    )
    return {str(p): str(t) for p, t in rows}


def test_a_scan_leaves_alone_what_urgent_work_brought_up_to_date(
    tmp_path: Path, settings: Settings, store: Store, fake: FakeEmbedder
) -> None:
    """The scan has walked every file and committed half of them when the user edits,
    deletes and renames three of the rest: what the scan found of those is stale and must not
    be written (pass 1 commits each file as it is read, so only files ahead of it are)."""
    root = _folder(tmp_path / "docs", 40)
    edited, deleted, renamed = root / "n023.md", root / "n026.md", root / "n029.md"
    arrived = root / "sub" / "n029.md"
    calls = 0

    def urgent() -> list[str]:
        nonlocal calls
        calls += 1
        if calls != 21:  # 40 files walked, 20 committed; none embedded yet
            return []
        edited.write_text("Sourdough needs a lively starter.\n")
        deleted.unlink()
        arrived.parent.mkdir()
        renamed.rename(arrived)
        done = [str(edited), str(deleted), str(renamed), str(arrived)]
        Indexer(store, fake, settings).index_paths([edited, arrived.parent])
        return done

    report = Indexer(store, fake, settings, yield_to=urgent).index_paths([root])

    assert calls > 41 and not report.cancelled
    texts = _texts(store)
    assert "Sourdough" in texts[str(edited)]
    assert str(deleted) not in texts and str(renamed) not in texts
    assert str(arrived) in texts
    assert len(texts) == 39
    assert len(fake.embedded_texts) == len(set(fake.embedded_texts)), "nothing embedded twice"


class SlowEmbedder(FakeEmbedder):
    """The fake model at a real model's pace, so a backlog takes a while."""

    def embed_batch(self, texts: Sequence[str]) -> tuple[np.ndarray, int]:
        time.sleep(0.04 * len(texts))
        return super().embed_batch(texts)


@pytest.fixture
def running(settings: Settings, daemon_files: DaemonFiles) -> Iterator[tuple[Daemon, SlowEmbedder]]:
    embedder = SlowEmbedder()
    worker = Daemon(settings, lambda s: embedder, daemon_files, power=lambda: False)
    with daemon_thread(worker):
        yield worker, embedder


def _indexed(settings: Settings) -> dict[str, int]:
    with Store.open(settings.db_path(), readonly=True) as store:
        rows = store.conn.execute("SELECT path, id FROM files WHERE status = 'indexed'")
        return {str(p): int(i) for p, i in rows}


def _due(settings: Settings) -> set[str]:
    """Files committed whose vectors are not all built yet."""
    with Store.open(settings.db_path(), readonly=True) as store:
        return {str(r[0]) for r in store.conn.execute("SELECT path FROM files WHERE vectors_due")}


def _watch(worker: Daemon, *folders: Path) -> None:
    reply = worker._handle({"cmd": "watch_add", "paths": [str(f) for f in folders]})
    assert reply["ok"], reply


def test_a_fresh_edit_is_indexed_ahead_of_the_backlog_which_then_resumes(
    tmp_path: Path, settings: Settings, running: tuple[Daemon, SlowEmbedder]
) -> None:
    worker, embedder = running
    notes = _folder(tmp_path / "notes", 1, word="otter")
    _watch(worker, notes)
    wait_until(lambda: len(_indexed(settings)) == 1)
    backlog = _folder(tmp_path / "archive", 150)
    _watch(worker, backlog)
    wait_until(lambda: len(_indexed(settings)) >= 5, timeout=30)

    fresh = notes / "fresh.md"
    fresh.write_text("A note saved while the archive is being indexed.\n")
    # Pass 1 commits the archive's files at once; their vectors are the backlog.
    wait_until(lambda: str(fresh) in _indexed(settings) and str(fresh) not in _due(settings))
    waiting = sum(1 for p in _due(settings) if p.startswith(str(backlog)))
    assert waiting > 50, "the fresh note waited for the backlog's vectors"
    early = _indexed(settings)

    wait_until(lambda: len(_indexed(settings)) == 152 and not _due(settings), timeout=60)
    wait_until(lambda: worker.status.state == "idle" and not worker.queue.snapshot())
    after = _indexed(settings)
    assert all(after[p] == i for p, i in early.items()), "the scan kept what it had finished"
    assert len(embedder.embedded_texts) == len(set(embedder.embedded_texts))
    assert worker.status.indexed == 152


def test_the_log_has_a_line_per_file_event_and_a_summary_per_batch_but_no_text(
    tmp_path: Path,
    settings: Settings,
    running: tuple[Daemon, SlowEmbedder],
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger="semfind")
    worker, _ = running
    notes = tmp_path / "notes"
    notes.mkdir()
    secret = "QUILL7731 opens the vault at dawn"
    (notes / "diary.md").write_text(f"# Diary\n\n{secret}.\n")
    (notes / "old.md").write_text("Gone soon: plover eggs.\n")
    (notes / "blob.txt").write_bytes(b"\x00\x01binary " + secret.encode() + b"\x00" * 64)
    (notes / "broken.pdf").write_bytes(b"%PDF-1.7\n(" + secret.encode() + b")\n")
    _watch(worker, notes)
    wait_until(lambda: len(_indexed(settings)) == 2)
    wait_until(lambda: "scanned" in caplog.text)

    (notes / "old.md").unlink()
    (notes / "diary.md").rename(notes / "journal.md")
    wait_until(lambda: "removed" in caplog.text and "moved" in caplog.text)
    wait_until(lambda: "changes:" in caplog.text)

    text = caplog.text
    lines = {r.getMessage() for r in caplog.records}
    assert f"indexed {notes / 'diary.md'} (1 unit)" in lines
    assert f"removed {notes / 'old.md'}" in lines
    assert f"moved {notes / 'diary.md'} -> {notes / 'journal.md'}" in lines
    assert any(m.startswith(f"skipped {notes / 'blob.txt'}: ") for m in lines)
    assert any(m.startswith(f"failed {notes / 'broken.pdf'}: ") for m in lines)
    assert any(m.startswith(f"scanned {notes}: 2 indexed, 1 skipped, 1 failed in ") for m in lines)
    assert any(m.startswith("changes: ") and "1 removed" in m for m in lines)
    assert "QUILL7731" not in text and "plover" not in text and "vault" not in text
