"""Messages that workers send back to the UI thread."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from textual.message import Message
from textual.worker import Worker, WorkerState

from semfind.engine.errors import SemfindError

if TYPE_CHECKING:
    from textual.app import App
    from textual.widget import Widget

    from semfind.engine.ask.answer import Answer
    from semfind.engine.ask.extractive import Extract
    from semfind.engine.search.aggregate import Hit
    from semfind.engine.search.query import Expansion
    from semfind.indexer.daemon.protocol import DaemonStatus

    from .services import Failure, FolderCount, IndexSummary


@dataclass
class SearchDone(Message):
    """Results of search number `serial`; older serials are stale and dropped."""

    serial: int
    query: str
    hits: list[Hit]
    seconds: float
    error: str | None = None
    vectors_note: str = ""
    """How much of the index has vectors, while not all of it does."""
    route_note: str | None = None
    """Said once: the daemon stopped answering, so searches run here now."""


@dataclass
class ResultsPainted(Message):
    """New results are on screen: a good moment for housekeeping."""


@dataclass
class DaemonEvent(Message):
    """A status or progress event from the daemon, or `running=False` when it is down."""

    running: bool
    status: DaemonStatus | None = None


@dataclass
class IndexFacts(Message):
    """Counts, watched folders and failures read from the index."""

    summary: IndexSummary
    folders: list[FolderCount]
    failures: list[Failure]


@dataclass
class AnswerPiece(Message):
    """Streamed answer text for question `serial`; `done` closes it."""

    serial: int
    text: str
    done: bool = False
    error: str | None = None


@dataclass
class AnswerExtracted(Message):
    """The quoted answer to question `serial`, before any LLM runs."""

    serial: int
    extract: Extract
    llm_follows: bool


@dataclass
class AnswerDone(Message):
    """The checked answer to question `serial`."""

    serial: int
    answer: Answer


@dataclass
class ThoughtDone(Message):
    """What --think or --rewrite made of search `serial`'s query."""

    serial: int
    expansion: Expansion


def describe(exc: BaseException) -> str:
    """A one-line message for the user: ours as they are, anything else named and logged."""
    if isinstance(exc, SemfindError):
        return str(exc)
    logging.getLogger("semfind.tui").error("unexpected error", exc_info=exc)
    return f"unexpected {type(exc).__name__}: {exc}"


def report_worker_error(node: Widget | App[Any], event: Worker.StateChanged) -> None:
    """The one place a worker's error becomes a message (semfind's as it is, anything else
    "unexpected …" and logged). Workers that end in an error rather than a result leave it
    to this (exit_on_error=False); the app and each pane that runs such workers call it,
    since Textual does not bubble worker events."""
    if event.state == WorkerState.ERROR and event.worker.error is not None:
        node.notify(describe(event.worker.error), severity="error")
