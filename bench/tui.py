#!/usr/bin/env python3
"""TUI latency: keystroke to results painted on a large index, and start to first paint.

    python bench/tui.py ../shared/data/beir/scifact [--copies 1] [--queries 60]

Builds (once, in the cache folder) an index of at least 100k propositions from the SciFact
proposition index of bench/beir.py, as bench/scale.py does: each copy repeats every file
under /copyN with its own vectors (the original plus a little noise, normalised) and texts
that lose about one word in ten, so vector and keyword search both work on that many
distinct rows. Then drives the real app headless with the real embedding
model: for each query, the text minus its last character is typed, and the time from the
last key press to the results being painted is measured. A key pressed 150 ms or more after
the previous search starts a search at once; faster typing is coalesced (reported apart).
The start-up time is measured on the real `semfind` command in tmux, when tmux is present.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from scale import base_db, build

from semfind.app.tui.app import create_app
from semfind.app.tui.search_pane import SearchPane
from semfind.app.tui.wiring import build_services
from semfind.engine.config import Settings
from semfind.engine.session.engine import Engine
from semfind.engine.store.index_facts import part_count


def counts(db: Path) -> tuple[int, int]:
    """Units and parts (propositions) in the index at `db`."""
    with Engine(Settings(db=db)) as engine:
        store = engine.store()
        return store.counts()["units"], part_count(store)


async def keystrokes(db: Path, queries: list[str], gap: float) -> tuple[list[float], list[float]]:
    """Seconds from the last key press of each query to its results on screen, and the
    seconds the engine took of that."""
    settings = Settings(db=db)
    app = create_app(build_services(settings))
    latencies: list[float] = []
    engine: list[float] = []
    async with app.run_test(size=(120, 40)) as pilot:
        pane = app.query_one(SearchPane)
        await _painted(pilot, pane, "warm up the model", time.perf_counter())
        for query in queries:
            await _painted(pilot, pane, query[:-1], time.perf_counter())
            await pilot.pause(gap)
            pressed = time.perf_counter()
            await pilot.press(query[-1] if query[-1] != " " else "space")
            await _wait_paint(pilot, pane, pressed)
            latencies.append(pane.painted_at - pressed)
            engine.append(pane.last_seconds)
    return latencies, engine


async def _painted(pilot: object, pane: SearchPane, text: str, since: float) -> None:
    from textual.widgets import Input

    pane.query_one("#query", Input).value = text
    await _wait_paint(pilot, pane, since)


async def _wait_paint(pilot: object, pane: SearchPane, since: float) -> None:
    deadline = time.perf_counter() + 60
    while pane.painted_at <= since:
        if time.perf_counter() > deadline:
            raise TimeoutError("results never painted")
        await asyncio.sleep(0.001)


def first_paint(db: Path) -> float | None:
    """Seconds from starting `semfind` in tmux until its query bar is on screen."""
    if shutil.which("tmux") is None:
        return None
    session = f"sfbench{os.getpid()}"
    command = f"{sys.executable} -m semfind.app --db {db}"
    started = time.perf_counter()
    started_tmux = subprocess.run(
        ["tmux", "new-session", "-d", "-s", session, "-x", "120", "-y", "40", command], check=False
    )
    if started_tmux.returncode != 0:
        return None
    try:
        while time.perf_counter() - started < 30:
            screen = subprocess.run(
                ["tmux", "capture-pane", "-p", "-t", session], capture_output=True, text=True
            ).stdout
            if "Search your files" in screen:
                return time.perf_counter() - started
            time.sleep(0.01)
        return None
    finally:
        subprocess.run(["tmux", "kill-session", "-t", session], check=False)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("corpus", type=Path, help="the BEIR dataset (for its queries)")
    parser.add_argument("--copies", type=int, default=1)
    parser.add_argument("--queries", type=int, default=150)
    args = parser.parse_args()
    target = base_db().with_name(f"tui-{args.copies + 1}x.sqlite3")
    if not target.exists():
        started = time.perf_counter()
        build(target, args.copies)
        print(f"built {target} in {time.perf_counter() - started:.0f} s", file=sys.stderr)
    units, props = counts(target)
    with (args.corpus / "queries.jsonl").open(encoding="utf-8") as fh:
        queries = [json.loads(line)["text"] for line in fh][: args.queries]
    with tempfile.TemporaryDirectory():
        paced, engine = asyncio.run(keystrokes(target, queries, gap=0.2))
        burst, _ = asyncio.run(keystrokes(target, queries[:20], gap=0.05))
    startup = [first_paint(target) for _ in range(3)]
    _report(units, props, paced, engine, burst, startup)


def _report(
    units: int,
    props: int,
    paced: list[float],
    engine: list[float],
    burst: list[float],
    startup: list[float | None],
) -> None:
    print(f"\n## TUI latency ({units:,} units, {props:,} propositions; 120x40, warm)\n")
    print("| measure | p50 ms | p95 ms | max ms |\n|---|---:|---:|---:|")
    _row(f"keystroke → results painted, typing ≥ 150 ms apart ({len(paced)} keys)", paced)
    _row("of which the search itself (query embedding, both legs, ranking)", engine)
    _row(f"last keystroke → painted, typing 50 ms apart, incl. coalescing ({len(burst)})", burst)
    valid = [s for s in startup if s is not None]
    if valid:
        _row(f"`semfind` start → query bar on screen (tmux, {len(valid)} runs)", valid)
    print(f"\nmachine: {os.cpu_count()} logical CPUs")


def _row(label: str, seconds: list[float]) -> None:
    p50, p95 = np.percentile(seconds, [50, 95]) * 1000
    print(f"| {label} | {p50:.0f} | {p95:.0f} | {max(seconds) * 1000:.0f} |")


if __name__ == "__main__":
    main()
