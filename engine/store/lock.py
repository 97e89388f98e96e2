"""The single-writer lock: one process at a time writes to an index."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from types import TracebackType

from semfind.engine import paths
from semfind.engine.errors import IndexLockedError

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]


class WriterLock:
    """An exclusive, non-blocking advisory lock next to the database file.

    The kernel drops it when the process dies, so a crash never leaves a stale lock.
    """

    def __init__(self, db_path: Path) -> None:
        self.path = db_path.with_name(db_path.name + ".lock")
        self._fd: int | None = None

    def acquire(self) -> None:
        self._fd = hold_pid_lock(
            self.path,
            lambda holder: IndexLockedError(
                f"another semfind process (pid {holder}) is writing to {self.path.stem}; "
                "nothing was changed: wait for it to finish (`semfind doctor` tells more)"
            ),
        )

    def release(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None

    def __enter__(self) -> WriterLock:
        self.acquire()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.release()


def hold_pid_lock(path: Path, held: Callable[[str], Exception]) -> int:
    """Lock `path` exclusively and write our pid in it; returns the open descriptor.

    When another process holds it, raises `held(its pid)`. The kernel drops the lock when
    the holder dies, so a crash never leaves a stale lock behind.
    """
    paths.make_private_dir(path.parent)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    if fcntl is not None:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.read(fd, 32).decode(errors="replace").strip() or "unknown"
            os.close(fd)
            raise held(holder) from None
    os.ftruncate(fd, 0)
    os.write(fd, str(os.getpid()).encode())
    return fd


def lock_holder(db_path: Path) -> str | None:
    """The pid written in the writer lock of `db_path` while another process holds it
    ("unknown" if it wrote none), else None. The lock file is only read, never changed."""
    if fcntl is None:  # pragma: no cover - Windows
        return None
    try:
        fd = os.open(WriterLock(db_path).path, os.O_RDONLY)
    except OSError:
        return None
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            return os.read(fd, 32).decode(errors="replace").strip() or "unknown"
        fcntl.flock(fd, fcntl.LOCK_UN)
        return None
    finally:
        os.close(fd)
