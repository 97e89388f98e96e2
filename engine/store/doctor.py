"""What is wrong with an index, in plain words, and a rebuild that deletes nothing.

The examination only reads: a read-only connection, the writer lock's pid read without
taking the lock. A rebuild moves the old file (and its -wal, -shm) aside and starts a new
index that keeps the watched folders, when they can still be read.
"""

from __future__ import annotations

import dataclasses
import time
from enum import Enum
from pathlib import Path

import apsw

from semfind.engine.errors import (
    IndexLockedError,
    SchemaTooNewError,
    SemfindError,
    StoreError,
    UsageError,
)
from semfind.engine.store.db import APPLICATION_ID, SQLITE_MAGIC, connect, pragma, schema_size
from semfind.engine.store.lock import WriterLock, lock_holder
from semfind.engine.store.migrations import LATEST_VERSION
from semfind.engine.store.rows import column_values, first_row
from semfind.engine.store.store import COUNT_KEYS, COUNTS_SQL, WATCHES_SQL, Store

CHECK_BUSY_MS = 3000
"""How long the examination waits for another process's lock before calling it locked."""
MAX_PROBLEMS = 5
SIDE_SUFFIXES = ("-wal", "-shm", "-journal")
"""SQLite's companions of a database file: they belong to it and move with it."""


class State(Enum):
    MISSING = "missing"
    HEALTHY = "healthy"
    LOCKED = "locked"
    NOT_SQLITE = "not SQLite"
    CORRUPT = "corrupt"
    FOREIGN = "foreign"
    TOO_NEW = "too new"


REBUILDABLE = (State.NOT_SQLITE, State.CORRUPT, State.FOREIGN)


@dataclasses.dataclass(frozen=True)
class Facts:
    """What a healthy index holds."""

    files: int
    failed: int
    skipped: int
    units: int
    vectors: int
    pages: int
    page_size: int
    free_pages: int


@dataclasses.dataclass(frozen=True)
class Diagnosis:
    path: Path
    state: State
    check: str = "quick_check"
    problems: tuple[str, ...] = ()
    """What SQLite reported for a corrupt file."""
    holder: str | None = None
    """The pid in the writer lock, for an index another semfind process is writing to."""
    version: int | None = None
    facts: Facts | None = None
    tables: tuple[str, ...] = ()
    """A foreign database's tables, so its owner can be recognised."""
    watches: tuple[str, ...] | None = None
    """The watched folders; None when they cannot be read."""

    @property
    def ok(self) -> bool:
        return self.state in (State.HEALTHY, State.MISSING)

    def explain(self) -> list[str]:
        """What is wrong and what to do, in plain words, one paragraph per line."""
        return _EXPLAIN[self.state](self)


@dataclasses.dataclass(frozen=True)
class Rebuilt:
    moved: tuple[tuple[Path, Path], ...]
    """(old name, new name) of the database file and each companion file moved aside."""
    watches: tuple[str, ...] | None
    """The watched folders kept; None when the old file's list could not be read."""


def diagnose(path: Path, *, full: bool = False) -> Diagnosis:
    """Examine the index at `path` without changing anything; `full` runs the slower
    integrity_check instead of quick_check."""
    holder = lock_holder(path)
    if holder is not None and path.exists():
        return Diagnosis(path, State.LOCKED, holder=holder)
    return _examine(path, _check(full))


def _check(full: bool) -> str:
    return "integrity_check" if full else "quick_check"


def refusal(found: Diagnosis) -> SemfindError | None:
    """Why the index must not be rebuilt, if it must not."""
    path = found.path
    if found.state is State.TOO_NEW:
        return SchemaTooNewError(
            f"not rebuilding {path}: a newer semfind wrote it and its data is not broken; "
            "upgrade semfind to use it"
        )
    if found.state is State.LOCKED:
        who = f"semfind process {found.holder}" if found.holder else "another process"
        return IndexLockedError(f"not rebuilding {path}: {who} is using it; nothing was changed")
    if found.state is State.MISSING:
        return UsageError(f"not rebuilding: there is no index at {path} yet")
    if found.state is State.HEALTHY:
        return UsageError(f"not rebuilding {path}: it is healthy")
    return None


def aside_path(path: Path, when: float | None = None) -> Path:
    """A free name next to `path` for the old file: NAME.broken-YYYYMMDD-HHMMSS[-N]."""
    stamp = time.strftime("%Y%m%d-%H%M%S", time.localtime(when))
    base = f"{path.name}.broken-{stamp}"
    candidate, n = path.with_name(base), 1
    while any(_with_suffix(candidate, s).exists() for s in ("", *SIDE_SUFFIXES)):
        n += 1
        candidate = path.with_name(f"{base}-{n}")
    return candidate


def rebuild(path: Path, aside: Path, *, full: bool = False) -> Rebuilt:
    """Move the index at `path` aside to `aside` and start a new one with its watched folders.

    Holds the writer lock throughout and examines the file again under it (with the same
    check as the diagnosis); refuses, with the error `refusal` gives, whatever is not
    broken. Nothing is deleted.
    """
    with WriterLock(path):
        found = _examine(path, _check(full))
        problem = refusal(found)
        if problem is not None:
            raise problem
        moved = _move_aside(path, aside)
        with Store.open(path) as store:
            for folder in found.watches or ():
                store.add_watch(folder)
    return Rebuilt(moved, found.watches)


# -- examination ------------------------------------------------------------------


def _examine(path: Path, check: str) -> Diagnosis:
    if path.is_dir():
        raise StoreError(f"{path} is a folder, not an index file: point --db at a file")
    if not path.exists() or path.stat().st_size == 0:
        return Diagnosis(path, State.MISSING)
    with path.open("rb") as fh:
        if fh.read(len(SQLITE_MAGIC)) != SQLITE_MAGIC:
            return Diagnosis(path, State.NOT_SQLITE)
    conn: apsw.Connection | None = None
    try:
        conn = connect(path, readonly=True, busy_ms=CHECK_BUSY_MS)
        return _inspect(conn, path, check)
    except (apsw.BusyError, apsw.LockedError):
        return Diagnosis(path, State.LOCKED)
    except (apsw.CorruptError, apsw.NotADBError) as exc:
        watches = _watches(conn) if conn is not None else None
        return Diagnosis(path, State.CORRUPT, check, problems=(str(exc),), watches=watches)
    except apsw.Error as exc:
        raise StoreError(f"cannot read {path}: {exc}") from exc
    finally:
        if conn is not None:
            conn.close()


def _inspect(conn: apsw.Connection, path: Path, check: str) -> Diagnosis:
    app_id = pragma(conn, "application_id")
    version = pragma(conn, "user_version")
    if app_id != APPLICATION_ID:
        tables = tuple(
            str(name)
            for name in column_values(
                conn.execute(
                    "SELECT name FROM sqlite_schema WHERE type = 'table'"
                    " AND name NOT LIKE 'sqlite!_%' ESCAPE '!' ORDER BY name"
                ),
                "name",
            )
        )
        empty = app_id == 0 and not schema_size(conn)
        if empty:  # what open_db makes a new index of
            return Diagnosis(path, State.MISSING)
        return Diagnosis(path, State.FOREIGN, tables=tables, watches=())
    if version > LATEST_VERSION:
        return Diagnosis(path, State.TOO_NEW, version=version)
    problems = tuple(
        str(p) for p in column_values(conn.execute(f"PRAGMA {check}({MAX_PROBLEMS})"), check)
    )
    if problems != ("ok",):
        return Diagnosis(
            path, State.CORRUPT, check, problems, version=version, watches=_watches(conn)
        )
    return Diagnosis(
        path, State.HEALTHY, check, version=version, facts=_facts(conn), watches=_watches(conn)
    )


def _facts(conn: apsw.Connection) -> Facts:
    row = first_row(conn.execute(COUNTS_SQL))
    counts = {key: int(row[key]) if row else 0 for key in COUNT_KEYS}
    return Facts(
        **counts,
        pages=pragma(conn, "page_count"),
        page_size=pragma(conn, "page_size"),
        free_pages=pragma(conn, "freelist_count"),
    )


def _watches(conn: apsw.Connection) -> tuple[str, ...] | None:
    """The watched folders, () for an index older than them, None if they cannot be read."""
    try:
        return tuple(str(p) for p in column_values(conn.execute(WATCHES_SQL), "path"))
    except apsw.SQLError as exc:
        return () if "no such table" in str(exc) else None
    except apsw.Error:
        return None


# -- rebuild ----------------------------------------------------------------------


def _with_suffix(path: Path, suffix: str) -> Path:
    return path.with_name(path.name + suffix)


def _move_aside(path: Path, aside: Path) -> tuple[tuple[Path, Path], ...]:
    """Rename the file, then its companions: a -wal left beside a new file would be
    replayed into it."""
    moved: list[tuple[Path, Path]] = []
    for suffix in ("", *SIDE_SUFFIXES):
        source, target = _with_suffix(path, suffix), _with_suffix(aside, suffix)
        if not source.exists():
            continue
        if target.exists():
            raise StoreError(f"not moving {source} aside: {target} already exists")
        try:
            source.rename(target)
        except OSError as exc:
            done = ", ".join(f"{a.name} -> {b.name}" for a, b in moved) or "nothing"
            raise StoreError(
                f"cannot move {source} aside to {target}: {exc.strerror or exc} "
                f"(moved so far: {done}; nothing was deleted)"
            ) from exc
        moved.append((source, target))
    return tuple(moved)


# -- plain words ----------------------------------------------------------------------


REBUILD_HINT = (
    "`semfind doctor --rebuild` moves it aside (to {name}.broken-DATE-TIME, next to it; "
    "nothing is deleted) and starts a new, empty index{keeping}; then `semfind index` or "
    "the daemon fills it again."
)


def _rebuild_hint(found: Diagnosis) -> str:
    if found.watches:
        n = len(found.watches)
        keeping = f" that keeps its {n} watched folder{'s' if n != 1 else ''}"
    elif found.watches is None:
        keeping = " (its watched folders cannot be read from it: add them again afterwards)"
    else:
        keeping = ""
    return REBUILD_HINT.format(name=found.path.name, keeping=keeping)


def _missing(found: Diagnosis) -> list[str]:
    return [f"There is no index at {found.path} yet: `semfind index FOLDER` creates it."]


def _healthy(found: Diagnosis) -> list[str]:
    facts, version = found.facts, found.version or 0
    assert facts is not None
    schema = f"schema {version}" + (
        " (current)"
        if version == LATEST_VERSION
        else f"; this semfind upgrades it to {LATEST_VERSION} the next time it opens it"
    )
    size = _size(facts.pages * facts.page_size)
    size += f" in {facts.pages:,} pages of {facts.page_size:,} bytes"
    if facts.free_pages:
        size += f", {facts.free_pages:,} of them free (SQLite reuses them: nothing to do)"
    watched = len(found.watches or ())
    return [
        f"The index {found.path} is healthy: {found.check} found no problems.",
        schema,
        f"{facts.files:,} files indexed, {facts.failed:,} failed, {facts.skipped:,} skipped; "
        f"{facts.units:,} units; {facts.vectors:,} vectors",
        f"{watched} watched folder{'s' if watched != 1 else ''}",
        size,
    ]


def _locked(found: Diagnosis) -> list[str]:
    if found.holder is not None:
        return [
            f"The index {found.path} is in use: semfind process {found.holder} is writing to "
            "it (a `semfind index` run or the daemon). Nothing was checked or changed.",
            "Wait for it to finish, or stop the daemon with `semfind daemon stop`, then run "
            "`semfind doctor` again.",
        ]
    return [
        f"The index {found.path} is locked by another process (not a semfind writer: "
        "perhaps another program, such as the sqlite3 shell, holds it open). Nothing was "
        "checked or changed.",
        "Close that program, then run `semfind doctor` again.",
    ]


def _not_sqlite(found: Diagnosis) -> list[str]:
    return [
        f"The file {found.path} is not a SQLite database: it is damaged, or another kind of "
        "file was saved under the index's name. Nothing was changed.",
        _rebuild_hint(found),
    ]


def _corrupt(found: Diagnosis) -> list[str]:
    shown = "; ".join(found.problems[:MAX_PROBLEMS])
    return [
        f"The index {found.path} is damaged: {found.check} reported: {shown}. Nothing was changed.",
        "Searches may miss files or fail, and it cannot be repaired in place.",
        _rebuild_hint(found),
    ]


def _foreign(found: Diagnosis) -> list[str]:
    tables = ", ".join(found.tables[:8]) + (", ..." if len(found.tables) > 8 else "")
    return [
        f"The file {found.path} is a SQLite database but not a semfind index"
        + (f" (its tables: {tables})" if tables else "")
        + ". Nothing was changed.",
        "If it belongs to another program, give semfind another file with --db (or the "
        "`db` setting). To start a new index at this path instead: " + _rebuild_hint(found),
    ]


def _too_new(found: Diagnosis) -> list[str]:
    return [
        f"The index {found.path} was written by a newer semfind (schema {found.version}; this "
        f"one knows up to {LATEST_VERSION}). Its data is not broken, and this semfind will "
        "not touch it. Nothing was changed.",
        "Upgrade semfind to use it, or give this one another file with --db. "
        "`semfind doctor --rebuild` refuses: there is nothing to repair.",
    ]


def _size(size: int) -> str:
    if size < 1024:
        return f"{size:,} bytes"
    scaled = size / 1024
    for unit in ("KiB", "MiB"):
        if scaled < 1024:
            return f"{scaled:,.1f} {unit}"
        scaled /= 1024
    return f"{scaled:,.1f} GiB"


_EXPLAIN = {
    State.MISSING: _missing,
    State.HEALTHY: _healthy,
    State.LOCKED: _locked,
    State.NOT_SQLITE: _not_sqlite,
    State.CORRUPT: _corrupt,
    State.FOREIGN: _foreign,
    State.TOO_NEW: _too_new,
}
