"""The home screen: a query bar, filters, results and a preview of the evidence."""

from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING, ClassVar

from rich.text import Text
from textual import on, work
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.markup import escape
from textual.message import Message
from textual.widgets import Input, OptionList, Select, Static
from textual.widgets.option_list import Option
from textual.worker import get_current_worker

from semfind.engine.errors import SemfindError
from semfind.engine.search.query import MODES, NO_CLOSE_MATCH, Filters, any_close, path_scope

from ..since import parse_since
from .highlight import SCROLLBAR, PassageView, hanging, one_line, preview_text, with_terms
from .messages import ResultsPainted, SearchDone, ThoughtDone, describe
from .rows import FittedList

if TYPE_CHECKING:
    from textual.app import ComposeResult
    from textual.timer import Timer

    from semfind.engine.config import Units
    from semfind.engine.search.aggregate import Hit
    from semfind.engine.search.query import Expansion

    from .services import Answerer, IndexReader

DEBOUNCE_S = 0.15
RESULTS = 20
KINDS = ("markdown", "text", "code", "pdf", "html", "rst")
SINCE = (("any time", ""), ("last 24 hours", "1d"), ("last 7 days", "7d"),
         ("last 30 days", "30d"), ("last year", "1y"))  # fmt: skip
REASONING = ("think", "rewrite")
THINK_SETTLE_S = 0.4
"""Pause after the plain results before asking the LLM, so typing does not queue thoughts."""
NO_REASONING = "think and rewrite need a chat model: see the Ask tab"
ROUTE_NOTE_S = 6.0


class ResultList(FittedList):
    """Results, two lines each; Enter opens, y copies the location, c the text."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("y", "copy('location')", "Copy path"),
        Binding("c", "copy('snippet')", "Copy text"),
    ]

    def action_copy(self, what: str) -> None:
        self.post_message(CopyRequest(what))


class CopyRequest(Message):
    """Copy the highlighted result's location or text."""

    def __init__(self, what: str) -> None:
        super().__init__()
        self.what = what


class OpenRequest(Message):
    """Open a result in the editor (handled by the app, which can suspend itself)."""

    def __init__(self, hit: Hit) -> None:
        super().__init__()
        self.hit = hit


class SearchPane(Vertical):
    """Searches as you type: at most one search per DEBOUNCE_S, the last keystroke always."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("down", "focus_results", "Results", show=False),
    ]

    def __init__(
        self,
        index: IndexReader,
        units: Units,
        mode: str = "hybrid",
        answerer: Answerer | None = None,
    ) -> None:
        super().__init__(id="search-pane")
        self.index, self.units, self.answerer = index, units, answerer
        self.expansion: Expansion | None = None
        self.mode = mode
        self.hits: list[Hit] = []
        self.query_text = ""
        self._serial = 0
        self._last_start = 0.0
        self._timer: Timer | None = None
        self.last_seconds = 0.0
        self.painted_at = 0.0
        """perf_counter() when the latest results were on screen (read by bench/tui.py)."""

    def compose(self) -> ComposeResult:
        yield Input(placeholder="Search your files by meaning or words…", id="query")
        with Horizontal(id="filters"):
            yield Input(placeholder="folder or glob", id="folder", compact=True)
            yield Select([(k, k) for k in KINDS], prompt="any type", id="kind", compact=True)
            yield Select(SINCE[1:], prompt=SINCE[0][0], id="since", compact=True)
            yield Select([(m, m) for m in MODES], value=self.mode, allow_blank=False,
                         id="mode", compact=True)  # fmt: skip
            yield Select([(r, r) for r in REASONING], prompt="plain query", id="reason",
                         compact=True)  # fmt: skip
        yield Static("", id="thought")
        weak = Static(Text(NO_CLOSE_MATCH, style="yellow"), id="weak")
        weak.display = False
        yield weak
        coverage = Static("", id="coverage", markup=False)
        coverage.display = False
        yield coverage
        with Horizontal(id="results-area"):
            yield ResultList(id="results")
            with VerticalScroll(id="preview"):
                yield PassageView(_HINT, id="preview-body")

    # -- searching ------------------------------------------------------------

    @on(Input.Changed, "#query, #folder")
    @on(Select.Changed)
    def schedule(self) -> None:
        """Search now if the last search began long enough ago, else when it has."""
        if self._timer is not None:
            return
        wait = DEBOUNCE_S - (time.monotonic() - self._last_start)
        if wait <= 0:
            self.run_search()
        else:
            self._timer = self.set_timer(wait, self._fire)

    def _fire(self) -> None:
        self._timer = None
        self.run_search()

    def run_search(self) -> None:
        query = self.query_one("#query", Input).value.strip()
        self._serial += 1
        self._last_start = time.monotonic()
        if not query:
            self._show([], "")
            self._coverage("")
            return
        try:
            filters = self.filters()
        except SemfindError as exc:  # said under the filters: a toast per keystroke would pile up
            self._note(Text(str(exc), style="red"))
            return
        self.mode = str(self.query_one("#mode", Select).value)
        reason = self.reasoning()
        if reason and self.answerer is None:
            self.notify(NO_REASONING, severity="warning")
            reason = None
        self._thought(Text(f"{reason}ing with the LLM…", style="dim") if reason else None)
        self._search(self._serial, query, self.mode, filters, reason)

    def reasoning(self) -> str | None:
        value = self.query_one("#reason", Select).value
        return str(value) if isinstance(value, str) else None

    def _note(self, text: Text | None) -> None:
        """The line under the results: a weak match, or a filter that cannot be read."""
        line = self.query_one("#weak", Static)
        line.display = text is not None
        line.update(text or "")

    def _thought(self, text: Text | None) -> None:
        line = self.query_one("#thought", Static)
        line.display = text is not None
        line.update(text or "")

    def filters(self) -> Filters:
        folder = self.query_one("#folder", Input).value.strip()
        kind = self.query_one("#kind", Select).value
        since = self.query_one("#since", Select).value
        return Filters(
            path_glob=path_scope(folder) if folder else None,
            types=(str(kind),) if isinstance(kind, str) else (),
            units=self.units,
            modified_since=parse_since(since) if isinstance(since, str) else None,
        )

    @work(thread=True, exclusive=True, group="search")
    def _search(
        self, serial: int, query: str, mode: str, filters: Filters, reason: str | None
    ) -> None:
        worker = get_current_worker()
        if worker.is_cancelled:
            return
        started = time.perf_counter()
        done = self._found(serial, query, mode, filters, None, started)
        self.post_message(done)
        if reason is None or done.error is not None or self.answerer is None:
            return
        time.sleep(THINK_SETTLE_S)  # typing on: this query is likely not the last
        if worker.is_cancelled:
            return
        try:
            expansion = self.answerer.expand(reason, query)
        except Exception as exc:
            seconds = time.perf_counter() - started
            self.post_message(SearchDone(serial, query, [], seconds, describe(exc)))
            return
        if worker.is_cancelled:
            return
        self.post_message(ThoughtDone(serial, expansion))
        self.post_message(self._found(serial, query, mode, filters, expansion, started))

    def _found(
        self,
        serial: int,
        query: str,
        mode: str,
        filters: Filters,
        expansion: Expansion | None,
        started: float,
    ) -> SearchDone:
        """One search, as the message that shows it (run in the search worker)."""
        try:
            found = self.index.search(query, RESULTS, mode, filters, expansion)
        except Exception as exc:
            return SearchDone(serial, query, [], time.perf_counter() - started, describe(exc))
        seconds = time.perf_counter() - started
        return SearchDone(
            serial, query, found.hits, seconds, None, found.vectors_note, found.route_note
        )

    @on(ThoughtDone)
    def _thought_done(self, message: ThoughtDone) -> None:
        if message.serial != self._serial:
            return
        self.expansion = message.expansion
        style = "italic" if message.expansion.used else "yellow"
        self._thought(Text(message.expansion.describe(), style=style))

    @on(SearchDone)
    def _done(self, message: SearchDone) -> None:
        if message.route_note:  # said once, even when these results are stale
            self.notify(message.route_note, timeout=ROUTE_NOTE_S)
        if message.serial != self._serial:
            return  # a newer search is on its way
        self.last_seconds = message.seconds
        self.call_after_refresh(self._painted)
        with self.app.batch_update():  # one frame for the list and the preview
            if message.error:
                self.query_one("#preview-body", PassageView).show(message.error)
                self._show([], message.query, keep_preview=True)
                self._coverage("")
            else:
                self._show(message.hits, message.query)
                self._coverage(message.vectors_note)

    def _coverage(self, note: str) -> None:
        """The line above the results while some of the index has no vectors yet."""
        line = self.query_one("#coverage", Static)
        line.display = bool(note)
        line.update(note)

    def _painted(self) -> None:
        self.painted_at = time.perf_counter()
        self.post_message(ResultsPainted())

    def _show(self, hits: list[Hit], query: str, keep_preview: bool = False) -> None:
        self.hits, self.query_text = hits, query
        results = self.query_one(ResultList)
        results.fill(lambda width: [_option(n, h, query, width) for n, h in enumerate(hits, 1)])
        self._note(Text(NO_CLOSE_MATCH, style="yellow") if any_close(hits) is False else None)
        if hits:
            self._preview(hits[0])
        elif not keep_preview:
            self._title("", "")
            body = "No files match." if query else _HINT
            self.query_one("#preview-body", PassageView).show(body)

    # -- the selected result ----------------------------------------------------

    @on(OptionList.OptionHighlighted, "#results")
    def _highlighted(self, message: OptionList.OptionHighlighted) -> None:
        if 0 <= message.option_index < len(self.hits):
            self._preview(self.hits[message.option_index])

    def _preview(self, hit: Hit) -> None:
        where = f"page {hit.page}, " if hit.page is not None else ""
        lines = f"lines {hit.passage.line_start}-{hit.passage.line_end}"
        if hit.place is not None:
            where, lines = "", escape(hit.place.strip())
        name = hit.title or Path(hit.path).name
        self._title(f"[b]{escape(name)}[/b]  {where}{lines}", escape(hit.path))
        body = self.query_one("#preview-body", PassageView)
        body.show(preview_text(hit, self.query_text), hit, self.query_text)

    def _title(self, title: str, path: str) -> None:
        """On the preview's border, so the passage has every row and scrolls under them."""
        preview = self.query_one("#preview")
        preview.border_title = title
        preview.border_subtitle = path

    @on(OptionList.OptionSelected, "#results")
    def _selected(self, message: OptionList.OptionSelected) -> None:
        if 0 <= message.option_index < len(self.hits):
            self.post_message(OpenRequest(self.hits[message.option_index]))

    @on(CopyRequest)
    def _copy(self, message: CopyRequest) -> None:
        hit = self.selected
        if hit is None:
            return
        text = hit.location if message.what == "location" else hit.text
        self.app.copy_to_clipboard(text)
        self.notify(f"copied {one_line(text, 60)}", timeout=2)

    def action_focus_results(self) -> None:
        if self.hits:
            self.query_one(ResultList).focus()

    @on(Input.Submitted, "#query")
    def _open_highlighted(self) -> None:
        hit = self.selected
        if hit is not None:
            self.post_message(OpenRequest(hit))

    @property
    def selected(self) -> Hit | None:
        index = self.query_one(ResultList).highlighted
        return self.hits[index] if index is not None and index < len(self.hits) else None


_HINT = (
    "Type to search. ↓ moves to the results, Enter opens one in your editor, "
    "y copies its location, c its text."
)


def _option(rank: int, hit: Hit, query: str, width: int) -> Option:
    """Two lines: file, place, folder and score; then the matching text, cut to fit."""
    path = Path(hit.path)
    where = f" p{hit.page}:{hit.best.line_start}" if hit.page else f":{hit.best.line_start}"
    where = hit.place or where
    score = f"{hit.score:.2f}"
    fixed = 4 + len(path.name) + len(where) + 4 + len(score) + SCROLLBAR
    head = Content.assemble(
        (f"{rank:>2}. ", "dim"),
        (path.name, "bold"),
        (where, "dim"),
        "  ",
        (_short_folder(path.parent, max(8, width - fixed)), "italic dim"),
        "  ",
        (score, "dim"),
    )
    return Option(hanging(head, with_terms(one_line(hit.text), query), width))


def _short_folder(folder: Path, limit: int = 40) -> str:
    home = Path.home()
    text = str(folder)
    if folder == home or home in folder.parents:
        text = "~/" + str(folder.relative_to(home))
    limit = min(limit, 40)
    return text if len(text) <= limit else "…" + text[-(limit - 1) :]
