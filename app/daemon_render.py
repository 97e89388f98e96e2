"""The daemon's status, as a person reads it."""

from __future__ import annotations

from collections.abc import Sequence

from rich.console import Console
from rich.markup import escape

from semfind.indexer.daemon.protocol import Coverage, DaemonStatus, FailedFile, Shares

from .render import plural, shown, shown_path


def print_status(console: Console, status: DaemonStatus) -> None:
    backend = status.backend
    model = backend.model if backend else "?"
    state = f"paused ({status.paused_reason})" if status.paused_reason else status.state
    console.print(
        f"[bold]{escape(state)}[/] (pid {status.pid}, index {shown_path(status.db)})",
        soft_wrap=True,
    )
    console.print(f"watched folders: {len(status.watches) or 'none'}")
    for watch in status.watches:
        console.print(f"  {shown_path(watch.path)}  [dim]{watch.mode}[/]", soft_wrap=True)
    console.print(
        f"queue: {plural(status.queue, 'path')} waiting; run: {status.run.done:,} of "
        f"{plural(status.run.total, 'file')}"
        + (f", ETA {_duration(status.eta_s)}" if status.eta_s else "")
    )
    if status.current:
        console.print(f"current: {shown_path(status.current)}", soft_wrap=True)
    console.print(
        f"since start: {status.indexed} indexed, {status.unchanged} unchanged, "
        f"{status.moved} moved, {status.removed} removed, "
        f"{len(status.failed)} failed"
    )
    if status.vectors is not None:
        console.print(
            f"vectors: {status.vectors.done:,} of {status.vectors.todo:,} built; "
            "until then those files are found by keyword only"
        )
    console.print(
        f"throughput (last minute): {status.tokens_per_s:,.0f} tokens/s, "
        f"{status.units_per_s:,.1f} units/s"
    )
    print_shares(console, status.shares)
    if status.coverage is not None:
        console.print(coverage_line(status.coverage), soft_wrap=True)
    console.print(
        f"backend: {shown(model)} on {backend.description if backend else '?'}; "
        f"memory {status.rss_mb:,.0f} MB RSS",
        soft_wrap=True,
    )
    switching = status.switching
    if switching and switching.name:
        console.print(
            f"new embedding model: {shown(switching.name)}, {switching.done:,} of "
            f"{switching.total:,} vectors built; search uses {shown(model)} "
            "until then"
        )
    if switching and switching.error:
        console.print(f"[red]embedding model switch failed:[/] {shown(switching.error)}")
    print_failed(console, status.failed)


def print_shares(console: Console, shares: Shares | None) -> None:
    """Where the embedded tokens went, in the words of `semfind index`."""
    if shares is None:
        return
    for label, split in (("since start", shares.since_start), ("this run", shares.run)):
        if split is not None and split.total:
            console.print(
                f"embedded tokens {label}: {split.describe()} ({plural(split.total, 'token')})",
                soft_wrap=True,
            )


def coverage_line(coverage: Coverage) -> str:
    """How far the model in use's vectors cover the index, as `semfind status` says it."""
    head = f"vectors for {escape(coverage.model)}: "
    units, without = coverage.units, coverage.without
    if units == 0:
        return head + "the index holds no units yet"
    if without == 0:
        return head + f"all {plural(units, 'unit')} have one"
    share = min(100.0 * (units - without) / units, 99.0)
    return head + (
        f"{share:.0f} % of {plural(units, 'unit')} ({without:,} without one yet): "
        "results by keyword only for the rest"
    )


def print_failed(console: Console, failed: Sequence[FailedFile]) -> None:
    for item in failed:
        line = f"  [red]failed[/] {shown_path(item.path)}: {escape(item.reason)}"
        console.print(line, soft_wrap=True)


def _duration(seconds: float) -> str:
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 5400:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"
