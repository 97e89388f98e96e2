"""What indexing did to each file, as typed events, and the daemon's log lines for them.

The log names paths and reasons only: never a file's text.
"""

from __future__ import annotations

import logging
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

FileEventKind = Literal["indexed", "partial", "removed", "moved", "skipped", "failed"]
KINDS: tuple[FileEventKind, ...] = ("indexed", "partial", "removed", "moved", "skipped", "failed")


@dataclass(frozen=True)
class FileEvent:
    """One file's change in the index; `detail` is a reason, a unit count or an old path."""

    kind: FileEventKind
    path: str
    detail: str = ""


OnFile = Callable[[FileEvent], None]


def shown(path: str) -> str:
    """A path safe for one log line: control characters and undecodable bytes escaped."""
    if path.isprintable():
        return path
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in path)


def line(event: FileEvent) -> str:
    if event.kind == "moved":
        return f"moved {shown(event.detail)} -> {shown(event.path)}"
    if event.kind == "indexed":
        return f"indexed {shown(event.path)} ({event.detail})"
    if event.kind == "removed":
        return f"removed {shown(event.path)}"
    return f"{event.kind} {shown(event.path)}: {shown(event.detail)}"


@dataclass
class Journal:
    """Logs each file event as it happens and a summary line per batch of work."""

    log: logging.Logger
    counts: Counter[str] = field(default_factory=Counter)
    unchanged: int = 0
    started: float = field(default_factory=time.monotonic)

    def begin(self) -> None:
        """A batch starts: its seconds count from here (events recorded before it stay)."""
        self.started = time.monotonic()

    def record(self, event: FileEvent) -> None:
        self.counts[event.kind] += 1
        level = logging.WARNING if event.kind == "failed" else logging.INFO
        self.log.log(level, "%s", line(event))

    def summary(self, what: str, quiet_if_empty: bool = False) -> None:
        """One line for the batch just done (`what` says which), then start counting anew.
        With `quiet_if_empty`, a batch that found nothing to do (an editor's temporary file
        come and gone) leaves no line."""
        if quiet_if_empty and not self.counts and not self.unchanged:
            self.begin()
            return
        parts = [f"{self.counts[k]:,} {k}" for k in KINDS if self.counts[k]]
        if self.unchanged:
            parts.append(f"{self.unchanged:,} unchanged")
        seconds = time.monotonic() - self.started
        self.log.info("%s: %s in %.1f s", what, ", ".join(parts) or "nothing to do", seconds)
        self.counts.clear()
        self.unchanged = 0
        self.begin()
