"""Errors reach the TUI as semfind's messages: SQLite damage met past the open, and any
worker's failure, through one handler."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot

from semfind.app.tui.app import SemfindApp, create_app
from semfind.app.tui.services import EngineIndex, Services
from semfind.engine.config import Settings
from semfind.engine.errors import DaemonError
from semfind.engine.models.catalog import CatalogEntry
from semfind.engine.session.engine import Engine
from semfind.indexer.daemon.protocol import PauseReply
from semfind.indexer.indexing import Indexer

from .fakes import FakeEmbedder
from .helpers import garden_tree
from .test_doctor import _garble_all_but_schema_and_watches
from .tui_fakes import FakeDaemon, pilot_test, settle


@pytest.fixture
def damaged(tmp_path: Path) -> Settings:
    """An index whose schema and watches read but whose every other page is noise: it
    opens, and the first read of a file or unit meets the damage."""
    settings = Settings(db=tmp_path / "index.sqlite3", units="both")
    docs = garden_tree(tmp_path / "docs")
    with Engine(settings, writer=True, open_embedder=lambda s: FakeEmbedder()) as engine:
        Indexer(engine.store(), engine.embedder(), settings).index_paths([docs])
        engine.store().add_watch(str(docs))
    _garble_all_but_schema_and_watches(settings.db_path())
    return settings


def _app(settings: Settings) -> SemfindApp:
    entries = [CatalogEntry("embedder", "fake", "built-in", None, None, True, gpu_layers=0)]
    engine = Engine(settings, warm=True, open_embedder=lambda s: FakeEmbedder())
    services = Services(settings, EngineIndex(engine), FakeDaemon(), lambda: entries)
    return create_app(services)


def _messages(app: SemfindApp) -> list[str]:
    return [n.message for n in app._notifications]


async def _search(app: SemfindApp, pilot: Pilot[Any], query: str) -> None:
    await pilot.press("f2")
    await pilot.press(*query, "enter")
    await pilot.pause(0.3)
    await settle(pilot)


@pilot_test
async def test_a_damaged_index_reaches_the_tui_as_a_clear_message(damaged: Settings) -> None:
    app = _app(damaged)
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause(0.5)
        await settle(pilot)
        shown = _messages(app)
        assert any("the index is damaged" in m and "semfind doctor" in m for m in shown), shown
        assert not any("unexpected" in m for m in shown), shown
        assert "is not an index" in str(app.status_bar.render())
        await _search(app, pilot, "tomatoes")
        shown = _messages(app)
        assert not any("unexpected" in m or "CorruptError" in m for m in shown), shown


class FailingDaemon(FakeDaemon):
    def pause(self, pause: bool) -> PauseReply:
        raise DaemonError("the daemon did not answer in 5 s")

    def start(self) -> int:
        raise RuntimeError("fork failed")


@pilot_test
async def test_worker_errors_become_one_message_each_and_the_app_goes_on(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """Ours as they are; anything else named "unexpected …" and logged with its traceback."""
    settings = Settings(db=tmp_path / "index.sqlite3")
    engine = Engine(settings, warm=True, open_embedder=lambda s: FakeEmbedder())
    services = Services(settings, EngineIndex(engine), FailingDaemon(), _no_models)
    app = create_app(services)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        app.index_pane._set_paused(True)
        await _ended(pilot)
        assert "the daemon did not answer in 5 s" in _messages(app)
        app.action_start_daemon()
        await _ended(pilot)
        assert "unexpected RuntimeError: fork failed" in _messages(app)
        await pilot.press("f5")
        await _ended(pilot)
        assert "unexpected ValueError: no catalog" in _messages(app)
        assert app.is_running and app.return_code is None
    logged = [r for r in caplog.records if r.name == "semfind.tui"]
    assert [str(r.exc_info[1]) for r in logged if r.exc_info] == ["fork failed", "no catalog"]


def _no_models() -> list[CatalogEntry]:
    raise ValueError("no catalog")


async def _ended(pilot: Pilot[Any]) -> None:
    """Wait for the app's workers but the daemon follower; settle() would raise the errors
    these tests are about."""
    for _ in range(50):
        await pilot.pause(0.05)
        if all(w.is_finished or w.group == "daemon" for w in pilot.app.workers):
            return
