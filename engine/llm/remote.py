"""A chat model on an OpenAI-compatible server (`llm_url`)."""

from __future__ import annotations

import hashlib
import time
from collections.abc import Iterator, Sequence
from typing import Any

from semfind.engine.config import Settings
from semfind.engine.errors import LLMTooSlowError
from semfind.engine.llm.base import ChatBackend, LLMStats, Message
from semfind.engine.runtime.server import server_for

REMOTE_CTX = 4096
"""Context assumed for a remote chat model (servers do not report theirs portably)."""


class RemoteChat(ChatBackend):
    """A chat model on an OpenAI-compatible server (`llm_url`)."""

    def __init__(self, settings: Settings) -> None:
        super().__init__()
        self.server = server_for(settings, settings.llm_url)
        self.model = settings.llm_model or self.server.first_model()
        self.name = self.model or "remote LLM"
        self.key = (
            "remote:" + hashlib.sha256(f"{self.server.base}|{self.model}".encode()).hexdigest()
        )
        self.n_ctx = REMOTE_CTX

    def describe(self) -> str:
        return f"{self.name} on {self.server.base}"

    def stream(
        self,
        messages: Sequence[Message],
        max_tokens: int = 256,
        stop: Sequence[str] = (),
        start_by: float | None = None,
    ) -> Iterator[str]:
        body: dict[str, Any] = {
            "model": self.model,
            "messages": list(messages),
            "max_tokens": max_tokens,
            "temperature": 0.0,
            "stream": True,
            "stream_options": {"include_usage": True},
        }
        if stop:
            body["stop"] = list(stop)
        start = time.perf_counter()
        first: float | None = None
        pieces, usage = 0, None
        try:
            for event in self.server.events("/chat/completions", body):
                if first is None and start_by is not None and time.perf_counter() >= start_by:
                    raise LLMTooSlowError(f"{self.name} had not begun its reply in the time given")
                usage = event.get("usage") or usage
                for choice in event.get("choices") or []:
                    piece = (choice.get("delta") or {}).get("content") or ""
                    if piece:
                        first = first or time.perf_counter()
                        pieces += 1
                        yield piece
        finally:  # also when the caller stops early: the pieces it got count
            self.stats = _remote_stats(usage, pieces, start, first)


def _remote_stats(usage: Any, pieces: int, start: float, first: float | None) -> LLMStats:
    """Timings seen from here: time to the first piece is prompt processing plus the round
    trip. Token counts come from the server's usage report, else one per streamed piece."""
    end = time.perf_counter()
    prompt_s = (first or end) - start
    if isinstance(usage, dict) and usage.get("completion_tokens") is not None:
        prompt = int(usage.get("prompt_tokens") or 0)
        return LLMStats(prompt, prompt_s, int(usage["completion_tokens"]), end - (first or end))
    return LLMStats(0, prompt_s, pieces, end - (first or end), estimated=True)
