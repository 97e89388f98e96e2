"""The daemon as a real process: watching, catch-up, crash isolation, kill -9, its socket."""

from __future__ import annotations

import functools
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import apsw
import numpy as np
import pytest

from semfind.engine.errors import DaemonError
from semfind.engine.store.store import Store
from semfind.indexer.daemon import control
from semfind.indexer.daemon.runtime import DaemonFiles

from .helpers import wait_until

pytestmark = [pytest.mark.real_model, pytest.mark.skipif(os.name != "posix", reason="POSIX")]


@pytest.fixture
def env(
    real_data_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[dict[str, str]]:
    runtime = Path(tempfile.mkdtemp(prefix="sf-", dir="/tmp"))  # socket paths must stay short
    monkeypatch.setenv("SEMFIND_DATA_DIR", str(real_data_dir))
    monkeypatch.setenv("SEMFIND_RUNTIME_DIR", str(runtime))
    monkeypatch.setenv("SEMFIND_CONFIG", str(tmp_path / "config.toml"))
    yield {**os.environ, "PYTHONPATH": str(tmp_path / "plugins")}
    for leftover in runtime.iterdir():
        leftover.unlink()
    runtime.rmdir()


class Daemon:
    """Drives `semfind daemon ...` for one index."""

    def __init__(self, env: dict[str, str], db: Path) -> None:
        self.env, self.db = env, db
        self.files = DaemonFiles.for_db(db)

    def cli(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        result = subprocess.run(
            [sys.executable, "-m", "semfind.app", "--db", str(self.db), *args],
            capture_output=True,
            text=True,
            env=self.env,
            timeout=120,
        )
        if check and result.returncode != 0:
            raise AssertionError(f"semfind {' '.join(args)} failed: {result.stderr}")
        return result

    def start(self) -> int:
        self.cli("daemon", "start")
        pid = self.files.running_pid()
        assert pid is not None
        return pid

    def status(self) -> dict[str, Any]:
        return control.request(self.files.socket, {"cmd": "status"})["status"]

    def stop(self) -> None:
        if self.files.running_pid() is not None:
            self.cli("daemon", "stop", check=False)

    def indexed(self) -> dict[str, str]:
        """path -> content hash of every indexed file."""
        if not self.db.exists():
            return {}
        with Store.open(self.db, readonly=True) as store:
            rows = store.conn.execute(
                "SELECT path, content_hash FROM files WHERE status = 'indexed'"
            )
            return {str(p): str(h) for p, h in rows}

    def vectored(self) -> set[str]:
        """Indexed files whose units all have vectors (files are committed, found by
        keyword, before their vectors are built)."""
        if not self.db.exists():
            return set()
        with Store.open(self.db, readonly=True) as store:
            rows = store.conn.execute(
                "SELECT path FROM files f WHERE status = 'indexed' AND NOT EXISTS"
                " (SELECT 1 FROM units u WHERE u.file_id = f.id AND NOT EXISTS"
                "  (SELECT 1 FROM vectors v WHERE v.text_hash = u.embed_hash))"
            )
            return {str(r[0]) for r in rows}

    def units(self) -> list[tuple[int, int, str]]:
        with Store.open(self.db, readonly=True) as store:
            rows = store.conn.execute("SELECT id, file_id, text FROM units ORDER BY id")
            return [(int(i), int(f), str(t)) for i, f, t in rows]


@pytest.fixture
def daemon(env: dict[str, str], tmp_path: Path) -> Iterator[Daemon]:
    runner = Daemon(env, tmp_path / "index.sqlite3")
    yield runner
    runner.stop()
    pid = runner.files.running_pid()
    if pid is not None:
        os.kill(pid, signal.SIGKILL)


wait_for = functools.partial(wait_until, timeout=30.0)
"""Daemon work embeds with the real model: slower than the default wait."""


def settled(daemon: Daemon) -> bool:
    status = daemon.status()
    return status["state"] == "idle" and status["queue"] == 0


def notes(tmp_path: Path, count: int = 3) -> Path:
    root = tmp_path / "notes"
    root.mkdir()
    for number in range(count):
        (root / f"note{number}.md").write_text(
            f"# Note {number}\n\nThe heron number {number} waits by the river. "
            f"Alder trees line bank {number}; otters visit at dusk.\n"
        )
    return root


def test_search_follows_files_as_they_change(daemon: Daemon, tmp_path: Path) -> None:
    root = notes(tmp_path)
    daemon.cli("watch", "add", str(root))
    daemon.start()
    wait_for(lambda: len(daemon.indexed()) == 3)

    fresh = root / "bread.md"
    fresh.write_text("Sourdough needs a lively starter fed twelve hours before baking.\n")
    started = time.monotonic()
    wait_for(lambda: str(fresh) in daemon.indexed(), timeout=10)
    assert time.monotonic() - started < 5

    before = daemon.indexed()[str(fresh)]
    fresh.write_text("Rye bread keeps for a week wrapped in linen.\n")
    wait_for(lambda: daemon.indexed().get(str(fresh)) not in (None, before))
    found = daemon.cli("search", "rye linen", "--mode", "keyword", "--json").stdout
    assert json.loads(found.splitlines()[0])["path"] == str(fresh)

    moved = root / "sub" / "rye.md"
    moved.parent.mkdir()
    units = daemon.units()
    fresh.rename(moved)
    wait_for(lambda: str(moved) in daemon.indexed() and str(fresh) not in daemon.indexed())
    assert daemon.units() == units  # a move: the same unit rows, nothing re-extracted

    moved.parent.rename(root / "kept")
    moved = root / "kept" / "rye.md"
    wait_for(lambda: str(moved) in daemon.indexed())
    assert daemon.units() == units and daemon.status()["moved"] == 2
    wait_for(lambda: settled(daemon))
    found = daemon.cli("search", "rye linen", "--mode", "keyword", "--json").stdout
    assert json.loads(found.splitlines()[0])["path"] == str(moved)

    moved.unlink()
    wait_for(lambda: str(moved) not in daemon.indexed())
    assert sorted(daemon.indexed()) == sorted(str(p) for p in root.glob("*.md"))


def test_a_restarted_daemon_catches_up_with_changes_made_while_it_was_down(
    daemon: Daemon, tmp_path: Path
) -> None:
    root = notes(tmp_path)
    daemon.cli("watch", "add", str(root))
    daemon.start()
    wait_for(lambda: len(daemon.indexed()) == 3)
    daemon.stop()
    (root / "note0.md").unlink()
    (root / "note1.md").write_text("Completely new words about glaciers.\n")
    (root / "late.md").write_text("Written while the daemon slept.\n")
    old = daemon.indexed()
    daemon.start()
    wait_for(lambda: set(daemon.indexed()) == {str(p) for p in root.glob("*.md")})
    wait_for(lambda: daemon.indexed()[str(root / "note1.md")] != old[str(root / "note1.md")])


def test_a_hanging_extractor_is_killed_and_the_daemon_keeps_serving(
    daemon: Daemon, tmp_path: Path
) -> None:
    plugins = tmp_path / "plugins"
    plugins.mkdir()
    (plugins / "slowext.py").write_text(
        "import time\n\ndef extract(data, name):\n    time.sleep(120)\n    return ''\n"
    )
    Path(daemon.env["SEMFIND_CONFIG"]).write_text(
        'extractors = [".slow=slowext:extract"]\nextract_timeout_s = 2\n'
    )
    root = notes(tmp_path, count=1)
    (root / "stuck.slow").write_text("never read")
    daemon.cli("watch", "add", str(root))
    daemon.start()
    answered = time.monotonic()
    assert daemon.status()["pid"] == daemon.files.running_pid()
    assert time.monotonic() - answered < 1.0
    wait_for(lambda: any("longer than 2 s" in f["reason"] for f in daemon.status()["failed"]))
    wait_for(lambda: str(root / "note0.md") in daemon.indexed())
    (root / "after.md").write_text("The daemon carried on after the stuck file.\n")
    wait_for(lambda: str(root / "after.md") in daemon.indexed())


def test_kill_9_mid_index_then_restart_equals_a_clean_run(
    daemon: Daemon, tmp_path: Path, env: dict[str, str]
) -> None:
    root = notes(tmp_path, count=60)
    daemon.cli("watch", "add", str(root))
    pid = daemon.start()
    wait_for(lambda: len(daemon.vectored()) >= 5, timeout=60)
    os.kill(pid, signal.SIGKILL)
    wait_for(lambda: daemon.files.running_pid() is None)
    partial = len(daemon.vectored())
    assert 0 < partial < 60, "the kill should land mid-index"
    daemon.start()
    wait_for(lambda: len(daemon.vectored()) == 60, timeout=120)
    wait_for(lambda: settled(daemon))
    daemon.stop()

    clean = Daemon(env, tmp_path / "clean.sqlite3")
    clean.cli("index", "--quiet", str(root))
    assert _integrity(daemon.db) == "ok"
    assert _content(daemon.db) == _content(clean.db)


def test_a_new_file_is_searchable_long_before_the_backlog_is_done(
    daemon: Daemon, tmp_path: Path, env: dict[str, str]
) -> None:
    inbox = notes(tmp_path, count=1)
    backlog = tmp_path / "archive"
    backlog.mkdir()
    for number in range(120):
        (backlog / f"old{number:03}.md").write_text(
            f"# Old note {number}\n\nThe heron number {number} waits by the weir. "
            f"Its mate fishes pool {number} at dawn. Eel {number} hides under the sluice. "
            f"The miller counts {number} sacks of flour. Rain fell on day {number}.\n"
        )  # enough text that the backlog's vectors take a while after its files are in
    daemon.cli("watch", "add", str(inbox), str(backlog))
    pid = daemon.start()
    # Pass 1 commits the backlog's files at once; their vectors are what takes long.
    in_backlog = lambda: sum(p.startswith(str(backlog)) for p in daemon.vectored())  # noqa: E731
    wait_for(lambda: sum(p.startswith(str(backlog)) for p in daemon.indexed()) == 120)

    fresh = inbox / "fresh.md"
    fresh.write_text("Kingfishers nest in the sandy bank below the mill.\n")
    wait_for(lambda: str(fresh) in daemon.vectored(), timeout=60)
    assert in_backlog() < 90, "the new file waited for the backlog's vectors"
    found = daemon.cli("search", "kingfishers", "--mode", "keyword", "--json").stdout
    assert json.loads(found.splitlines()[0])["path"] == str(fresh)
    assert daemon.status()["state"] == "indexing"

    os.kill(pid, signal.SIGKILL)  # crash safety holds with the scan interleaved
    wait_for(lambda: daemon.files.running_pid() is None)
    daemon.start()
    wait_for(lambda: len(daemon.vectored()) == 122, timeout=180)
    wait_for(lambda: settled(daemon))
    daemon.stop()
    clean = Daemon(env, tmp_path / "clean.sqlite3")
    clean.cli("index", "--quiet", str(inbox), str(backlog))
    assert _integrity(daemon.db) == "ok"
    assert _content(daemon.db) == _content(clean.db)


def _integrity(db: Path) -> str:
    conn = apsw.Connection(str(db))
    try:
        return str(conn.execute("PRAGMA integrity_check").fetchone()[0])
    finally:
        conn.close()


def _content(db: Path) -> tuple[Any, ...]:
    with Store.open(db, readonly=True) as store:
        files = store.conn.execute(
            "SELECT path, content_hash, status FROM files ORDER BY path"
        ).fetchall()
        units = store.conn.execute(
            "SELECT f.path, u.kind, u.ord, u.text, u.embed_hash, u.char_start, u.char_end"
            " FROM units u JOIN files f ON f.id = u.file_id ORDER BY f.path, u.ord"
        ).fetchall()
        vectors = store.conn.execute("SELECT text_hash FROM vectors ORDER BY text_hash").fetchall()
        fts = [
            store.conn.execute(f"SELECT count(*) FROM {t} WHERE {t} MATCH 'heron'").fetchone()
            for t in ("units_fts", "parts_fts")
        ]
    return tuple(files), tuple(units), tuple(vectors), tuple(fts)


def test_one_daemon_per_index_with_a_private_socket(daemon: Daemon, tmp_path: Path) -> None:
    daemon.start()
    second = daemon.cli("daemon", "start", check=False)
    assert second.returncode != 0 and "already running" in second.stderr
    assert daemon.files.socket.stat().st_mode & 0o777 == 0o600


def test_malformed_and_oversized_messages_get_error_replies(daemon: Daemon) -> None:
    daemon.start()
    for payload in (b"this is not json\n", b'{"cmd": "explode"}\n', b"[1, 2]\n"):
        reply = _raw(daemon.files.socket, payload)
        assert reply["ok"] is False and reply["error"]
    huge = b'{"cmd": "status", "pad": "' + b"x" * (control.MAX_MESSAGE + 10) + b'"}\n'
    assert "longer than" in _raw(daemon.files.socket, huge)["error"]
    assert daemon.status()["state"] in ("idle", "indexing")


def _raw(path: Path, payload: bytes) -> dict[str, Any]:
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        sock.settimeout(10)
        sock.connect(str(path))
        sock.sendall(payload)
        data = b""
        while not data.endswith(b"\n"):
            chunk = sock.recv(65536)
            if not chunk:
                break
            data += chunk
    reply: dict[str, Any] = json.loads(data)
    return reply


@pytest.mark.skipif(not Path("/proc/self/net").exists(), reason="needs /proc")
def test_the_daemon_opens_no_network_socket(daemon: Daemon, tmp_path: Path) -> None:
    daemon.cli("watch", "add", str(notes(tmp_path)))
    pid = daemon.start()
    wait_for(lambda: len(daemon.indexed()) == 3)
    inodes = set()
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        target = os.readlink(fd)
        if target.startswith("socket:["):
            inodes.add(target[8:-1])
    assert inodes, "the control socket is open"
    for table in ("tcp", "tcp6", "udp", "udp6", "raw", "raw6"):
        path = Path(f"/proc/{pid}/net/{table}")
        if path.exists():
            rows = path.read_text().splitlines()[1:]
            assert not inodes & {row.split()[9] for row in rows}, table
    unix = Path(f"/proc/{pid}/net/unix").read_text()
    assert str(daemon.files.socket) in unix


def test_index_hands_work_to_a_running_daemon(daemon: Daemon, tmp_path: Path) -> None:
    daemon.start()
    extra = tmp_path / "extra"
    extra.mkdir()
    (extra / "one.md").write_text("Handed over to the daemon.\n")
    result = daemon.cli("index", str(extra))
    assert "through the daemon" in result.stderr
    assert str(extra / "one.md") in daemon.indexed()


def test_pause_resume_and_progress_events(daemon: Daemon, tmp_path: Path) -> None:
    root = notes(tmp_path, count=1)
    daemon.cli("watch", "add", str(root))
    daemon.start()
    wait_for(lambda: len(daemon.indexed()) == 1)
    daemon.cli("daemon", "pause")
    wait_for(lambda: daemon.status()["state"] == "paused")
    (root / "held.md").write_text("Written while paused.\n")
    time.sleep(1.5)
    assert str(root / "held.md") not in daemon.indexed()
    stream = control.events(daemon.files.socket)
    first = next(stream)
    assert first["event"] == "status" and first["state"] == "paused"
    daemon.cli("daemon", "pause", "--resume")
    seen = []
    for event in stream:
        seen.append(event["event"])
        if event["event"] == "status" and event["state"] == "idle":  # announced when done
            break
    stream.close()
    assert "progress" in seen
    assert str(root / "held.md") in daemon.indexed()


def test_stop_mid_index_is_prompt_and_a_restart_finishes_the_folder(
    daemon: Daemon, tmp_path: Path
) -> None:
    root = notes(tmp_path, count=120)
    daemon.cli("watch", "add", str(root))
    daemon.start()
    wait_for(lambda: len(daemon.vectored()) >= 2, timeout=60)
    asked = time.monotonic()
    daemon.cli("daemon", "stop")
    assert time.monotonic() - asked < 15
    assert len(daemon.vectored()) < 120  # files are committed at once; vectors take long
    daemon.start()
    wait_for(lambda: len(daemon.vectored()) == 120, timeout=180)


def test_search_embeds_its_query_with_the_running_daemons_model(
    daemon: Daemon, tmp_path: Path
) -> None:
    from semfind.engine.config import load_settings
    from semfind.engine.models.registry import open_embedder

    daemon.cli("watch", "add", str(notes(tmp_path)))
    daemon.start()
    wait_for(lambda: len(daemon.indexed()) == 3 and settled(daemon))
    query = "where do otters go in the evening"
    reply = control.request(daemon.files.socket, {"cmd": "embed", "texts": [query]})
    local = open_embedder(load_settings())
    try:
        expected = local.embed([query])[0]
        assert reply["model"]["key"] == local.key
    finally:
        local.close()
    assert np.allclose(np.asarray(reply["vectors"][0]), expected, atol=1e-5)

    via_daemon = daemon.cli("search", "--json", "-v", query)
    assert "query embedded by the running daemon" in via_daemon.stderr
    daemon.stop()
    loaded_here = daemon.cli("search", "--json", "-v", query)
    assert "loaded here" in loaded_here.stderr
    assert [json.loads(line)["path"] for line in via_daemon.stdout.splitlines()] == [
        json.loads(line)["path"] for line in loaded_here.stdout.splitlines()
    ]
    assert via_daemon.stdout.strip()


def test_embed_requests_are_bounded(daemon: Daemon) -> None:
    daemon.start()
    too_many = {"cmd": "embed", "texts": ["x"] * (control.MAX_QUERY_TEXTS + 1)}
    for bad in ({"cmd": "embed", "texts": "one string"}, {"cmd": "embed", "texts": [1]}, too_many):
        with pytest.raises(DaemonError, match="at most"):
            control.request(daemon.files.socket, bad)
    info = control.request(daemon.files.socket, {"cmd": "embed", "texts": []})
    assert info["vectors"] == [] and info["model"]["dim"] == 384


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A 512 KiB tmpfs (where this user may mount one; else skipped)."""
    mount = tmp_path / "small-disk"
    mount.mkdir()
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=512k", "tmpfs", str(mount)], capture_output=True
    )
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.decode().strip()}")
    yield mount
    subprocess.run(["umount", "-l", str(mount)], check=False)


def test_a_full_disk_pauses_the_daemon_and_nothing_is_lost_when_space_returns(
    env: dict[str, str], tmp_path: Path, small_disk: Path
) -> None:
    root = notes(tmp_path, count=30)
    for note in root.iterdir():  # enough text that the index outgrows 512 KiB
        note.write_text(note.read_text() + "".join(f"Line {i} about herons.\n" for i in range(30)))
    daemon = Daemon(env, small_disk / "index.sqlite3")
    try:
        daemon.cli("watch", "add", str(root))
        daemon.start()
        wait_for(lambda: "disk full" in (daemon.status().get("paused_reason") or ""), timeout=120)
        assert daemon.status()["state"] == "paused"
        assert "disk full" in daemon.cli("daemon", "status").stdout
        stored = len(daemon.indexed())
        assert stored < 30
        subprocess.run(["mount", "-o", "remount,size=64m", str(small_disk)], check=True)
        daemon.cli("daemon", "pause", "--resume")
        wait_for(lambda: len(daemon.indexed()) == 30, timeout=120)
        wait_for(lambda: settled(daemon))
    finally:
        daemon.stop()
    clean = Daemon(env, tmp_path / "clean.sqlite3")
    clean.cli("index", "--quiet", str(root))
    assert _integrity(daemon.db) == "ok"
    assert _content(daemon.db) == _content(clean.db)
