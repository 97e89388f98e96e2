"""The daemon's work queue: live edits go ahead of bulk scans."""

from __future__ import annotations

import threading
from collections.abc import Iterable
from pathlib import Path
from typing import Literal

Lane = Literal["live", "bulk"]
"""live: a file the user just changed (or handed over); bulk: a folder to scan."""


def lane_of(path: str) -> Lane:
    """Folders are bulk work (a catch-up scan may take hours); files and deletions are live."""
    return "bulk" if Path(path).is_dir() else "live"


class WorkQueue:
    """Paths waiting to be brought up to date; a queued folder covers everything below it."""

    def __init__(self) -> None:
        self._lanes: dict[Lane, dict[str, None]] = {"live": {}, "bulk": {}}
        self._cond = threading.Condition()

    def put(self, paths: Iterable[str], lane: Lane | None = None) -> None:
        """Queue `paths` in `lane`, or each in the lane its kind calls for."""
        with self._cond:
            for path in paths:
                self._lanes[lane or lane_of(path)][path] = None
            self._cond.notify_all()

    def take(self, timeout: float) -> tuple[Lane, list[str]]:
        """The live paths if any wait, else the bulk ones (waiting up to `timeout`)."""
        with self._cond:
            if not any(self._lanes.values()):
                self._cond.wait(timeout)
            lane: Lane = "live" if self._lanes["live"] else "bulk"
            paths, self._lanes[lane] = list(self._lanes[lane]), {}
        return lane, _outermost(paths)

    def take_live(self) -> list[str]:
        """The live paths waiting now, without waiting."""
        with self._cond:
            paths, self._lanes["live"] = list(self._lanes["live"]), {}
        return _outermost(paths)

    def snapshot(self) -> list[str]:
        with self._cond:
            return [p for lane in self._lanes.values() for p in lane]


def _outermost(paths: list[str]) -> list[str]:
    kept: list[str] = []
    for path in sorted(set(paths)):
        if not any(path.startswith(k.rstrip("/") + "/") for k in kept):
            kept.append(path)
    return kept
