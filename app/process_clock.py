"""When this command started, for budgets that count the user's whole wait (imports too)."""

from __future__ import annotations

import os
import time

_entered: float | None = None


def mark_entry() -> None:
    """Note when main() began: the fallback where the OS does not say when we started."""
    global _entered
    _entered = time.perf_counter()


def process_start() -> float:
    """This process's start as a `time.perf_counter()` instant: from /proc where there is
    one (Linux, within a clock tick), else when main() began, else now."""
    now = time.perf_counter()
    age = _age_from_proc()
    if age is not None and 0 <= age < 3600:
        return now - age
    return _entered if _entered is not None else now


def _age_from_proc() -> float | None:
    """Seconds since this process started, as the kernel counts them (None off Linux)."""
    try:
        with open("/proc/self/stat", "rb") as f:
            stat = f.read()
        ticks = int(stat.rsplit(b")", 1)[1].split()[19])
        return time.clock_gettime(time.CLOCK_BOOTTIME) - ticks / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError, AttributeError):
        return None
