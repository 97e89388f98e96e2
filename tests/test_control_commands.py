"""The daemon's command table: every protocol command has a handler, any other is refused."""

from __future__ import annotations

from pathlib import Path

import pytest

from semfind.engine.config import Settings
from semfind.engine.store.store import Store
from semfind.indexer.daemon.commands import STREAMED
from semfind.indexer.daemon.daemon import Daemon
from semfind.indexer.daemon.protocol import COMMANDS
from semfind.indexer.daemon.runtime import DaemonFiles

from .fakes import FakeEmbedder


@pytest.fixture
def worker(tmp_path: Path) -> Daemon:
    """A daemon that is not running: its command table answers, nothing indexes."""
    settings = Settings(db=tmp_path / "index.sqlite3")
    files = DaemonFiles(tmp_path / "d.sock", tmp_path / "d.pid", tmp_path / "d.log")
    for folder in ("notes", "papers"):
        (tmp_path / folder).mkdir()
    with Store.open(settings.db_path()) as store:
        store.add_watch(str(tmp_path / "notes"))
    return Daemon(settings, lambda s: FakeEmbedder(), files, power=lambda: False)


def _watches(worker: Daemon) -> list[str]:
    with Store.open(worker.db, readonly=True) as store:
        return store.watches()


def test_every_protocol_command_has_a_handler(worker: Daemon) -> None:
    assert set(worker.commands.table) | set(STREAMED) == set(COMMANDS)
    assert not set(worker.commands.table) & set(STREAMED)


@pytest.mark.parametrize("cmd", ["watch_delete", "subscribe", "", 7, None])
def test_an_unknown_command_is_refused_and_changes_nothing(
    worker: Daemon, tmp_path: Path, cmd: object
) -> None:
    """It used to fall through to the watch handler, which removed the folder."""
    notes = str(tmp_path / "notes")
    reply = worker._handle({"cmd": cmd, "paths": [notes]})
    assert reply["ok"] is False and "unknown command" in reply["error"]
    assert "watch_add" in reply["error"]
    assert _watches(worker) == [notes]
    assert not worker.queue.snapshot() and not worker.stopping.is_set()
    assert not worker.pausing.asked.is_set()


def test_known_commands_still_change_what_they_should(worker: Daemon, tmp_path: Path) -> None:
    notes, papers = str(tmp_path / "notes"), str(tmp_path / "papers")
    assert worker._handle({"cmd": "watch_add", "paths": [papers]}) == {
        "ok": True,
        "changed": [papers],
    }
    assert worker._handle({"cmd": "watch_remove", "paths": [notes]})["changed"] == [notes]
    assert _watches(worker) == [papers]
    assert worker._handle({"cmd": "watch_add", "paths": ["relative"]})["ok"] is False
    assert worker._handle({"cmd": "pause"}) == {"ok": True, "paused": True, "reason": "asked"}
    assert worker._handle({"cmd": "resume"}) == {"ok": True, "paused": False, "reason": None}
    assert worker._handle({"cmd": "shutdown"}) == {"ok": True}
    assert worker.stopping.is_set()
