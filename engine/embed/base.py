"""The embedder interface: backends implement `embed_batch`, the base does the rest."""

from __future__ import annotations

import time
from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np


@dataclass
class EmbedStats:
    """Running totals used to report throughput."""

    texts: int = 0
    tokens: int = 0
    seconds: float = 0.0


@dataclass(frozen=True)
class BackendInfo:
    """Where and how embeddings are computed, for reports."""

    backend: str
    device: str
    threads: int
    n_gpu_layers: int

    def describe(self) -> str:
        return (
            f"{self.backend} on {self.device}, {self.threads} "
            f"thread{'' if self.threads == 1 else 's'}, "
            f"n_gpu_layers={self.n_gpu_layers}"
        )


class Embedder(ABC):
    """Turns texts into L2-normalised float32 vectors of size `dim`."""

    name: str
    """Human name of the model."""
    key: str
    """Identity of the weights (a checksum): vectors are stored per key."""
    dim: int
    n_ctx_train: int

    def __init__(self) -> None:
        self.stats = EmbedStats()

    @abstractmethod
    def embed_batch(self, texts: Sequence[str]) -> tuple[np.ndarray, int]:
        """Embed `texts`; return the (n, dim) vectors and the number of tokens processed."""

    def count_tokens(self, text: str) -> int:
        """Tokens the model would see for `text`; backends with a tokenizer override this."""
        return max(1, len(text) // 4)

    def embed_counted(self, texts: Sequence[str]) -> tuple[np.ndarray, list[int]]:
        """As `embed_batch`, with the tokens of each text instead of their sum; backends that
        know them from embedding override this, the default counts them again."""
        vectors, _ = self.embed_batch(texts)
        return vectors, [self.count_tokens(text) for text in texts]

    def backend_info(self) -> BackendInfo:
        return BackendInfo(backend=type(self).__name__, device="CPU", threads=1, n_gpu_layers=0)

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """Embed and account for throughput; returns normalised vectors."""
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        start = time.perf_counter()
        vectors, tokens = self.embed_batch(texts)
        self._account(len(texts), tokens, start)
        return normalise(np.asarray(vectors, dtype=np.float32))

    def embed_pooled(self, texts: Sequence[str]) -> tuple[np.ndarray, list[int]]:
        """Embed and account for throughput; returns the pooled vectors as the model gives
        them (not normalised, so they can be composed) and each text's tokens."""
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32), []
        start = time.perf_counter()
        vectors, counts = self.embed_counted(texts)
        self._account(len(texts), sum(counts), start)
        return np.asarray(vectors, dtype=np.float32), counts

    def _account(self, texts: int, tokens: int, start: float) -> None:
        self.stats.seconds += time.perf_counter() - start
        self.stats.texts += texts
        self.stats.tokens += tokens

    def embed_one(self, text: str) -> np.ndarray:
        result: np.ndarray = self.embed([text])[0]
        return result

    def spare_cores(self, count: int) -> None:  # noqa: B027 - optional hook
        """Compute on `count` fewer CPU threads, so other work (a search's keyword leg) runs
        beside the embedding instead of fighting it. Backends without threads ignore it."""

    def close(self) -> None:  # noqa: B027 - optional hook, most backends hold nothing
        """Release the model; the default holds nothing."""


def normalise(vectors: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    result: np.ndarray = vectors / norms
    return result
