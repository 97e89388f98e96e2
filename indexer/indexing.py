"""Incremental indexing: discover, extract, cut into units, embed what is new, commit per file."""

from __future__ import annotations

import dataclasses
import functools
import logging
import os
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal, TypeVar

import numpy as np

from semfind.engine.config import Settings
from semfind.engine.embed.base import BackendInfo, Embedder
from semfind.engine.embed.compose import PieceCache
from semfind.engine.embed.composed_vectors import composed_vectors
from semfind.engine.embed.token_shares import TokenShares
from semfind.engine.errors import (
    ExtractionError,
    FileGoneError,
    UnsupportedFileError,
    UsageError,
)
from semfind.engine.store.hashing import bytes_hash
from semfind.engine.store.records import FileMeta, FileState, VectorCoverage, VectorlessUnit
from semfind.engine.store.store import Store
from semfind.indexer.extract.document import Document
from semfind.indexer.extract.extractors import extract, read_file
from semfind.indexer.journal import FileEvent, FileEventKind, OnFile
from semfind.indexer.moves import follow_moves
from semfind.indexer.segment.llm_segmenter import Chat as ChatLike
from semfind.indexer.segment.llm_segmenter import LLMSegmenter
from semfind.indexer.segment.passages import passages
from semfind.indexer.segment.propositions import Segmenter, make_segmenter
from semfind.indexer.walk import Candidate, Rejected, Unreadable, walk

log = logging.getLogger(__name__)

FILE_PAGE = 64
"""Files the second pass reads the vectorless units of at a time."""
UNIT_PAGE = 512
"""Units it holds in memory at a time: a huge backlog is streamed, never loaded whole."""
EMBED_CHUNK = 8
"""Texts per embedder call, so progress moves while a large flush is embedded."""
GIVE_WAY_S = 0.25
"""With urgent work to give way to, embedder calls are cut to about this long: on a busy
machine (the daemon runs at nice 10) eight texts can take seconds. Smaller calls embed as
fast on a CPU."""


Phase = Literal["files", "vectors"]
"""Pass 1 commits files with their keyword rows; pass 2 embeds what they lack."""


@dataclass
class IndexReport:
    """What one indexing run did; progress displays read it while it runs."""

    files_total: int = 0
    files_done: int = 0
    current: str = ""
    started: float = field(default_factory=time.perf_counter)
    indexed: int = 0
    unchanged: int = 0
    removed: int = 0
    moved: int = 0
    """Files found under a new name and moved in the index, without re-extraction."""
    cancelled: bool = False
    """Stopped early on request; what was committed stays, the rest is for the next run."""
    llm_upgraded: int = 0
    llm_accepted: int = 0
    llm_rejected: int = 0
    failed: list[tuple[str, str]] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)
    partial: list[tuple[str, str]] = field(default_factory=list)
    """Files indexed in part (text past `max_text_mb` left out), with what was left out."""
    units: int = 0
    embedded: int = 0
    reused: int = 0
    tokens: int = 0
    embed_seconds: float = 0.0
    elapsed: float = 0.0
    backend: BackendInfo | None = None
    phase: Phase = "files"
    first_searchable_s: float | None = None
    """Seconds from the start until the first file was committed (found by keyword)."""
    pass1_s: float | None = None
    """Seconds from the start until every file was committed, before their vectors."""
    vectors_todo: int = 0
    """Distinct texts the second pass found to embed (`embedded` counts those done)."""
    shares: TokenShares = field(default_factory=TokenShares)
    coverage: VectorCoverage | None = None
    """How much of the index has vectors at the end of the run."""

    @property
    def tokens_per_s(self) -> float:
        return self.tokens / self.embed_seconds if self.embed_seconds > 0 else 0.0

    @property
    def units_per_s(self) -> float:
        """Texts embedded per second of embedding."""
        return self.embedded / self.embed_seconds if self.embed_seconds > 0 else 0.0


ProgressCallback = Callable[[IndexReport], None]
Extractor = Callable[[Path, bytes], Document]
"""Turns a file's bytes into a Document: `extract`, or the daemon's sandboxed worker."""
YieldTo = Callable[[], Iterable[str]]
"""Called between files and embedding batches. It may bring other paths up to date first
(the daemon's live edits) and returns them: this run then leaves those paths, and anything
below them, alone, since what it read of them may be older."""


class Indexer:
    """Writes documents into a store with one embedder; one instance per run."""

    def __init__(
        self,
        store: Store,
        embedder: Embedder,
        settings: Settings,
        on_progress: ProgressCallback | None = None,
        chat_factory: Callable[[], ChatLike] | None = None,
        extractor: Extractor | None = None,
        cancelled: Callable[[], bool] = lambda: False,
        yield_to: YieldTo | None = None,
        on_file: OnFile | None = None,
        backlog: bool = True,
    ) -> None:
        self.store, self.embedder, self.settings = store, embedder, settings
        new_model = store.find_model(embedder.key) is None
        floor = settings.vector_min_parts
        self.model = store.ensure_model(embedder.key, embedder.name, embedder.dim, floor)
        if new_model:
            store.mark_vectors_due()  # a model new to the index embeds every file
        self.model = store.set_part_floor(self.model, floor)
        self.backlog = backlog
        """Whether the second pass embeds every due file, or only those of this run."""
        self._due: list[int] = []
        """Files this run committed with units that lack vectors."""
        self.max_tokens = min(settings.passage_tokens, embedder.n_ctx_train)
        # With the LLM segmenter, the fast rule-based pass runs first and the LLM upgrades later.
        self.fast_name = "rules" if settings.segmenter == "llm" else settings.segmenter
        self.segmenter = make_segmenter(self.fast_name)
        self._chat_factory = chat_factory or _default_chat(settings)
        self._extract = extractor or functools.partial(extract, max_chars=settings.max_text_chars)
        self._cancelled = cancelled
        self._yield_to = yield_to
        self._on_file = on_file
        self._theirs: set[str] = set()
        self._last_chunk_s, self._last_chunk_n = 0.0, 0
        """Paths brought up to date by others while this run was under way."""
        self.report = IndexReport(backend=embedder.backend_info())
        self._on_progress = on_progress

    # -- entry points ---------------------------------------------------------

    def index_paths(self, roots: Sequence[Path]) -> IndexReport:
        """Bring the index in line with the files at `roots` (files or folders)."""
        require_paths(roots)
        resolved = [root.resolve() for root in roots]
        self.store.add_roots(str(root) for root in resolved if root.is_dir())
        for root in resolved:
            self._index_root(root)
        if not self.report.cancelled:
            self._vector_pass()
        if not self.report.cancelled:
            self._llm_pass(resolved)
        return self._finish()

    def index_documents(self, docs: Iterable[tuple[FileMeta, Document]]) -> IndexReport:
        """Index extracted documents (benchmarks, other sources), skipping unchanged ones."""
        for meta, doc in docs:
            state = self.store.file_state(meta.path)
            self.report.files_total += 1
            if self._current(state) and state and state.content_hash == meta.content_hash:
                self._unchanged(meta.path)
            else:
                self._queue(meta, doc)
        return self._finish()

    # -- one root -------------------------------------------------------------

    def _index_root(self, root: Path) -> None:
        found = list(
            walk(
                root,
                max_bytes=int(self.settings.max_file_mb * (1 << 20)),
                extra_ignore=self.settings.ignore,
            )
        )
        stored = {s.path: s for s in self.store.files_under(str(root))}
        seen = {str(item.path) for item in found}
        unreadable = [str(item.path) for item in found if isinstance(item, Unreadable)]
        gone = {
            path: state
            for path, state in stored.items()
            if path not in seen and not any(_below(path, folder) for folder in unreadable)
        }
        self.report.files_total += len(found)
        arrivals = (i for i in found if isinstance(i, Candidate) and str(i.path) not in stored)
        moved = follow_moves(self.store, list(gone.values()), arrivals)
        for new_path, old_path in moved.items():
            del gone[old_path]
            self._event("moved", new_path, old_path)
        self.report.moved += len(moved)
        for item in found:
            self._give_way()
            if self._cancelled():
                self.report.cancelled = True
                break
            if isinstance(item, Unreadable):
                reason = f"cannot list folder: {item.reason}"
                self.report.failed.append((str(item.path), reason))
                self._event("failed", str(item.path), reason)
                self._advance(str(item.path))
            elif isinstance(item, Rejected):
                self._record(item, "skipped", item.reason)
            elif str(item.path) in moved or self._handled_elsewhere(str(item.path)):
                self._advance(str(item.path))
            else:
                self._index_file(item, stored.get(str(item.path)))
        if not self.report.cancelled:
            self._remove([s for s in gone.values() if not self._handled_elsewhere(s.path)])

    def _index_file(self, item: Candidate, state: FileState | None) -> None:
        same_stat = state and (state.size, state.mtime_ns) == (item.size, item.mtime_ns)
        # Failed and skipped files are retried: fixing permissions does not change a file's
        # mtime, and raising max_file_mb does not change its size.
        if same_stat and self._current(state):
            self._unchanged(str(item.path))
            return
        try:
            data = read_file(item.path)
        except FileGoneError:
            # Deleted since the walk found it: not a failure, and not to be kept.
            self._remove([state] if state else [])
            self._advance(str(item.path))
            return
        except ExtractionError as exc:
            self._record(item, "failed", str(exc))
            return
        digest = bytes_hash(data)
        if self._current(state) and state and state.content_hash == digest:
            self.store.touch_file(state.id, item.size, item.mtime_ns)
            self._unchanged(str(item.path))
            return
        self._extract_and_queue(item, data, digest)

    def _current(self, state: FileState | None) -> bool:
        """Indexed, and cut by the segmenter now configured."""
        if state is None or state.status != "indexed":
            return False
        if state.segmenter == "llm" and self._wants_llm(state.path):
            return True
        return state.segmenter == self.fast_name

    def _wants_llm(self, path: str) -> bool:
        if self.settings.segmenter == "llm":
            return True
        folders = (str(Path(f).expanduser().resolve()) for f in self.settings.llm_folders)
        return any(path == f or _below(path, f) for f in folders)

    def _llm_pass(self, roots: Sequence[Path]) -> None:
        """Upgrade searchable files to LLM propositions, slowest work last."""
        targets = [
            state
            for root in roots
            for state in self.store.files_under(str(root))
            if state.status == "indexed"
            and state.segmenter != "llm"
            and self._wants_llm(state.path)
        ]
        if not targets:
            return
        chat = self._chat_factory()
        segmenter = LLMSegmenter(chat=chat)
        try:
            for state in targets:
                self._give_way()
                if not self._handled_elsewhere(state.path):
                    self._upgrade(state, segmenter)
        finally:
            chat.close()
        self.report.llm_accepted += segmenter.accepted
        self.report.llm_rejected += segmenter.rejected

    def _upgrade(self, state: FileState, segmenter: Segmenter) -> None:
        path = Path(state.path)
        try:
            data = read_file(path)
            doc = self._extract(path, data)
        except ExtractionError:
            return  # changed or gone since the fast pass; the next run sees to it
        if bytes_hash(data) != state.content_hash:
            return
        meta = FileMeta(state.path, state.size, state.mtime_ns, state.content_hash)
        self._queue(meta, doc, segmenter)
        self.report.llm_upgraded += 1

    def _extract_and_queue(self, item: Candidate, data: bytes, digest: str) -> None:
        meta = FileMeta(str(item.path), item.size, item.mtime_ns, digest)
        try:
            doc = self._extract(item.path, data)
            self._queue(meta, doc)
        except UnsupportedFileError as exc:
            self._write_status(meta, "skipped", str(exc))
        except ExtractionError as exc:
            self._write_status(meta, "failed", str(exc))
        except (ValueError, RecursionError, MemoryError, IndexError, KeyError, TypeError) as exc:
            # A bug meeting a strange file must cost that file only, never the run.
            log.exception("unexpected error on %s", item.path)
            self._write_status(meta, "failed", f"internal error: {type(exc).__name__}: {exc}")

    # -- pass 1: commit each file keyword-searchable ----------------------------

    def _queue(self, meta: FileMeta, doc: Document, segmenter: Segmenter | None = None) -> None:
        """Cut a document into units and commit them with their keyword rows at once; the
        vectors they lack are left to the second pass (`_vector_pass`)."""
        segmenter = segmenter or self.segmenter
        name = segmenter.name if segmenter is not None else "none"
        meta = dataclasses.replace(meta, kind=doc.kind, title=doc.title, segmenter=name)
        units = passages(doc, self.embedder.count_tokens, self.max_tokens)
        if segmenter is not None:
            units = [*units, *segmenter.segment(doc, units)]
        hashes = {u.embed_hash for u in units}
        missing = self.store.missing_hashes(self.model, hashes)
        self.report.reused += len(hashes) - len(missing)
        note = _left_out_note(doc)
        due = bool(missing)
        file_id = self.store.write_file(meta, units, self.model, {}, note, vectors_due=due)
        if missing:
            self._due.append(file_id)
        if self.report.first_searchable_s is None:
            self.report.first_searchable_s = time.perf_counter() - self.report.started
        if note:
            self.report.partial.append((meta.path, note))
            self._event("partial", meta.path, note)
        else:
            self._event("indexed", meta.path, f"{len(units)} unit{'s' * (len(units) != 1)}")
        self.report.indexed += 1
        self.report.units += len(units)
        self._advance(meta.path)

    # -- pass 2: vectors for what pass 1 committed ------------------------------

    def embed_backlog(self) -> IndexReport:
        """Only the second pass, over every file whose units lack vectors (the daemon when
        idle: a pass cut short by a stop, a pause or a crash)."""
        self._vector_pass(backlog=True)
        return self._finish()

    def _vector_pass(self, backlog: bool | None = None) -> None:
        """Embed the units of due files that lack vectors. Composed (settings.compose_vectors),
        file by file; whole ("off"), every file's passages first (so each file is soon found
        by meaning at passage level), then the other units. Each chunk of vectors is
        committed on its own, so a stop or a crash loses at most one. `backlog`: every due
        file of the index, else only those this run committed."""
        if self.report.pass1_s is None:
            self.report.pass1_s = time.perf_counter() - self.report.started
        whole = self.backlog if backlog is None else backlog
        if not (whole and self.store.has_vectors_due()) and not self._due:
            return
        self.report.phase = "vectors"
        self.report.vectors_todo += self._count_todo(whole)
        self._notify()
        rounds = (True, False) if self.settings.compose_vectors == "off" else (None,)
        for passages_first in rounds:
            for file_ids in self._due_pages(whole):
                if not self._embed_units(file_ids, passages_first):
                    return
                if not passages_first:  # these files are done: say so as they finish
                    self.store.settle_vectors_due(self.model, file_ids)
        self.store.settle_vectors_due(self.model)
        self._due = []

    def _count_todo(self, whole: bool) -> int:
        if whole:
            return self.store.units_lacking_vectors(self.model, distinct=True)
        return len(
            {
                unit.embed_hash
                for ids in _pages(self._due, FILE_PAGE)
                for kind in (True, False)
                for unit in self.store.vectorless_units(self.model, ids, kind, 0, 1 << 62)
            }
        )

    def _due_pages(self, whole: bool) -> Iterator[list[int]]:
        """Due files in pages, in the order they were first committed."""
        if not whole:
            yield from _pages(list(self._due), FILE_PAGE)
            return
        after = 0
        while ids := self.store.due_files(after, FILE_PAGE):
            yield ids
            after = ids[-1]

    def _embed_units(self, file_ids: list[int], passages_first: bool | None) -> bool:
        """Embed the vectorless units of one page of files: passages, other units, or (None)
        all of them with vectors composed from their pieces; False when cancelled."""
        composed = passages_first is None
        cache = PieceCache(self.embedder)
        after = 0
        while todo := self.store.vectorless_units(
            self.model, file_ids, passages_first, after, UNIT_PAGE,
            self.settings.compose_vectors if composed else "off",
        ):  # fmt: skip
            after = todo[-1].unit_id
            # In id order a file's passages come before its propositions: composed, the
            # pieces a passage embeds are its propositions', reused from the cache after,
            # and each file is complete soon after it starts.
            fresh = list({u.embed_hash: u for u in todo}.values())
            start = 0
            while start < len(fresh):
                self._give_way()
                if self._cancelled():
                    self.report.cancelled = True  # the next run or the idle daemon resumes
                    return False
                size = self._chunk_size()
                chunk, start = fresh[start : start + size], start + size
                if composed:
                    vectors = self._compose_chunk(cache, chunk)
                else:
                    before = self.report.tokens
                    vectors = self._embed_chunk(
                        [u.embed_hash for u in chunk], [u.embed_input for u in chunk]
                    )
                    self._count_shares(chunk, self.report.tokens - before)
                self.store.add_vectors(self.model, vectors)
        return True

    def _compose_chunk(
        self, cache: PieceCache, chunk: Sequence[VectorlessUnit]
    ) -> dict[str, np.ndarray]:
        start = time.perf_counter()
        vectors, shares = composed_vectors(cache, chunk)
        seconds = time.perf_counter() - start
        self.report.shares += shares
        self._account(len(chunk), shares.total, seconds)
        return vectors

    def _count_shares(self, units: Sequence[VectorlessUnit], embedded: int) -> None:
        """Where the `embedded` tokens of one call went: the units' own text (passages,
        other units) and, the rest, the context added to it (title, headings)."""
        own = [(unit.kind, self.embedder.count_tokens(unit.text)) for unit in units]
        passages = sum(n for kind, n in own if kind == "passage")
        parts = sum(n for kind, n in own if kind != "passage")
        context = max(0, embedded - passages - parts)
        self.report.shares += TokenShares(passages, parts, context)

    def _chunk_size(self) -> int:
        """Texts for the next embedder call: fewer while giving way, if calls run long."""
        if self._yield_to is None or not self._last_chunk_n:
            return EMBED_CHUNK
        per_text = max(self._last_chunk_s / self._last_chunk_n, 1e-6)
        return max(1, min(EMBED_CHUNK, int(GIVE_WAY_S / per_text)))

    def _embed_chunk(self, hashes: list[str], texts: list[str]) -> dict[str, np.ndarray]:
        before = (self.embedder.stats.tokens, self.embedder.stats.seconds)
        matrix = self.embedder.embed(texts)
        tokens = self.embedder.stats.tokens - before[0]
        seconds = self.embedder.stats.seconds - before[1]
        self._account(len(texts), tokens, seconds)
        return dict(zip(hashes, matrix, strict=True))

    def _account(self, units: int, tokens: int, seconds: float) -> None:
        """One embedder call's work: `units` given vectors, `tokens` embedded."""
        self.report.embedded += units
        self.report.tokens += tokens
        self.report.embed_seconds += seconds
        self._last_chunk_s, self._last_chunk_n = seconds, units
        self._notify()

    def _finish(self) -> IndexReport:
        if not self.report.cancelled:
            self._vector_pass()
        self.store.prune_vectors()
        self.report.coverage = self.store.vector_coverage(self.model)
        self.report.elapsed = time.perf_counter() - self.report.started
        return self.report

    # -- bookkeeping ----------------------------------------------------------

    def _record(self, item: Candidate | Rejected, status: str, reason: str) -> None:
        self._write_status(FileMeta(str(item.path), item.size, item.mtime_ns, None), status, reason)

    def _write_status(self, meta: FileMeta, status: str, reason: str) -> None:
        self.store.write_status(meta, status, reason)
        target = self.report.failed if status == "failed" else self.report.skipped
        target.append((meta.path, reason))
        self._event("failed" if status == "failed" else "skipped", meta.path, reason)
        self._advance(meta.path)

    def _remove(self, states: Sequence[FileState]) -> None:
        self.report.removed += self.store.delete_files(s.id for s in states)
        for state in states:
            self._event("removed", state.path)

    def _event(self, kind: FileEventKind, path: str, detail: str = "") -> None:
        if self._on_file is not None:
            self._on_file(FileEvent(kind, path, detail))

    # -- giving way to urgent work --------------------------------------------

    def _give_way(self) -> bool:
        """Let the caller do urgent work first; True when it brought paths up to date."""
        if self._yield_to is None:
            return False
        done = [os.path.normpath(p) for p in self._yield_to()]
        self._theirs.update(done)
        return bool(done)

    def _handled_elsewhere(self, path: str) -> bool:
        if not self._theirs:
            return False
        while True:
            if path in self._theirs:
                return True
            parent = os.path.dirname(path)
            if parent == path:
                return False
            path = parent

    def _unchanged(self, path: str) -> None:
        self.report.unchanged += 1
        self._advance(path)

    def _advance(self, path: str) -> None:
        self.report.files_done += 1
        self.report.current = path
        self._notify()

    def _notify(self) -> None:
        if self._on_progress is not None:
            self._on_progress(self.report)


T = TypeVar("T")


def _pages(items: list[T], size: int) -> Iterator[list[T]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _default_chat(settings: Settings) -> Callable[[], ChatLike]:
    def open_chat() -> ChatLike:
        from semfind.engine.llm.factory import open_llm

        return open_llm(settings)

    return open_chat


def _below(path: str, folder: str) -> bool:
    return path.startswith(folder.rstrip("/") + "/")


def require_paths(roots: Sequence[Path]) -> None:
    """Fail before any work when a path the user named does not exist."""
    missing = [str(p) for p in roots if not p.exists()]
    if missing:
        raise UsageError(f"no such file or folder: {', '.join(missing)}")


def _left_out_note(doc: Document) -> str | None:
    if not doc.left_out:
        return None
    kept = sum(len(page.text) for page in doc.pages)
    return (
        f"indexed in part: the first {kept:,} characters; {doc.left_out:,} more are past "
        "the max_text_mb limit"
    )
