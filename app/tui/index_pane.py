"""Index: watched folders with counts, add or remove one, failed files and retry, pause."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

from textual import on, work
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.widgets import Button, DataTable, Input, Label
from textual.worker import Worker

from .messages import report_worker_error

if TYPE_CHECKING:
    from textual.app import ComposeResult

    from semfind.indexer.daemon.protocol import DaemonStatus

    from .services import DaemonLink, Failure, FolderCount


class WatchesChanged(Message):
    """A folder was added or removed: the index facts are stale."""


class DaemonStarted(Message):
    """The daemon was started from here: its events are worth following now."""


class IndexPane(Vertical):
    """Rendered from IndexFacts and daemon events; its buttons act through the daemon."""

    def __init__(self, daemon: DaemonLink) -> None:
        super().__init__(id="index-pane")
        self.daemon = daemon
        self.folders: list[FolderCount] = []
        self.failures: list[Failure] = []
        self.modes: dict[str, str] = {}
        self.daemon_status: DaemonStatus | None = None

    def compose(self) -> ComposeResult:
        yield Label("Indexed folders", classes="section")
        yield DataTable(id="folders", cursor_type="row", zebra_stripes=True)
        with Horizontal(id="folder-actions"):
            yield Input(placeholder="folder to watch (~/notes)", id="new-folder", compact=True)
            yield Button("Add", id="add-folder", compact=True)
            yield Button("Remove selected", id="remove-folder", compact=True)
            yield Button("Pause", id="pause", compact=True)
        yield Label("Failed and skipped files", classes="section")
        yield DataTable(id="failures", cursor_type="row", zebra_stripes=True)
        with Horizontal(id="failure-actions"):
            yield Button("Retry selected", id="retry", compact=True)
            yield Button("Retry all", id="retry-all", compact=True)

    def on_mount(self) -> None:
        self.query_one("#folders", DataTable).add_columns(
            "folder", "files", "units", "failed", "watched"
        )
        self.query_one("#failures", DataTable).add_columns("file", "status", "reason")

    def show_facts(self, folders: list[FolderCount], failures: list[Failure]) -> None:
        if folders != self.folders:
            self.folders = folders
            self._fill_folders()
        if failures != self.failures:
            self.failures = failures
            table = self.query_one("#failures", DataTable)
            table.clear()
            for failure in failures:
                table.add_row(failure.path, failure.status, failure.reason, key=failure.path)

    def show_daemon(self, status: DaemonStatus | None) -> None:
        self.daemon_status = status
        modes = {w.path: w.mode for w in status.watches} if status else {}
        if modes != self.modes:
            self.modes = modes
            self._fill_folders()
        paused = bool(status and status.paused_reason)
        button = self.query_one("#pause", Button)
        label = "Resume" if paused else "Pause"
        if str(button.label) != label:
            button.label = label
        button.disabled = status is None

    def _fill_folders(self) -> None:
        table = self.query_one("#folders", DataTable)
        table.clear()
        for folder in self.folders:
            table.add_row(folder.path, f"{folder.files:,}", f"{folder.units:,}",
                          f"{folder.failed:,}", self._watched(folder), key=folder.path)  # fmt: skip

    def _watched(self, folder: FolderCount) -> str:
        if not folder.watched:
            return "no"
        mode = self.modes.get(folder.path)
        return f"yes, {mode}" if mode else "yes (daemon stopped)"

    @property
    def selected_folder(self) -> str | None:
        return _selected(self.query_one("#folders", DataTable), [f.path for f in self.folders])

    @property
    def selected_failure(self) -> str | None:
        return _selected(self.query_one("#failures", DataTable), [f.path for f in self.failures])

    def new_folder(self) -> str:
        raw = self.query_one("#new-folder", Input).value.strip()
        return str(Path(raw).expanduser().resolve()) if raw else ""

    @on(Worker.StateChanged)
    def _worker_failed(self, event: Worker.StateChanged) -> None:
        report_worker_error(self, event)  # worker events do not bubble to the app

    @work(thread=True, exclusive=True, group="daemon-control", exit_on_error=False)
    def start_daemon(self) -> None:
        daemon = self.daemon
        if daemon.running_pid() is not None:
            self.app.call_from_thread(self.notify, "the daemon is already running")
            return
        self.app.call_from_thread(self.notify, "starting the daemon…", timeout=3)
        pid = daemon.start()
        self.app.call_from_thread(self.notify, f"daemon started (pid {pid})")
        self.post_message(DaemonStarted())

    @on(Button.Pressed, "#add-folder")
    @on(Input.Submitted, "#new-folder")
    def _add_folder(self) -> None:
        folder = self.new_folder()
        if not folder:
            self.notify("type a folder to watch first", severity="warning")
            return
        if not os.path.isdir(folder):
            self.notify(f"not a folder: {folder}", severity="error")
            return
        self._change_watch(True, folder)
        self.query_one("#new-folder", Input).value = ""

    @on(Button.Pressed, "#remove-folder")
    def _remove_folder(self) -> None:
        folder = self.selected_folder
        if folder:
            self._change_watch(False, folder)

    @work(thread=True, group="daemon-control", exit_on_error=False)
    def _change_watch(self, add: bool, folder: str) -> None:
        changed, running = self.daemon.change_watches(add, [folder])
        verb = "watching" if add else "no longer watching"
        text = f"{verb} {folder}" if changed else f"nothing changed for {folder}"
        if add and changed and not running:
            text += "; start the daemon (ctrl+d) to index it"
        self.app.call_from_thread(self.notify, text)
        self.post_message(WatchesChanged())

    @on(Button.Pressed, "#pause")
    def _pause(self) -> None:
        self._set_paused(not bool(self.daemon_status and self.daemon_status.paused_reason))

    @work(thread=True, group="daemon-control", exit_on_error=False)
    def _set_paused(self, pause: bool) -> None:
        reply = self.daemon.pause(pause)
        self.app.call_from_thread(self.notify, "paused" if reply.paused else "resumed")

    @on(Button.Pressed, "#retry, #retry-all")
    def _retry(self, message: Button.Pressed) -> None:
        if message.button.id == "retry":
            paths = [self.selected_failure] if self.selected_failure else []
        else:
            paths = [f.path for f in self.failures]
        if paths:
            self._retry_paths([p for p in paths if os.path.exists(p)] or paths)

    @work(thread=True, group="daemon-control", exit_on_error=False)
    def _retry_paths(self, paths: list[str]) -> None:
        daemon = self.daemon
        if daemon.running_pid() is None:
            self.app.call_from_thread(
                self.notify, "retrying needs the daemon: ctrl+d starts it", severity="warning"
            )
            return
        daemon.index(paths)
        self.app.call_from_thread(self.notify, f"queued {len(paths)} file(s) for another try")


def _selected(table: DataTable[Any], keys: list[str]) -> str | None:
    row = table.cursor_row
    return keys[row] if keys and 0 <= row < len(keys) else None
