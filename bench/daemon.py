#!/usr/bin/env python3
"""The daemon against one-shot `semfind index`: throughput, memory and edit-to-search delay.

    python bench/daemon.py ../shared/data/beir/scifact [--docs 400] [--rounds 3]
    python bench/daemon.py ../shared/data/beir/scifact --backlog 2000 [--edits 20] [--rounds 2]

Writes the first N documents of a BEIR corpus as Markdown files into a temporary folder,
indexes them once with `semfind index` and once by watching the folder with the daemon
(separate throw-away indexes, same model), then edits files and times how long the change
takes to become searchable. With --rounds N the two runs alternate N times on fresh
indexes and the medians are compared, since a shared machine's load drifts. Prints a table.

With --backlog N: fresh edits against a backlog. The daemon watches a small inbox folder,
then a folder of N documents; while it works through them, one inbox note is edited every
--gap seconds and timed until its new word is searchable. The same window is timed without
edits, and the files of the backlog indexed per second in each are compared. The two runs
alternate (ABBA) --rounds times on fresh indexes.
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

from semfind.engine.config import Settings
from semfind.engine.session.engine import Engine
from semfind.engine.store.index_facts import has_keyword
from semfind.engine.store.store import Store
from semfind.indexer.daemon import control
from semfind.indexer.daemon.runtime import DaemonFiles


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
    with Engine(Settings(db=db)) as engine:
        return engine.store().counts()["files"]


def has_word(db: Path, word: str) -> bool:
    with Engine(Settings(db=db)) as engine:
        return has_keyword(engine.store(), word)


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


def backlog_run(root: Path, db: Path, edits: int, gap: float, window: float) -> dict[str, Any]:
    """One run: the inbox indexed, the backlog added, then a timed window with or without
    edits. Returns the backlog's files/s over the window and the edit delays."""
    inbox, backlog = root / "inbox", root / "backlog"
    semfind(db, "watch", "add", str(inbox))
    semfind(db, "daemon", "start")
    try:
        inbox_files = len(list(inbox.glob("*.md")))
        while indexed_count(db) < inbox_files:
            time.sleep(0.2)
        semfind(db, "watch", "add", str(backlog))
        while indexed_count(db) < inbox_files + 30:  # past the walk and the first batches
            time.sleep(0.2)
        pid = DaemonFiles.for_db(db).running_pid() or 0
        start, before, cpu_before = time.perf_counter(), indexed_count(db), cpu_seconds(pid)
        delays: list[float] = []
        with Engine(Settings(db=db)) as engine:
            store = engine.store()
            for number in range(edits):
                due = start + number * gap
                time.sleep(max(0.0, due - time.perf_counter()))
                delays.append(timed_edit(store, inbox / f"note{number:02}.md", number))
        time.sleep(max(0.0, start + window - time.perf_counter()))
        seconds, after = time.perf_counter() - start, indexed_count(db)
        cpu = cpu_seconds(pid) - cpu_before
        backlog_left = inbox_files + count_docs(backlog) - after
    finally:
        semfind(db, "daemon", "stop")
    if backlog_left <= 0:
        raise SystemExit("the backlog was done before the window ended: use a larger --backlog")
    return {
        "files_per_s": (after - before) / seconds,
        "files_per_cpu_s": (after - before) / cpu if cpu > 0 else 0.0,
        "delays": delays,
        "window_s": seconds,
    }


def cpu_seconds(pid: int) -> float:
    """CPU time of `pid` and its children (the extraction worker), from /proc; 0 elsewhere.

    Robust to other processes' load where wall time is not: on a shared machine the
    daemon (at nice 10) gets whatever CPU is left."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    try:
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if entry.name == str(pid) or fields[1] == str(pid):
                total += int(fields[11]) + int(fields[12])
    except OSError:
        return 0.0
    return total / ticks


def count_docs(folder: Path) -> int:
    return len(list(folder.glob("*.md")))


def timed_edit(store: Store, path: Path, number: int) -> float:
    """Append a unique word to `path`; seconds until a keyword search finds it."""
    word = f"zqxlive{number}marker"
    path.write_text(path.read_text(encoding="utf-8") + f"\n{word}\n", encoding="utf-8")
    written = time.perf_counter()
    while not has_keyword(store, word):
        time.sleep(0.05)
    return time.perf_counter() - written


def backlog_bench(args: argparse.Namespace) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        (root / "backlog").mkdir()
        inbox = root / "inbox"
        inbox.mkdir()
        count = write_corpus(root / "backlog", args.corpus, args.backlog)
        for number in range(args.edits):
            (inbox / f"note{number:02}.md").write_text(
                f"# Note {number}\n\nA short note about the garden, number {number}.\n"
            )
        runs: dict[str, list[dict[str, Any]]] = {"edits": [], "none": []}
        for number in range(args.rounds):
            order = ("edits", "none") if number % 2 == 0 else ("none", "edits")
            for kind in order:
                edits = args.edits if kind == "edits" else 0
                db = root / f"{kind}{number}.sqlite3"
                runs[kind].append(backlog_run(root, db, edits, args.gap, args.edits * args.gap))
                print(f"round {number + 1} {kind}: {runs[kind][-1]['files_per_s']:.2f} files/s")
                for note in inbox.glob("*.md"):  # undo the edits
                    note.write_text(note.read_text().split("\nzqxlive")[0])
    report_backlog(count, args, runs)


def report_backlog(count: int, args: argparse.Namespace, runs: dict[str, list[Any]]) -> None:
    delays = sorted(d for r in runs["edits"] for d in r["delays"])
    rates = {k: [r["files_per_s"] for r in v] for k, v in runs.items()}
    ratios = [e / n for e, n in zip(rates["edits"], rates["none"], strict=True)]
    per_cpu = {k: [r["files_per_cpu_s"] for r in v] for k, v in runs.items()}
    cpu_ratios = [e / n for e, n in zip(per_cpu["edits"], per_cpu["none"], strict=True)]
    window = statistics.median(r["window_s"] for r in runs["edits"])
    rows = [
        ("rounds (ABBA), window per run, s", f"{len(ratios)}, {window:.0f}"),
        (f"edits per run, one every {args.gap:g} s in another watched folder", f"{args.edits}"),
        (
            "edit → searchable, median s (incl. the 0.5 s settle)",
            f"{statistics.median(delays):.2f}",
        ),
        ("edit → searchable, max s", f"{delays[-1]:.2f}"),
    ]
    for kind, label in (("none", "without"), ("edits", "with")):
        per_run = ", ".join(f"{r:.2f}" for r in rates[kind])
        median = statistics.median(rates[kind])
        rows.append((f"backlog files/s {label} edits (per run: {per_run})", f"{median:.2f}"))
    per_round = ", ".join(f"{r:.2f}" for r in ratios)
    rows.append(
        (f"with / without, per round: {per_round}; median", f"{statistics.median(ratios):.2f}")
    )
    for kind, label in (("none", "without"), ("edits", "with")):
        per_run = ", ".join(f"{r:.3f}" for r in per_cpu[kind])
        median = statistics.median(per_cpu[kind])
        rows.append((f"backlog files per daemon CPU-s {label} edits ({per_run})", f"{median:.3f}"))
    per_round = ", ".join(f"{r:.2f}" for r in cpu_ratios)
    rows.append(
        (f"same per CPU-s, per round: {per_round}; median", f"{statistics.median(cpu_ratios):.2f}")
    )
    print(f"\n## fresh edits against a backlog ({count} SciFact documents as Markdown files)\n")
    print("| measure | value |\n|---|---:|")
    for label, value in rows:
        print(f"| {label} | {value} |")
    print(f"\nmachine: {os.cpu_count()} logical CPUs")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("corpus", type=Path, help="a BEIR dataset folder")
    parser.add_argument("--docs", type=int, default=400)
    parser.add_argument("--rounds", type=int, default=1, help="alternating runs of each")
    parser.add_argument("--backlog", type=int, default=0, help="documents in the backlog")
    parser.add_argument("--edits", type=int, default=20, help="edits per run (--backlog)")
    parser.add_argument("--gap", type=float, default=3.0, help="seconds between edits")
    args = parser.parse_args()
    if args.backlog:
        backlog_bench(args)
        return
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
