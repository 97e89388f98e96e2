"""The TUI's Answerer: the local LLM, loaded on first use, one generation at a time."""

from __future__ import annotations

import threading
from collections.abc import Generator
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from semfind.engine.ask.answer import AskEvent
    from semfind.engine.config import Settings
    from semfind.engine.llm.base import ChatBackend
    from semfind.engine.search.query import Expansion, Filters
    from semfind.engine.session.engine import Engine

    from .services import IndexReader


class LLMLink:
    """Answers and thoughts from the engine's LLM, over the app's warm index."""

    def __init__(self, engine: Engine, index: IndexReader, name: str = "the local LLM") -> None:
        self.engine, self.index, self.name = engine, index, name
        self.settings = engine.settings
        self._available: bool | None = None
        self._lock = threading.Lock()

    def _ensure(self) -> ChatBackend:
        llm = self.engine.llm()
        self.name = llm.name
        return llm

    def available(self) -> bool:
        """Whether a chat model is installed or configured; found out once, without loading
        it (resolving models reads GGUF headers: not for the first paint)."""
        if self._available is None:
            name = llm_name(self.settings)
            self._available = name is not None
            self.name = name or self.name
        return self._available

    def ask(self, question: str, filters: Filters) -> Generator[AskEvent]:
        with self._lock:
            # The LLM loads only once the quotes are out: they must not wait for it.
            asker = self.engine.asker(self.index.evidence, self._ensure)
            yield from asker.ask(question, filters)

    def expand(self, kind: str, query: str) -> Expansion:
        with self._lock:
            self._ensure()
            return self.engine.expand(kind, query)

    def close(self) -> None:
        with self._lock:
            self.engine.close_llm()


def llm_name(settings: Settings) -> str | None:
    """The chat model's name without loading it; None when none is installed or set."""
    from semfind.engine.errors import ModelError
    from semfind.engine.models.default_llm import default_llm_listed
    from semfind.engine.models.registry import resolve_llm_path

    if settings.llm_url:
        return settings.llm_model or settings.llm_url
    try:
        path = resolve_llm_path(settings) or default_llm_listed()
    except ModelError:
        return None
    return path.stem if path.is_file() else None
