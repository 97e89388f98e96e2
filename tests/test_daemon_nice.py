"""The daemon indexes at nice 10 but answers searches at its own priority (Linux, where a
nice value belongs to a thread)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from semfind.engine.config import Settings
from semfind.indexer.daemon import control
from semfind.indexer.daemon.daemon import Daemon
from semfind.indexer.daemon.runtime import DaemonFiles

from .fakes import FakeEmbedder
from .helpers import daemon_thread, wait_until

pytestmark = pytest.mark.skipif(
    not Path("/proc/self/task").is_dir(), reason="per-thread nice values: Linux"
)


def _nice(native_id: int) -> int:
    """A thread's nice value (field 19 of its /proc stat, counted after the name)."""
    stat = Path(f"/proc/self/task/{native_id}/stat").read_text()
    return int(stat.rsplit(")", 1)[1].split()[16])


def test_indexing_thread_at_nice_10_requests_answered_at_the_daemons_priority(
    tmp_path: Path, daemon_files: DaemonFiles
) -> None:
    files = daemon_files
    settings = Settings(db=tmp_path / "index.sqlite3", segmenter="rules")
    worker = Daemon(settings, lambda s: FakeEmbedder(), files, power=lambda: False)
    answered_at: list[int] = []
    handle = worker._handle

    def recording(request: dict[str, Any]) -> dict[str, Any]:
        answered_at.append(os.getpriority(os.PRIO_PROCESS, 0))  # this thread's, on Linux
        return handle(request)

    worker._handle = recording  # type: ignore[method-assign]
    base = os.getpriority(os.PRIO_PROCESS, 0)
    with daemon_thread(worker) as thread:
        wait_until(lambda: worker.status.state == "idle")
        assert control.request(files.socket, {"cmd": "status"})["ok"]
        assert thread.native_id is not None
        wait_until(lambda: _nice(thread.native_id or 0) == min(19, base + 10))
        assert answered_at == [base]
