"""Thoughts and rewrites already written, per query, kind, model and prompt version: the LLM
is asked once per distinct query."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import apsw

from semfind.engine import paths
from semfind.engine.errors import StoreError
from semfind.engine.store.rows import first_row

SCHEMA = """
CREATE TABLE IF NOT EXISTS thoughts (
    kind TEXT NOT NULL,
    model_key TEXT NOT NULL,
    prompt_version INTEGER NOT NULL,
    query TEXT NOT NULL,
    text TEXT NOT NULL,
    seconds REAL NOT NULL,
    created_at REAL NOT NULL,
    PRIMARY KEY (kind, model_key, prompt_version, query)
)
"""


class ThoughtCache:
    """A small SQLite file in the cache folder; safe to delete at any time."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path or paths.cache_dir() / "thoughts.sqlite3"
        self._lock = threading.Lock()
        self._conn: apsw.Connection | None = None

    def _connection(self) -> apsw.Connection:
        if self._conn is None:
            try:
                paths.make_private_dir(self.path.parent)
                conn = apsw.Connection(str(self.path))
                conn.setbusytimeout(2000)
                conn.execute(SCHEMA)
            except (apsw.Error, OSError) as exc:
                raise StoreError(f"cannot open the thought cache {self.path}: {exc}") from exc
            self._conn = conn
        return self._conn

    def get(self, kind: str, model_key: str, version: int, query: str) -> tuple[str, float] | None:
        """The cached text and the seconds it took to write, if any."""
        with self._lock:
            row = first_row(
                self._connection().execute(
                    "SELECT text, seconds FROM thoughts WHERE kind = ? AND model_key = ?"
                    " AND prompt_version = ? AND query = ?",
                    (kind, model_key, version, query),
                )
            )
        return (str(row["text"]), float(row["seconds"])) if row else None

    def put(
        self, kind: str, model_key: str, version: int, query: str, text: str, seconds: float
    ) -> None:
        with self._lock:
            self._connection().execute(
                "INSERT OR REPLACE INTO thoughts VALUES (?, ?, ?, ?, ?, ?, ?)",
                (kind, model_key, version, query, text, seconds, time.time()),
            )

    def close(self) -> None:
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None
