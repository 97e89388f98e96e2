"""The semfind terminal app: search, ask, index and models, with a live status bar."""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from functools import partial
from importlib import resources
from typing import TYPE_CHECKING, Any, ClassVar

from textual import events, on, work
from textual.app import App, ComposeResult, SuspendNotSupported, SystemCommand
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import ModalScreen, Screen
from textual.widgets import Footer, Input, Markdown, Select, TabbedContent, TabPane
from textual.worker import Worker, get_current_worker

from semfind.engine.errors import SemfindError
from semfind.engine.search.query import MODES
from semfind.indexer.daemon.protocol import DaemonStatus, StatusEvent, Stopped

from .ask_pane import AskPane
from .idle_gc import IdleCollector
from .index_pane import DaemonStarted, IndexPane, WatchesChanged
from .messages import DaemonEvent, IndexFacts, ResultsPainted, describe, report_worker_error
from .models_pane import ModelsPane
from .opener import opener_for
from .search_pane import OpenRequest, SearchPane
from .services import IndexSummary
from .status_bar import StatusBar, index_problem

if TYPE_CHECKING:
    from collections.abc import Iterable

    from textual.notifications import SeverityLevel

    from .services import Services

_TABS = (
    ("Search", "Search your files (F2)", "search"),
    ("Ask", "Ask a question of your files (F3)", "ask"),
    ("Index", "Indexed and watched folders, failed files (F4)", "index"),
    ("Models", "Embedding model and LLM (F5)", "models"),
)
_FOCUS = {"search": "#query", "ask": "#question", "index": "#folders", "models": "#model-table"}
FACTS_EVERY_S = 2.0
DAEMON_RETRY_S = 2.0
GC_TICK_S = 0.25


def _asset(name: str) -> str:
    return resources.files("semfind.assets").joinpath(name).read_text(encoding="utf-8")


class HelpScreen(ModalScreen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape,q,question_mark", "dismiss", "Close")]

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="help") as scroll:
            scroll.border_subtitle = "↑↓ PgUp PgDn scroll · Esc closes"
            yield Markdown(_asset("help.md"))

    def on_mount(self) -> None:
        self.query_one("#help").focus()  # its keys scroll it


class SemfindApp(App[None]):
    """Takes everything it talks to from `Services`, so tests can hand it their own."""

    TITLE = "semfind"
    CSS_PATH = str(resources.files("semfind.assets").joinpath("semfind.tcss"))
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (110, "-wide")]  # noqa: RUF012 (Textual's type)
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("f2", "tab('search')", "Search"),
        Binding("f3", "tab('ask')", "Ask"),
        Binding("f4", "tab('index')", "Index"),
        Binding("f5", "tab('models')", "Models"),
        Binding("f1,question_mark", "help", "Help"),
        Binding("ctrl+d", "start_daemon", "Start daemon", show=False, priority=True),
        Binding("ctrl+t", "toggle_dark", "Theme", show=False),
        Binding("escape", "focus_query", "Query", show=False),
    ]

    def __init__(self, services: Services) -> None:
        super().__init__()
        self.services = services
        self.daemon_status: DaemonStatus | None = None
        # Held directly: messages may arrive while another screen (help) is on top.
        units = services.settings.units
        self.search_pane = SearchPane(services.index, units, answerer=services.answerer)
        self.ask_pane = AskPane(services.index, services.answerer, services.settings)
        self.index_pane = IndexPane(services.daemon)
        self.models_pane = ModelsPane()
        self.status_bar = StatusBar()
        self.collector = IdleCollector()

    def compose(self) -> ComposeResult:
        with TabbedContent(initial="search", id="tabs"):
            with TabPane("Search", id="search"):
                yield self.search_pane
            with TabPane("Ask", id="ask"):
                yield self.ask_pane
            with TabPane("Index", id="index"):
                yield self.index_pane
            with TabPane("Models", id="models"):
                yield self.models_pane
        yield self.status_bar
        yield Footer(compact=True)

    def on_mount(self) -> None:
        self.query_one("#query", Input).focus()
        self.collector.start()
        self.set_interval(GC_TICK_S, self.collector.tick)
        self.call_after_refresh(self._start_background)

    async def on_event(self, event: events.Event) -> None:
        if isinstance(event, (events.Key, events.MouseDown)):
            self.collector.touched()
        await super().on_event(event)

    def _start_background(self) -> None:
        """After the first paint: loading the model must not delay it."""
        self._warm()
        self._follow_daemon()
        self._read_facts()
        self.set_interval(FACTS_EVERY_S, self._read_facts)

    # -- background work --------------------------------------------------------

    def notify(
        self,
        message: str,
        *,
        title: str = "",
        severity: SeverityLevel = "information",
        timeout: float | None = None,
        markup: bool = True,
    ) -> None:
        """Like App.notify, but a message already on screen is not stacked again."""
        if any(shown.message == message for shown in self._notifications):
            return
        super().notify(message, title=title, severity=severity, timeout=timeout, markup=markup)

    @work(thread=True, group="warm")
    def _warm(self) -> None:
        try:
            self.services.index.warm()
        except Exception as exc:
            self.call_from_thread(self._index_failed, exc)
        answerer = self.services.answerer
        if answerer is not None:
            self.call_from_thread(self.ask_pane.model_known, answerer.available())
        self.collector.freeze_next()

    @work(thread=True, exclusive=True, group="facts")
    def _read_facts(self) -> None:
        index = self.services.index
        try:
            facts = IndexFacts(index.summary(), index.folders(), index.failures())
        except Exception as exc:
            self.call_from_thread(self._index_failed, exc)
            return
        self.post_message(facts)

    def _index_failed(self, exc: BaseException) -> None:
        """Said once in a toast, and for as long as it lasts in the status bar."""
        if not self.services.settings.db_path().exists():  # nothing indexed yet: no fault
            self.notify(describe(exc), severity="warning", timeout=8)
            return
        problem = index_problem(exc, self.services.settings.db_path())
        if problem != self.status_bar.summary.problem:
            self.notify(describe(exc), severity="error", timeout=10)
        self.status_bar.show(self.daemon_status, IndexSummary(exists=False, problem=problem))

    @work(thread=True, exclusive=True, group="daemon")
    def _follow_daemon(self) -> None:
        """Relay the daemon's events; while it is down, look again every DAEMON_RETRY_S."""
        worker = get_current_worker()
        daemon = self.services.daemon

        def stopping() -> bool:
            return worker.is_cancelled or not self.is_running

        while not stopping():
            try:
                if daemon.running_pid() is None:
                    raise SemfindError("not running")
                for event in daemon.events(idle=0.5):
                    if stopping():
                        return
                    if isinstance(event, StatusEvent):
                        self.post_message(DaemonEvent(True, event.status))
                    elif isinstance(event, Stopped):
                        break
            except (SemfindError, OSError, ValueError):
                pass
            self.post_message(DaemonEvent(False))
            deadline = time.monotonic() + DAEMON_RETRY_S
            while time.monotonic() < deadline and not stopping():
                time.sleep(0.1)

    @on(DaemonEvent)
    def _daemon_event(self, message: DaemonEvent) -> None:
        self.daemon_status = message.status if message.running else None
        self.status_bar.show(self.daemon_status)
        self.index_pane.show_daemon(self.daemon_status)

    @on(ResultsPainted)
    def _results_painted(self) -> None:
        self.collector.after_paint()

    @on(IndexFacts)
    def _facts(self, message: IndexFacts) -> None:
        self.status_bar.show(self.daemon_status, message.summary)
        self.index_pane.show_facts(message.folders, message.failures)

    # -- actions ------------------------------------------------------------------

    def action_tab(self, tab: str) -> None:
        self.query_one(TabbedContent).active = tab
        if tab == "models":
            self._read_models()
        self.query_one(_FOCUS[tab]).focus()  # focus left in a hidden pane would pull it back

    def action_focus_query(self) -> None:
        self.action_tab("search")

    def action_help(self) -> None:
        self.push_screen(HelpScreen())

    def action_toggle_dark(self) -> None:
        self.theme = "textual-light" if self.theme == "textual-dark" else "textual-dark"

    def action_cite(self, number: int) -> None:
        self.ask_pane.cite(number)

    @on(Worker.StateChanged)
    def _worker_failed(self, event: Worker.StateChanged) -> None:
        report_worker_error(self, event)

    @on(TabbedContent.TabActivated)
    def _tab_activated(self, message: TabbedContent.TabActivated) -> None:
        if message.pane.id == "models":
            self._read_models()

    @work(thread=True, exclusive=True, group="models", exit_on_error=False)
    def _read_models(self) -> None:
        entries = self.services.models()
        self.call_from_thread(self.models_pane.show, entries)

    def action_start_daemon(self) -> None:
        self.index_pane.start_daemon()

    @on(DaemonStarted)
    def _daemon_started(self) -> None:
        self._follow_daemon()

    @on(WatchesChanged)
    def _watches_changed(self) -> None:
        self._read_facts()

    # -- opening a result -----------------------------------------------------------

    @on(OpenRequest)
    def _open(self, message: OpenRequest) -> None:
        hit = message.hit
        opener = opener_for(hit.path, hit.best.line_start, hit.page, dict(os.environ))
        command = opener.command
        if shutil.which(command[0]) is None:
            self.notify(f"cannot open {hit.location}: {command[0]} is not installed",
                        severity="error")  # fmt: skip
            return
        if opener.in_terminal:
            self._run_in_terminal(command)
            return
        try:
            subprocess.Popen(
                command,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                start_new_session=True,
            )
        except OSError as exc:
            self.notify(f"cannot open {hit.path}: {exc.strerror or exc}", severity="error")
            return
        self.notify(f"opened {hit.location}", timeout=2)

    def _run_in_terminal(self, command: list[str]) -> None:
        failure: OSError | None = None
        try:
            with self.suspend():
                try:
                    subprocess.run(command, check=False)
                except OSError as exc:
                    failure = exc
        except SuspendNotSupported:
            try:
                subprocess.run(command, check=False, stdin=subprocess.DEVNULL)
            except OSError as exc:
                failure = exc
        self.refresh(layout=True)
        if failure is not None:
            self.notify(f"cannot run {command[0]}: {failure.strerror or failure}", severity="error")

    # -- command palette ------------------------------------------------------------

    def get_system_commands(self, screen: Screen[Any]) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        for title, text, tab in _TABS:
            yield SystemCommand(title, text, partial(self.action_tab, tab))
        yield SystemCommand(
            "Start the daemon", "Index watched folders in the background", self.action_start_daemon
        )
        yield SystemCommand("Toggle light/dark", "Switch theme (ctrl+t)", self.action_toggle_dark)
        for mode in MODES:
            yield SystemCommand(
                f"Mode: {mode}", f"Search in {mode} mode", partial(self._set_mode, mode)
            )

    def _set_mode(self, mode: str) -> None:
        self.action_tab("search")
        self.search_pane.query_one("#mode", Select).value = mode

    def on_unmount(self) -> None:
        self.workers.cancel_all()
        self.services.index.close()
        if self.services.answerer is not None:
            self.services.answerer.close()
        self.collector.stop()


def create_app(services: Services) -> SemfindApp:
    """The one way to build the app: the CLI and the tests both come through here."""
    return SemfindApp(services)
