"""The in-process chat backend: a GGUF model (the default SmolLM2 or the user's own) held by
llama.cpp."""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from semfind.engine.errors import LLMTooSlowError, ModelError
from semfind.engine.llm.base import ChatBackend, LLMStats, Message
from semfind.engine.llm.system_prefix import SystemPrefix
from semfind.engine.runtime.llama import default_threads, plan_offload, quiet_llama_logs

LLM_CTX = 2048
"""Context asked of llama.cpp, capped at the model's trained context. Every prompt semfind
writes (quotes to restate, a query to reason about, a passage to segment) fits with room to
answer; a larger context only costs load time and memory for its KV cache."""


class ChatModel(ChatBackend):
    """A GGUF chat model held in memory by llama.cpp, offloaded to a GPU where one fits."""

    def __init__(self, path: Path, *, n_threads: int = 0, n_gpu_layers: int = -1) -> None:
        super().__init__()
        import llama_cpp

        from semfind.engine.models.checksums import cached_sha256
        from semfind.engine.models.gguf_info import read_gguf_info

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
        self,
        messages: Sequence[Message],
        max_tokens: int = 256,
        stop: Sequence[str] = (),
        start_by: float | None = None,
    ) -> Iterator[str]:
        import llama_cpp

        ctx = self._llm._ctx.ctx
        llama_cpp.llama_perf_context_reset(ctx)
        start = time.perf_counter()
        if start_by is not None and start >= start_by:
            raise LLMTooSlowError(f"{self.name} was not ready in the time given")
        first: float | None = None
        fresh = self._prefix.prime(messages)
        done = False
        self._set_deadline(ctx, start_by)
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
                    if first is None:
                        first = time.perf_counter()
                        self._set_deadline(ctx, None)
                    yield piece
            done = True
        except (ValueError, RuntimeError) as exc:
            if first is None and start_by is not None and time.perf_counter() >= start_by:
                raise LLMTooSlowError(
                    f"{self.name} had not begun its reply in the time given"
                ) from exc
            raise ModelError(f"{self.name} failed to generate: {exc}") from exc
        finally:  # also when the caller stops early (a looping draft): its tokens count too
            self._set_deadline(ctx, None)
            self.stats = _perf_stats(ctx, start, first)
        if done and fresh:
            self._prefix.store(messages)

    def _set_deadline(self, ctx: Any, start_by: float | None) -> None:
        """Make llama.cpp abandon its current decode once `start_by` has passed (it asks
        between graph nodes, so within milliseconds); None removes the check, which costs
        a call back into Python per node and so is kept off while the reply streams."""
        import llama_cpp

        if start_by is None:
            self._abort = llama_cpp.ggml_abort_callback()
        else:
            self._abort = llama_cpp.ggml_abort_callback(lambda _: time.perf_counter() >= start_by)
        llama_cpp.llama_set_abort_callback(ctx, self._abort, None)

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
