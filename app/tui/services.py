"""What the TUI is given from outside: the index, the daemon, models and an answerer."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

from semfind.engine.errors import StoreError

if TYPE_CHECKING:
    from collections.abc import Callable, Generator, Iterator
    from pathlib import Path

    from semfind.engine.ask.answer import AskEvent
    from semfind.engine.ask.evidence import Evidence
    from semfind.engine.config import Settings
    from semfind.engine.models.catalog import CatalogEntry
    from semfind.engine.search.aggregate import Hit
    from semfind.engine.search.query import Expansion, Filters
    from semfind.engine.search.searcher import Searcher
    from semfind.engine.session.engine import Engine
    from semfind.engine.store.store import Store
    from semfind.indexer.daemon.protocol import (
        DaemonStatus,
        Event,
        PauseReply,
        SearchReply,
        SearchRequest,
    )


T = TypeVar("T")


@dataclass(frozen=True)
class IndexSummary:
    """Counts for the status bar; `exists` is False before anything was indexed, or when
    the index cannot be read (`problem` then says why, in a few words)."""

    exists: bool
    files: int = 0
    units: int = 0
    propositions: int = 0
    failed: int = 0
    problem: str | None = None


@dataclass(frozen=True)
class Found:
    """A search's hits and what is said beside them."""

    hits: list[Hit]
    vectors_note: str = ""
    """How much of the index has vectors while some units lack them; "" when all do."""
    route_note: str | None = None
    """Set on the first search run here after the daemon stopped answering (said once)."""


@dataclass(frozen=True)
class FolderCount:
    """An indexed folder (watched or not) and what is stored below it."""

    path: str
    files: int
    units: int
    failed: int = 0
    watched: bool = True


@dataclass(frozen=True)
class Failure:
    path: str
    status: str
    reason: str


class IndexReader(Protocol):
    """Read-only access to the index; every method may block (call it from a worker)."""

    def search(
        self, query: str, k: int, mode: str, filters: Filters, expansion: Expansion | None = None
    ) -> Found: ...
    def evidence(self, question: str, k: int, filters: Filters) -> Evidence: ...
    def summary(self) -> IndexSummary: ...
    def folders(self) -> list[FolderCount]: ...
    def failures(self) -> list[Failure]: ...
    def warm(self) -> None: ...
    def close(self) -> None: ...


class DaemonLink(Protocol):
    """The daemon client (app.daemon_client.DaemonClient) as the TUI uses it."""

    def running_pid(self) -> int | None: ...
    def status(self) -> DaemonStatus: ...
    def events(self, idle: float | None = None) -> Iterator[Event]: ...
    def start(self) -> int: ...
    def pause(self, pause: bool) -> PauseReply: ...
    def index(self, paths: list[str]) -> list[str]: ...
    def change_watches(self, add: bool, paths: list[str]) -> tuple[list[str], bool]: ...


class Answerer(Protocol):
    """The local LLM: answers questions from the index (engine.ask.answer.Asker's events) and
    thinks about or rewrites queries (engine.ask.reasoning). Blocks: call it from a worker."""

    name: str

    def available(self) -> bool: ...
    def ask(self, question: str, filters: Filters) -> Generator[AskEvent]: ...
    def expand(self, kind: str, query: str) -> Expansion: ...
    def close(self) -> None: ...


@dataclass
class Services:
    settings: Settings
    index: IndexReader
    daemon: DaemonLink
    models: Callable[[], list[CatalogEntry]]
    answerer: Answerer | None = None
    """None when no LLM is installed or configured: the ask pane then shows the evidence
    only, and searches cannot think or rewrite."""


class EngineIndex:
    """The real index: the engine's warm searcher, made on first use, one query at a time."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.settings = engine.settings
        self._lock = threading.Lock()
        self._searcher: Searcher | None = None
        self._facts_lock = threading.Lock()
        self._facts: Store | None = None
        self._cache: dict[str, tuple[tuple[int, int], Any]] = {}

    @property
    def db(self) -> Path:
        return self.engine.db

    def warm(self) -> None:
        """Open the index and load the model (a second or so) before the first query."""
        with self._lock:
            self._ensure_searcher()

    def search(
        self, query: str, k: int, mode: str, filters: Filters, expansion: Expansion | None = None
    ) -> Found:
        from ..search_cli import search_request

        reply = self.reply(search_request(self.settings, query, k, mode, filters, expansion))
        return Found(list(reply.hits), vectors_said(reply))

    def reply(self, request: SearchRequest) -> SearchReply:
        """The reply the daemon would send, searched here."""
        from ..search_cli import reply_here

        with self._lock:
            return reply_here(self._ensure_searcher(), request)

    @property
    def loaded(self) -> bool:
        """Whether this process opened its searcher (the vectors and the query model)."""
        return self._searcher is not None

    def evidence(self, question: str, k: int, filters: Filters) -> Evidence:
        with self._lock:
            self._ensure_searcher()
            return self.engine.evidence(question, k, filters)

    def summary(self) -> IndexSummary:
        return self._fact("summary", _summary, IndexSummary(exists=False))

    def folders(self) -> list[FolderCount]:
        return self._fact("folders", _folders, [])

    def failures(self) -> list[Failure]:
        return self._fact(
            "failures",
            lambda s: [Failure(f.path, f.status, f.error or "") for f in s.failures()],
            [],
        )

    def _fact(self, name: str, read: Callable[[Store], T], missing: T) -> T:
        """Read a fact again only when the index changed: counting 100k rows is not free.
        The engine's second connection, so counting never holds up a search."""
        with self._facts_lock:
            if self._facts is None and self.engine.exists():
                self._facts = self.engine.reader()
            store = self._facts
            if store is None:
                return missing
            version = store.version()
            cached = self._cache.get(name)
            if cached is None or cached[0] != version:
                cached = self._cache[name] = (version, read(store))
            return cached[1]

    def close(self) -> None:
        with self._lock, self._facts_lock:
            self.engine.close_index()
            self._searcher = self._facts = None

    def _ensure_searcher(self) -> Searcher:
        if self._searcher is None:
            if not self.engine.exists():
                raise StoreError(
                    f"no index yet at {self.db}: add a folder in the Index tab, "
                    "or run `semfind index PATH`"
                )
            self._searcher = self.engine.searcher()
        return self._searcher


def _summary(store: Store) -> IndexSummary:
    from semfind.engine.store.index_facts import part_count

    counts = store.counts()
    return IndexSummary(True, counts["files"], counts["units"], part_count(store), counts["failed"])


def _folders(store: Store) -> list[FolderCount]:
    from semfind.engine.store.index_facts import indexed_roots

    return [
        FolderCount(r.path, r.files, r.units, r.failed, r.watched) for r in indexed_roots(store)
    ]


def vectors_said(reply: SearchReply) -> str:
    """What the TUI says of the vectors beside a reply's hits: "" when they cover it all."""
    if reply.embedder is not None and not reply.has_vectors:
        return f"nothing is embedded with {reply.embedder} yet: results by keyword only"
    return reply.vectors_note
