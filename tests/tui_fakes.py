"""Stand-ins for what the TUI is given: a daemon, an answerer, a slow index."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import functools
import threading
import time
from collections.abc import Callable, Coroutine, Generator, Iterator, Sequence
from typing import Any, cast

from textual.pilot import Pilot
from textual.worker import WorkerCancelled

from semfind.app.tui.llm_link import LLMLink
from semfind.app.tui.services import Found, IndexReader
from semfind.engine.ask.answer import AskEvent
from semfind.engine.ask.prompts import prompt
from semfind.engine.config import Settings
from semfind.engine.errors import DaemonNotRunningError
from semfind.engine.search.query import Expansion
from semfind.engine.search.searcher import Filters
from semfind.engine.session.engine import Engine
from semfind.indexer.daemon.protocol import (
    Backend,
    DaemonStatus,
    Event,
    Idle,
    PauseReply,
    Run,
    StatusEvent,
)

from .fakes import ScriptedLLM


def pilot_test(
    test: Callable[..., Coroutine[Any, Any, None]],
) -> Callable[..., None]:
    """Run an async pilot test on its own event loop (no asyncio plugin needed)."""

    @functools.wraps(test)
    def run(*args: Any, **kwargs: Any) -> None:
        asyncio.run(test(*args, **kwargs))

    return run


async def settle(pilot: Pilot[Any]) -> None:
    """Wait for the work key presses started (the daemon follower never completes)."""
    app = pilot.app
    for _ in range(3):  # the results of one worker may start another
        pending = [w for w in app.workers if w.group != "daemon" and not w.is_cancelled]
        if pending:
            with contextlib.suppress(WorkerCancelled):
                await app.workers.wait_for_complete(pending)
        await pilot.pause()


_IDLE = DaemonStatus(
    pid=4242,
    state="idle",
    paused_reason=None,
    on_battery=False,
    db="/home/ada/.local/share/semfind/index.sqlite3",
    watches=(),
    queue=0,
    current="",
    files_done=0,
    indexed=0,
    unchanged=0,
    removed=0,
    moved=0,
    failed=(),
    run=Run(0, 0, 0),
    eta_s=None,
    tokens_per_s=2675.0,
    units_per_s=80.0,
    backend=Backend("llama.cpp", "CPU", 2, 0, "llama.cpp on CPU, 2 threads", "fake-model"),
    switching=None,
    rss_mb=150.0,
    uptime_s=60.0,
)


def daemon_status(**overrides: Any) -> DaemonStatus:
    return dataclasses.replace(_IDLE, **overrides)


class FakeDaemon:
    """A daemon that is up or down on command and records what it was asked."""

    def __init__(self, running: bool = False, status: DaemonStatus | None = None) -> None:
        self.running = running
        self.current = status or daemon_status()
        self.indexed: list[list[str]] = []
        self.watch_changes: list[tuple[bool, list[str]]] = []
        self.paused: list[bool] = []
        self.started = threading.Event()

    def running_pid(self) -> int | None:
        return 4242 if self.running else None

    def status(self) -> DaemonStatus:
        if not self.running:
            raise DaemonNotRunningError("the semfind daemon is not running")
        return self.current

    def events(self, idle: float | None = None) -> Iterator[Event]:
        if not self.running:
            raise DaemonNotRunningError("the semfind daemon is not running")
        yield StatusEvent("status", self.current)
        while self.running:
            time.sleep(idle or 0.1)
            yield Idle()

    def start(self) -> int:
        self.running = True
        self.started.set()
        return 4242

    def pause(self, pause: bool) -> PauseReply:
        self.paused.append(pause)
        return PauseReply(pause, "asked" if pause else None)

    def index(self, paths: list[str]) -> list[str]:
        self.indexed.append(paths)
        return paths

    def change_watches(self, add: bool, paths: list[str]) -> tuple[list[str], bool]:
        self.watch_changes.append((add, paths))
        return paths, self.running


ANSWER = "Water ferns twice a week in summer [1]."
THOUGHT = "A passage about watering ferns and cacti in summer."


class RoleLLM(ScriptedLLM):
    """Answers questions with ANSWER and thinks about queries with THOUGHT."""

    def stream(
        self,
        messages: Sequence[dict[str, str]],
        max_tokens: int = 256,
        stop: Sequence[str] = (),
        start_by: float | None = None,
    ) -> Iterator[str]:
        thinking = messages[0]["content"] == prompt("think", "system")
        self.replies = [THOUGHT if thinking else ANSWER]
        return super().stream(messages, max_tokens, stop, start_by)


class FakeAnswerer(LLMLink):
    """The app's real LLMLink (engine Asker and Reasoner) over a scripted chat model; the
    test's Services builder hands it the index."""

    def __init__(self) -> None:
        self.llm = RoleLLM()
        # The fake embedder scores below a real model: every question gets its quotes.
        settings = Settings(ask_min_similarity=-1.0, ask_min_score=0.0)
        super().__init__(
            Engine(settings, open_llm=lambda s: self.llm), cast("IndexReader", None), "fake-llm"
        )
        self.questions: list[str] = []

    def available(self) -> bool:
        return True

    def ask(self, question: str, filters: Filters) -> Generator[AskEvent]:
        self.questions.append(question)
        return super().ask(question, filters)


class SlowFirstSearch:
    """Wraps an index so that the first search is slow: its results arrive last."""

    def __init__(self, inner: IndexReader, delay: float) -> None:
        self.inner, self.delay = inner, delay
        self.queries: list[str] = []

    def search(
        self, query: str, k: int, mode: str, filters: Filters, expansion: Expansion | None = None
    ) -> Found:
        self.queries.append(query)
        if len(self.queries) == 1:
            time.sleep(self.delay)
        return self.inner.search(query, k, mode, filters, expansion)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)
