#!/usr/bin/env python3
"""The hostile corpus (tests/hostile.py, full size) through the real `semfind index` and the
daemon, with the default model: both must finish, stay within the memory budget, list every
failure with a reason, index every good file and read nothing through a link out of the tree.

    python bench/hostile.py [--keep DIR]

Prints a table per run: files tried, outcome counts, peak RSS of semfind and of its
extraction worker (sampled every 50 ms from /proc), crashes (a non-zero exit, a traceback,
or a daemon that died) and every check that failed.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from semfind.engine.config import Settings
from semfind.engine.session.engine import Engine
from semfind.engine.store.index_facts import stored_files
from semfind.indexer.daemon import control
from semfind.indexer.daemon.runtime import DaemonFiles
from tests.hostile import Manifest, make_corpus, restore_permissions

RSS_BUDGET_MB = 500


@dataclass
class Run:
    name: str
    seconds: float = 0.0
    peak_main_mb: float = 0.0
    peak_worker_mb: float = 0.0
    crashes: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    outcome: dict[str, int] = field(default_factory=dict)
    listed: int = 0


class RssSampler(threading.Thread):
    """Peak RSS of a process and, separately, of its descendants (the extraction worker)."""

    def __init__(self, pid: int) -> None:
        super().__init__(daemon=True)
        self.pid, self.main_kb, self.worker_kb = pid, 0, 0
        self.done = threading.Event()

    def run(self) -> None:
        while not self.done.wait(0.05):
            self.main_kb = max(self.main_kb, _rss_kb(self.pid))
            for child in _descendants(self.pid):
                self.worker_kb = max(self.worker_kb, _rss_kb(child))


def _rss_kb(pid: int) -> int:
    try:
        text = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return 0
    found = re.search(r"VmRSS:\s+(\d+)", text)
    return int(found.group(1)) if found else 0


def _descendants(pid: int) -> list[int]:
    found: list[int] = []
    try:
        tasks = list(Path(f"/proc/{pid}/task").iterdir())
    except OSError:
        return found
    for task in tasks:
        try:
            children = [int(c) for c in (task / "children").read_text().split()]
        except OSError:
            continue
        for child in children:
            found += [child, *_descendants(child)]
    return found


def semfind(db: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "semfind.app", "--db", str(db), *args],
        capture_output=True,
        text=True,
        check=check,
    )


def one_shot(manifest: Manifest, db: Path) -> Run:
    run = Run("semfind index")
    started = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, "-m", "semfind.app", "--db", str(db), "index", str(manifest.root)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    sampler = RssSampler(process.pid)
    sampler.start()
    _, stderr = process.communicate()
    sampler.done.set()
    run.seconds = time.perf_counter() - started
    run.peak_main_mb, run.peak_worker_mb = sampler.main_kb / 1024, sampler.worker_kb / 1024
    if process.returncode != 0:
        run.crashes.append(f"exit {process.returncode}: {stderr[-500:]}")
    if "Traceback" in stderr:
        run.crashes.append("traceback on stderr")
    return run


def with_daemon(manifest: Manifest, db: Path) -> Run:
    run = Run("daemon")
    files = DaemonFiles.for_db(db)
    semfind(db, "watch", "add", str(manifest.root))
    started = time.perf_counter()
    semfind(db, "daemon", "start")
    pid = files.running_pid()
    assert pid is not None
    sampler = RssSampler(pid)
    sampler.start()
    try:
        while True:
            time.sleep(0.5)
            if files.running_pid() is None:
                run.crashes.append("the daemon died")
                break
            status = control.request(files.socket, {"cmd": "status"})["status"]
            if status["state"] == "idle" and status["queue"] == 0:
                break
        run.seconds = time.perf_counter() - started
    finally:
        sampler.done.set()
        semfind(db, "daemon", "stop", check=False)
    run.peak_main_mb, run.peak_worker_mb = sampler.main_kb / 1024, sampler.worker_kb / 1024
    log = files.log.read_text(errors="replace") if files.log.exists() else ""
    if "Traceback" in log:
        run.crashes.append("traceback in the daemon log")
    return run


def check(run: Run, manifest: Manifest, db: Path) -> None:
    """Compare the index with what the manifest expects of each file."""
    with Engine(Settings(db=db)) as engine:
        rows = {f.path: (f.status, f.error) for f in stored_files(engine.store())}
    for status, _ in rows.values():
        run.outcome[status] = run.outcome.get(status, 0) + 1
    run.outcome["indexed in part"] = sum(
        1 for s, e in rows.values() if s == "indexed" and e is not None
    )
    for path in manifest.good:
        if rows.get(str(path), ("missing", None))[0] != "indexed":
            run.problems.append(f"good file not indexed: {path}")
    for path in manifest.bad:
        status, error = rows.get(str(path), ("missing", None))
        if status not in ("failed", "skipped") or not error:
            run.problems.append(f"bad file not listed with a reason: {path} ({status})")
    for path in [*manifest.either, *manifest.special]:
        shown = os.fsencode(path).decode("utf-8", errors="backslashreplace")
        status, error = rows.get(shown, ("missing", None))
        if status != "indexed" and not error:
            run.problems.append(f"file lost without a reason: {shown}")
    outside = str(manifest.never[0].parent)
    run.problems += [f"read through a link: {p}" for p in rows if p.startswith(outside)]
    listed = semfind(db, "status", "--failed").stdout
    run.listed = sum(1 for line in listed.splitlines() if line.startswith(("failed", "skipped")))
    if run.peak_main_mb > RSS_BUDGET_MB:
        run.problems.append(f"RSS {run.peak_main_mb:.0f} MB over the {RSS_BUDGET_MB} MB budget")


def report(manifest: Manifest, runs: list[Run]) -> None:
    print(f"\n## hostile corpus: {manifest.files} files and links\n")
    print("| measure | " + " | ".join(r.name for r in runs) + " |")
    print("|---|" + "---:|" * len(runs))
    rows: list[tuple[str, Callable[[Run], str]]] = [
        ("seconds", lambda r: f"{r.seconds:.1f}"),
        ("indexed", lambda r: str(r.outcome.get("indexed", 0))),
        ("… of them in part", lambda r: str(r.outcome.get("indexed in part", 0))),
        ("failed", lambda r: str(r.outcome.get("failed", 0))),
        ("skipped", lambda r: str(r.outcome.get("skipped", 0))),
        ("lines in `status --failed` (failed + skipped)", lambda r: str(r.listed)),
        ("peak RSS semfind, MB", lambda r: f"{r.peak_main_mb:.0f}"),
        ("peak RSS extraction worker, MB", lambda r: f"{r.peak_worker_mb:.0f}"),
        ("crashes", lambda r: str(len(r.crashes))),
        ("failed checks", lambda r: str(len(r.problems))),
    ]
    for label, value in rows:
        print(f"| {label} | " + " | ".join(value(r) for r in runs) + " |")
    for run in runs:
        for line in run.crashes + run.problems:
            print(f"- {run.name}: {line}")
    root = " (root: mode-000 files are readable)" if os.geteuid() == 0 else ""
    print(f"\nrunning as uid {os.geteuid()}{root}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--keep", type=Path, help="build the corpus here and keep it")
    args = parser.parse_args()
    base = args.keep or Path(tempfile.mkdtemp(prefix="semfind-hostile-"))
    runtime = Path(tempfile.mkdtemp(prefix="sfh-", dir="/tmp"))
    os.environ.setdefault("SEMFIND_RUNTIME_DIR", str(runtime))
    try:
        manifest = make_corpus(base / "tree", base / "outside")
        runs = []
        for name, runner in (("oneshot", one_shot), ("daemon", with_daemon)):
            db = base / f"{name}.sqlite3"
            run = runner(manifest, db)
            check(run, manifest, db)
            runs.append(run)
        report(manifest, runs)
    finally:
        if args.keep is None:
            restore_permissions(base)
            shutil.rmtree(base, ignore_errors=True)
        shutil.rmtree(runtime, ignore_errors=True)


if __name__ == "__main__":
    main()
