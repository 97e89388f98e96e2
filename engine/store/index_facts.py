"""What an index holds, folder by folder: the counts the TUI's status bar and Index tab show."""

from __future__ import annotations

import os
import posixpath
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Iterable

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

    @property
    def percent(self) -> float:
        return 100.0 * (self.units - self.units_without) / self.units if self.units else 100.0


def model_vectors(store: Store) -> list[ModelVectors]:
    """Every model's coverage, counted exactly over all units (a scan: for status, not
    for every search)."""
    units = store.counts()["units"]
    found: list[ModelVectors] = []
    for model in store.models():
        row = store.conn.execute(
            "SELECT count(*), count(DISTINCT embed_hash) FROM units u WHERE NOT EXISTS"
            " (SELECT 1 FROM vectors v WHERE v.model_id = ? AND v.text_hash = u.embed_hash)",
            (model.id,),
        ).fetchone()
        without, texts = (int(row[0]), int(row[1])) if row else (0, 0)
        found.append(ModelVectors(model.name, model.dim, units, without, texts))
    return found


def kind_counts(store: Store) -> dict[str, int]:
    """Indexed files per kind (markdown, pdf, docx, ...), most first."""
    rows = store.conn.execute(
        "SELECT coalesce(kind, '?'), count(*) FROM files WHERE status = 'indexed'"
        " GROUP BY 1 ORDER BY 2 DESC, 1"
    )
    return {str(kind): int(count) for kind, count in rows}


def unit_kinds(store: Store) -> dict[str, int]:
    """Units per kind (passage, proposition, sentence)."""
    rows = store.conn.execute("SELECT kind, count(*) FROM units GROUP BY kind ORDER BY kind")
    return {str(kind): int(count) for kind, count in rows}


def part_count(store: Store) -> int:
    """Units that are not passages (propositions or sentences)."""
    row = store.conn.execute("SELECT count(*) FROM units WHERE kind != 'passage'").fetchone()
    return int(row[0]) if row else 0


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
    units = dict(store.conn.execute("SELECT file_id, count(*) FROM units GROUP BY file_id"))
    return [
        _FileRow(str(path), str(status), int(units.get(file_id, 0)))
        for file_id, path, status in store.conn.execute("SELECT id, path, status FROM files")
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
