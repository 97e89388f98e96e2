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

from .walk import IGNORE_FILES

log = logging.getLogger(__name__)

POLL_SECONDS = 2.0
"""How often the polling fallback rescans a folder."""


class Settler:
    """Changed paths, released once their size and mtime stop changing for `quiet` seconds."""

    def __init__(self, quiet: float = 0.5) -> None:
        self.quiet = quiet
        self._lock = threading.Lock()
        self._waiting: dict[str, tuple[float, tuple[int, int] | None]] = {}

    def touch(self, path: str) -> None:
        with self._lock:
            self._waiting[path] = (time.monotonic() + self.quiet, _signature(path))

    def ready(self) -> list[str]:
        """Paths whose last event is `quiet` seconds old and whose stat has not moved since."""
        now = time.monotonic()
        settled: list[str] = []
        with self._lock:
            for path, (deadline, seen) in list(self._waiting.items()):
                if deadline > now:
                    continue
                current = _signature(path)
                if current == seen:
                    settled.append(path)
                    del self._waiting[path]
                else:
                    self._waiting[path] = (now + self.quiet, current)
        return settled

    def __len__(self) -> int:
        return len(self._waiting)


def _signature(path: str) -> tuple[int, int] | None:
    try:
        info = os.stat(path)
    except OSError:
        return None
    return info.st_size, info.st_mtime_ns


class Watcher:
    """One watchdog watch per folder; polling where native events are unavailable."""

    def __init__(self, on_change: Callable[[str], None], skip: Callable[[str], bool]) -> None:
        self._handler = _Handler(on_change, skip)
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
    def __init__(self, on_change: Callable[[str], None], skip: Callable[[str], bool]) -> None:
        self._on_change, self._skip = on_change, skip

    def on_any_event(self, event: FileSystemEvent) -> None:
        if event.event_type in ("opened", "closed_no_write"):
            return
        paths = [event.src_path, getattr(event, "dest_path", "")]
        for raw in paths:
            path = os.fsdecode(raw) if raw else ""
            if not path or self._skip(path):
                continue
            if Path(path).name in IGNORE_FILES:
                self._on_change(str(Path(path).parent))  # its folder's rules changed
            else:
                self._on_change(path)
