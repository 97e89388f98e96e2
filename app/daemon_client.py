"""The daemon as the CLI and the TUI see it: a client over its socket and files."""

from __future__ import annotations

import os
import subprocess
import time
from collections.abc import Iterator
from typing import Any

from semfind.engine import paths
from semfind.engine.config import Settings
from semfind.engine.errors import DaemonError
from semfind.engine.session.engine import Engine
from semfind.indexer.daemon import control
from semfind.indexer.daemon.protocol import (
    DaemonStatus,
    Event,
    PauseReply,
    SearchReply,
    SearchRequest,
    event_from_json,
)
from semfind.indexer.daemon.runtime import DaemonFiles

START_WAIT_S = 60.0
SEARCH_WAIT_S = 10.0
"""How long a search waits for the daemon (its model may be busy with a batch) before it
is run here instead."""


class DaemonClient:
    """Talks to the daemon serving one index; every call is safe when it is not running."""

    def __init__(self, settings: Settings, files: DaemonFiles | None = None) -> None:
        self.settings = settings
        self.db = settings.db_path()
        self.files = files or DaemonFiles.for_db(self.db)

    def running_pid(self) -> int | None:
        return self.files.running_pid()

    def ask(self, message: dict[str, Any], timeout: float = 10.0) -> dict[str, Any]:
        """One request; DaemonError when the daemon is down or refuses it."""
        return control.request(self.files.socket, message, timeout)

    def status(self) -> DaemonStatus:
        return DaemonStatus.from_json(self.ask({"cmd": "status"})["status"])

    def events(self, idle: float | None = None) -> Iterator[Event]:
        """Status and progress events until the daemon stops; see control.events. Events of
        a kind this client does not know are left out."""
        for data in control.events(self.files.socket, idle):
            event = event_from_json(data)
            if event is not None:
                yield event

    def start(self) -> int:
        """Start a detached daemon and wait until it answers; returns its pid."""
        process = self._spawn()
        deadline = time.monotonic() + START_WAIT_S
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise DaemonError(f"the daemon exited at start; see {self.files.log}")
            try:
                self.ask({"cmd": "status"}, timeout=2.0)
            except DaemonError:
                time.sleep(0.2)
                continue
            return process.pid
        raise DaemonError(
            f"the daemon did not answer within {START_WAIT_S:g} s; see {self.files.log}"
        )

    def _spawn(self) -> subprocess.Popen[bytes]:
        paths.make_private_dir(self.files.log.parent)
        command = [*paths.self_command(), "--db", str(self.db)]
        # Owner-only, like the index: the log names the user's files.
        fd = os.open(self.files.log, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        with open(fd, "ab") as log:
            return subprocess.Popen(
                [*command, "daemon", "start", "--foreground"],
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=log,
                start_new_session=True,
                close_fds=True,
            )

    def search(self, request: SearchRequest, timeout: float | None = None) -> SearchReply:
        """The daemon's warm searcher's answer; DaemonError when it is down, refuses, or
        does not answer within `timeout` seconds (SEARCH_WAIT_S)."""
        wait = SEARCH_WAIT_S if timeout is None else timeout
        return SearchReply.from_json(self.ask(request.to_json(), wait))

    def pause(self, pause: bool) -> PauseReply:
        return PauseReply.from_json(self.ask({"cmd": "pause" if pause else "resume"}))

    def index(self, paths: list[str]) -> list[str]:
        """Queue paths for indexing; returns them as the daemon queued them."""
        return [str(p) for p in self.ask({"cmd": "index", "paths": paths})["queued"]]

    def change_watches(self, add: bool, paths: list[str]) -> tuple[list[str], bool]:
        """Through the daemon when it runs (it is the writer), else in the index directly.
        Returns the paths that changed and whether the daemon is running."""
        cmd = "watch_add" if add else "watch_remove"
        if self.running_pid() is not None:
            return list(self.ask({"cmd": cmd, "paths": paths})["changed"]), True
        with Engine(self.settings) as engine, engine.unlocked() as store:
            change = store.add_watch if add else store.remove_watch
            return [p for p in paths if change(p)], False
