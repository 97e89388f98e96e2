"""Watching folders with real watchdog observers, native and polling."""

from __future__ import annotations

import errno
import time
from pathlib import Path

import pytest

from semfind.indexer.daemon.watcher import Settler, Watcher

from .helpers import wait_until


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
        wait_until(lambda: str(tmp_path / "a.md") in seen)
    finally:
        watcher.stop()
    assert not any(p.endswith(".sqlite3") for p in seen)


def test_an_ignore_file_change_rechecks_its_folder(tmp_path: Path) -> None:
    seen: list[str] = []
    watcher = Watcher(seen.append, skip=lambda p: False)
    watcher.start()
    try:
        watcher.add(str(tmp_path))
        (tmp_path / ".gitignore").write_text("*.log\n")
        wait_until(lambda: str(tmp_path) in seen)
    finally:
        watcher.stop()


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


@pytest.mark.parametrize("polling", [False, True])
def test_a_rename_is_reported_as_a_move(tmp_path: Path, polling: bool) -> None:
    (tmp_path / "old.md").write_text("hello")
    moves: list[tuple[str, str, bool]] = []
    watcher = Watcher(lambda p: None, skip=lambda p: False, on_move=lambda *m: moves.append(m))
    watcher.start()
    try:
        watcher.add(str(tmp_path), polling=polling)
        time.sleep(0.2 if not polling else 2.5)  # the polling observer's first snapshot
        (tmp_path / "old.md").rename(tmp_path / "new.md")
        wait_until(lambda: moves)
    finally:
        watcher.stop()
    assert moves == [(str(tmp_path / "old.md"), str(tmp_path / "new.md"), False)]


def test_inotify_limits_fall_back_to_polling_and_say_why(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: list[str] = []
    watcher = Watcher(seen.append, skip=lambda p: False)

    def exhausted(*args: object, **kwargs: object) -> None:
        raise OSError(errno.ENOSPC, "inotify watch limit reached")

    monkeypatch.setattr(watcher._native, "schedule", exhausted)
    watcher.start()
    try:
        mode = watcher.add(str(tmp_path))
        assert mode.startswith("polling (inotify watch limit reached")
        assert "max_user_watches" in watcher.modes[str(tmp_path)]
        time.sleep(2.5)  # the polling observer's first snapshot
        (tmp_path / "late.md").write_text("still noticed")
        wait_until(lambda: str(tmp_path / "late.md") in seen)
    finally:
        watcher.stop()


def test_settler_releases_a_burst_together(tmp_path: Path) -> None:
    first, second = tmp_path / "first.md", tmp_path / "second.md"
    first.write_text("a")
    settler = Settler(quiet=0.3, max_wait=5.0)
    settler.touch(str(first))
    time.sleep(0.2)
    second.write_text("b")
    settler.touch(str(second))
    time.sleep(0.15)
    assert settler.ready() == []  # first has been quiet 0.35 s, but the burst goes on
    time.sleep(0.2)
    assert sorted(settler.ready()) == [str(first), str(second)]


def test_settler_does_not_hold_a_quiet_path_behind_a_busy_one(tmp_path: Path) -> None:
    quiet, busy = tmp_path / "quiet.md", tmp_path / "busy.log"
    quiet.write_text("done")
    settler = Settler(quiet=0.1, max_wait=0.5)
    settler.touch(str(quiet))
    released: list[str] = []
    deadline = time.monotonic() + 3
    while not released and time.monotonic() < deadline:
        busy.write_text(str(time.monotonic()))  # a log that never stops growing
        settler.touch(str(busy))
        released = settler.ready()
        time.sleep(0.05)
    assert released == [str(quiet)]
