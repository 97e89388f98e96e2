#!/usr/bin/env python3
"""TUI latency: keystroke to results painted on a large index, and start to first paint.

    python bench/tui.py ../shared/data/beir/scifact [--copies 1] [--queries 60]

Builds (once, in the cache folder) an index of at least 100k propositions from the SciFact
proposition index of bench/beir.py: each copy repeats every file under /copyN with its own
vectors (the original plus a little noise, normalised), so vector and keyword search both
work on that many distinct rows. Then drives the real app headless with the real embedding
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

from semfind.app.tui.app import create_app
from semfind.app.tui.search_pane import SearchPane
from semfind.app.tui.wiring import build_services
from semfind.engine import paths
from semfind.engine.config import Settings
from semfind.engine.hashing import text_hash
from semfind.engine.store import Store


def grow(base: Path, target: Path, copies: int) -> None:
    """Copy `base` and repeat its files `copies` times with distinct vectors."""
    partial = target.with_suffix(".partial")
    shutil.copyfile(base, partial)
    rng = np.random.default_rng(7)
    with Store.open(partial) as store:
        conn = store.conn
        model = store.models()[0]
        files: list[tuple[int]] = list(
            conn.execute("SELECT id FROM files WHERE status = 'indexed'")
        )
        with conn:
            for copy in range(1, copies + 1):
                for (file_id,) in files:
                    _copy_file(conn, model.id, model.vec_table, file_id, copy, rng)
    partial.rename(target)


def _copy_file(
    conn: object, model_id: int, vec_table: str, file_id: int, copy: int, rng: np.random.Generator
) -> None:
    run = conn.execute  # type: ignore[attr-defined]
    row = run(
        "INSERT INTO files(path, kind, title, size, mtime_ns, content_hash, status, error,"
        " indexed_at, segmenter) SELECT '/copy' || ? || '/' || path, kind, title, size,"
        " mtime_ns, content_hash, status, error, indexed_at, segmenter FROM files WHERE id = ?"
        " RETURNING id, title",
        (copy, file_id),
    ).fetchone()
    new_file, title = int(row[0]), row[1]
    ids: dict[int, int] = {}
    units = run(
        "SELECT id, parent_id, kind, ord, text, embed_text, embed_hash, page, char_start,"
        " char_end, line_start, line_end, spans FROM units WHERE file_id = ? ORDER BY id",
        (file_id,),
    ).fetchall()
    for unit in units:
        old_id, parent, kind, old_hash = unit[0], unit[1], unit[2], unit[6]
        new_hash = text_hash(f"{old_hash}/copy{copy}")
        new_id = run(
            "INSERT INTO units(file_id, parent_id, kind, ord, text, embed_text, embed_hash, page,"
            " char_start, char_end, line_start, line_end, spans)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
            (
                new_file,
                ids.get(parent) if parent else None,
                kind,
                unit[3],
                unit[4],
                unit[5],
                new_hash,
                *unit[7:],
            ),
        ).fetchone()[0]
        ids[old_id] = int(new_id)
        table = "units_fts" if kind == "passage" else "parts_fts"
        run(f"INSERT INTO {table}(rowid, title, text) VALUES (?, ?, ?)", (new_id, title, unit[4]))
        vector = run(
            f"SELECT e.embedding FROM vectors v JOIN {vec_table} e ON e.rowid = v.id"
            " WHERE v.model_id = ? AND v.text_hash = ?",
            (model_id, old_hash),
        ).fetchone()
        if vector is None:
            continue
        noisy = np.frombuffer(vector[0], dtype=np.float32) + rng.normal(0, 0.02, 384)
        noisy = (noisy / np.linalg.norm(noisy)).astype(np.float32)
        vec_id = run(
            "INSERT INTO vectors(model_id, text_hash) VALUES (?, ?) ON CONFLICT DO NOTHING"
            " RETURNING id",
            (model_id, new_hash),
        ).fetchone()
        if vec_id is not None:
            run(
                f"INSERT INTO {vec_table}(rowid, embedding) VALUES (?, ?)",
                (int(vec_id[0]), noisy.tobytes()),
            )


def counts(db: Path) -> tuple[int, int]:
    with Store.open(db, readonly=True) as store:
        rows: list[tuple[int, int]] = list(
            store.conn.execute("SELECT count(*), sum(kind != 'passage') FROM units")
        )
        return rows[0]


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
    parser.add_argument(
        "--base", type=Path, default=paths.cache_dir() / "bench" / "scifact-rules.sqlite3"
    )
    parser.add_argument("--copies", type=int, default=1)
    parser.add_argument("--queries", type=int, default=150)
    args = parser.parse_args()
    if not args.base.exists():
        sys.exit(f"{args.base} is missing: run bench/beir.py --segmenter rules first")
    target = args.base.with_name(f"tui-{args.copies + 1}x.sqlite3")
    if not target.exists():
        started = time.perf_counter()
        grow(args.base, target, args.copies)
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
