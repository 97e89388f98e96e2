"""The TUI's searches, answered by the running daemon's warm searcher when it can.

The daemon answers the same requests as for `semfind search` (search_cli.ask_daemon), so
this process then reads no vectors and loads no model. Evidence for the Ask tab, the index's
facts and any search the daemon does not answer go to the local index, whose searcher loads
only when first used.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Literal

from semfind.engine.search.query import Filters

from ..search_cli import DaemonAnswer, SearchLink, ask_daemon, search_request
from .services import Found, vectors_said

if TYPE_CHECKING:
    from semfind.engine.ask.evidence import Evidence
    from semfind.engine.config import Settings
    from semfind.engine.search.query import Expansion

    from .services import EngineIndex, Failure, FolderCount, IndexSummary

Route = Literal["daemon", "here", "missed"]
"""Where the last search was answered: by the daemon, here with no daemon running, or here
because the running daemon did not answer."""

WARM_QUERY = "warm up"


class DaemonFirstIndex:
    """The app's IndexReader: searches through the daemon, everything else local."""

    def __init__(self, local: EngineIndex, client: SearchLink, settings: Settings) -> None:
        self.local, self.client, self.settings = local, client, settings
        self._route: Route = "here"
        self._route_lock = threading.Lock()

    def search(
        self, query: str, k: int, mode: str, filters: Filters, expansion: Expansion | None = None
    ) -> Found:
        request = search_request(self.settings, query, k, mode, filters, expansion)
        answer = ask_daemon(self.client, request)
        said = self._routed(answer)
        reply = answer.reply if answer.reply is not None else self.local.reply(request)
        return Found(list(reply.hits), vectors_said(reply), said)

    def _routed(self, answer: DaemonAnswer) -> str | None:
        """Record where this search goes; what to say when it leaves the daemon."""
        route: Route = (
            "daemon" if answer.reply is not None else "here" if answer.pid is None else "missed"
        )
        with self._route_lock:
            before, self._route = self._route, route
        if route == "here" and before == "daemon":
            return "the daemon stopped: searching here"
        if route == "missed" and before != "missed":
            return f"searching here: the daemon did not answer ({answer.missed})"
        return None

    def warm(self) -> None:
        """Let the daemon open its searcher; load this process's only if it will not answer."""
        filters = Filters(units=self.settings.units)
        request = search_request(self.settings, WARM_QUERY, 1, "keyword", filters)
        if ask_daemon(self.client, request).reply is None:
            self.local.warm()

    @property
    def loaded(self) -> bool:
        """Whether this process loaded its own searcher (vectors and query model)."""
        return self.local.loaded

    def evidence(self, question: str, k: int, filters: Filters) -> Evidence:
        return self.local.evidence(question, k, filters)

    def summary(self) -> IndexSummary:
        return self.local.summary()

    def folders(self) -> list[FolderCount]:
        return self.local.folders()

    def failures(self) -> list[Failure]:
        return self.local.failures()

    def close(self) -> None:
        self.local.close()
