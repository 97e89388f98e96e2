"""Embeddings from a GGUF model through llama-cpp-python, batched by token budget."""

from __future__ import annotations

import ctypes
import threading
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from semfind.engine.embed.base import BackendInfo, Embedder
from semfind.engine.errors import ModelError
from semfind.engine.runtime.llama import default_threads, plan_offload, quiet_llama_logs


class LlamaEmbedder(Embedder):
    """A GGUF embedding model held in memory by llama.cpp."""

    def __init__(
        self,
        path: Path,
        *,
        name: str,
        key: str,
        n_threads: int = 0,
        n_gpu_layers: int = -1,
        batch_tokens: int = 512,
        n_ctx_train: int = 512,
        n_layer: int | None = None,
    ) -> None:
        super().__init__()
        self.name, self.key, self.path = name, key, path
        self._threads = n_threads or default_threads()
        self.offload = plan_offload(n_gpu_layers, path.stat().st_size, n_layer)
        self._gpu_layers = self.offload.n_gpu_layers
        n_ctx = max(batch_tokens, n_ctx_train)
        self._llm = _load(path, self._threads, self._gpu_layers, n_ctx)
        self.dim = int(self._llm.n_embd())
        self.n_ctx_train = n_ctx_train
        self._batch_tokens = batch_tokens
        """Tokens per llama.cpp batch: short texts share one, a longer text goes alone."""
        self._max_seqs = int(self._llm.context_params.n_seq_max)
        self._closed = False
        self._decoding = threading.Lock()
        """One llama.cpp context: the daemon's indexer and a query from a search take turns,
        a batch at a time."""

    def backend_info(self) -> BackendInfo:
        device = "GPU" if self._gpu_layers != 0 else "CPU"
        return BackendInfo("llama.cpp", device, self._threads, self._gpu_layers)

    def spare_cores(self, count: int) -> None:
        if self._gpu_layers != 0:
            return
        import llama_cpp

        threads = max(1, self._threads - count)
        llama_cpp.llama_set_n_threads(self._llm._ctx.ctx, threads, threads)

    def tokenize(self, text: str) -> list[int]:
        # Cap the characters first: tokenizing a 50 MB string only to truncate it is waste.
        raw = text[: self.n_ctx_train * 24].encode("utf-8", "replace")
        tokens: list[int] = self._llm.tokenize(raw, add_bos=True)
        return tokens

    def count_tokens(self, text: str) -> int:
        return len(self.tokenize(text))

    def _fit(self, text: str) -> list[int]:
        """Tokens of `text`, truncated to the trained context but keeping the final [SEP]."""
        tokens = self.tokenize(text)
        if len(tokens) > self.n_ctx_train:
            tokens = [*tokens[: self.n_ctx_train - 1], tokens[-1]]
        return tokens

    def embed_batch(self, texts: Sequence[str]) -> tuple[np.ndarray, int]:
        vectors, counts = self.embed_counted(texts)
        return vectors, sum(counts)

    def embed_counted(self, texts: Sequence[str]) -> tuple[np.ndarray, list[int]]:
        token_lists = [self._fit(text) for text in texts]
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for group in self._groups(token_lists):
            self._decode(group, token_lists, out)
        return out, [len(tokens) for tokens in token_lists]

    def _groups(self, token_lists: list[list[int]]) -> Iterator[list[int]]:
        """Indices grouped so each group fits one llama.cpp batch; similar lengths together."""
        order = sorted(range(len(token_lists)), key=lambda i: len(token_lists[i]))
        group: list[int] = []
        used = 0
        for i in order:
            size = len(token_lists[i])
            if group and (used + size > self._batch_tokens or len(group) >= self._max_seqs):
                yield group
                group, used = [], 0
            group.append(i)
            used += size
        if group:
            yield group

    def _decode(self, group: list[int], token_lists: list[list[int]], out: np.ndarray) -> None:
        with self._decoding:
            if self._closed:
                raise ModelError(f"{self.name} was closed while a text was being embedded")
            self._decode_locked(group, token_lists, out)

    def _decode_locked(
        self, group: list[int], token_lists: list[list[int]], out: np.ndarray
    ) -> None:
        import llama_cpp

        ctx, batch = self._llm._ctx, self._llm._batch
        ctx.kv_cache_clear()
        batch.reset()
        for seq, index in enumerate(group):
            batch.add_sequence(token_lists[index], seq, True)
        try:
            ctx.decode(batch)
        except RuntimeError as exc:
            raise ModelError(f"llama.cpp failed to embed a batch: {exc}") from exc
        finally:
            batch.reset()
        for seq, index in enumerate(group):
            ptr = llama_cpp.llama_get_embeddings_seq(ctx.ctx, seq)
            if not ptr:
                raise ModelError(f"{self.name}: llama.cpp returned no pooled embedding")
            out[index] = np.ctypeslib.as_array(
                ctypes.cast(ptr, ctypes.POINTER(ctypes.c_float)), shape=(self.dim,)
            )

    def close(self) -> None:
        with self._decoding:
            if not self._closed:
                self._closed = True
                self._llm.close()


def _load(path: Path, threads: int, gpu_layers: int, n_ctx: int) -> Any:
    import llama_cpp

    quiet_llama_logs()
    try:
        return llama_cpp.Llama(
            model_path=str(path),
            embedding=True,
            n_ctx=n_ctx,
            n_batch=n_ctx,
            n_ubatch=n_ctx,
            n_threads=threads,
            n_threads_batch=threads,
            n_gpu_layers=gpu_layers,
            flash_attn=True,
            verbose=False,
        )
    except (ValueError, RuntimeError, OSError) as exc:
        raise ModelError(f"llama.cpp could not load {path}: {exc}") from exc
