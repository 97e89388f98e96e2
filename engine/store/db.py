"""Opening the index database: checks, pragmas, sqlite-vec, migrations."""

from __future__ import annotations

import contextlib
import os
import time
from pathlib import Path
from typing import Any

import apsw
import sqlite_vec

from semfind.engine import paths
from semfind.engine.errors import (
    DiskFullError,
    IndexLockedError,
    NotAnIndexError,
    SchemaTooNewError,
    StoreError,
)
from semfind.engine.store import notices
from semfind.engine.store.migrations import LATEST_VERSION, MIGRATIONS
from semfind.engine.store.notices import UpgradeNotice as UpgradeNotice
from semfind.engine.store.notices import on_upgrade as on_upgrade
from semfind.engine.store.rows import first_value

APPLICATION_ID = 0x53454D46  # "SEMF": marks a file as a semfind index
SQLITE_MAGIC = b"SQLite format 3\x00"
BUSY_TIMEOUT_MS = 10_000
"""How long to wait for another process's lock on the database before giving up."""
DOCTOR = "run `semfind doctor`"


def open_db(path: Path, *, readonly: bool = False) -> apsw.Connection:
    """Open (creating and migrating if needed) the index at `path`."""
    try:
        return _open(path, readonly)
    except OSError as exc:
        raise StoreError(f"cannot open index {path}: {exc.strerror or exc}") from exc


def _open(path: Path, readonly: bool) -> apsw.Connection:
    if path.exists() and not path.is_file() and not path.is_dir():  # /dev/null, a fifo
        raise StoreError(f"cannot open index {path}: not a regular file")
    _check_header(path)
    # An empty file is where a writer died before the schema; reading it finds no tables.
    if readonly and (not path.exists() or (path.is_file() and path.stat().st_size == 0)):
        raise StoreError(f"no index at {path} yet: run `semfind index PATH` first")
    if readonly and _needs_migration(path):
        open_db(path).close()
    if not readonly:
        paths.make_private_dir(path.parent)
        _create_private(path)
    try:
        conn = connect(path, readonly=readonly)
        _check_identity(conn, path)
        if not readonly:
            _configure(conn)
            _upgrade(conn, path)
    except apsw.NotADBError as exc:
        raise NotAnIndexError(
            f"{path} is not a SQLite database (corrupt or another kind of file); "
            f"it was left untouched: {DOCTOR}"
        ) from exc
    except apsw.CorruptError as exc:
        raise NotAnIndexError(
            f"{path} is corrupt ({exc}); it was left untouched: {DOCTOR}"
        ) from exc
    except (apsw.BusyError, apsw.LockedError) as exc:
        raise IndexLockedError(
            f"{path} is locked by another process; nothing was changed: {DOCTOR} to see which"
        ) from exc
    except apsw.Error as exc:
        raise StoreError(f"cannot open index {path}: {exc}") from exc
    return conn


def connect(path: Path, *, readonly: bool, busy_ms: int | None = None) -> apsw.Connection:
    """A connection with sqlite-vec loaded and no checks at all (open_db makes them)."""
    flags = (
        apsw.SQLITE_OPEN_READONLY
        if readonly
        else apsw.SQLITE_OPEN_READWRITE | apsw.SQLITE_OPEN_CREATE
    )
    conn = apsw.Connection(str(path), flags=flags)
    try:
        conn.set_busy_timeout(BUSY_TIMEOUT_MS if busy_ms is None else busy_ms)
        _read_pragmas(conn)
        _load_vec(conn)
    except BaseException:
        conn.close()
        raise
    return conn


def _create_private(path: Path) -> None:
    """A new index file is created owner-only (0600) before SQLite opens it: it holds text
    from the user's files, and SQLite gives its -wal and -shm files the same mode."""
    with contextlib.suppress(FileExistsError):
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))


def sqlite_error(exc: BaseException, path: str = "") -> StoreError | None:
    """What a SQLite error met in the middle of a command means for the user, or None for
    anything else (damage, locks, a full disk and I/O errors past the checks open_db makes;
    a bug such as bad SQL or a broken constraint stays what it is)."""
    if isinstance(exc, (apsw.CorruptError, apsw.NotADBError)):
        return NotAnIndexError(f"the index is damaged ({exc}): {DOCTOR}")
    if isinstance(exc, (apsw.BusyError, apsw.LockedError)):
        return IndexLockedError(
            f"the index is locked by another process ({exc}): {DOCTOR} to see which"
        )
    if isinstance(exc, apsw.FullError):
        return DiskFullError(disk_full_message(path or "the index"))
    if isinstance(exc, (apsw.IOError, apsw.CantOpenError, apsw.ReadOnlyError)):
        return StoreError(f"cannot read or write the index {path} ({exc}): {DOCTOR}")
    return None


def disk_full_message(path: str | Path) -> str:
    return (
        f"the disk holding {path} is full; the last write was undone, nothing stored before "
        "it is lost"
    )


class StoreCursor(apsw.Cursor):
    """The index's cursors: a SQLite error they meet becomes semfind's (sqlite_error), so
    every front end gets a StoreError with a message, never an apsw exception. fetchall
    and iteration go through __next__; fetchone has its own path in apsw."""

    def execute(self, *args: Any, **kwargs: Any) -> apsw.Cursor:
        try:
            return super().execute(*args, **kwargs)
        except apsw.Error as exc:
            raise self._translated(exc) from exc

    def executemany(self, *args: Any, **kwargs: Any) -> apsw.Cursor:
        try:
            return super().executemany(*args, **kwargs)
        except apsw.Error as exc:
            raise self._translated(exc) from exc

    def __next__(self) -> Any:
        try:
            return super().__next__()
        except apsw.Error as exc:
            raise self._translated(exc) from exc

    def fetchone(self) -> Any:
        try:
            return super().fetchone()
        except apsw.Error as exc:
            raise self._translated(exc) from exc

    def _translated(self, exc: apsw.Error) -> BaseException:
        return sqlite_error(exc, self.connection.filename) or exc


def _needs_migration(path: Path) -> bool:
    """An index from an older semfind: reads would fail until it is migrated."""
    conn = apsw.Connection(str(path), flags=apsw.SQLITE_OPEN_READONLY)
    try:
        return pragma(conn, "application_id") == APPLICATION_ID and (
            pragma(conn, "user_version") < LATEST_VERSION
        )
    except apsw.Error:
        return False
    finally:
        conn.close()


def _check_header(path: Path) -> None:
    if not path.exists() or path.stat().st_size == 0:
        return
    with path.open("rb") as fh:
        if fh.read(16) != SQLITE_MAGIC:
            raise NotAnIndexError(
                f"{path} is not a SQLite database (corrupt or another kind of file); "
                f"it was left untouched: {DOCTOR}"
            )


def _read_pragmas(conn: apsw.Connection) -> None:
    # Vectors are scanned in numpy after one bulk read, so memory-mapped reads gain nothing
    # and a cold search at 1M propositions took longer with them (0.85-1.06 s against
    # 0.70 s) and mapped 840 MB instead of 425.
    conn.execute("PRAGMA cache_size = -131072")
    conn.execute("PRAGMA mmap_size = 0")


def _load_vec(conn: apsw.Connection) -> None:
    conn.enable_load_extension(True)
    conn.load_extension(sqlite_vec.loadable_path())
    conn.enable_load_extension(False)


def _check_identity(conn: apsw.Connection, path: Path) -> None:
    app_id = pragma(conn, "application_id")
    if app_id == APPLICATION_ID:
        version = pragma(conn, "user_version")
        if version > LATEST_VERSION:
            raise SchemaTooNewError(
                f"{path} was written by a newer semfind (schema {version}, this one knows "
                f"up to {LATEST_VERSION}); it was left untouched: upgrade semfind or use "
                "another --db (`semfind doctor` explains)"
            )
        return
    tables = schema_size(conn)
    if app_id != 0 or tables:
        raise NotAnIndexError(
            f"{path} is a SQLite database but not a semfind index; it was left untouched: "
            f"{DOCTOR}, or use another --db"
        )


def _configure(conn: apsw.Connection) -> None:
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = NORMAL")
    conn.execute("PRAGMA foreign_keys = ON")


def _upgrade(conn: apsw.Connection, path: Path) -> None:
    version = pragma(conn, "user_version")
    if version == 0 or version >= LATEST_VERSION:
        migrate(conn)  # a new index, or nothing to do
        return
    for notice in notices.upgrade_notices:
        notice(path, version, LATEST_VERSION, None)
    started = time.perf_counter()
    migrate(conn)
    for notice in notices.upgrade_notices:
        notice(path, version, LATEST_VERSION, time.perf_counter() - started)


def migrate(conn: apsw.Connection) -> None:
    """Apply every migration past the file's user_version, each in its own transaction.

    BEGIN IMMEDIATE and a second look at the version let two processes opening an old
    index at once apply each migration exactly once.
    """
    for number in range(1, LATEST_VERSION + 1):
        if pragma(conn, "user_version") >= number:
            continue
        conn.execute("BEGIN IMMEDIATE")
        try:
            if pragma(conn, "user_version") < number:
                MIGRATIONS[number - 1](conn)
                conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")
                conn.execute(f"PRAGMA user_version = {number}")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")


def pragma(conn: apsw.Connection, name: str) -> int:
    """An integer PRAGMA, read by its name (0 when it gives no row)."""
    return int(first_value(conn.execute(f"PRAGMA {name}"), name) or 0)


def schema_size(conn: apsw.Connection) -> int:
    """Tables, indexes and the like in the schema: 0 in a database nothing was made in."""
    return int(first_value(conn.execute("SELECT count(*) AS n FROM sqlite_schema"), "n"))
