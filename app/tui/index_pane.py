"""Index: watched folders with counts, add or remove one, failed files and retry, pause."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from textual.containers import Horizontal, Vertical
from textual.widgets import Button, DataTable, Input, Label

if TYPE_CHECKING:
    from textual.app import ComposeResult

    from semfind.indexer.daemon.protocol import DaemonStatus

    from .services import Failure, FolderCount


class IndexPane(Vertical):
    """Rendered from IndexFacts and daemon events; actions are handled by the app."""

    def __init__(self) -> None:
        super().__init__(id="index-pane")
        self.folders: list[FolderCount] = []
        self.failures: list[Failure] = []
        self.modes: dict[str, str] = {}

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


def _selected(table: DataTable[Any], keys: list[str]) -> str | None:
    row = table.cursor_row
    return keys[row] if keys and 0 <= row < len(keys) else None
