"""Which model embeds a search's query: the running daemon's, when it is the one wanted."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from functools import partial
from typing import Any

import numpy as np

from semfind.engine.config import Settings
from semfind.engine.embed.base import Embedder
from semfind.engine.errors import DaemonError, ModelError, SemfindError

from .daemon_client import DaemonClient

EMBED_WAIT_S = 10.0
"""How long a query waits for the daemon's model, which may be busy with a batch."""


def query_embedder(
    settings: Settings,
    client: DaemonClient | None = None,
    open_local: Callable[[Settings], Embedder] | None = None,
) -> Embedder:
    """The daemon's loaded model over its socket, when it is the one these settings ask for
    (a new process then loads no model); else the model loaded here."""
    local: Callable[[], Embedder] = partial(open_local or _open_here, settings)
    if settings.embed_url:
        return local()
    client = client or DaemonClient(settings)
    if client.running_pid() is None:
        return local()
    try:
        model = client.ask({"cmd": "embed", "texts": []}, timeout=2.0)["model"]
    except (DaemonError, KeyError, TypeError):
        return local()
    if not isinstance(model, dict) or model.get("key") != _wanted_key(settings):
        return local()
    return DaemonEmbedder(client, model, local)


def _open_here(settings: Settings) -> Embedder:
    from semfind.engine.models.registry import open_embedder

    return open_embedder(settings)


def _wanted_key(settings: Settings) -> str | None:
    from semfind.engine.models.registry import resolve_embedder

    try:
        return resolve_embedder(settings).key
    except SemfindError:
        return None


class DaemonEmbedder(Embedder):
    """Query vectors from the daemon's model; the local one if the daemon goes away."""

    def __init__(
        self, client: DaemonClient, model: dict[str, Any], fallback: Callable[[], Embedder]
    ) -> None:
        super().__init__()
        self.name, self.key = str(model["name"]), str(model["key"])
        self.dim, self.n_ctx_train = int(model["dim"]), int(model["n_ctx_train"])
        self._client, self._fallback = client, fallback
        self.local: Embedder | None = None
        """Loaded only when the daemon stopped answering."""

    def embed_batch(self, texts: Sequence[str]) -> tuple[np.ndarray, int]:
        if self.local is None:
            try:
                return self._remote(texts)
            except DaemonError:
                self.local = self._open_same_model()
        return self.local.embed_batch(texts)

    def _open_same_model(self) -> Embedder:
        """The local model, which must be the one this searcher's vectors were made with."""
        local = self._fallback()
        if local.key != self.key:
            local.close()
            raise ModelError(
                f"the daemon stopped answering and the model configured here ({local.name}) "
                f"is not the one this search was using ({self.name}); search again"
            )
        return local

    def _remote(self, texts: Sequence[str]) -> tuple[np.ndarray, int]:
        reply = self._client.ask({"cmd": "embed", "texts": list(texts)}, timeout=EMBED_WAIT_S)
        model = reply.get("model")
        if not isinstance(model, dict) or model.get("key") != self.key:
            raise DaemonError("the daemon switched its embedding model")
        vectors = np.asarray(reply["vectors"], dtype=np.float32)
        if vectors.shape != (len(texts), self.dim):
            raise DaemonError(f"the daemon sent vectors of shape {vectors.shape}")
        return vectors, sum(self.count_tokens(t) for t in texts)

    def close(self) -> None:
        if self.local is not None:
            self.local.close()
