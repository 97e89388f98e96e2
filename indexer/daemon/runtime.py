"""The daemon's files (socket, pid file, log) and its one-instance lock."""

from __future__ import annotations

import contextlib
import hashlib
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

from semfind.engine import paths
from semfind.engine.errors import DaemonError, DaemonRunningError
from semfind.engine.store.lock import hold_pid_lock

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]

_SOCKET_PATH_MAX = 100
"""Unix socket paths longer than ~104 bytes cannot be bound (macOS 104, Linux 108)."""


@dataclass(frozen=True)
class DaemonFiles:
    """Where the daemon serving one index keeps its socket, pid file and log."""

    socket: Path
    pid: Path
    log: Path

    @classmethod
    def for_db(cls, db: Path) -> DaemonFiles:
        tag = hashlib.sha256(str(db.resolve()).encode()).hexdigest()[:12]
        folder = private_runtime_dir()
        return cls(
            socket=folder / f"daemon-{tag}.sock",
            pid=folder / f"daemon-{tag}.pid",
            log=db.with_name(db.name + ".daemon.log"),
        )

    def running_pid(self) -> int | None:
        """The pid of the live daemon, or None (a pid file whose lock is free is stale)."""
        try:
            fd = os.open(self.pid, os.O_RDONLY)
        except OSError:
            return None
        try:
            if fcntl is not None:
                try:
                    fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
                    fcntl.flock(fd, fcntl.LOCK_UN)
                    return None
                except BlockingIOError:
                    pass
            text = os.read(fd, 32).decode(errors="replace").strip()
            return int(text) if text.isdigit() else None
        finally:
            os.close(fd)


def private_runtime_dir() -> Path:
    """The runtime folder, created owner-only; a short temp folder when it cannot be used."""
    folder = paths.runtime_dir()
    if not _usable(folder):
        folder = Path(tempfile.gettempdir()) / f"semfind-{os.getuid()}"
        if not _usable(folder):
            raise DaemonError(f"no private folder for the daemon's socket ({folder})")
    if len(str(folder)) + 30 > _SOCKET_PATH_MAX:
        raise DaemonError(f"runtime folder path too long for a socket: {folder}")
    return folder


def _usable(folder: Path) -> bool:
    try:
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        info = folder.stat()
    except OSError:
        return False
    if info.st_uid != os.getuid():
        return False
    if info.st_mode & 0o077:
        folder.chmod(0o700)
    return True


class PidLock:
    """Holds an exclusive lock on the pid file for the daemon's life: one per index."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._fd: int | None = None

    def __enter__(self) -> PidLock:
        self._fd = hold_pid_lock(
            self.path, lambda pid: DaemonRunningError(f"the daemon is already running (pid {pid})")
        )
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._fd is not None:
            with contextlib.suppress(OSError):
                os.unlink(self.path)
            os.close(self._fd)
            self._fd = None


def memory_rss() -> int:
    """This process's resident memory in bytes (0 where the platform does not say)."""
    try:
        with open("/proc/self/statm", encoding="ascii") as fh:
            return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        pass
    try:
        import resource

        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        return peak if os.uname().sysname == "Darwin" else peak * 1024
    except (ImportError, OSError):
        return 0
