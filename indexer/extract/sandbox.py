"""Text extraction in a worker process with a time and memory limit.

A PDF that loops forever or inflates to gigabytes takes down its worker, not the daemon:
the file is marked failed with the reason and a fresh worker serves the next file.
"""

from __future__ import annotations

import contextlib
import multiprocessing
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from pathlib import Path

from semfind.engine.config import Settings
from semfind.engine.errors import ExtractionError, UnsupportedFileError
from semfind.indexer.extract.document import Document
from semfind.indexer.extract.extractors import extract, plugins, use_plugins

_KILL_WAIT = 5.0


class SandboxedExtractor:
    """Callable like `extract(path, data)`, but run in a separate, limited process."""

    def __init__(self, timeout: float, memory_mb: int, max_chars: int | None = None) -> None:
        self.timeout, self.memory_mb, self.max_chars = timeout, memory_mb, max_chars
        self._process: BaseProcess | None = None
        self._conn: Connection | None = None

    def __call__(self, path: Path, data: bytes) -> Document:
        conn = self._worker()
        try:
            conn.send((str(path), data))
        except (BrokenPipeError, OSError) as exc:
            self._kill()
            raise ExtractionError(f"extractor process failed: {exc}") from exc
        if not conn.poll(self.timeout):
            self._kill()
            raise ExtractionError(f"extraction took longer than {self.timeout:g} s")
        try:
            reply = conn.recv()
        except (EOFError, OSError):
            code = self._kill()
            raise ExtractionError(_death_reason(code, self.memory_mb)) from None
        return _result(reply)

    def close(self) -> None:
        if self._conn is not None:
            with contextlib.suppress(OSError):
                self._conn.send(None)
        self._kill()

    def _worker(self) -> Connection:
        if self._conn is None or self._process is None or not self._process.is_alive():
            self._kill()
            context = multiprocessing.get_context("spawn")
            parent, child = context.Pipe()
            process = context.Process(
                target=serve,
                args=(child, self.memory_mb, plugins(), self.max_chars),
                name="semfind-extract",
                daemon=True,
            )
            process.start()
            child.close()
            self._process, self._conn = process, parent
        return self._conn

    def _kill(self) -> int | None:
        process, conn = self._process, self._conn
        self._process = self._conn = None
        if conn is not None:
            conn.close()
        if process is None:
            return None
        process.join(0.05)
        if process.is_alive():
            process.kill()
            process.join(_KILL_WAIT)
        return process.exitcode


def _result(reply: tuple[str, object]) -> Document:
    status, value = reply
    if status == "ok" and isinstance(value, Document):
        return value
    if status == "unsupported":
        raise UnsupportedFileError(str(value))
    raise ExtractionError(str(value))


def _death_reason(code: int | None, memory_mb: int) -> str:
    if code is not None and code < 0:
        return f"extractor killed by signal {-code} (memory limit {memory_mb} MiB?)"
    return f"extractor process died (exit code {code}; memory limit {memory_mb} MiB?)"


def serve(
    conn: Connection, memory_mb: int, extractors: tuple[str, ...], max_chars: int | None = None
) -> None:
    """The worker: extract files sent over `conn` until it sends None."""
    _limit_memory(memory_mb)
    use_plugins(extractors)

    while True:
        try:
            job = conn.recv()
        except EOFError:
            return
        if job is None:
            return
        path, data = job
        try:
            reply: tuple[str, object] = ("ok", extract(Path(path), data, max_chars))
        except UnsupportedFileError as exc:
            reply = ("unsupported", str(exc))
        except ExtractionError as exc:
            reply = ("failed", str(exc))
        except MemoryError:
            reply = ("failed", f"ran out of memory (limit {memory_mb} MiB)")
        except Exception as exc:
            reply = ("failed", f"internal error: {type(exc).__name__}: {exc}")
        conn.send(reply)


def _limit_memory(memory_mb: int) -> None:
    try:
        import resource
    except ImportError:  # pragma: no cover - Windows
        return
    limit = memory_mb * (1 << 20)
    _, hard = resource.getrlimit(resource.RLIMIT_AS)
    if hard != resource.RLIM_INFINITY:
        limit = min(limit, hard)
    resource.setrlimit(resource.RLIMIT_AS, (limit, hard))


def sandboxed(settings: Settings) -> SandboxedExtractor:
    """The extractor the daemon and `semfind index` use, limited as `settings` say."""
    return SandboxedExtractor(
        settings.extract_timeout_s, settings.extract_memory_mb, settings.max_text_chars
    )
