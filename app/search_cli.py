"""`semfind search`: answered by the running daemon's warm searcher, else searched here.

Through the daemon, this process loads no model and reads no vectors; the engine's store,
searcher and numpy are imported only when the search runs here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from rich.console import Console
from rich.markup import escape

from semfind.engine.errors import DaemonError, UsageError
from semfind.engine.search.query import MODES
from semfind.indexer.daemon.protocol import SearchReply, SearchRequest, settings_key

from .daemon_client import DaemonClient

if TYPE_CHECKING:
    from semfind.engine.config import Settings
    from semfind.engine.embed.base import Embedder
    from semfind.engine.search.query import Expansion, Filters
    from semfind.engine.search.searcher import Searcher


@dataclass(frozen=True)
class Searched:
    """A search's answer and where it was run."""

    reply: SearchReply
    embedded_by: str | None
    """Who embedded the query, for -v; None in keyword mode."""


class SearchLink(Protocol):
    """What a search needs of the daemon client (app.daemon_client.DaemonClient)."""

    def running_pid(self) -> int | None: ...
    def search(self, request: SearchRequest, timeout: float | None = None) -> SearchReply: ...


def search_request(
    settings: Settings,
    query: str,
    k: int,
    mode: str,
    filters: Filters,
    expansion: Expansion | None = None,
) -> SearchRequest:
    """A search as the daemon takes it, keyed to the settings of the process asking."""
    wanted = next((m for m in MODES if m == mode), None)
    if wanted is None:
        raise UsageError(f"unknown mode {mode!r}: choose one of {', '.join(MODES)}")
    return SearchRequest(query, k, wanted, filters, expansion, settings_key(settings))


@dataclass(frozen=True)
class DaemonAnswer:
    """What the running daemon made of a search: its reply, or why it gave none. The one
    "through the daemon, else here" decision, shared by the CLI and the TUI."""

    pid: int | None
    """None when no daemon runs for this index: the search is run here, as it always was."""
    reply: SearchReply | None = None
    missed: str | None = None
    """Why the running daemon did not answer (down since, busy, other settings)."""


def ask_daemon(client: SearchLink, request: SearchRequest) -> DaemonAnswer:
    """The daemon's answer when it runs and answers (with these settings); the search is
    then run here when `reply` is None."""
    pid = client.running_pid()
    if pid is None:
        return DaemonAnswer(None)
    try:
        return DaemonAnswer(pid, client.search(request))
    except DaemonError as exc:
        return DaemonAnswer(pid, missed=str(exc))


def run_search(settings: Settings, request: SearchRequest, err: Console, verbose: bool) -> Searched:
    """Through the daemon when it runs (and runs with these settings); here otherwise, or
    when it stops answering (said with -v)."""
    answer = ask_daemon(DaemonClient(settings), request)
    if answer.reply is not None:
        if verbose:
            err.print(f"[dim]searched by the running daemon (pid {answer.pid})[/]")
        embedder = answer.reply.embedder
        by = None if embedder is None else f"the running daemon ({embedder})"
        return Searched(answer.reply, by)
    if verbose and answer.missed is not None:
        err.print(f"[dim]searched here: the daemon did not: {escape(answer.missed)}[/]")
    return search_here(settings, request)


def search_here(settings: Settings, request: SearchRequest) -> Searched:
    """Today's path: the index opened in this process (the query embedded by the daemon's
    model when one runs, see query_embedder)."""
    from semfind.engine.session.engine import Engine

    from .query_embedder import query_embedder

    keyword = request.mode == "keyword"
    with Engine(settings, embed_queries=not keyword, open_embedder=query_embedder) as engine:
        searcher = engine.searcher()
        reply = reply_here(searcher, request)
        embedder = searcher.embedder
        by = None if embedder is None else _embedded_by(embedder)
        return Searched(reply, by)


def reply_here(searcher: Searcher, request: SearchRequest) -> SearchReply:
    """The reply the daemon would send, from a searcher in this process."""
    hits = searcher.search(
        request.query, request.k, request.mode, request.filters, request.expansion
    )
    embedder = searcher.embedder
    name = None if embedder is None else embedder.name
    note = "" if request.mode == "keyword" else searcher.vectors_note()
    return SearchReply(tuple(hits), name, searcher.model is not None, note)


def _embedded_by(embedder: Embedder) -> str:
    from .query_embedder import DaemonEmbedder

    if isinstance(embedder, DaemonEmbedder) and embedder.local is None:
        return f"the running daemon ({embedder.name})"
    return f"{embedder.name}, loaded here"


def expand(settings: Settings, kind: str, query: str, err: Console, verbose: bool) -> Expansion:
    """Run --think or --rewrite here, before the search (wherever it runs); the thought goes
    to stderr, so --json output stays clean."""
    from semfind.engine.session.engine import Engine

    with Engine(settings) as engine:  # opens only the LLM and the thought cache
        expansion = engine.expand(kind, query)
    if not expansion.used:
        err.print(f"[yellow]warning:[/] {escape(expansion.describe())}", soft_wrap=True)
    elif verbose:
        err.print(f"[dim]{escape(expansion.describe())}[/]", soft_wrap=True)
    return expansion


def say_how(searched: Searched, err: Console, verbose: bool) -> None:
    """The warning when the model has no vectors yet (or not for all units), and with -v
    who embedded the query."""
    reply = searched.reply
    if reply.embedder is not None and not reply.has_vectors:
        err.print(
            f"[yellow]warning:[/] nothing is embedded with {reply.embedder} yet; run "
            "`semfind index` to build its vectors (until then only keywords match)"
        )
    if reply.vectors_note:
        err.print(f"[yellow]{escape(reply.vectors_note)}[/]", soft_wrap=True)
    if verbose and searched.embedded_by is not None:
        err.print(f"[dim]query embedded by {searched.embedded_by}[/]")
