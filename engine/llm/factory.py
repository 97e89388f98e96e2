"""Which chat LLM to open: a remote server, the registry's GGUF, or the built-in SmolLM2."""

from __future__ import annotations

from semfind.engine.config import Settings
from semfind.engine.errors import ModelNotFoundError
from semfind.engine.llm.base import ChatBackend
from semfind.engine.llm.llama import ChatModel
from semfind.engine.llm.remote import RemoteChat
from semfind.engine.models.default_llm import ensure_default_llm
from semfind.engine.models.registry import resolve_llm_path


def open_llm(settings: Settings) -> ChatBackend:
    """The chat LLM the settings ask for: a remote server when `llm_url` is set, else a
    GGUF in-process (the registry's choice, else the built-in SmolLM2)."""
    if settings.llm_url:
        return RemoteChat(settings)
    chosen = resolve_llm_path(settings)
    path = chosen or ensure_default_llm()
    if not path.is_file():
        raise ModelNotFoundError(f"LLM file {path} does not exist (see `semfind models list`)")
    model = ChatModel(path, n_threads=settings.n_threads, n_gpu_layers=settings.n_gpu_layers)
    model.builtin = chosen is None
    return model
