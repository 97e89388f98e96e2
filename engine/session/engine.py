"""One index opened with its settings: the parts every front end uses, made on first use.

The CLI, the TUI, the daemon and the benchmarks ask an `Engine` for the store, the query
embedder, the searcher, the chat LLM, the thought cache and the answerer instead of
assembling them, and close them all by closing it.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from semfind.engine.config import Settings

# The parts are imported when first made: the TUI builds its Engine before its first
# paint, and importing them all there took 0.09 s more (0.26 s in a bare interpreter).
if TYPE_CHECKING:
    from types import TracebackType

    from semfind.engine.ask.answer import Asker
    from semfind.engine.ask.evidence import Evidence, Retrieve
    from semfind.engine.ask.thought_cache import ThoughtCache
    from semfind.engine.embed.base import Embedder
    from semfind.engine.llm.base import ChatBackend
    from semfind.engine.llm.preload import PreloadedLLM
    from semfind.engine.search.query import Expansion, Filters
    from semfind.engine.search.searcher import Searcher
    from semfind.engine.store.lock import WriterLock
    from semfind.engine.store.store import Store

OpenEmbedder = Callable[[Settings], "Embedder"]
OpenLLM = Callable[[Settings], "ChatBackend"]


class Engine:
    """The index at `settings.db_path()` and what searches and answers from it.

    `writer` opens the index for writing, under the single-writer lock (else read-only);
    `warm` makes a searcher for many queries (see Searcher); `embed_queries=False` makes a
    keyword-only searcher that loads no model. `open_embedder` and `open_llm` choose where
    the models come from (a front end may embed queries through the daemon); by default
    they load here. Safe to share between threads: each part is made once, under a lock
    of its own, so a search never waits for the LLM to load.
    """

    def __init__(
        self,
        settings: Settings,
        *,
        writer: bool = False,
        warm: bool = False,
        embed_queries: bool = True,
        open_embedder: OpenEmbedder | None = None,
        open_llm: OpenLLM | None = None,
        thoughts: Path | None = None,
    ) -> None:
        self.settings = settings
        self.writer, self.warm, self.embed_queries = writer, warm, embed_queries
        self._open_embedder = open_embedder or _open_local_embedder
        self._open_llm = open_llm or _open_llm
        self._thoughts_path = thoughts
        self._index_lock = threading.RLock()
        self._lock: WriterLock | None = None
        self._store: Store | None = None
        self._embedder: Embedder | None = None
        self._searcher: Searcher | None = None
        self._reader_lock = threading.Lock()
        self._reader: Store | None = None
        self._llm_lock = threading.Lock()
        self._preload: PreloadedLLM | None = None
        self._llm: ChatBackend | None = None
        self._thoughts: ThoughtCache | None = None

    @property
    def db(self) -> Path:
        return self.settings.db_path()

    def exists(self) -> bool:
        """Whether there is an index file yet (a read-only engine cannot make one)."""
        return self.db.exists()

    # -- the index ----------------------------------------------------------------

    def store(self) -> Store:
        """The index, opened on first use (StoreError when it cannot be)."""
        from semfind.engine.store.lock import WriterLock
        from semfind.engine.store.store import Store

        with self._index_lock:
            if self._store is None:
                if self.writer:
                    lock = WriterLock(self.db)
                    lock.acquire()
                    self._lock = lock
                self._store = Store.open(self.db, readonly=not self.writer)
            return self._store

    def reader(self) -> Store:
        """A read-only connection of its own, for reads that must not wait for a search."""
        from semfind.engine.store.store import Store

        with self._reader_lock:
            if self._reader is None:
                self._reader = Store.open(self.db, readonly=True)
            return self._reader

    @contextlib.contextmanager
    def unlocked(self) -> Iterator[Store]:
        """The index opened for a few small writes without the writer lock, closed on leaving.

        Watched folders and pending paths may change while an `index` run holds the lock
        (SQLite orders the writes themselves); opening also upgrades an older index. Not
        for indexing: two writers of files and units would undo each other's work."""
        from semfind.engine.store.store import Store

        with Store.open(self.db) as store:
            yield store

    def upgrade(self) -> None:
        """Bring an index from an older semfind to the current schema now, if there is one."""
        if self.exists():
            with self.unlocked():
                pass

    def embedder(self) -> Embedder:
        """The embedding model, loaded on first use."""
        with self._index_lock:
            if self._embedder is None:
                self._embedder = self._open_embedder(self.settings)
            return self._embedder

    def new_embedder(self, settings: Settings | None = None) -> Embedder:
        """An embedder of the caller's own, from `settings` (else the engine's) and the
        engine's source of models; the caller closes it. For a model swapped at run time,
        as the daemon's is, which the engine's own embedder never is."""
        return self._open_embedder(settings or self.settings)

    def searcher(self) -> Searcher:
        """The searcher over the store, with the query embedder unless keyword-only."""
        from semfind.engine.search.searcher import Searcher

        with self._index_lock:
            if self._searcher is None:
                store = self.store()
                embedder = self.embedder() if self.embed_queries else None
                self._searcher = Searcher(store, embedder, self.settings, warm=self.warm)
            return self._searcher

    def evidence(self, question: str, k: int, filters: Filters) -> Evidence:
        """The passages that may answer `question` (engine.ask.evidence)."""
        from semfind.engine.ask.evidence import gather_evidence

        return gather_evidence(self.searcher(), question, k, filters)

    # -- the LLM ------------------------------------------------------------------

    def preload_llm(self) -> None:
        """Start loading the LLM in the background (it overlaps the embedder's load and the
        search); llm() then waits for it. Without a call, llm() loads it when asked."""
        from semfind.engine.llm.preload import PreloadedLLM

        with self._llm_lock:
            if self._preload is None and self._llm is None:
                self._preload = PreloadedLLM(lambda: self._open_llm(self.settings))

    def llm(self) -> ChatBackend:
        """The chat LLM, loaded on first use (ModelError when there is none)."""
        with self._llm_lock:
            if self._llm is None:
                self._llm = self._preload() if self._preload else self._open_llm(self.settings)
            return self._llm

    def thought_cache(self) -> ThoughtCache:
        from semfind.engine.ask.thought_cache import ThoughtCache

        with self._llm_lock:
            if self._thoughts is None:
                self._thoughts = ThoughtCache(self._thoughts_path)
            return self._thoughts

    def asker(
        self, retrieve: Retrieve | None = None, llm: Callable[[], ChatBackend] | None = None
    ) -> Asker:
        """An answerer over this index (or `retrieve`) and this engine's LLM (or `llm`, which
        should hand out the engine's), loaded only once the quotes are out. The engine owns
        the LLM: close the engine, not the asker."""
        from semfind.engine.ask.answer import Asker

        return Asker(llm or self.llm, retrieve or self.evidence, self.settings)

    def expand(self, kind: str, query: str) -> Expansion:
        """A query thought about or rewritten by the LLM (engine.ask.reasoning)."""
        from semfind.engine.ask.reasoning import Reasoner

        llm, cache = self.llm(), self.thought_cache()
        return Reasoner(llm, self.settings.think_budget_s, cache).expand(kind, query)

    # -- closing ------------------------------------------------------------------

    def close_llm(self) -> None:
        """Close the LLM and the thought cache; they open again when next asked for."""
        with self._llm_lock:
            preload, llm, thoughts = self._preload, self._llm, self._thoughts
            self._preload = self._llm = self._thoughts = None
        if preload is not None:
            preload.close()
        if llm is not None:
            llm.close()
        if thoughts is not None:
            thoughts.close()

    def close_index(self) -> None:
        """Close the searcher, the embedder and the store (and release the writer lock)."""
        with self._index_lock:
            if self._searcher is not None:
                self._searcher.close()
            if self._embedder is not None:
                self._embedder.close()
            if self._store is not None:
                self._store.close()
            if self._lock is not None:
                self._lock.release()
            self._searcher = self._embedder = self._store = self._lock = None
        with self._reader_lock:
            if self._reader is not None:
                self._reader.close()
            self._reader = None

    def close(self) -> None:
        self.close_llm()
        self.close_index()

    def __enter__(self) -> Engine:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


def _open_local_embedder(settings: Settings) -> Embedder:
    from semfind.engine.models.registry import open_embedder

    return open_embedder(settings)


def _open_llm(settings: Settings) -> ChatBackend:
    from semfind.engine.llm.factory import open_llm

    return open_llm(settings)
