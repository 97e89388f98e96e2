"""The index: files, units, FTS5 rows and per-model vectors in one SQLite file."""

from __future__ import annotations

import contextlib
import json
import time
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any, TypeVar

import apsw
import numpy as np

from semfind.engine.config import ComposeVectors
from semfind.engine.errors import DiskFullError, StoreError
from semfind.engine.store import embed_pieces
from semfind.engine.store.cjk import fts_text
from semfind.engine.store.db import StoreCursor, disk_full_message, open_db
from semfind.engine.store.embed_pieces import EMBED_TEXT
from semfind.engine.store.records import (
    EmbedModelRow,
    FileMeta,
    FileState,
    UnitDraft,
    VectorCoverage,
    VectorlessUnit,
    titled,
)
from semfind.engine.store.rows import (
    column_values,
    first_row,
    first_value,
    in_batches,
    named_rows,
)
from semfind.engine.store.vector_tables import create_vector_tables, insert_vectors

T = TypeVar("T")
FTS_TABLES = ("units_fts", "parts_fts")
"""Keyword tables: one for passages, one for their parts (propositions or sentences)."""
_FILE_FIELDS = ("id", "path", "size", "mtime_ns", "content_hash", "status", "error", "kind",
                "segmenter")  # fmt: skip
_FILE_COLUMNS = ", ".join(_FILE_FIELDS)
_MODEL_COLUMNS = "id, key, name, dim, part_floor"
_NO_ROW = "the index returned no row where one was required"
COUNT_KEYS = ("files", "failed", "skipped", "units", "vectors")
COUNTS_SQL = (
    "SELECT (SELECT count(*) FROM files WHERE status = 'indexed') AS files,"
    " (SELECT count(*) FROM files WHERE status = 'failed') AS failed,"
    " (SELECT count(*) FROM files WHERE status = 'skipped') AS skipped,"
    " (SELECT count(*) FROM units) AS units, (SELECT count(*) FROM vectors) AS vectors"
)
"""The index's counts, one column per key of COUNT_KEYS (for `status` and `doctor`)."""
WATCHES_SQL = "SELECT path FROM watches ORDER BY path"


class Store:
    """All reads and writes of the index go through here."""

    def __init__(self, conn: apsw.Connection, path: Path) -> None:
        conn.cursor_factory = StoreCursor  # SQLite errors leave the store as semfind's
        self.conn = conn
        self.path = path

    @classmethod
    def open(cls, path: Path, *, readonly: bool = False) -> Store:
        return cls(open_db(path, readonly=readonly), path)

    def close(self) -> None:
        self.conn.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- models ---------------------------------------------------------------

    def ensure_model(self, key: str, name: str, dim: int, part_floor: int = 0) -> EmbedModelRow:
        """The row for an embedding model, created with its vec0 table if new (with
        `part_floor`; an existing model keeps its own, see set_part_floor)."""
        existing = self.find_model(key)
        if existing is not None:
            if existing.dim != dim:
                raise StoreError(f"model {name}: stored dimension {existing.dim} != {dim}")
            return existing
        with self._writing():
            cursor = self.conn.execute(
                "INSERT INTO embed_models(key, name, dim, created_at, part_floor)"
                " VALUES (?, ?, ?, ?, ?) RETURNING id",
                (key, name, dim, time.time(), max(0, part_floor)),
            )
            model = EmbedModelRow(int(_need(cursor, "id")), key, name, dim, max(0, part_floor))
            create_vector_tables(self.conn, model)
        return model

    def set_part_floor(self, model: EmbedModelRow, part_floor: int) -> EmbedModelRow:
        """`model` with propositions embedded only in passages of at least `part_floor`
        parts from now on. Lowering it leaves units without the vectors they now need, so
        every file becomes due for the second pass; raising it needs no work."""
        floor = max(0, part_floor)
        if max(floor, 1) == max(model.part_floor, 1):
            return model
        with self._writing():
            self.conn.execute(
                "UPDATE embed_models SET part_floor = ? WHERE id = ?", (floor, model.id)
            )
            if max(floor, 1) < max(model.part_floor, 1):
                self.conn.execute("UPDATE files SET vectors_due = 1 WHERE status = 'indexed'")
        return replace(model, part_floor=floor)

    def find_model(self, key: str) -> EmbedModelRow | None:
        rows = self.conn.execute(f"SELECT {_MODEL_COLUMNS} FROM embed_models WHERE key = ?", (key,))
        return next((EmbedModelRow(**row) for row in named_rows(rows)), None)

    def models(self) -> list[EmbedModelRow]:
        rows = self.conn.execute(f"SELECT {_MODEL_COLUMNS} FROM embed_models ORDER BY id")
        return [EmbedModelRow(**row) for row in named_rows(rows)]

    # -- files ----------------------------------------------------------------

    def file_state(self, path: str) -> FileState | None:
        rows = self.conn.execute(f"SELECT {_FILE_COLUMNS} FROM files WHERE path = ?", (path,))
        return next(_file_states(rows), None)

    def files_under(self, root: str) -> list[FileState]:
        """Every stored file at `root` or below it."""
        prefix = root.rstrip("/") + "/"
        rows = self.conn.execute(
            f"SELECT {_FILE_COLUMNS} FROM files WHERE path = ? OR substr(path, 1, ?) = ?",
            (root, len(prefix), prefix),
        )
        return list(_file_states(rows))

    def failures(self) -> list[FileState]:
        rows = self.conn.execute(
            f"SELECT {_FILE_COLUMNS} FROM files WHERE status != 'indexed' OR error IS NOT NULL"
            " ORDER BY path"
        )
        return list(_file_states(rows))

    def write_file(
        self,
        meta: FileMeta,
        units: Sequence[UnitDraft],
        model: EmbedModelRow,
        vectors: Mapping[str, np.ndarray],
        note: str | None = None,
        *,
        vectors_due: bool = False,
    ) -> int:
        """Replace a file's units, FTS rows and missing vectors in one transaction; `note`
        says what was left out of a file indexed in part, `vectors_due` that some of its
        units still lack vectors (the second pass embeds them). Returns the file's id."""
        with self._writing():
            file_id = self._upsert_file(meta, "indexed", note, vectors_due)
            self._delete_units(file_id)
            self._insert_units(file_id, meta, units)
            self._insert_vectors(model, vectors)
        return file_id

    def write_status(self, meta: FileMeta, status: str, error: str | None) -> None:
        """Record a failed or skipped file; any units it had leave the index."""
        with self._writing():
            file_id = self._upsert_file(meta, status, error, False)
            self._delete_units(file_id)

    def touch_file(self, file_id: int, size: int, mtime_ns: int) -> None:
        """Content unchanged: remember the new size and mtime so the hash is not re-read."""
        with self._writing():
            self.conn.execute(
                "UPDATE files SET size = ?, mtime_ns = ? WHERE id = ?", (size, mtime_ns, file_id)
            )

    def move_files(self, src: str, dest: str) -> int:
        """Give the files stored at or below `src` their paths below `dest`, in one transaction.

        Units, vectors and ids stay; a title taken from the file name follows the new name.
        A file already stored at a destination path was replaced on disk and leaves.
        """
        moved = 0
        with self._writing():
            for state in self.files_under(src):
                new_path = dest + state.path[len(src) :]
                replaced = self.file_state(new_path)
                if replaced is not None:
                    self.delete_files([replaced.id])
                self._move_file(state.id, state.path, new_path)
                moved += 1
        return moved

    def delete_files(self, file_ids: Iterable[int]) -> int:
        count = 0
        with self._writing():
            for file_id in file_ids:
                self._delete_units(file_id)
                self.conn.execute("DELETE FROM files WHERE id = ?", (file_id,))
                count += 1
        return count

    # -- vectors --------------------------------------------------------------

    def missing_hashes(self, model: EmbedModelRow, hashes: Iterable[str]) -> set[str]:
        """The hashes among `hashes` that have no vector for `model` yet."""
        wanted = set(hashes)
        if not wanted:
            return set()
        found: set[str] = set()
        for part, marks in in_batches(sorted(wanted)):
            rows = self.conn.execute(
                f"SELECT text_hash FROM vectors WHERE model_id = ? AND text_hash IN ({marks})",
                (model.id, *part),
            )
            found.update(column_values(rows, "text_hash"))
        return wanted - found

    def units_without_vectors(self, model: EmbedModelRow) -> list[tuple[str, str]]:
        """(hash, text) of every stored unit text that `model` has not embedded."""
        rows = self.conn.execute(
            f"SELECT embed_hash, {EMBED_TEXT} AS source FROM units u"
            f" JOIN files f ON f.id = u.file_id WHERE {model.needs_vector} AND NOT EXISTS"
            " (SELECT 1 FROM vectors v WHERE v.model_id = ? AND v.text_hash = u.embed_hash)"
            " GROUP BY embed_hash",
            (model.id,),
        )
        return [(row["embed_hash"], row["source"]) for row in named_rows(rows)]

    def add_vectors(self, model: EmbedModelRow, vectors: Mapping[str, np.ndarray]) -> None:
        with self._writing():
            self._insert_vectors(model, vectors)

    # -- the second pass: files committed before their vectors ------------------

    def file_ids(self, after: int, limit: int) -> list[int]:
        """Ids above `after` of every file, in id order."""
        rows = self.conn.execute(
            "SELECT id FROM files WHERE id > ? ORDER BY id LIMIT ?", (after, limit)
        )
        return [int(i) for i in column_values(rows, "id")]

    def due_files(self, after: int, limit: int) -> list[int]:
        """Ids above `after` of files whose units may lack vectors, in id order."""
        rows = self.conn.execute(
            "SELECT id FROM files WHERE vectors_due AND id > ? ORDER BY id LIMIT ?", (after, limit)
        )
        return [int(i) for i in column_values(rows, "id")]

    def vectorless_units(
        self,
        model: EmbedModelRow,
        file_ids: Sequence[int],
        passages: bool | None,
        after: int,
        limit: int,
        compose: ComposeVectors = "off",
    ) -> list[VectorlessUnit]:
        """Up to `limit` units of `file_ids` above id `after` that `model` has no vector for,
        in id order: passages, every other kind (`passages` False), or all (None); unless
        `compose` is "off", each with what its vector is composed from, where that is known
        (Settings.compose_vectors)."""
        marks = ",".join("?" * len(file_ids))
        kind = "" if passages is None else f" AND (u.kind = 'passage') = {int(passages)}"
        rows = self.conn.execute(
            f"SELECT u.id AS id, u.kind AS kind, u.embed_hash AS embed_hash, u.text AS text,"
            f" u.context_chars AS context_chars, {EMBED_TEXT} AS source FROM units u"
            f" JOIN files f ON f.id = u.file_id WHERE u.file_id IN ({marks}) AND u.id > ?"
            f"{kind} AND {model.needs_vector} AND NOT EXISTS"
            " (SELECT 1 FROM vectors v"
            "  WHERE v.model_id = ? AND v.text_hash = u.embed_hash) ORDER BY u.id LIMIT ?",
            (*file_ids, after, model.id, limit),
        )
        units = [
            VectorlessUnit(
                int(row["id"]),
                str(row["kind"]),
                str(row["embed_hash"]),
                str(row["text"]),
                str(row["source"]),
                None
                if compose == "off" or row["kind"] == "passage"
                else embed_pieces.of_part(str(row["source"]), row["context_chars"], compose),
            )
            for row in named_rows(rows)
        ]
        if compose == "off":
            return units
        of_passages = embed_pieces.passage_pieces(
            self.conn, [u.unit_id for u in units if u.kind == "passage"], compose, model.part_floor
        )
        return [
            replace(u, pieces=of_passages.get(u.unit_id)) if u.kind == "passage" else u
            for u in units
        ]

    def settle_vectors_due(
        self, model: EmbedModelRow, file_ids: Sequence[int] | None = None
    ) -> int:
        """Clear the flag of due files (all, or those of `file_ids`) whose units all have
        vectors now; returns how many."""
        among = f" AND id IN ({','.join('?' * len(file_ids))})" if file_ids is not None else ""
        with self._writing():
            self.conn.execute(
                f"UPDATE files SET vectors_due = 0 WHERE vectors_due{among} AND NOT EXISTS"
                f" (SELECT 1 FROM units u WHERE u.file_id = files.id AND {model.needs_vector}"
                " AND NOT EXISTS"
                "  (SELECT 1 FROM vectors v WHERE v.model_id = ? AND v.text_hash = u.embed_hash))",
                (*(file_ids or ()), model.id),
            )
            return self.conn.changes()

    def mark_vectors_due(self) -> None:
        """Every indexed file may lack vectors (a model new to this index)."""
        with self._writing():
            self.conn.execute("UPDATE files SET vectors_due = 1 WHERE status = 'indexed'")

    def has_vectors_due(self) -> bool:
        due = "SELECT EXISTS (SELECT 1 FROM files WHERE vectors_due) AS due"
        return bool(_need(self.conn.execute(due), "due"))

    def units_lacking_vectors(self, model: EmbedModelRow, *, distinct: bool = False) -> int:
        """Units of due files that `model` has no vector for (`distinct`: their distinct
        texts); costs as much as the work left, not a scan of the index."""
        what = "DISTINCT u.embed_hash" if distinct else "*"
        cursor = self.conn.execute(
            f"SELECT count({what}) AS n FROM units u WHERE u.file_id IN"
            f" (SELECT id FROM files WHERE vectors_due) AND {model.needs_vector} AND NOT EXISTS"
            " (SELECT 1 FROM vectors v WHERE v.model_id = ? AND v.text_hash = u.embed_hash)",
            (model.id,),
        )
        return int(_need(cursor, "n"))

    def vector_coverage(self, model: EmbedModelRow) -> VectorCoverage:
        without = self.units_lacking_vectors(model)
        units = _need(self.conn.execute("SELECT count(*) AS n FROM units"), "n")
        return VectorCoverage(int(units), without)

    def prune_vectors(self) -> int:
        """Drop vectors whose text no unit holds any more (for every model)."""
        removed = 0
        with self._writing():
            for model in self.models():
                unused = self.conn.execute(
                    "SELECT id FROM vectors v WHERE model_id = ? AND NOT EXISTS "
                    "(SELECT 1 FROM units u WHERE u.embed_hash = v.text_hash)",
                    (model.id,),
                )
                ids = [int(vid) for vid in column_values(unused, "id")]
                for vid in ids:
                    self.conn.execute(f"DELETE FROM {model.bits_table} WHERE rowid = ?", (vid,))
                    self.conn.execute(f"DELETE FROM {model.codes_table} WHERE id = ?", (vid,))
                    self.conn.execute("DELETE FROM vectors WHERE id = ?", (vid,))
                removed += len(ids)
        return removed

    # -- watched folders and the daemon's pending work --------------------------

    def watches(self) -> list[str]:
        return [str(p) for p in column_values(self.conn.execute(WATCHES_SQL), "path")]

    def add_watch(self, path: str) -> bool:
        """Remember a watched folder; False when it was already watched."""
        with self._writing():
            row = self.conn.execute(
                "INSERT INTO watches(path, added_at) VALUES (?, ?) ON CONFLICT DO NOTHING"
                " RETURNING path",
                (path, time.time()),
            ).fetchone()
        return row is not None

    def remove_watch(self, path: str) -> bool:
        with self._writing():
            row = self.conn.execute(
                "DELETE FROM watches WHERE path = ? RETURNING path", (path,)
            ).fetchone()
        return row is not None

    def roots(self) -> list[str]:
        """Folders given to the indexer, as they were given (resolved)."""
        rows = self.conn.execute("SELECT path FROM roots ORDER BY path")
        return [str(p) for p in column_values(rows, "path")]

    def add_roots(self, paths: Iterable[str]) -> None:
        self._remember("roots(path, added_at)", paths)

    def pending(self) -> list[str]:
        rows = self.conn.execute("SELECT path FROM pending ORDER BY queued_at")
        return [str(p) for p in column_values(rows, "path")]

    def add_pending(self, paths: Iterable[str]) -> None:
        self._remember("pending(path, queued_at)", paths)

    def _remember(self, table: str, paths: Iterable[str]) -> None:
        """Add paths with the time now to a path table, once each; no write when none."""
        rows = [(path, time.time()) for path in paths]
        if rows:
            with self._writing():
                self.conn.executemany(
                    f"INSERT INTO {table} VALUES (?, ?) ON CONFLICT DO NOTHING", rows
                )

    def remove_pending(self, path: str) -> None:
        with self._writing():
            self.conn.execute("DELETE FROM pending WHERE path = ?", (path,))

    # -- counts ---------------------------------------------------------------

    def counts(self) -> dict[str, int]:
        row = first_row(self.conn.execute(COUNTS_SQL))
        if row is None:
            raise StoreError(_NO_ROW)
        return {key: int(row[key]) for key in COUNT_KEYS}

    def unit_span(self) -> int:
        """The highest unit id: an instant upper bound on the unit count (for word
        weights, where a count(*) over a million rows would cost more than the query)."""
        return int(first_value(self.conn.execute("SELECT max(id) AS n FROM units"), "n") or 0)

    @contextlib.contextmanager
    def _writing(self) -> Iterator[None]:
        """One transaction; a full disk rolls it back and becomes DiskFullError."""
        try:
            with self.conn:
                yield
        except apsw.FullError as exc:  # at the commit, past the cursors
            raise DiskFullError(disk_full_message(self.path)) from exc

    def checkpoint(self) -> None:
        """Move the write-ahead log into the database file and empty it, so the file alone
        holds the index (to copy it)."""
        self.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")

    def vacuum_into(self, target: Path) -> None:
        """Write a compacted copy of the index, without free pages, to `target`."""
        self.conn.execute("VACUUM INTO ?", (str(target),))

    def version(self) -> tuple[int, int]:
        """Changes whenever this or any other connection has written to the database."""
        changes = _need(self.conn.execute("PRAGMA data_version"), "data_version")
        return int(changes), self.conn.total_changes()

    def has_uncut_passages(self) -> bool:
        """Whether some passage has no parts (so it stands in for them at part level)."""
        cursor = self.conn.execute(
            "SELECT EXISTS (SELECT 1 FROM units u WHERE u.kind = 'passage' AND NOT EXISTS"
            " (SELECT 1 FROM units c WHERE c.parent_id = u.id)) AS uncut"
        )
        return bool(_need(cursor, "uncut"))

    def distinct_texts(self) -> int:
        """Distinct unit texts: identical texts share one vector per model."""
        cursor = self.conn.execute("SELECT count(DISTINCT embed_hash) AS n FROM units")
        return int(_need(cursor, "n"))

    def vector_count(self, model: EmbedModelRow) -> int:
        cursor = self.conn.execute(
            "SELECT count(*) AS n FROM vectors WHERE model_id = ?", (model.id,)
        )
        return int(_need(cursor, "n"))

    # -- internals ------------------------------------------------------------

    def _upsert_file(
        self, meta: FileMeta, status: str, error: str | None, vectors_due: bool
    ) -> int:
        cursor = self.conn.execute(
            "INSERT INTO files(path, kind, title, size, mtime_ns, content_hash, status, error,"
            " indexed_at, segmenter, vectors_due) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
            " ON CONFLICT(path) DO UPDATE SET kind = excluded.kind, title = excluded.title,"
            " segmenter = excluded.segmenter, vectors_due = excluded.vectors_due,"
            " size = excluded.size, mtime_ns = excluded.mtime_ns,"
            " content_hash = excluded.content_hash, status = excluded.status,"
            " error = excluded.error, indexed_at = excluded.indexed_at RETURNING id",
            (
                meta.path,
                meta.kind,
                meta.title,
                meta.size,
                meta.mtime_ns,
                meta.content_hash,
                status,
                error,
                time.time(),
                meta.segmenter,
                int(vectors_due),
            ),
        )
        return int(_need(cursor, "id"))

    def _move_file(self, file_id: int, old_path: str, new_path: str) -> None:
        old_name, new_name = Path(old_path).name, Path(new_path).name
        if old_name != new_name:  # the title may follow the name: keep what was embedded
            self.conn.execute(
                "UPDATE units SET embed_text = ? || char(10, 10) || text, embed_titled = 0"
                " WHERE file_id = ? AND embed_titled"
                " AND (SELECT title FROM files WHERE id = ?) = ?",
                (old_name, file_id, file_id, old_name),
            )
        title = first_value(
            self.conn.execute(
                "UPDATE files SET path = ?, title = CASE WHEN title = ? THEN ? ELSE title END"
                " WHERE id = ? RETURNING title",
                (new_path, old_name, new_name, file_id),
            ),
            "title",
        )
        if old_name != new_name and title == new_name:
            self._retitle(file_id, new_name)

    def _retitle(self, file_id: int, title: str) -> None:
        """Rewrite a file's keyword rows under a new title; contentless tables need the text."""
        units = list(
            named_rows(
                self.conn.execute("SELECT id, kind, text FROM units WHERE file_id = ?", (file_id,))
            )
        )
        for table in FTS_TABLES:
            self.conn.execute(
                f"DELETE FROM {table} WHERE rowid IN (SELECT id FROM units WHERE file_id = ?)",
                (file_id,),
            )
        for unit in units:
            self._insert_fts(unit["id"], unit["kind"], title, unit["text"])

    def _insert_fts(self, unit_id: int, kind: str, title: str, text: str) -> None:
        table = "units_fts" if kind == "passage" else "parts_fts"
        self.conn.execute(
            f"INSERT INTO {table}(rowid, title, text) VALUES (?, ?, ?)",
            (unit_id, fts_text(title), fts_text(text)),
        )

    def _delete_units(self, file_id: int) -> None:
        for table in FTS_TABLES:
            self.conn.execute(
                f"DELETE FROM {table} WHERE rowid IN (SELECT id FROM units WHERE file_id = ?)",
                (file_id,),
            )
        self.conn.execute("DELETE FROM units WHERE file_id = ?", (file_id,))

    def _insert_units(self, file_id: int, meta: FileMeta, units: Sequence[UnitDraft]) -> None:
        title = meta.title or Path(meta.path).name
        ids_by_ord: dict[int, int] = {}
        for unit in units:
            parent = ids_by_ord.get(unit.parent_ord) if unit.parent_ord is not None else None
            cursor = self.conn.execute(
                "INSERT INTO units(file_id, parent_id, kind, ord, text, embed_text, embed_hash,"
                " page, char_start, char_end, line_start, line_end, spans, embed_titled, label,"
                " context_chars) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
                " RETURNING id",
                _unit_values(file_id, parent, unit, meta.title),
            )
            unit_id = int(_need(cursor, "id"))
            ids_by_ord[unit.ord] = unit_id
            self._insert_fts(unit_id, unit.kind, title, unit.text)

    def claim_vector_id(self, model: EmbedModelRow, text_hash: str) -> int | None:
        """A new vector row's id for this text, or None when the model has one already (the
        caller is inside a write transaction)."""
        vid = first_value(
            self.conn.execute(
                "INSERT INTO vectors(model_id, text_hash) VALUES (?, ?)"
                " ON CONFLICT DO NOTHING RETURNING id",
                (model.id, text_hash),
            ),
            "id",
        )
        return None if vid is None else int(vid)

    def _insert_vectors(self, model: EmbedModelRow, vectors: Mapping[str, np.ndarray]) -> None:
        ids: list[int] = []
        rows: list[np.ndarray] = []
        for text_hash, vector in vectors.items():
            if vector.shape != (model.dim,):
                raise StoreError(f"vector of shape {vector.shape} for a {model.dim}-d model")
            vid = self.claim_vector_id(model, text_hash)
            if vid is not None:
                ids.append(int(vid))
                rows.append(vector)
        if ids:
            insert_vectors(self.conn, model, ids, np.stack(rows))

    def codes(self, model: EmbedModelRow, ids: Sequence[int]) -> tuple[np.ndarray, np.ndarray]:
        """The vector ids among `ids` that exist, and their int8 codes as (n, dim) rows."""
        found: list[int] = []
        blobs: list[bytes] = []
        for part, marks in in_batches(ids):
            rows = self.conn.execute(
                f"SELECT id, code FROM {model.codes_table} WHERE id IN ({marks})", part
            )
            for row in named_rows(rows):
                found.append(int(row["id"]))
                blobs.append(row["code"])
        codes = np.frombuffer(b"".join(blobs), dtype=np.int8).reshape(len(found), model.dim)
        return np.array(found, dtype=np.int64), codes

    def current_units(
        self, model: EmbedModelRow, pairs: Sequence[tuple[int, int, float]]
    ) -> list[tuple[int, int, float]]:
        """The (unit id, vector id, score) of `pairs` whose unit still holds the text that
        vector was embedded from, in the order given."""
        valid: set[tuple[int, int]] = set()
        for part, marks in in_batches({unit for unit, _, _ in pairs}):
            rows = self.conn.execute(
                "SELECT u.id AS unit, v.id AS vector FROM units u JOIN vectors v"
                f" ON v.model_id = ? AND v.text_hash = u.embed_hash WHERE u.id IN ({marks})",
                (model.id, *part),
            )
            valid.update((int(row["unit"]), int(row["vector"])) for row in named_rows(rows))
        return [(unit, vector, score) for unit, vector, score in pairs if (unit, vector) in valid]


def _need(cursor: apsw.Cursor, column: str) -> Any:
    """`column` of a row that SQL guarantees (RETURNING, count); its absence is a broken
    database."""
    row = first_row(cursor)
    if row is None:
        raise StoreError(_NO_ROW)
    return row[column]


def _unit_values(
    file_id: int, parent: int | None, unit: UnitDraft, title: str | None
) -> tuple[Any, ...]:
    """The row of `unit`; an embedding text that is the file's title over the unit's text
    (records.titled) is flagged instead of stored."""
    rebuilt = title is not None and unit.embed_text == titled(title, unit.text)
    return (
        file_id,
        parent,
        unit.kind,
        unit.ord,
        unit.text,
        None if rebuilt else unit.embed_text,
        unit.embed_hash,
        unit.page,
        unit.char_start,
        unit.char_end,
        unit.line_start,
        unit.line_end,
        json.dumps(unit.spans) if unit.spans else None,
        int(rebuilt),
        unit.label,
        unit.context_chars,
    )


def _file_states(cursor: apsw.Cursor) -> Iterator[FileState]:
    """The rows of a query of `_FILE_COLUMNS`, read by those names."""
    return (FileState(**row) for row in named_rows(cursor))
