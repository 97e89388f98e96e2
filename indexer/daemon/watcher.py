"""Watching folders: filesystem events in, settled paths out."""

from __future__ import annotations

import contextlib
import logging
import os
import threading
import time
from collections.abc import Callable
from pathlib import Path

from watchdog.events import FileSystemEvent, FileSystemEventHandler
from watchdog.observers import Observer
from watchdog.observers.api import BaseObserver, ObservedWatch
from watchdog.observers.polling import PollingObserver

from semfind.indexer.walk import IGNORE_FILES

log = logging.getLogger(__name__)

POLL_SECONDS = 2.0
"""How often the polling fallback rescans a folder."""


class Settler:
    """Changed paths, released in batches once events stop for `quiet` seconds.

    A path is released only when its size and mtime have not moved since its last event.
    Paths from one burst leave together, so a delete and a create that make up a rename
    meet in one batch; a path never waits more than `max_wait` for a busy neighbour.
    """

    def __init__(self, quiet: float = 0.5, max_wait: float = 2.0) -> None:
        self.quiet, self.max_wait = quiet, max_wait
        self._lock = threading.Lock()
        self._waiting: dict[str, tuple[float, tuple[int, int] | None, float]] = {}
        self._last_event = 0.0

    def touch(self, path: str) -> None:
        now = time.monotonic()
        with self._lock:
            first = self._waiting[path][2] if path in self._waiting else now
            self._waiting[path] = (now + self.quiet, _signature(path), first)
            self._last_event = now

    def ready(self) -> list[str]:
        """The settled paths, once the burst they came in is over."""
        now = time.monotonic()
        with self._lock:
            burst_over = now - self._last_event >= self.quiet
            if not burst_over and not any(
                now - first >= self.max_wait for _, _, first in self._waiting.values()
            ):
                return []
            return self._release(now)

    def _release(self, now: float) -> list[str]:
        settled: list[str] = []
        for path, (deadline, seen, first) in list(self._waiting.items()):
            if deadline > now:
                continue
            current = _signature(path)
            if current == seen:
                settled.append(path)
                del self._waiting[path]
            else:
                self._waiting[path] = (now + self.quiet, current, first)
        return settled

    def __len__(self) -> int:
        return len(self._waiting)


def _signature(path: str) -> tuple[int, int] | None:
    try:
        info = os.stat(path)
    except OSError:
        return None
    return info.st_size, info.st_mtime_ns


OnMove = Callable[[str, str, bool], None]
"""Called with (source, destination, is_directory) when a path is renamed."""


class Watcher:
    """One watchdog watch per folder; polling where native events are unavailable."""

    def __init__(
        self,
        on_change: Callable[[str], None],
        skip: Callable[[str], bool],
        on_move: OnMove | None = None,
    ) -> None:
        self._handler = _Handler(on_change, skip, on_move)
        self._native: BaseObserver = Observer()
        self._polling: BaseObserver = PollingObserver(timeout=POLL_SECONDS)
        self._watches: dict[str, tuple[BaseObserver, ObservedWatch]] = {}
        self.modes: dict[str, str] = {}
        """Folder -> "native", or "polling (reason)"."""

    def start(self) -> None:
        self._native.start()
        self._polling.start()

    def add(self, folder: str, *, polling: bool = False) -> str:
        """Watch `folder`; returns how ("native" or "polling (why)")."""
        if folder in self._watches:
            return self.modes[folder]
        mode = "polling (asked for)"
        if not polling:
            try:
                watch = self._native.schedule(self._handler, folder, recursive=True)
                self._watches[folder] = (self._native, watch)
                self.modes[folder] = "native"
                return "native"
            except OSError as exc:
                mode = f"polling ({_why(exc)})"
                log.warning("native events unavailable for %s: %s; polling instead", folder, exc)
        watch = self._polling.schedule(self._handler, folder, recursive=True)
        self._watches[folder] = (self._polling, watch)
        self.modes[folder] = mode
        return mode

    def remove(self, folder: str) -> None:
        entry = self._watches.pop(folder, None)
        self.modes.pop(folder, None)
        if entry is not None:
            observer, watch = entry
            with contextlib.suppress(KeyError, OSError):
                observer.unschedule(watch)

    def stop(self) -> None:
        for observer in (self._native, self._polling):
            observer.stop()
        for observer in (self._native, self._polling):
            if observer.is_alive():
                observer.join(5)


def _why(exc: OSError) -> str:
    if exc.errno == 28:  # ENOSPC: the inotify watch limit
        return "inotify watch limit reached; raise fs.inotify.max_user_watches"
    if exc.errno == 24:  # EMFILE: the inotify instance limit
        return "inotify instance limit reached"
    return exc.strerror or str(exc)


class _Handler(FileSystemEventHandler):
    def __init__(
        self, on_change: Callable[[str], None], skip: Callable[[str], bool], on_move: OnMove | None
    ) -> None:
        self._on_change, self._skip, self._on_move = on_change, skip, on_move

    def on_any_event(self, event: FileSystemEvent) -> None:
        if event.event_type in ("opened", "closed_no_write"):
            return
        if event.is_directory and event.event_type == "modified":
            return  # its children report their own changes; re-walking the folder is waste
        src = os.fsdecode(event.src_path)
        dest = os.fsdecode(event.dest_path) if event.event_type == "moved" else ""
        if dest and self._on_move is not None and not self._special(src, dest):
            self._on_move(src, dest, event.is_directory)
            return
        for path in (src, dest):
            if path and not self._skip(path):
                self._changed(path)

    def _special(self, *paths: str) -> bool:
        return any(self._skip(p) or Path(p).name in IGNORE_FILES for p in paths)

    def _changed(self, path: str) -> None:
        if Path(path).name in IGNORE_FILES:
            self._on_change(str(Path(path).parent))  # its folder's rules changed
        else:
            self._on_change(path)
