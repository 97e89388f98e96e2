"""Recognising renames: a file that left one path and arrived at another, unchanged."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from semfind.engine.errors import ExtractionError
from semfind.engine.store.hashing import bytes_hash
from semfind.engine.store.records import FileState
from semfind.engine.store.store import Store
from semfind.indexer.extract.extractors import read_file
from semfind.indexer.walk import Candidate


def follow_moves(
    store: Store, gone: Iterable[FileState], arrivals: Iterable[Candidate]
) -> dict[str, str]:
    """Move stored files that reappeared elsewhere, keeping their units and vectors.

    A pair must agree on file type, size and mtime (a rename keeps both), and then on the
    content hash. Returns {new path: old path} for what was moved.
    """
    waiting = {_key(s.path, s.size, s.mtime_ns): s for s in gone if s.content_hash}
    moved: dict[str, str] = {}
    for item in arrivals:
        state = waiting.get(_key(str(item.path), item.size, item.mtime_ns))
        if state is None or not _same_content(item.path, state):
            continue
        store.move_files(state.path, str(item.path))
        del waiting[_key(state.path, state.size, state.mtime_ns)]
        moved[str(item.path)] = state.path
    return moved


def _key(path: str, size: int, mtime_ns: int) -> tuple[str, int, int]:
    return Path(path).suffix.lower(), size, mtime_ns


def _same_content(path: Path, state: FileState) -> bool:
    try:
        return bytes_hash(read_file(path)) == state.content_hash
    except ExtractionError:
        return False
