"""The daemon's warm searcher: searches from other processes, answered over the socket.

A CLI search then loads no model and reads no vectors: the daemon holds both. Queries are
embedded by the model files are indexed with, taking turns with the indexer a llama.cpp
batch at a time (engine.embed.llama), and a bulk scan cuts its embedding calls short so a
query does not wait long (indexer.indexing.GIVE_WAY_S).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence

import numpy as np

from semfind.engine.config import Settings
from semfind.engine.embed.base import Embedder
from semfind.engine.errors import DaemonError
from semfind.engine.models.registry import Registry
from semfind.engine.models.switch import active_name
from semfind.engine.session.engine import Engine
from semfind.indexer.daemon.model_switch import EmbedderKeeper
from semfind.indexer.daemon.protocol import SearchReply, SearchRequest, settings_key


class KeptEmbedder(Embedder):
    """The daemon's model in use, as a searcher's query embedder."""

    def __init__(self, keeper: EmbedderKeeper) -> None:
        super().__init__()
        model = keeper.embedder
        self.name, self.key, self.dim = model.name, model.key, model.dim
        self.n_ctx_train = model.n_ctx_train
        self._keeper = keeper

    def embed_batch(self, texts: Sequence[str]) -> tuple[np.ndarray, int]:
        return self._keeper.embed_search(texts, self.key)

    # spare_cores stays the base's no-op: the indexer's threads are not the searcher's.


class DaemonSearcher:
    """One warm Engine over the index, read-only beside the indexer's writer; made again
    when the daemon's embedding model changes. Searches run one at a time."""

    def __init__(self, settings: Settings, models: Callable[[], EmbedderKeeper]) -> None:
        self.settings = settings
        self._key = settings_key(settings)
        self._models = models
        self._lock = threading.Lock()
        self._engine: Engine | None = None

    def search(self, request: SearchRequest) -> SearchReply:
        if request.settings != self._key:
            raise DaemonError(
                "the daemon runs with other settings than this command (restart it to use "
                "the current config)"
            )
        keeper = self._models()
        self._check_model(keeper)
        with self._lock:
            searcher = self._engine_for(keeper).searcher()
            hits = searcher.search(
                request.query, request.k, request.mode, request.filters, request.expansion
            )
            keyword = request.mode == "keyword" or searcher.embedder is None
            name = None if keyword else searcher.embedder.name  # type: ignore[union-attr]
            note = "" if keyword else searcher.vectors_note()
            return SearchReply(tuple(hits), name, searcher.model is not None, note)

    def _check_model(self, keeper: EmbedderKeeper) -> None:
        """A search here embeds with the model a search in the asking process would load."""
        if keeper.pinned:
            return
        wanted = active_name(Registry())
        if wanted != keeper.embedder.name:
            raise DaemonError(f"the daemon has not yet switched its embedding model to {wanted}")

    def _engine_for(self, keeper: EmbedderKeeper) -> Engine:
        engine = self._engine
        if engine is not None and engine.embedder().key != keeper.embedder.key:
            engine.close()
            engine = None
        if engine is None:
            engine = Engine(self.settings, warm=True, open_embedder=lambda _: KeptEmbedder(keeper))
            self._engine = engine
        return engine

    def close(self) -> None:
        with self._lock:
            if self._engine is not None:
                self._engine.close()
            self._engine = None
