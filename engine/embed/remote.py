"""Embeddings from an OpenAI-compatible server (`embed_url`)."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import Any

import numpy as np

from semfind.engine.config import Settings
from semfind.engine.embed.base import BackendInfo, Embedder
from semfind.engine.errors import ModelError
from semfind.engine.runtime.server import server_for

REMOTE_EMBED_CTX = 512
CHARS_PER_TOKEN = 3
"""Conservative characters per token, to cut texts a server would reject as too long."""


class RemoteEmbedder(Embedder):
    """Embeddings from an OpenAI-compatible server (`embed_url`)."""

    def __init__(self, settings: Settings) -> None:
        super().__init__()
        self.server = server_for(settings, settings.embed_url)
        self.model = settings.embed_model or self.server.first_model()
        self.name = f"{self.model or 'remote'}@{self.server.base}"
        self.n_ctx_train = REMOTE_EMBED_CTX
        probe, _ = self.embed_batch(["semfind"])
        self.dim = int(probe.shape[1])
        identity = f"{self.server.base}|{self.model}|{self.dim}"
        self.key = "remote:" + hashlib.sha256(identity.encode()).hexdigest()

    def backend_info(self) -> BackendInfo:
        return BackendInfo(f"OpenAI-compatible server {self.server.base}", "remote", 0, 0)

    def embed_batch(self, texts: Sequence[str]) -> tuple[np.ndarray, int]:
        cut = [text[: self.n_ctx_train * CHARS_PER_TOKEN] or " " for text in texts]
        reply = self.server.post("/embeddings", {"model": self.model, "input": cut})
        rows = sorted(reply.get("data") or [], key=lambda row: int(row.get("index", 0)))
        if len(rows) != len(texts):
            raise ModelError(
                f"{self.server.base} returned {len(rows)} embeddings for {len(texts)} texts"
            )
        vectors = np.asarray([_pooled(row["embedding"]) for row in rows], dtype=np.float32)
        usage = reply.get("usage") or {}
        tokens = int(usage.get("prompt_tokens") or sum(self.count_tokens(t) for t in cut))
        return vectors, tokens


def _pooled(embedding: Any) -> list[float]:
    """A server without pooling returns one vector per token: average them."""
    if embedding and isinstance(embedding[0], list):
        return list(np.mean(np.asarray(embedding, dtype=np.float32), axis=0))
    return list(embedding)
