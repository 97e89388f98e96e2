"""OpenAI-compatible servers (llama.cpp server, Ollama, LM Studio) for chat and embeddings,
over the standard library's HTTP client: no extra dependency for a rarely used path."""

from __future__ import annotations

import hashlib
import json
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np

from .config import Settings
from .embedder import BackendInfo, Embedder
from .errors import ModelError
from .llm import ChatBackend, LLMStats, Message

REMOTE_CTX = 4096
"""Context assumed for a remote chat model (servers do not report theirs portably)."""
REMOTE_EMBED_CTX = 512
CHARS_PER_TOKEN = 3
"""Conservative characters per token, to cut texts a server would reject as too long."""


class Server:
    """One OpenAI-compatible endpoint: JSON requests and server-sent event streams."""

    def __init__(self, base_url: str, api_key: str = "", timeout: float = 120.0) -> None:
        self.base = base_url.rstrip("/")
        self.api_key, self.timeout = api_key, timeout

    def _request(self, path: str, body: dict[str, Any] | None) -> Any:
        data = json.dumps(body).encode() if body is not None else None
        headers = {"Content-Type": "application/json"}
        if self.api_key:
            headers["Authorization"] = f"Bearer {self.api_key}"
        request = urllib.request.Request(self.base + path, data=data, headers=headers)
        try:
            return urllib.request.urlopen(request, timeout=self.timeout)
        except urllib.error.HTTPError as exc:
            detail = exc.read(500).decode("utf-8", "replace").strip()
            raise ModelError(f"{self.base}{path} answered {exc.code}: {detail}") from exc
        except (urllib.error.URLError, OSError) as exc:
            reason = getattr(exc, "reason", exc)
            raise ModelError(f"cannot reach the model server {self.base}: {reason}") from exc

    def post(self, path: str, body: dict[str, Any]) -> Any:
        with self._request(path, body) as response:
            return _json(response.read(), self.base + path)

    def get(self, path: str) -> Any:
        with self._request(path, None) as response:
            return _json(response.read(), self.base + path)

    def events(self, path: str, body: dict[str, Any]) -> Iterator[dict[str, Any]]:
        """The `data:` objects of a server-sent event stream, until `[DONE]`."""
        with self._request(path, body) as response:
            for raw in response:
                line = raw.decode("utf-8", "replace").strip()
                if not line.startswith("data:"):
                    continue
                payload = line[5:].strip()
                if payload == "[DONE]":
                    return
                yield _json(payload.encode(), self.base + path)

    def first_model(self) -> str:
        """The id of the first model the server lists (llama.cpp serves one)."""
        listed = self.get("/models").get("data") or []
        return str(listed[0].get("id", "")) if listed else ""


def _json(data: bytes, where: str) -> Any:
    try:
        return json.loads(data)
    except ValueError as exc:
        raise ModelError(f"{where} did not answer JSON: {data[:200]!r}") from exc


def _server(settings: Settings, url: str) -> Server:
    return Server(url, settings.remote_api_key, settings.remote_timeout_s)


class RemoteChat(ChatBackend):
    """A chat model on an OpenAI-compatible server (`llm_url`)."""

    def __init__(self, settings: Settings) -> None:
        super().__init__()
        self.server = _server(settings, settings.llm_url)
        self.model = settings.llm_model or self.server.first_model()
        self.name = self.model or "remote LLM"
        self.key = (
            "remote:" + hashlib.sha256(f"{self.server.base}|{self.model}".encode()).hexdigest()
        )
        self.n_ctx = REMOTE_CTX

    def describe(self) -> str:
        return f"{self.name} on {self.server.base}"

    def stream(
        self, messages: Sequence[Message], max_tokens: int = 256, stop: Sequence[str] = ()
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
        for event in self.server.events("/chat/completions", body):
            usage = event.get("usage") or usage
            for choice in event.get("choices") or []:
                piece = (choice.get("delta") or {}).get("content") or ""
                if piece:
                    first = first or time.perf_counter()
                    pieces += 1
                    yield piece
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


class RemoteEmbedder(Embedder):
    """Embeddings from an OpenAI-compatible server (`embed_url`)."""

    def __init__(self, settings: Settings) -> None:
        super().__init__()
        self.server = _server(settings, settings.embed_url)
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
