"""The daemon's answers to control requests: one handler per command of the protocol."""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

from semfind.engine.session.engine import Engine
from semfind.indexer.daemon.control import MAX_QUERY_TEXTS, error
from semfind.indexer.daemon.model_switch import EmbedderKeeper
from semfind.indexer.daemon.pausing import PausePolicy
from semfind.indexer.daemon.protocol import (
    Command,
    DaemonStatus,
    PauseReply,
    SearchReply,
    SearchRequest,
)
from semfind.indexer.daemon.work import WorkQueue

Request = dict[str, Any]
Reply = dict[str, Any]
Handler = Callable[[Request], Reply]
STREAMED: tuple[Command, ...] = ("subscribe",)
"""Served by the control server as a stream, not by a handler."""


class Commands:
    """The command table, keyed by the protocol's commands; any other is refused."""

    def __init__(
        self,
        engine: Engine,
        work: WorkQueue,
        pausing: PausePolicy,
        stopping: threading.Event,
        watches_changed: threading.Event,
        status: Callable[[], DaemonStatus],
        models: Callable[[], EmbedderKeeper],
        search: Callable[[SearchRequest], SearchReply] | None = None,
    ) -> None:
        self._engine, self._work, self._pausing = engine, work, pausing
        self._stopping, self._watches_changed = stopping, watches_changed
        self._status, self._models = status, models
        self.table: dict[Command, Handler] = {
            "status": lambda _: {"ok": True, "status": self._status().to_json()},
            "pause": partial(self._pause, True),
            "resume": partial(self._pause, False),
            "index": self._with_paths(self._queue_index),
            "watch_add": self._with_paths(partial(self._change_watch, True)),
            "watch_remove": self._with_paths(partial(self._change_watch, False)),
            "shutdown": self._shutdown,
            "embed": self._embed,
            "search": self._search,
        }
        self._searcher = search

    def handle(self, request: Request) -> Reply:
        cmd = request.get("cmd")
        handler = next((h for name, h in self.table.items() if name == cmd), None)
        if handler is None:
            return error(f"unknown command {cmd!r}; commands are: {', '.join(self.table)}")
        return handler(request)

    def _pause(self, pause: bool, request: Request) -> Reply:
        self._pausing.ask(pause)
        return PauseReply(self._pausing.held(), self._pausing.reason()).to_json()

    def _shutdown(self, request: Request) -> Reply:
        self._stopping.set()
        return {"ok": True}

    def _embed(self, request: Request) -> Reply:
        """Query vectors from the loaded model, so a search in a new process skips loading it."""
        texts = request.get("texts", [])
        if (
            not isinstance(texts, list)
            or len(texts) > MAX_QUERY_TEXTS
            or not all(isinstance(t, str) for t in texts)
        ):
            return error(f"embed takes a list of at most {MAX_QUERY_TEXTS} texts")
        embedder, vectors = self._models().embed_queries(texts)
        model = {
            "name": embedder.name,
            "key": embedder.key,
            "dim": embedder.dim,
            "n_ctx_train": embedder.n_ctx_train,
        }
        return {"ok": True, "model": model, "vectors": vectors.tolist()}

    def _search(self, request: Request) -> Reply:
        """A search run by the daemon's warm searcher (indexer.daemon.searching)."""
        if self._searcher is None:
            return error("this daemon does not search")
        return self._searcher(SearchRequest.from_json(request)).to_json()

    @staticmethod
    def _with_paths(handler: Callable[[list[str]], Reply]) -> Handler:
        def checked(request: Request) -> Reply:
            paths = request_paths(request)
            return error(paths) if isinstance(paths, str) else handler(paths)

        return checked

    def _queue_index(self, paths: list[str]) -> Reply:
        missing = [p for p in paths if not Path(p).exists()]
        if missing:
            return error(f"no such file or folder: {', '.join(missing)}")
        with self._engine.unlocked() as store:  # the writer lock is the indexing loop's
            store.add_pending(paths)
        self._work.put(paths)
        return {"ok": True, "queued": paths}

    def _change_watch(self, add: bool, paths: list[str]) -> Reply:
        with self._engine.unlocked() as store:
            if add:
                not_dirs = [p for p in paths if not Path(p).is_dir()]
                if not_dirs:
                    return error(f"not a folder: {', '.join(not_dirs)}")
                changed = [p for p in paths if store.add_watch(p)]
            else:
                changed = [p for p in paths if store.remove_watch(p)]
        self._watches_changed.set()
        return {"ok": True, "changed": changed}


def request_paths(request: Request) -> list[str] | str:
    """The request's absolute paths, normalised; or what is wrong with them."""
    raw = request.get("paths")
    if not isinstance(raw, list) or not raw or not all(isinstance(p, str) for p in raw):
        return "'paths' must be a non-empty list of absolute paths"
    if not all(os.path.isabs(p) for p in raw):
        return "'paths' must be absolute"
    return [os.path.normpath(p) for p in raw]
