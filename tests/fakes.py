"""A deterministic embedder for unit tests: hashed bag of words, so shared words mean similarity."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence

import numpy as np

from semfind.engine.embedder import Embedder


class FakeEmbedder(Embedder):
    def __init__(self, dim: int = 64, key: str = "fake-v1", n_ctx_train: int = 128) -> None:
        super().__init__()
        self.name = f"fake-{key}"
        self.key = key
        self.dim = dim
        self.n_ctx_train = n_ctx_train
        self.calls: list[list[str]] = []

    def count_tokens(self, text: str) -> int:
        return len(re.findall(r"\w+|[^\w\s]", text)) + 2

    def embed_batch(self, texts: Sequence[str]) -> tuple[np.ndarray, int]:
        self.calls.append(list(texts))
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for row, text in enumerate(texts):
            for word in re.findall(r"\w+", text.lower()):
                digest = hashlib.md5(word.encode()).digest()
                out[row, digest[0] % self.dim] += 1.0 if digest[1] % 2 else -1.0
            if not out[row].any():
                out[row, 0] = 1.0
        return out, sum(self.count_tokens(t) for t in texts)

    @property
    def embedded_texts(self) -> list[str]:
        return [text for call in self.calls for text in call]
