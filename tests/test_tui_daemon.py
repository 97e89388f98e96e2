"""The TUI's searches answered by the running daemon's warm searcher (issue 23, item 4), the
same as its own searcher's; its own loaded only when the daemon stops answering, said once;
and how much of the index has vectors, said while not all of it does (item 1)."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import Input, Select, Static

from semfind.app.tui.app import SemfindApp, create_app
from semfind.app.tui.daemon_search import DaemonFirstIndex
from semfind.app.tui.search_pane import SearchPane
from semfind.app.tui.wiring import build_services
from semfind.engine.config import Settings, load_settings
from semfind.engine.search.aggregate import Hit
from semfind.engine.search.query import Filters
from semfind.engine.store.store import Store
from semfind.indexer.daemon.protocol import SearchReply, SearchRequest
from semfind.indexer.daemon.runtime import DaemonFiles
from semfind.indexer.indexing import Indexer

from .fakes import FakeEmbedder
from .test_daemon_search import Served, here
from .tui_fakes import pilot_test, settle

FIXTURES = (here,)
"""`here`, shared with the CLI's tests: garden notes indexed with the fake model."""

Here = tuple[Path, DaemonFiles]

SEARCHES: tuple[tuple[str, str, Filters], ...] = (
    ("water ferns", "hybrid", Filters(units="both")),
    ("sourdough starter", "keyword", Filters(units="both")),
    ("cactus sun", "vector", Filters(units="passage")),
    ("water", "hybrid", Filters(types=("md",), units="proposition")),
)


def _settings(db: Path) -> Settings:
    return dataclasses.replace(load_settings(), db=db)


def _index(settings: Settings) -> DaemonFirstIndex:
    index = build_services(settings).index
    assert isinstance(index, DaemonFirstIndex)
    return index


async def _search(pilot: Pilot[Any], text: str, mode: str = "hybrid") -> list[Hit]:
    app = pilot.app
    app.query_one("#mode", Select).value = mode
    app.query_one("#query", Input).value = text
    await pilot.pause(0.2)
    await settle(pilot)
    return app.query_one(SearchPane).hits


def _coverage(app: SemfindApp) -> str | None:
    """The coverage line as shown; None while it is hidden."""
    line = app.query_one("#coverage", Static)
    return str(line.render()) if line.display else None


def _said(app: SemfindApp, text: str) -> list[str]:
    return [n.severity for n in app._notifications if text in n.message]


def test_the_daemon_answers_the_tuis_searches_as_its_own_searcher_would(here: Here) -> None:
    db, files = here
    settings = _settings(db)
    alone = _index(settings)
    local = [alone.search(q, 20, mode, f).hits for q, mode, f in SEARCHES]
    alone.close()
    running = Served(settings, files)
    running.start()
    try:
        index = _index(settings)
        index.warm()
        through = [index.search(q, 20, mode, f).hits for q, mode, f in SEARCHES]
    finally:
        running.stop()
    assert through == local  # every field of every hit: paths, scores, spans, order
    assert all(local[:3]), "each of the first searches finds something"
    assert running.searches == 1 + len(SEARCHES)  # the warm-up's, then each search
    assert not index.loaded, "the daemon answered: no vectors read here"
    assert index.local.engine._embedder is None, "nor a model loaded"


@pilot_test
async def test_the_tui_shows_the_daemons_results_and_loads_nothing_itself(here: Here) -> None:
    db, files = here
    settings = _settings(db)
    running = Served(settings, files)
    running.start()
    try:
        services = build_services(settings)
        app = create_app(services)
        async with app.run_test(size=(120, 40)) as pilot:
            await settle(pilot)
            hits = await _search(pilot, "water ferns")
            assert Path(hits[0].path).name == "ferns.md"
            assert running.searches >= 2
            assert _coverage(app) is None, "every unit has its vector: nothing to say"
            index = services.index
            assert isinstance(index, DaemonFirstIndex) and not index.loaded
    finally:
        running.stop()


@pytest.mark.filterwarnings("ignore::pytest.PytestUnhandledThreadExceptionWarning")
@pilot_test
async def test_a_daemon_that_stops_mid_session_leaves_the_searches_here_said_once(
    here: Here,
) -> None:
    db, files = here
    settings = _settings(db)
    alone = _index(settings)
    expected = [alone.search(q, 20, "hybrid", Filters(units="both")).hits for q in ("water", "sun")]
    alone.close()
    running = Served(settings, files)
    running.start()

    def dies(request: SearchRequest) -> SearchReply:
        running.stop()
        raise SystemExit  # the handler thread ends: its connection closes unanswered

    try:
        services = build_services(settings)
        app = create_app(services)
        async with app.run_test(size=(120, 40)) as pilot:
            await settle(pilot)
            await _search(pilot, "ferns")
            index = services.index
            assert isinstance(index, DaemonFirstIndex) and not index.loaded
            running.daemon.commands._searcher = dies
            assert await _search(pilot, "water") == expected[0]
            assert index.loaded
            said = "searching here: the daemon did not answer"
            assert _said(app, said) == ["information"], "quietly, not as an error"
            assert await _search(pilot, "sun") == expected[1]
            assert len(_said(app, "searching here")) == 1
            assert _coverage(app) is None
    finally:
        if running.files.running_pid() is not None:
            running.stop()


def test_the_note_is_said_once_each_time_the_daemon_stops_answering(here: Here) -> None:
    db, files = here
    settings = _settings(db)
    index = _index(settings)
    filters = Filters(units="both")

    def notes(count: int) -> list[str | None]:
        return [index.search("water", 5, "hybrid", filters).route_note for _ in range(count)]

    assert notes(2) == [None, None], "no daemon from the start: nothing to say"
    running = Served(settings, files)
    running.start()
    assert notes(2) == [None, None]
    running.stop()
    assert notes(3) == ["the daemon stopped: searching here", None, None]
    running = Served(settings, files)
    running.start()
    try:
        assert notes(1) == [None]
    finally:
        running.stop()
    assert notes(2) == ["the daemon stopped: searching here", None]


def _half_embedded(db: Path, root: Path) -> None:
    """More files indexed, their vector pass stopped before it embedded any."""
    root.mkdir()
    for number in range(4):
        (root / f"heron{number}.md").write_text(
            f"# Heron {number}\n\nThe heron waits by the river at dawn for fish number {number}.\n"
        )
    settings = _settings(db)
    with Store.open(db) as store:
        indexer = Indexer(
            store, FakeEmbedder(), settings, cancelled=lambda: indexer.report.phase == "vectors"
        )
        indexer.index_paths([root])


@pytest.mark.parametrize("daemon", [False, True])
@pilot_test
async def test_the_tui_says_how_much_of_the_index_has_vectors(
    here: Here, tmp_path: Path, daemon: bool
) -> None:
    db, files = here
    _half_embedded(db, tmp_path / "herons")
    settings = _settings(db)
    with Store.open(db, readonly=True) as store:
        expected = store.vector_coverage(store.models()[0]).describe()
    assert "% of the index: results by keyword only for the rest" in expected
    running = Served(settings, files)
    if daemon:
        running.start()
    try:
        app = create_app(build_services(settings))
        async with app.run_test(size=(80, 24)) as pilot:
            await settle(pilot)
            assert _coverage(app) is None, "nothing searched yet"
            hits = await _search(pilot, "heron river")
            assert hits and _coverage(app) == expected
            await _search(pilot, "heron river", mode="keyword")
            assert _coverage(app) is None, "keywords do not need vectors"
            await _search(pilot, "")
            assert _coverage(app) is None
    finally:
        if running.files.running_pid() is not None:
            running.stop()
    assert running.searches == (3 if daemon else 0)
