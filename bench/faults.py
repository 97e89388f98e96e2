#!/usr/bin/env python3
"""kill -9 of the daemon at random points of a large indexing run.

    python bench/faults.py ../shared/data/beir/scifact [--docs 500] [--kills 20] [--seed 1]

Writes N SciFact documents as Markdown files, lets the daemon index them and kills it with
SIGKILL after a random delay, again and again. After every kill the index must pass
`PRAGMA integrity_check`; after the last restart the daemon finishes, and its index must equal
a clean `semfind index` run of the same folder: same files, units, vectors and keywords.
Prints a table.
"""

from __future__ import annotations

import argparse
import os
import random
import signal
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from daemon import indexed_count, semfind, write_corpus

from semfind.engine.config import Settings
from semfind.engine.session.engine import Engine
from semfind.engine.store.doctor import diagnose
from semfind.engine.store.index_facts import (
    keyword_count,
    stored_files,
    stored_units,
    vector_codes,
    vector_hashes,
)
from semfind.indexer.daemon import control
from semfind.indexer.daemon.runtime import DaemonFiles


def integrity(db: Path) -> str:
    """What `semfind doctor --full` finds: "ok", else SQLite's first problem or the state."""
    found = diagnose(db, full=True)
    if found.ok:
        return "ok"
    return found.problems[0] if found.problems else found.state.value


PARTS = ("files", "units", "vectors", "keywords")


def content(db: Path) -> dict[str, Any]:
    """Everything a search can see, by path (ids differ between runs), and the int8 codes."""
    with Engine(Settings(db=db)) as engine:
        store = engine.store()
        return {
            "files": [(f.path, f.content_hash, f.status) for f in stored_files(store)],
            "units": stored_units(store),
            "vectors": vector_hashes(store),
            "keywords": [keyword_count(store, t, "cell") for t in ("units_fts", "parts_fts")],
            "codes": vector_codes(store, store.models()[0]),
        }


def compare(killed: dict[str, Any], clean: dict[str, Any]) -> dict[str, str]:
    """Per part: equal or not; the codes by their largest difference, since llama.cpp's
    results move in the last bits with how texts are batched."""
    found = {part: str(killed[part] == clean[part]) for part in PARTS}
    a, b = killed["codes"], clean["codes"]
    if a.keys() != b.keys():
        found["codes"] = "different texts"
    else:
        worst = max(
            (
                int(
                    np.abs(
                        np.frombuffer(a[h], np.int8).astype(int) - np.frombuffer(b[h], np.int8)
                    ).max()
                )
                for h in a
            ),
            default=0,
        )
        same = sum(a[h] == b[h] for h in a)
        found["codes"] = f"{same}/{len(a)} identical, largest difference {worst} of 127"
    return found


def kill_cycles(db: Path, total: int, kills: int, rng: random.Random) -> list[dict[str, Any]]:
    files = DaemonFiles.for_db(db)
    cycles = []
    for number in range(kills):
        semfind(db, "daemon", "start")
        pid = files.running_pid()
        assert pid is not None
        delay = rng.uniform(0.5, 4.0)
        time.sleep(delay)
        before = indexed_count(db)
        os.kill(pid, signal.SIGKILL)
        while files.running_pid() is not None:
            time.sleep(0.05)
        cycles.append(
            {
                "kill": number + 1,
                "after_s": delay,
                "indexed_at_kill": before,
                "mid_index": before < total,
                "integrity": integrity(db),
            }
        )
        print(
            f"kill {number + 1}: after {delay:.1f} s, {before}/{total} files, "
            f"integrity {cycles[-1]['integrity']}",
            flush=True,
        )
    return cycles


def finish(db: Path, total: int) -> float:
    files = DaemonFiles.for_db(db)
    started = time.perf_counter()
    semfind(db, "daemon", "start")
    try:
        while True:
            time.sleep(0.5)
            status = control.request(files.socket, {"cmd": "status"})["status"]
            if indexed_count(db) >= total and status["state"] == "idle" and not status["queue"]:
                break
    finally:
        semfind(db, "daemon", "stop")
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("corpus", type=Path, help="a BEIR dataset folder")
    parser.add_argument("--docs", type=int, default=500)
    parser.add_argument("--kills", type=int, default=20)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        runtime = Path(tempfile.mkdtemp(prefix="sff-", dir="/tmp"))
        os.environ.setdefault("SEMFIND_RUNTIME_DIR", str(runtime))
        folder = root / "docs"
        folder.mkdir()
        total = write_corpus(folder, args.corpus, args.docs)
        db = root / "killed.sqlite3"
        semfind(db, "watch", "add", str(folder))
        cycles = kill_cycles(db, total, args.kills, rng)
        finish_s = finish(db, total)
        clean = root / "clean.sqlite3"
        semfind(clean, "index", "--quiet", str(folder))
        same = compare(content(db), content(clean))
        final = integrity(db)
        runtime.rmdir() if not any(runtime.iterdir()) else None
    report(total, cycles, finish_s, final, same)


def report(
    total: int, cycles: list[dict[str, Any]], finish_s: float, final: str, same: dict[str, str]
) -> None:
    ok = sum(1 for c in cycles if c["integrity"] == "ok")
    mid = sum(1 for c in cycles if c["mid_index"])
    print(f"\n## kill -9 of the daemon, {len(cycles)} times ({total} SciFact documents)\n")
    print("| measure | value |\n|---|---:|")
    print(f"| kills | {len(cycles)} |")
    print(f"| … landing mid-index (not every file indexed yet) | {mid} |")
    print(f"| integrity_check ok after the kill | {ok} / {len(cycles)} |")
    at_kill = ", ".join(str(c["indexed_at_kill"]) for c in cycles)
    print(f"| files indexed at each kill | {at_kill} |")
    print(f"| last restart → done, s | {finish_s:.1f} |")
    print(f"| final integrity_check | {final} |")
    for part, verdict in same.items():
        print(f"| final index equals a clean run: {part} | {verdict} |")


if __name__ == "__main__":
    main()
