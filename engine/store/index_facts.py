"""What an index holds: folder by folder, the counts the TUI's status bar and Index tab show;
and its contents row by row, for comparing two indexes (the benchmarks)."""

from __future__ import annotations

import os
import posixpath
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from semfind.engine.store.rows import column_values, first_row, first_value, named_rows

if TYPE_CHECKING:
    from collections.abc import Iterable

    from semfind.engine.store.records import EmbedModelRow
    from semfind.engine.store.store import Store


@dataclass(frozen=True)
class RootCount:
    """Everything stored at `path` or below it."""

    path: str
    files: int
    units: int
    failed: int
    watched: bool


@dataclass(frozen=True)
class _FileRow:
    path: str
    status: str
    units: int


@dataclass(frozen=True)
class ModelVectors:
    """How far one embedding model's vectors cover the index (`semfind status`)."""

    model: str
    dim: int
    units: int
    units_without: int
    """Units whose text this model has not embedded: found by their keywords only."""
    texts_to_build: int
    """Distinct texts still to embed (identical texts share one vector)."""
    part_floor: int = 0
    """Propositions of passages with fewer parts than this use their passage's vector
    (EmbedModelRow.part_floor); 0 or 1: none."""

    @property
    def percent(self) -> float:
        return 100.0 * (self.units - self.units_without) / self.units if self.units else 100.0


def model_vectors(store: Store) -> list[ModelVectors]:
    """Every model's coverage, counted exactly over all units (a scan: for status, not
    for every search)."""
    units = store.counts()["units"]
    found: list[ModelVectors] = []
    for model in store.models():
        row = first_row(
            store.conn.execute(
                "SELECT count(*) AS units, count(DISTINCT embed_hash) AS texts FROM units u"
                f" WHERE {model.needs_vector} AND NOT EXISTS (SELECT 1 FROM vectors v"
                "  WHERE v.model_id = ? AND v.text_hash = u.embed_hash)",
                (model.id,),
            )
        )
        without, texts = (int(row["units"]), int(row["texts"])) if row else (0, 0)
        found.append(ModelVectors(model.name, model.dim, units, without, texts, model.part_floor))
    return found


def kind_counts(store: Store) -> dict[str, int]:
    """Indexed files per kind (markdown, pdf, docx, ...), most first."""
    rows = store.conn.execute(
        "SELECT coalesce(kind, '?') AS kind, count(*) AS n FROM files WHERE status = 'indexed'"
        " GROUP BY 1 ORDER BY 2 DESC, 1"
    )
    return {str(row["kind"]): int(row["n"]) for row in named_rows(rows)}


def unit_kinds(store: Store) -> dict[str, int]:
    """Units per kind (passage, proposition, sentence)."""
    rows = store.conn.execute("SELECT kind, count(*) AS n FROM units GROUP BY kind ORDER BY kind")
    return {str(row["kind"]): int(row["n"]) for row in named_rows(rows)}


def part_count(store: Store) -> int:
    """Units that are not passages (propositions or sentences)."""
    rows = store.conn.execute("SELECT count(*) AS n FROM units WHERE kind != 'passage'")
    return int(first_value(rows, "n") or 0)


def indexed_roots(store: Store) -> list[RootCount]:
    """Every watched folder, every folder given to `semfind index` outside them, and the
    folders of files indexed outside both, each with its counts.

    Nested folders count once, under the topmost. Indexes written before folders were
    recorded (schema 7 and older) find a folder again as the topmost one holding files
    directly; a recorded folder that is gone from disk and holds nothing is left out."""
    rows = _file_rows(store)
    watched = store.watches()
    given = [
        root
        for root in _topmost({r for r in store.roots() if _root_of(r, watched) is None})
        if os.path.isdir(root) or any(_below(row.path, root) for row in rows)
    ]
    known = watched + given
    loose = {posixpath.dirname(r.path) for r in rows if _root_of(r.path, known) is None}
    roots = [(w, True) for w in watched] + [(d, False) for d in _topmost(loose | set(given))]
    return sorted((_count(path, is_watched, rows) for path, is_watched in roots),
                  key=lambda r: r.path)  # fmt: skip


def _file_rows(store: Store) -> list[_FileRow]:
    counted = store.conn.execute("SELECT file_id, count(*) AS n FROM units GROUP BY file_id")
    units = {row["file_id"]: row["n"] for row in named_rows(counted)}
    return [
        _FileRow(str(row["path"]), str(row["status"]), int(units.get(row["id"], 0)))
        for row in named_rows(store.conn.execute("SELECT id, path, status FROM files"))
    ]


def _below(path: str, folder: str) -> bool:
    return path == folder or path.startswith(folder.rstrip("/") + "/")


def _root_of(path: str, roots: Iterable[str]) -> str | None:
    return next((root for root in roots if _below(path, root)), None)


def _topmost(folders: set[str]) -> list[str]:
    kept: list[str] = []
    for folder in sorted(folders, key=len):
        if _root_of(folder, kept) is None:
            kept.append(folder)
    return kept


def _count(root: str, watched: bool, rows: list[_FileRow]) -> RootCount:
    under = [r for r in rows if _below(r.path, root)]
    indexed = [r for r in under if r.status == "indexed"]
    failed = sum(1 for r in under if r.status == "failed")
    return RootCount(root, len(indexed), sum(r.units for r in indexed), failed, watched)


# -- contents, for comparing two indexes and for the benchmarks --------------------


@dataclass(frozen=True)
class StoredFile:
    path: str
    content_hash: str | None
    status: str
    error: str | None


@dataclass(frozen=True)
class StoredUnit:
    """A unit as a search sees it, by its file's path (ids differ between indexes)."""

    path: str
    kind: str
    ord: int
    text: str
    embed_hash: str
    char_start: int | None
    char_end: int | None
    spans: str | None


def stored_files(store: Store) -> list[StoredFile]:
    """Every file row, by path."""
    rows = store.conn.execute("SELECT path, content_hash, status, error FROM files ORDER BY path")
    return [StoredFile(**row) for row in named_rows(rows)]


def stored_units(store: Store) -> list[StoredUnit]:
    """Every unit, by its file's path, kind and order."""
    rows = store.conn.execute(
        "SELECT f.path, u.kind, u.ord, u.text, u.embed_hash, u.char_start, u.char_end,"
        " u.spans FROM units u JOIN files f ON f.id = u.file_id ORDER BY f.path, u.kind, u.ord"
    )
    return [StoredUnit(**row) for row in named_rows(rows)]


def vector_hashes(store: Store) -> list[str]:
    """The text hash of every vector of every model, sorted."""
    rows = store.conn.execute("SELECT text_hash FROM vectors ORDER BY text_hash")
    return [str(h) for h in column_values(rows, "text_hash")]


def vector_ids(store: Store, model: EmbedModelRow) -> dict[int, str]:
    """`model`'s vector ids, ascending, with the hash of the text each was embedded from."""
    rows = store.conn.execute(
        "SELECT id, text_hash FROM vectors WHERE model_id = ? ORDER BY id", (model.id,)
    )
    return {int(row["id"]): str(row["text_hash"]) for row in named_rows(rows)}


def vector_codes(store: Store, model: EmbedModelRow) -> dict[str, bytes]:
    """`model`'s int8 code of each text hash, in hash order."""
    rows = store.conn.execute(
        f"SELECT v.text_hash, c.code FROM vectors v JOIN {model.codes_table} c ON c.id = v.id"
        " WHERE v.model_id = ? ORDER BY v.text_hash",
        (model.id,),
    )
    return {str(row["text_hash"]): bytes(row["code"]) for row in named_rows(rows)}


def keyword_count(store: Store, table: str, word: str) -> int:
    """Rows of the keyword table `table` (units_fts or parts_fts) that match `word`."""
    rows = store.conn.execute(f"SELECT count(*) AS n FROM {table} WHERE {table} MATCH ?", (word,))
    return int(first_value(rows, "n") or 0)


def has_keyword(store: Store, word: str) -> bool:
    """Whether some passage matches `word` in a keyword search."""
    rows = store.conn.execute(
        "SELECT 1 AS found FROM units_fts WHERE units_fts MATCH ? LIMIT 1", (word,)
    )
    return first_value(rows, "found") is not None


def part_texts(store: Store, limit: int) -> list[str]:
    """The texts of the first `limit` parts (propositions or sentences), in id order."""
    rows = store.conn.execute(
        "SELECT text FROM units WHERE kind != 'passage' ORDER BY id LIMIT ?", (limit,)
    )
    return [str(t) for t in column_values(rows, "text")]


def table_bytes(store: Store) -> dict[str, int]:
    """Bytes of each table and index in the file (SQLite's dbstat)."""
    rows = store.conn.execute("SELECT name, sum(pgsize) AS size FROM dbstat GROUP BY name")
    return {str(row["name"]): int(row["size"]) for row in named_rows(rows)}


def proposition_text_in_big_passages(store: Store, min_parts: int) -> tuple[int, int]:
    """Characters of proposition text in all, and in passages with at least `min_parts`
    propositions."""
    row = first_row(
        store.conn.execute(
            "SELECT sum(length(u.text)) AS total, sum(CASE WHEN (SELECT count(*) FROM units c"
            " WHERE c.parent_id = u.parent_id) >= ? THEN length(u.text) ELSE 0 END) AS big"
            " FROM units u WHERE u.parent_id IS NOT NULL",
            (min_parts,),
        )
    )
    return (int(row["total"] or 0), int(row["big"] or 0)) if row else (0, 0)


def committed_files(path: Path) -> int:
    """Files committed as indexed in the index at `path`, read without migrating or locking
    it (any schema version), for watching another process index; 0 while it cannot be read."""
    import apsw

    from semfind.engine.store.db import connect

    try:
        conn = connect(path, readonly=True, busy_ms=50)
    except apsw.Error:
        return 0
    try:
        query = "SELECT count(*) AS n FROM files WHERE status = 'indexed'"
        return int(first_value(conn.execute(query), "n") or 0)
    except apsw.Error:
        return 0
    finally:
        conn.close()
