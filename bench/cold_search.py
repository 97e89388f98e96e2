"""Cold `semfind search` wall time: a new process per query, without and with a daemon.

    python bench/cold_search.py /tmp/copy.sqlite3 ../shared/data/beir/scifact/queries.jsonl

Run it on a COPY of an index: it starts a daemon on it (no folders are watched unless the
index already watches some), waits until the daemon is idle, and stops it afterwards. Each
mode runs --runs searches, one query each, after one unmeasured run; output --json, k=10.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

SEMFIND = [sys.executable, "-m", "semfind.app"]


def semfind(db: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*SEMFIND, "--db", str(db), *args], capture_output=True, text=True, check=True
    )


def queries(path: Path, count: int) -> list[str]:
    with path.open() as lines:
        return [str(json.loads(line)["text"]) for line, _ in zip(lines, range(count), strict=False)]


def timed(db: Path, texts: list[str]) -> tuple[list[float], list[str]]:
    semfind(db, "search", "--json", texts[0])  # page cache, pyc files
    seconds, outputs = [], []
    for text in texts:
        started = time.perf_counter()
        outputs.append(semfind(db, "search", "--json", text).stdout)
        seconds.append(time.perf_counter() - started)
    return seconds, outputs


def wait_idle(db: Path, limit_s: float = 300.0) -> None:
    """Until the daemon has finished starting (its catch-up and any vector pass): the
    benchmark measures a daemon that runs, not one that is starting."""
    deadline = time.monotonic() + limit_s
    while time.monotonic() < deadline:
        status = json.loads(semfind(db, "daemon", "status", "--json").stdout)
        if status.get("state") == "idle":
            return
        time.sleep(1.0)
    sys.exit(f"the daemon on {db} was not idle after {limit_s:.0f} s")


def summary(label: str, seconds: list[float]) -> str:
    ordered = sorted(seconds)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return (
        f"{label}: p50 {statistics.median(ordered):.3f} s, p95 {p95:.3f} s, "
        f"min {ordered[0]:.3f} s, max {ordered[-1]:.3f} s ({len(ordered)} runs)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("db", type=Path)
    parser.add_argument("queries", type=Path, help="a BEIR queries.jsonl")
    parser.add_argument("--runs", type=int, default=20)
    args = parser.parse_args()
    texts = queries(args.queries, args.runs)
    here, local = timed(args.db, texts)
    semfind(args.db, "daemon", "start")
    try:
        wait_idle(args.db)
        daemon, remote = timed(args.db, texts)
        status = json.loads(semfind(args.db, "daemon", "status", "--json").stdout)
    finally:
        semfind(args.db, "daemon", "stop")
    print(summary("searched here (no daemon)", here))
    print(summary("answered by the daemon", daemon))
    print(f"daemon RSS after the searches: {status['rss_mb']:.0f} MB")
    same = sum(a == b for a, b in zip(local, remote, strict=True))
    print(f"identical --json output: {same} of {len(texts)} queries")


if __name__ == "__main__":
    main()
