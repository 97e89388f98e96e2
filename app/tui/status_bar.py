"""The always-visible line: daemon state, index counts, queue and live throughput."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.content import Content
from textual.widgets import Static

from semfind.engine.errors import (
    DiskFullError,
    IndexLockedError,
    NotAnIndexError,
    SchemaTooNewError,
)

from .services import IndexSummary

if TYPE_CHECKING:
    from pathlib import Path

    from semfind.indexer.daemon.protocol import Backend, DaemonStatus

_PROBLEMS: tuple[tuple[type[Exception], str], ...] = (
    (NotAnIndexError, "is not an index"),
    (SchemaTooNewError, "is from a newer semfind"),
    (IndexLockedError, "is locked"),
    (DiskFullError, "is on a full disk"),
)


class StatusBar(Static):
    """Rendered from the latest daemon event and index summary."""

    def __init__(self) -> None:
        super().__init__(id="status-bar")
        self.daemon: DaemonStatus | None = None
        self.summary = IndexSummary(exists=False)
        self._shown: str | None = None

    def show(self, daemon: DaemonStatus | None, summary: IndexSummary | None = None) -> None:
        self.daemon = daemon
        if summary is not None:
            self.summary = summary
        line = status_line(self.daemon, self.summary)
        if line.cell_length > self.size.width:  # the device and proposition count give way
            line = status_line(self.daemon, self.summary, wide=False)
        shown = line.markup
        if shown != self._shown:  # an unchanged line must not cost a frame
            self._shown = shown
            self.update(line)

    def on_resize(self) -> None:
        self.show(self.daemon)


def status_line(daemon: DaemonStatus | None, summary: IndexSummary, wide: bool = True) -> Content:
    parts: list[tuple[str, str] | str] = []
    if daemon is None:
        parts.append(("○ daemon stopped", "bold $warning"))
        if wide or not summary.problem:  # the problem needs the room more than the hint
            parts.append((" (ctrl+d starts it)", "dim"))
    else:
        state = f"paused ({daemon.paused_reason})" if daemon.paused_reason else daemon.state
        parts.append((f"● {state}", "bold $success"))
        run = daemon.run
        if state == "indexing" and run.total:
            parts.append(f" {run.done}/{run.total}")
        parts.append(f" · queue {daemon.queue}")
        tokens = daemon.tokens_per_s
        if tokens and state == "indexing":  # the rate covers the last minute: stale when idle
            parts.append(f" · {tokens:,.0f} tok/s")
        backend = daemon.backend
        if backend and backend.device and wide:
            parts.append((f" · {_device(backend)}", "dim"))
    parts.append(("  │  ", "dim"))
    if summary.problem:
        parts.append((f"✗ {summary.problem}", "bold $error"))
    elif summary.exists:
        parts.append(f"{summary.files:,} files")
        if wide:  # narrow: the failures matter more
            parts.append(f" · {summary.propositions:,} props")
        if summary.failed:
            parts.append((f" · {summary.failed} failed", "$error"))
    else:
        parts.append(("no index yet", "dim"))
    return Content.assemble(*parts)


def _device(backend: Backend) -> str:
    if backend.device == "CPU":
        return f"CPU {backend.threads} thr"
    return f"{backend.device} ngl={backend.n_gpu_layers}"


def index_problem(exc: BaseException, db: Path) -> str:
    """What is wrong with the index, short enough for the status bar, and what to run."""
    what = next((text for kind, text in _PROBLEMS if isinstance(exc, kind)), "cannot be read")
    return f"{db.name} {what}: run semfind doctor"
