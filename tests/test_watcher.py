"""Watching folders with real watchdog observers, native and polling."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from semfind.indexer.watcher import Settler, Watcher


@pytest.mark.parametrize("polling", [False, True])
def test_changes_reach_the_callback(tmp_path: Path, polling: bool) -> None:
    seen: list[str] = []
    watcher = Watcher(seen.append, skip=lambda p: p.endswith(".sqlite3"))
    watcher.start()
    try:
        mode = watcher.add(str(tmp_path), polling=polling)
        assert mode == ("polling (asked for)" if polling else "native")
        (tmp_path / "a.md").write_text("hello")
        (tmp_path / "index.sqlite3").write_text("ignored")
        deadline = time.monotonic() + 10
        while str(tmp_path / "a.md") not in seen and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        watcher.stop()
    assert str(tmp_path / "a.md") in seen
    assert not any(p.endswith(".sqlite3") for p in seen)


def test_an_ignore_file_change_rechecks_its_folder(tmp_path: Path) -> None:
    seen: list[str] = []
    watcher = Watcher(seen.append, skip=lambda p: False)
    watcher.start()
    try:
        watcher.add(str(tmp_path))
        (tmp_path / ".gitignore").write_text("*.log\n")
        deadline = time.monotonic() + 10
        while str(tmp_path) not in seen and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        watcher.stop()
    assert str(tmp_path) in seen


def test_settler_waits_until_a_file_stops_changing(tmp_path: Path) -> None:
    path = tmp_path / "growing.txt"
    path.write_text("a")
    settler = Settler(quiet=0.2)
    settler.touch(str(path))
    assert settler.ready() == []
    time.sleep(0.25)
    path.write_text("ab")  # still being written: size moved since the event
    assert settler.ready() == []
    time.sleep(0.25)
    assert settler.ready() == [str(path)]
    assert len(settler) == 0
