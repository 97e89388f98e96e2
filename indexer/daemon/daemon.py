"""The background indexer: watches folders and is the index's only writer while it runs."""

from __future__ import annotations

import contextlib
import logging
import os
import queue
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from semfind.engine.config import Settings
from semfind.engine.embed.base import Embedder
from semfind.engine.errors import DiskFullError, SemfindError
from semfind.engine.session.engine import Engine
from semfind.engine.store.store import Store
from semfind.indexer.daemon.accounting import Embedded
from semfind.indexer.daemon.commands import Commands
from semfind.indexer.daemon.control import ControlServer
from semfind.indexer.daemon.model_switch import EmbedderKeeper
from semfind.indexer.daemon.pausing import PausePolicy
from semfind.indexer.daemon.power import on_battery
from semfind.indexer.daemon.protocol import (
    Backend,
    Coverage,
    DaemonStatus,
    FailedFile,
    Run,
    Shares,
    State,
    StatusEvent,
    Stopped,
    VectorPass,
    Watch,
)
from semfind.indexer.daemon.publisher import Publisher
from semfind.indexer.daemon.runtime import DaemonFiles, PidLock, memory_rss
from semfind.indexer.daemon.searching import DaemonSearcher
from semfind.indexer.daemon.watcher import Settler, Watcher
from semfind.indexer.daemon.work import Lane, WorkQueue
from semfind.indexer.extract.extractors import use_plugins
from semfind.indexer.extract.sandbox import SandboxedExtractor, sandboxed
from semfind.indexer.indexing import Indexer, IndexReport
from semfind.indexer.journal import FileEvent, Journal, shown
from semfind.indexer.moves import follow_moves
from semfind.indexer.walk import Candidate, visible, walk

log = logging.getLogger(__name__)

WINDOW_S = 60.0
"""Throughput is reported over this many recent seconds."""
TICK_S = 0.2
BACKLOG_RETRY_S = 60.0


@dataclass
class Throughput:
    """Tokens and units embedded, and the seconds it took, over the last WINDOW_S seconds."""

    samples: deque[tuple[float, int, int, float]] = field(default_factory=deque)

    def add(self, tokens: int, units: int, seconds: float) -> None:
        now = time.monotonic()
        self.samples.append((now, tokens, units, seconds))
        while self.samples and self.samples[0][0] < now - WINDOW_S:
            self.samples.popleft()

    def rates(self) -> tuple[float, float]:
        """(tokens/s, units/s) while embedding: what the backend achieves, idle time aside."""
        now = time.monotonic()
        recent = [s for s in self.samples if s[0] >= now - WINDOW_S]
        seconds = sum(s[3] for s in recent)
        if seconds <= 0:
            return 0.0, 0.0
        return sum(s[1] for s in recent) / seconds, sum(s[2] for s in recent) / seconds


@dataclass
class DaemonState:
    """What `status` reports; written by the indexing thread, read by control threads."""

    state: State = "starting"
    current: str = ""
    files_done: int = 0
    indexed: int = 0
    unchanged: int = 0
    removed: int = 0
    moved: int = 0
    failed: dict[str, str] = field(default_factory=dict)
    run_total: int = 0
    run_done: int = 0
    eta_s: float | None = None
    started_at: float = field(default_factory=time.time)


class Daemon:
    """Runs in the foreground until asked to shut down; `run` holds the writer lock."""

    def __init__(
        self,
        settings: Settings,
        open_embedder: Callable[[Settings], Embedder],
        files: DaemonFiles | None = None,
        power: Callable[[], bool] = on_battery,
    ) -> None:
        self.settings = settings
        self.db = settings.db_path()
        self.files = files or DaemonFiles.for_db(self.db)
        self._open_embedder = open_embedder
        self.queue = WorkQueue()
        self.settler = Settler()
        self.status = DaemonState()
        self.throughput = Throughput()
        self.pausing = PausePolicy(settings, power)
        self.stopping = threading.Event()
        self.events = Publisher(self.stopping)
        self._watches: set[str] = set()
        self._watches_changed = threading.Event()
        self.searcher = DaemonSearcher(settings, lambda: self.models)
        self.reading = Engine(settings)
        """The index for the control threads: small writes (Commands) and status reads."""
        self.commands = Commands(
            self.reading,
            self.queue,
            self.pausing,
            self.stopping,
            self._watches_changed,
            lambda: self._status(coverage=True),
            lambda: self.models,
            self.searcher.search,
        )
        self._moves: queue.SimpleQueue[tuple[str, str, bool]] = queue.SimpleQueue()
        self._modes: dict[str, str] = {}
        self._backend: Backend | None = None
        self._last_tokens: tuple[int, int, float] = (0, 0, 0.0)
        self._live: IndexReport | None = None
        """The run in progress, so counts move before it ends."""
        self._aside: IndexReport | None = None
        """The bulk run set aside while live work goes ahead of it."""
        self.embedded = Embedded()
        """What the runs finished since the start embedded."""
        self._models: EmbedderKeeper | None = None
        self._changes = Journal(log)
        """Live work's events (moves, edits), summed up once per batch."""
        self._interleaving = False
        self._backlog_retry = 0.0
        """After a vector pass failed, the idle loop tries again from this time on."""

    @property
    def models(self) -> EmbedderKeeper:
        """The embedding model in use, from the start of serving on."""
        if self._models is None:
            raise RuntimeError("the daemon is not serving")
        return self._models

    # -- life cycle -------------------------------------------------------------

    def run(self) -> None:
        engine = Engine(self.settings, writer=True, open_embedder=self._open_embedder)
        with PidLock(self.files.pid), engine:
            store = engine.store()  # takes the writer lock, held until the engine closes
            use_plugins(self.settings.extractors)
            self._serve(store, engine)

    def _serve(self, store: Store, engine: Engine) -> None:
        # The daemon's embedder is not the engine's: it is swapped for a new model at run
        # time (model_switch), which an Engine's parts never are; the engine opens each.
        self._models = EmbedderKeeper(self.settings, engine.new_embedder)
        self._describe_backend()
        sandbox = sandboxed(self.settings)
        watcher = Watcher(self.settler.touch, self._skip, self._moved)
        server = ControlServer(self.files.socket, self._handle, self._stream)
        try:
            watcher.start()
            self._watch_all(store, watcher)
            self.status.state = "idle"  # reachable from here on, so never "starting"
            server.start()
            log.info("daemon ready: pid %d, socket %s", os.getpid(), self.files.socket)
            _lower_priority()
            self._loop(store, sandbox, watcher)
        finally:
            self.status.state = "stopping"
            server.stop()
            watcher.stop()
            sandbox.close()
            self.searcher.close()
            self.reading.close()
            self.models.close()
            self.events.publish(Stopped())
            log.info("daemon stopped")

    def _watch_all(self, store: Store, watcher: Watcher) -> None:
        """Watch every stored folder and queue a catch-up scan of each, plus unfinished work."""
        for folder in store.watches():
            if not Path(folder).is_dir():
                log.warning("watched folder %s is missing; its files stay in the index", folder)
        self._watches_changed.set()
        self._sync_watches(store, watcher)
        self.queue.put(store.pending())

    def _describe_backend(self) -> None:
        embedder = self.models.embedder
        self._backend = Backend.of(embedder.backend_info(), embedder.name)

    def _idle(self, store: Store) -> None:
        """Nothing to index: embed what files committed earlier still lack (a run stopped,
        paused or killed in its vector pass), then build a new embedding model's vectors, if
        one is asked for."""
        self._set_state("idle")
        busy = lambda: self.stopping.is_set() or self.pausing.held() or bool(self.queue.snapshot())  # noqa: E731
        try:
            self._embed_backlog(store, busy)
            built = self.models.maintain(store, busy)
        except DiskFullError as exc:
            self._disk_full(None, exc)
            return
        if built:
            self._describe_backend()
            self.events.publish(StatusEvent("status", self._status()))

    def _embed_backlog(self, store: Store, busy: Callable[[], bool]) -> None:
        """The vector pass over every file still due; one indexed query when there is none."""
        if time.monotonic() < self._backlog_retry or not store.has_vectors_due():
            return
        self._set_state("indexing")
        indexer = Indexer(store, self.models.embedder, self.settings, self._progress,
                          cancelled=busy)  # fmt: skip
        try:
            report = indexer.embed_backlog()
            self._account(report)
            _log_embedded("vectors of files committed earlier", [report])
        except SemfindError as exc:
            if isinstance(exc, DiskFullError):
                raise
            log.error("cannot build the vectors still missing: %s", exc)
            self._live = None
            self._backlog_retry = time.monotonic() + BACKLOG_RETRY_S
        finally:
            self._set_state("idle")

    def _loop(self, store: Store, sandbox: SandboxedExtractor, watcher: Watcher) -> None:
        while not self.stopping.is_set():
            self._collect(store)
            self._sync_watches(store, watcher)
            self.pausing.check_power()
            if self.pausing.held():
                self._set_state("paused")
                self.stopping.wait(TICK_S)
                continue
            lane, paths = self.queue.take(TICK_S)
            if not paths:
                self._idle(store)
                continue
            self._set_state("indexing")
            self._run_batch(store, sandbox, lane, paths)
            self.status.current = ""
            self.events.publish(StatusEvent("status", self._status()))

    def _collect(self, store: Store) -> list[str]:
        """Apply renames, then queue the paths that settled; returns the paths moved."""
        moved = self._apply_moves(store)  # before the destinations settle and are reconciled
        settled = self.settler.ready()
        if settled:
            moved += self._pair_moves(store, settled)
            self.queue.put(settled)
        return moved

    def _run_batch(
        self, store: Store, sandbox: SandboxedExtractor, lane: Lane, paths: list[str]
    ) -> None:
        self._changes.begin()
        reports: list[IndexReport] = []
        for path in paths:
            if self.stopping.is_set() or self.pausing.held():
                self.queue.put([path], lane)
                continue
            if lane == "live":
                reports += self._reconcile(store, sandbox, path, self._changes)
            else:
                journal = Journal(log)
                done = self._reconcile(store, sandbox, path, journal, bulk=True)
                journal.summary(f"scanned {shown(path)}")
                _log_embedded(f"scanned {shown(path)}", done)
        if lane == "live":
            self._changes.summary("changes", quiet_if_empty=True)
            _log_embedded("changes", reports)

    def _interleave(self, store: Store, sandbox: SandboxedExtractor) -> list[str]:
        """Called by a bulk scan between files: the user's fresh edits are indexed first.

        Returns the paths brought up to date here, which the scan then leaves alone.
        """
        if self._interleaving or self.stopping.is_set():
            return []
        done = self._collect(store)
        paths = [] if self.pausing.held() else self.queue.take_live()
        if paths:
            self._interleaving = True
            try:
                with self._progress_aside():
                    self._run_batch(store, sandbox, "live", paths)
            finally:
                self._interleaving = False
        return done + paths

    @contextlib.contextmanager
    def _progress_aside(self) -> Iterator[None]:
        """Live work reports its own progress; the bulk scan's is put back afterwards."""
        s = self.status
        saved = (self._live, self._last_tokens, s.current, s.run_total, s.run_done, s.eta_s)
        self._aside, self._live, self._last_tokens = self._live, None, (0, 0, 0.0)
        try:
            yield
        finally:
            self._live, self._last_tokens = saved[0], saved[1]
            s.current, s.run_total, s.run_done, s.eta_s = saved[2:]
            self._aside = None

    def _set_state(self, state: State) -> None:
        """Subscribers hear of every change of state, not only of progress."""
        if state != self.status.state:
            self.status.state = state
            self.events.publish(StatusEvent("status", self._status()))

    # -- one path ---------------------------------------------------------------

    def _reconcile(
        self,
        store: Store,
        sandbox: SandboxedExtractor,
        path: str,
        journal: Journal,
        bulk: bool = False,
    ) -> list[IndexReport]:
        """Bring the index in line with `path` on disk: index, re-index or drop it. A bulk
        scan gives way to live edits between files. Returns the report of the indexing run,
        if there was one."""
        target = Path(path)
        root = self._root_of(path)
        hidden = root is not None and not visible(
            Path(root), target, extra_ignore=self.settings.ignore
        )
        reports: list[IndexReport] = []
        try:
            if hidden or not target.exists():
                gone = store.files_under(path)
                self.status.removed += store.delete_files(s.id for s in gone)
                for state in gone:
                    journal.record(FileEvent("removed", state.path))
            else:
                indexer = Indexer(
                    store,
                    self.models.embedder,
                    self.settings,
                    on_progress=self._progress,
                    extractor=sandbox,
                    cancelled=lambda: self.stopping.is_set() or self.pausing.held(),
                    yield_to=(lambda: self._interleave(store, sandbox)) if bulk else None,
                    on_file=journal.record,
                    # A live edit embeds its own units; the backlog's are a bulk scan's or,
                    # when nothing is queued, the idle loop's.
                    backlog=bulk,
                )
                report = indexer.index_paths([target])
                self._account(report)
                reports.append(report)
                journal.unchanged += report.unchanged
                if report.cancelled:
                    # Resumed after a pause (finished files are found unchanged); after a stop,
                    # at restart.
                    self.queue.put([path], "bulk" if bulk else "live")
                    return reports
            store.remove_pending(path)
        except DiskFullError as exc:
            self._disk_full(path, exc)
        except SemfindError as exc:
            journal.record(FileEvent("failed", path, str(exc)))
            self.status.failed[path] = str(exc)
        return reports

    def _disk_full(self, path: str | None, exc: DiskFullError) -> None:
        """Pause: what was committed stays; `path` (if any) is done again once there is room."""
        log.error("disk full while indexing %s: %s", path or "new vectors", exc)
        self._live = None
        if path is not None:
            self.queue.put([path])
        self.pausing.disk_full()
        self._set_state("paused")

    def _moved(self, src: str, dest: str, is_directory: bool) -> None:
        """Called by the observers: a rename, applied by the indexing thread."""
        self._moves.put((src, dest, is_directory))
        self.settler.touch(dest)

    def _apply_moves(self, store: Store) -> list[str]:
        """Renames keep their units and vectors; a file that changed type is indexed anew.
        Returns the sources and destinations moved in the index."""
        done: list[str] = []
        while True:
            try:
                src, dest, is_directory = self._moves.get_nowait()
            except queue.Empty:
                return done
            same_type = is_directory or Path(src).suffix.lower() == Path(dest).suffix.lower()
            if not same_type or self._root_of(dest) is None:
                self.queue.put([src])
                continue
            try:
                olds = [s.path for s in store.files_under(src)]
                self.status.moved += store.move_files(src, dest)
            except SemfindError as exc:
                log.error("cannot move %s to %s in the index: %s", shown(src), shown(dest), exc)
                self.queue.put([src, dest])
                continue
            for old in olds:
                self._changes.record(FileEvent("moved", dest + old[len(src) :], old))
            done += [src, dest]

    def _pair_moves(self, store: Store, paths: list[str]) -> list[str]:
        """A rename the observers saw as a delete plus a create (say, into a folder made a
        moment before) is still a move, when both halves arrive in one batch."""
        gone = [s for p in paths if not os.path.lexists(p) for s in store.files_under(p)]
        if not gone:
            return []
        limit = int(self.settings.max_file_mb * (1 << 20))
        arrivals = (
            item
            for p in paths
            if os.path.exists(p) and self._root_of(p) is not None
            for item in walk(Path(p), max_bytes=limit, extra_ignore=self.settings.ignore)
            if isinstance(item, Candidate) and store.file_state(str(item.path)) is None
        )
        try:
            moved = follow_moves(store, gone, arrivals)
        except SemfindError as exc:
            log.error("cannot pair renames: %s", exc)  # each path is reconciled on its own
            return []
        self.status.moved += len(moved)
        for new, old in moved.items():
            self._changes.record(FileEvent("moved", new, old))
        return [p for pair in moved.items() for p in pair]

    def _root_of(self, path: str) -> str | None:
        for folder in self._watches:
            if path == folder or path.startswith(folder.rstrip("/") + "/"):
                return folder
        return None

    def _progress(self, report: IndexReport) -> None:
        self._live = report
        self.status.current = report.current
        self.status.run_total, self.status.run_done = report.files_total, report.files_done
        elapsed = time.perf_counter() - report.started
        remaining = max(0, report.files_total - report.files_done)
        self.status.eta_s = remaining * elapsed / report.files_done if report.files_done else None
        tokens, units, seconds = self._last_tokens
        if report.tokens > tokens:
            self.throughput.add(
                report.tokens - tokens, report.embedded - units, report.embed_seconds - seconds
            )
        self._last_tokens = (report.tokens, report.embedded, report.embed_seconds)
        self.events.publish(StatusEvent("progress", self._status()))

    def _account(self, report: IndexReport) -> None:
        self._live = None
        self._last_tokens = (0, 0, 0.0)
        self.embedded.add(report)
        self.status.files_done += report.files_done
        self.status.indexed += report.indexed
        self.status.unchanged += report.unchanged
        self.status.removed += report.removed
        self.status.moved += report.moved
        for path, reason in report.failed:
            self.status.failed[path] = reason  # logged by the journal: path and reason, no text

    def _skip(self, path: str) -> bool:
        """Events on the index's own files must not feed back into indexing."""
        return path.startswith(str(self.db))

    # -- control ------------------------------------------------------------------

    def _handle(self, request: dict[str, Any]) -> dict[str, Any]:
        return self.commands.handle(request)

    def _sync_watches(self, store: Store, watcher: Watcher) -> None:
        """Apply watch changes made through the socket to the observers."""
        if not self._watches_changed.is_set():
            return
        self._watches_changed.clear()
        wanted = {w for w in store.watches() if Path(w).is_dir()}
        for folder in sorted(wanted - self._watches):
            watcher.add(folder)
            self.queue.put([folder], "bulk")
        for folder in sorted(self._watches - wanted):
            watcher.remove(folder)
        self._watches = wanted
        self._modes = dict(watcher.modes)

    def _status(self, coverage: bool = False) -> DaemonStatus:
        """The status; with `coverage`, also how much of the index has vectors (a query as
        long as the work left: for the answer to "status", not for every event)."""
        s = self.status
        tokens_s, units_s = self.throughput.rates()
        remaining = max(0, s.run_total - s.run_done)
        live = self._live
        failed = dict(s.failed)
        if live is not None:
            failed.update(dict(live.failed))
        return DaemonStatus(
            pid=os.getpid(),
            state=s.state,
            paused_reason=self.pausing.reason(),
            on_battery=self.pausing.on_battery,
            db=str(self.db),
            watches=tuple(Watch(w, self._modes.get(w, "native")) for w in sorted(self._watches)),
            queue=len(self.queue.snapshot()) + len(self.settler),
            current=s.current,
            files_done=s.files_done + (live.files_done if live else 0),
            indexed=s.indexed + (live.indexed if live else 0),
            unchanged=s.unchanged + (live.unchanged if live else 0),
            removed=s.removed + (live.removed if live else 0),
            moved=s.moved + (live.moved if live else 0),
            failed=tuple(FailedFile(p, r) for p, r in sorted(failed.items())),
            run=Run(s.run_total, s.run_done, remaining),
            eta_s=s.eta_s if remaining else None,
            tokens_per_s=tokens_s,
            units_per_s=units_s,
            backend=self._backend,
            switching=self._models.status() if self._models is not None else None,
            rss_mb=memory_rss() / 1e6,
            uptime_s=time.time() - s.started_at,
            vectors=(
                VectorPass(live.vectors_todo, live.embedded)
                if live is not None and live.phase == "vectors"
                else None
            ),
            shares=self._shares(),
            coverage=self._coverage() if coverage else None,
        )

    def _shares(self) -> Shares:
        live, aside = self._live, self._aside
        running = [r.shares for r in (live, aside) if r is not None]
        since_start = sum(running, self.embedded.shares)
        return Shares(since_start, None if live is None else live.shares)

    def _coverage(self) -> Coverage | None:
        """The model in use's vectors over the whole index, read on the control threads' own
        connection: units lacking one are counted among files still due only, so it costs as
        much as the work left (engine.store.Store.vector_coverage)."""
        keeper = self._models
        if keeper is None or not self.db.exists():
            return None
        embedder = keeper.embedder
        try:
            store = self.reading.reader()
            model = store.find_model(embedder.key)
            if model is None:  # nothing embedded yet
                units = store.counts()["units"]
                return Coverage(embedder.name, units, units)
            found = store.vector_coverage(model)
        except SemfindError as exc:
            log.warning("cannot count the vectors for status: %s", exc)
            return None
        return Coverage(embedder.name, found.units, found.without)

    def _stream(self, send: Callable[[dict[str, Any]], bool]) -> None:
        self.events.serve(send, lambda: StatusEvent("status", self._status()))


def _log_embedded(what: str, reports: list[IndexReport]) -> None:
    """A batch's last log line, when it embedded anything: its rates and token shares."""
    embedded = Embedded()
    for report in reports:
        embedded.add(report)
    if embedded.units:
        log.info("%s: %s", what, embedded.line())


def _lower_priority() -> None:
    """Indexing runs at nice 10; searches do not. On Linux a nice value belongs to a thread
    and what it starts: this (indexing) thread, the extraction worker and the llama.cpp
    threads of its batches get 10, while the control threads, started before, answer
    searches at the daemon's own priority instead of waiting behind other programs' work.
    Elsewhere it lowers the whole process, as before."""
    with contextlib.suppress(AttributeError, OSError):
        os.nice(10)
