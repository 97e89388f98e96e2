"""A live progress bar for indexing runs, drawn on stderr."""

from __future__ import annotations

import time
from types import TracebackType

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from semfind.indexer.indexing import IndexReport


class IndexProgressBar:
    """Receives indexer progress callbacks; redraws at most ten times a second."""

    def __init__(self, console: Console) -> None:
        self._bar = Progress(
            TextColumn("[bold]indexing"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.fields[rates]}"),
            TimeElapsedColumn(),
            TextColumn("[dim]{task.fields[current]}"),
            console=console,
            transient=True,
        )
        self._task = self._bar.add_task("index", total=None, rates="", current="")
        self._last = 0.0

    def __call__(self, report: IndexReport) -> None:
        now = time.perf_counter()
        if now - self._last < 0.1 and report.files_done < report.files_total:
            return
        self._last = now
        elapsed = max(now - report.started, 1e-6)
        rates = (
            f"{report.files_done / elapsed:6.1f} files/s {report.units / elapsed:7.1f} units/s "
            f"{report.tokens_per_s:8,.0f} tok/s"
        )
        if report.phase == "vectors":  # every file is searchable by keyword already
            self._bar.update(
                self._task,
                total=report.vectors_todo or None,
                completed=report.embedded,
                rates=f"{report.units_per_s:7.1f} units/s {report.tokens_per_s:8,.0f} tok/s",
                current="vectors (files found by keyword meanwhile)",
            )
            return
        name = report.current.rsplit("/", 1)[-1][:40]
        self._bar.update(
            self._task,
            total=report.files_total or None,
            completed=report.files_done,
            rates=rates,
            current=name,
        )

    def __enter__(self) -> IndexProgressBar:
        self._bar.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._bar.stop()
