"""An LLM that loads in a background thread while the question is searched.

Loading a GGUF is mostly single-threaded work (mapping the file, the vocabulary, the KV
cache), so on a laptop it overlaps with loading the embedder and searching instead of
waiting behind them. The first caller takes the model and owns it; a model nobody took
(the files held no answer) is closed here.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from semfind.engine.llm.base import ChatBackend


class PreloadedLLM:
    """Call it to get the model (waiting for the load to end); close() when done."""

    def __init__(self, open_llm: Callable[[], ChatBackend]) -> None:
        self._open = open_llm
        self._llm: ChatBackend | None = None
        self._error: Exception | None = None
        self._taken = False
        self._thread = threading.Thread(target=self._load, name="semfind-llm-load", daemon=True)
        self._thread.start()

    def _load(self) -> None:
        try:
            self._llm = self._open()
        except Exception as exc:  # raised again, in the caller's thread, when it asks
            self._error = exc

    def __call__(self) -> ChatBackend:
        self._thread.join()
        if self._error is not None:
            raise self._error
        assert self._llm is not None
        self._taken = True
        return self._llm

    def close(self) -> None:
        """Wait for the load, and close the model if no caller took it."""
        self._thread.join()
        if self._llm is not None and not self._taken:
            self._llm.close()
        self._llm = None
