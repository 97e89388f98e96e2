"""The TUI's Answerer: the local LLM, loaded on first use, one generation at a time."""

from __future__ import annotations

import threading
from collections.abc import Callable, Generator
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from semfind.engine.ask.answer import AskEvent
    from semfind.engine.ask.thought_cache import ThoughtCache
    from semfind.engine.config import Settings
    from semfind.engine.llm.base import ChatBackend
    from semfind.engine.search.query import Expansion, Filters

    from .services import IndexReader


class LLMLink:
    """Answers and thoughts from the engine, over the app's warm index."""

    def __init__(
        self,
        settings: Settings,
        index: IndexReader,
        open_llm: Callable[[Settings], ChatBackend],
        name: str = "the local LLM",
    ) -> None:
        self.settings, self.index, self.name = settings, index, name
        self._open_llm = open_llm
        self._available: bool | None = None
        self._lock = threading.Lock()
        self._llm: ChatBackend | None = None
        self._cache: ThoughtCache | None = None

    def _ensure(self) -> ChatBackend:
        if self._llm is None:
            self._llm = self._open_llm(self.settings)
            self.name = self._llm.name
        return self._llm

    def available(self) -> bool:
        """Whether a chat model is installed or configured; found out once, without loading
        it (resolving models reads GGUF headers: not for the first paint)."""
        if self._available is None:
            name = llm_name(self.settings)
            self._available = name is not None
            self.name = name or self.name
        return self._available

    def ask(self, question: str, filters: Filters) -> Generator[AskEvent]:
        from semfind.engine.ask.answer import Asker

        with self._lock:
            # The LLM loads only once the quotes are out: they must not wait for it.
            asker = Asker(self._ensure, self.index.evidence, self.settings)
            yield from asker.ask(question, filters)

    def expand(self, kind: str, query: str) -> Expansion:
        from semfind.engine.ask.reasoning import Reasoner
        from semfind.engine.ask.thought_cache import ThoughtCache

        with self._lock:
            self._cache = self._cache or ThoughtCache()
            reasoner = Reasoner(self._ensure(), self.settings.think_budget_s, self._cache)
            return reasoner.expand(kind, query)

    def close(self) -> None:
        with self._lock:
            if self._llm is not None:
                self._llm.close()
            if self._cache is not None:
                self._cache.close()
            self._llm = self._cache = None


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
