#!/usr/bin/env python3
"""The daemon against one-shot `semfind index`: throughput, memory and edit-to-search delay.

    python bench/daemon.py ../shared/data/beir/scifact [--docs 400] [--rounds 3]

Writes the first N documents of a BEIR corpus as Markdown files into a temporary folder,
indexes them once with `semfind index` and once by watching the folder with the daemon
(separate throw-away indexes, same model), then edits files and times how long the change
takes to become searchable. With --rounds N the two runs alternate N times on fresh
indexes and the medians are compared, since a shared machine's load drifts. Prints a table.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from semfind.engine.store import Store
from semfind.indexer import control
from semfind.indexer.runtime import DaemonFiles


def write_corpus(folder: Path, corpus: Path, count: int) -> int:
    written = 0
    with (corpus / "corpus.jsonl").open(encoding="utf-8") as fh:
        for line in fh:
            row = json.loads(line)
            text = f"# {row.get('title') or row['_id']}\n\n{row.get('text') or ''}\n"
            (folder / f"{row['_id']}.md").write_text(text, encoding="utf-8")
            written += 1
            if written == count:
                break
    return written


def semfind(db: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "semfind.app", "--db", str(db), *args],
        capture_output=True,
        text=True,
        check=True,
    )


def indexed_count(db: Path) -> int:
    if not db.exists():
        return 0
    with Store.open(db, readonly=True) as store:
        return store.counts()["files"]


def has_word(db: Path, word: str) -> bool:
    with Store.open(db, readonly=True) as store:
        row = store.conn.execute(
            "SELECT count(*) FROM units_fts WHERE units_fts MATCH ?", (word,)
        ).fetchone()
        return bool(row and row[0])


def one_shot(folder: Path, db: Path) -> tuple[float, str]:
    """Seconds for `semfind index` and its summary lines."""
    start = time.perf_counter()
    out = semfind(db, "index", "--quiet", str(folder))
    return time.perf_counter() - start, " ".join(out.stderr.split())


def with_daemon(folder: Path, db: Path, files: int) -> dict[str, Any]:
    sock = DaemonFiles.for_db(db).socket
    semfind(db, "daemon", "start")
    try:
        start = time.perf_counter()
        semfind(db, "watch", "add", str(folder))
        peak_tokens = 0.0
        while indexed_count(db) < files:
            status = control.request(sock, {"cmd": "status"})["status"]
            peak_tokens = max(peak_tokens, status["tokens_per_s"])
            time.sleep(0.2)
        seconds = time.perf_counter() - start
        status = control.request(sock, {"cmd": "status"})["status"]
        delays = edit_delays(folder, db)
        return {
            "seconds": seconds,
            "tokens_per_s": status["tokens_per_s"] or peak_tokens,
            "rss_mb": status["rss_mb"],
            "delays": delays,
        }
    finally:
        semfind(db, "daemon", "stop")


def edit_delays(folder: Path, db: Path, edits: int = 10) -> list[float]:
    """Seconds from a write to the new text being searchable, per edit."""
    delays = []
    targets = sorted(folder.glob("*.md"))[:edits]
    for number, path in enumerate(targets):
        word = f"zqxedit{number}marker"
        path.write_text(path.read_text(encoding="utf-8") + f"\n{word}\n", encoding="utf-8")
        written = time.perf_counter()
        while not has_word(db, word):
            time.sleep(0.02)
        delays.append(time.perf_counter() - written)
    return delays


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("corpus", type=Path, help="a BEIR dataset folder")
    parser.add_argument("--docs", type=int, default=400)
    parser.add_argument("--rounds", type=int, default=1, help="alternating runs of each")
    args = parser.parse_args()
    shots: list[float] = []
    runs: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        folder = root / "docs"
        folder.mkdir()
        count = write_corpus(folder, args.corpus, args.docs)
        for number in range(args.rounds):
            seconds, summary = one_shot(folder, root / f"oneshot{number}.sqlite3")
            shots.append(seconds)
            runs.append(with_daemon(folder, root / f"daemon{number}.sqlite3", count))
            write_corpus(folder, args.corpus, args.docs)  # undo the edits
    report(count, shots, runs, summary)


def report(count: int, shots: list[float], runs: list[dict[str, Any]], summary: str) -> None:
    shot = statistics.median(shots)
    daemon = statistics.median(r["seconds"] for r in runs)
    delays = sorted(d for r in runs for d in r["delays"])
    ratios = ", ".join(f"{r['seconds'] / s:.2f}" for r, s in zip(runs, shots, strict=True))
    print(f"\n## daemon vs one-shot index ({count} SciFact documents as Markdown files)\n")
    print("| measure | value |\n|---|---:|")
    print(f"| rounds (alternating) | {len(runs)} |")
    print(f"| one-shot `semfind index`, median s (incl. start and model load) | {shot:.1f} |")
    print(f"| daemon, watch add → all indexed, median s | {daemon:.1f} |")
    print(f"| daemon / one-shot time, medians (per round: {ratios}) | {daemon / shot:.2f} |")
    tokens = statistics.median(r["tokens_per_s"] for r in runs)
    print(f"| daemon embedding tokens/s (last minute), median | {tokens:,.0f} |")
    print(f"| daemon RSS after indexing, MB, max | {max(r['rss_mb'] for r in runs):.0f} |")
    print(f"| edit → searchable, median s | {statistics.median(delays):.2f} |")
    print(f"| edit → searchable, max s | {delays[-1]:.2f} |")
    print(f"\none-shot summary (last round): {summary}")
    print(f"machine: {os.cpu_count()} logical CPUs")


if __name__ == "__main__":
    main()
