"""A deterministic embedder for unit tests: hashed bag of words, so shared words mean similarity."""

from __future__ import annotations

import hashlib
import re
import time
from collections.abc import Iterator, Sequence

import numpy as np

from semfind.engine.embed.base import Embedder
from semfind.engine.errors import LLMTooSlowError
from semfind.engine.llm.base import ChatBackend, LLMStats


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


class ScriptedLLM(ChatBackend):
    """A chat model that replies from a script, one reply per call, and records prompts."""

    def __init__(self, *replies: str, n_ctx: int = 2048, delay: float = 0.0) -> None:
        super().__init__()
        self.name, self.key, self.n_ctx = "scripted-llm", "scripted-v1", n_ctx
        self.replies = list(replies)
        self.prompts: list[list[dict[str, str]]] = []
        self.delay = delay
        self.yielded: list[int] = []
        """Pieces each call yielded before it finished or was closed."""
        self.deadlines: list[float | None] = []
        """The `start_by` of each call."""

    def count_tokens(self, text: str) -> int:
        return len(re.findall(r"\w+|[^\w\s]", text))

    def stream(
        self,
        messages: Sequence[dict[str, str]],
        max_tokens: int = 256,
        stop: Sequence[str] = (),
        start_by: float | None = None,
    ) -> Iterator[str]:
        self.prompts.append(list(messages))
        self.deadlines.append(start_by)
        reply = self.replies.pop(0) if self.replies else ""
        self.yielded.append(0)
        for word in re.findall(r"\S+\s*", reply):
            time.sleep(self.delay)
            if not self.yielded[-1] and start_by is not None and time.perf_counter() >= start_by:
                raise LLMTooSlowError(f"{self.name} had not begun its reply in the time given")
            self.yielded[-1] += 1
            yield word
        self.stats = LLMStats(self.count_tokens(str(messages)), 0.01, len(reply.split()), 0.02)
