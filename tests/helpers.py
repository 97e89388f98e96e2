"""Small things several test modules need."""

from __future__ import annotations

import contextlib
import importlib.util
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING

from .pdfgen import write_pdf

if TYPE_CHECKING:
    from semfind.indexer.daemon.daemon import Daemon


def wait_until(condition: Callable[[], object], timeout: float = 10.0) -> None:
    """Poll `condition` until it is true; fail the test after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout} s")
        time.sleep(0.05)


BENCH = Path(__file__).resolve().parent.parent / "bench"


def load_bench(name: str) -> ModuleType:
    """bench/NAME.py as a module (the bench folder is not a package; its scripts import
    each other by name, so the folder goes on sys.path)."""
    if str(BENCH) not in sys.path:
        sys.path.insert(0, str(BENCH))
    spec = importlib.util.spec_from_file_location(f"semfind_bench_{name}", BENCH / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


@contextlib.contextmanager
def daemon_thread(worker: Daemon) -> Iterator[threading.Thread]:
    """`worker` run in a thread of this process, serving once its socket exists; stopped
    as a signal would stop it on leaving."""
    thread = threading.Thread(target=worker.run, daemon=True)
    thread.start()
    try:
        wait_until(worker.files.socket.exists)
        yield thread
    finally:
        worker.stopping.set()
        thread.join(30)
    assert not thread.is_alive()


def garden_tree(root: Path) -> Path:
    """Two garden notes, a kitchen note and a two-page PDF under `root`."""
    (root / "garden").mkdir(parents=True)
    (root / "garden" / "ferns.md").write_text(
        "# Ferns\n\nFerns like shade and damp soil.\n\nWater ferns twice a week in summer.\n"
    )
    (root / "garden" / "cactus.txt").write_text("Cactus plants need sun and very little water.\n")
    (root / "kitchen.md").write_text("Sourdough bread needs a lively starter and patience.\n")
    write_pdf(root / "tax.pdf", [["Intro page."], ["Deductions for a home office are limited."]])
    return root


def semfind_cli(
    env: dict[str, str], *args: str, timeout: float = 300
) -> subprocess.CompletedProcess[str]:
    """`semfind ARGS...` in a child process with `env`."""
    return subprocess.run(
        [sys.executable, "-m", "semfind.app", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=timeout,
    )
