"""The TUI driven through Textual pilots, over a real index (fake or real embedder)."""

from __future__ import annotations

import dataclasses
import gc
import os
import stat
import threading
from collections.abc import Callable, Iterator, Sequence
from functools import partial
from pathlib import Path
from typing import Any, cast

import pytest
from textual import events
from textual.content import Content
from textual.pilot import Pilot
from textual.widgets import Button, DataTable, Input, OptionList, Select, Static, TabbedContent

from semfind.app.tui.app import SemfindApp, create_app
from semfind.app.tui.llm_link import LLMLink
from semfind.app.tui.messages import DaemonEvent
from semfind.app.tui.search_pane import SearchPane
from semfind.app.tui.services import EngineIndex, IndexReader, Services
from semfind.app.tui.status_bar import StatusBar
from semfind.engine.config import Settings
from semfind.engine.embed.base import Embedder
from semfind.engine.llm.base import ChatBackend
from semfind.engine.models.catalog import CatalogEntry
from semfind.engine.session.engine import Engine
from semfind.engine.store.store import Store
from semfind.indexer.indexing import Indexer

from .fakes import FakeEmbedder
from .helpers import garden_tree
from .tui_fakes import (
    ANSWER,
    FakeAnswerer,
    FakeDaemon,
    RoleLLM,
    SlowFirstSearch,
    daemon_status,
    pilot_test,
    settle,
)


def _docs(root: Path) -> Path:
    garden_tree(root)
    (root / "broken.pdf").write_bytes(b"%PDF-1.4 not really a pdf")
    return root


@pytest.fixture
def indexed(tmp_path: Path, fake: FakeEmbedder) -> Settings:
    settings = Settings(db=tmp_path / "index.sqlite3", units="both")
    docs = _docs(tmp_path / "docs")
    with Store.open(settings.db_path()) as store:
        Indexer(store, fake, settings).index_paths([docs])
        store.add_watch(str(docs))
    return settings


def _services(
    settings: Settings,
    embedder: Callable[[Settings], Embedder] = lambda s: FakeEmbedder(),
    daemon: FakeDaemon | None = None,
    answerer: LLMLink | None = None,
    index: IndexReader | None = None,
) -> Services:
    entries = [CatalogEntry("embedder", "fake", "built-in", None, None, True, gpu_layers=0)]
    index = index or EngineIndex(Engine(settings, warm=True, open_embedder=embedder))
    if answerer is not None:
        answerer.index = index
    return Services(
        settings=settings,
        index=index,
        daemon=daemon or FakeDaemon(),
        models=lambda: entries,
        answerer=answerer,
    )


async def _ask(app: SemfindApp, pilot: Pilot[Any], question: str) -> None:
    await pilot.press("f3")
    await pilot.press(*question, "enter")
    await pilot.pause(0.3)
    await settle(pilot)


def _evidence_title(app: SemfindApp) -> str:
    """The evidence preview's title as the user reads it: `[n] path:line`."""
    title = app.query_one("#evidence-preview").border_title
    return Content.from_markup(str(title)).plain if title else ""


def _result_names(app: SemfindApp) -> list[str]:
    return [Path(h.path).name for h in app.query_one(SearchPane).hits]


async def _search(app: SemfindApp, pilot: Pilot[Any], text: str) -> None:
    app.query_one("#query", Input).value = text
    await pilot.pause(0.2)
    await settle(pilot)


@pilot_test
async def test_typing_a_query_shows_the_right_file_first(indexed: Settings) -> None:
    app = create_app(_services(indexed))
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press(*"sourdough starter")
        await pilot.pause(0.3)
        await settle(pilot)
        assert _result_names(app)[0] == "kitchen.md"
        assert "kitchen.md" in str(app.query_one("#preview").border_subtitle)


@pilot_test
async def test_garbage_is_collected_after_results_not_during_them(indexed: Settings) -> None:
    app = create_app(_services(indexed))
    async with app.run_test(size=(100, 30)) as pilot:
        assert not gc.isenabled()  # automatic collection would stall frames
        await pilot.press(*"tomato seedlings")
        await pilot.pause(0.3)
        await settle(pilot)
        assert _result_names(app)
        assert 1 in app.collector.collected  # young generations, after the paint
    assert gc.isenabled()
    assert gc.get_freeze_count() == 0


@pilot_test
async def test_the_preview_follows_the_selection(indexed: Settings) -> None:
    app = create_app(_services(indexed))
    async with app.run_test(size=(100, 30)) as pilot:
        await _search(app, pilot, "water plants")
        hits = app.query_one(SearchPane).hits
        assert len(hits) >= 2
        await pilot.press("down")  # into the results
        await pilot.press("down")  # the second one
        await pilot.pause()
        assert app.query_one(OptionList).highlighted == 1
        title = str(app.query_one("#preview").border_subtitle)
        assert title == hits[1].path != hits[0].path


@pilot_test
async def test_filters_narrow_the_results(indexed: Settings) -> None:
    app = create_app(_services(indexed))
    async with app.run_test(size=(100, 30)) as pilot:
        await _search(app, pilot, "water")
        assert {"ferns.md", "cactus.txt"} <= set(_result_names(app))
        app.query_one("#kind", Select).value = "text"
        await pilot.pause(0.2)
        await settle(pilot)
        assert _result_names(app) == ["cactus.txt"]
        app.query_one("#kind", Select).clear()
        app.query_one("#folder", Input).value = str(indexed.db_path().parent / "docs" / "garden")
        await pilot.pause(0.2)
        await settle(pilot)
        assert set(_result_names(app)) == {"ferns.md", "cactus.txt"}
        folder = app.query_one("#folder", Input)
        for typed in ("/no/such/fo", "/no/such/fol", "/no/such/fold"):
            folder.value = typed
            await pilot.pause(0.2)
        assert not app._notifications  # typing a path is no error per keystroke
        assert "/no/such/fold" in str(app.query_one("#weak", Static).render())
        folder.value = str(indexed.db_path().parent / "docs" / "garden")
        await pilot.pause(0.2)
        await settle(pilot)
        assert not app.query_one("#weak", Static).display
        old = os.stat(indexed.db_path()).st_mtime - 400 * 86400
        with Store.open(indexed.db_path()) as store:
            store.conn.execute("UPDATE files SET mtime_ns = ?", (int(old * 1e9),))
        app.query_one("#since", Select).value = "1y"
        await pilot.pause(0.2)
        await settle(pilot)
        assert _result_names(app) == []
        assert "No files match" in str(app.query_one("#preview-body", Static).render())


@pilot_test
async def test_think_toggle_asks_the_llm_and_shows_its_thought(indexed: Settings) -> None:
    answerer = FakeAnswerer()
    app = create_app(_services(indexed, answerer=answerer))
    async with app.run_test(size=(100, 30)) as pilot:
        thought = app.query_one("#thought", Static)
        await _search(app, pilot, "plants")
        assert not thought.display and not answerer.llm.prompts
        app.query_one("#reason", Select).value = "think"
        await pilot.pause(0.2)
        await settle(pilot)
        await pilot.pause(0.1)
        assert answerer.llm.prompts, "the LLM was asked to think"
        assert "plants" in answerer.llm.prompts[-1][-1]["content"]
        assert thought.display
        shown = str(thought.render())
        assert shown.startswith("thought (") and "watering ferns and cacti" in shown
        assert {"ferns.md", "cactus.txt"} <= set(_result_names(app))
        app.query_one("#reason", Select).clear()
        await pilot.pause(0.2)
        await settle(pilot)
        assert not thought.display


@pilot_test
async def test_stale_results_are_discarded(indexed: Settings) -> None:
    slow = SlowFirstSearch(
        EngineIndex(Engine(indexed, warm=True, open_embedder=lambda s: FakeEmbedder())), delay=0.6
    )
    app = create_app(_services(indexed, index=slow))
    async with app.run_test(size=(100, 30)) as pilot:
        app.query_one("#query", Input).value = "sourdough"
        await pilot.pause(0.25)
        app.query_one("#query", Input).value = "cactus"
        await pilot.pause(0.25)
        await settle(pilot)
        assert slow.queries == ["sourdough", "cactus"]
        assert _result_names(app)[0] == "cactus.txt"


@pilot_test
async def test_a_stopped_daemon_is_shown_and_can_be_started(indexed: Settings) -> None:
    daemon = FakeDaemon(running=False, status=daemon_status(state="indexing", queue=3))
    app = create_app(_services(indexed, daemon=daemon))
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause(0.3)
        line = str(app.query_one(StatusBar).render())
        assert "daemon stopped" in line and "ctrl+d" in line
        assert "4 files" in line and "props" in line
        await _search(app, pilot, "cactus")
        assert _result_names(app)[0] == "cactus.txt"  # search works without it
        await pilot.press("ctrl+d")
        assert daemon.started.wait(5)
        for _ in range(40):
            await pilot.pause(0.1)
            if "indexing" in str(app.query_one(StatusBar).render()):
                break
        line = str(app.query_one(StatusBar).render())
        assert "● indexing" in line and "queue 3" in line and "2,675 tok/s" in line


@pilot_test
async def test_failed_files_are_listed_with_reasons_and_retried(indexed: Settings) -> None:
    daemon = FakeDaemon(running=False)
    app = create_app(_services(indexed, daemon=daemon))
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("f4")
        await pilot.pause(0.3)
        await settle(pilot)
        table = app.query_one("#failures", DataTable)
        rows = [table.get_row_at(i) for i in range(table.row_count)]
        assert len(rows) == 1
        path, status, reason = rows[0]
        assert path.endswith("broken.pdf") and status == "failed" and reason
        folders = app.query_one("#folders", DataTable)
        assert folders.row_count == 1 and folders.get_row_at(0)[1] == "4"
        await pilot.click("#retry")
        await settle(pilot)
        assert daemon.indexed == []
        assert any("needs the daemon" in n.message for n in app._notifications)
        daemon.running = True
        app.query_one("#retry", Button).press()  # a click might land on the warning toast
        await pilot.pause()
        await settle(pilot)
        assert daemon.indexed == [[path]]


@pilot_test
async def test_adding_a_watched_folder(indexed: Settings, tmp_path: Path) -> None:
    daemon = FakeDaemon(running=True)
    app = create_app(_services(indexed, daemon=daemon))
    new = tmp_path / "more"
    new.mkdir()
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("f4")
        app.query_one("#new-folder", Input).value = str(new)
        await pilot.click("#add-folder")
        await settle(pilot)
        assert daemon.watch_changes == [(True, [str(new)])]
        app.query_one("#new-folder", Input).value = str(tmp_path / "missing")
        await pilot.click("#add-folder")
        await settle(pilot)
        assert len(daemon.watch_changes) == 1
        assert any("not a folder" in n.message for n in app._notifications)


@pilot_test
async def test_ask_quotes_the_evidence_then_shows_the_checked_restatement(
    indexed: Settings,
) -> None:
    answerer = FakeAnswerer()
    app = create_app(_services(indexed, answerer=answerer))
    async with app.run_test(size=(120, 40)) as pilot:
        await _ask(app, pilot, "how often do ferns need water")
        pane = app.query_one("#ask-pane")
        assert answerer.questions == ["how often do ferns need water"]
        prompt = answerer.llm.prompts[0][-1]["content"]
        assert "Water ferns twice a week in summer." in prompt and "Sourdough" not in prompt
        answer = str(app.query_one("#answer", Static).render())
        assert "“Water ferns twice a week in summer.” [1]" in answer
        assert "ferns.md:5" in answer
        assert "In short: Water ferns twice a week in summer. [1]" in answer
        app.action_cite(2)
        await pilot.pause()
        second = pane.evidence[1]  # type: ignore[attr-defined]
        assert _evidence_title(app).startswith(f"[2] {second.path}")


class HeldLLM(RoleLLM):
    """Writes nothing until the test lets it."""

    def __init__(self) -> None:
        super().__init__()
        self.release = threading.Event()

    def stream(
        self,
        messages: Sequence[dict[str, str]],
        max_tokens: int = 256,
        stop: Sequence[str] = (),
        start_by: float | None = None,
    ) -> Iterator[str]:
        self.release.wait(10)
        return super().stream(messages, max_tokens, stop, start_by)


@pilot_test
async def test_the_quotes_are_on_screen_before_the_llm_writes_a_word_and_the_stage_is_said(
    indexed: Settings,
) -> None:
    answerer = FakeAnswerer()
    answerer.llm = held = HeldLLM()
    app = create_app(_services(indexed, answerer=answerer))
    async with app.run_test(size=(120, 40)) as pilot:
        box = app.query_one("#answer-box")
        await pilot.press("f3", *"how often do ferns need water", "enter")
        await pilot.pause(0.5)
        answer = str(app.query_one("#answer", Static).render())
        assert held.yielded == [] and held.prompts == []
        assert "“Water ferns twice a week in summer.” [1]" in answer
        assert "Searching" not in answer and "Searching" not in box.border_title
        assert box.border_title == f"Restating with {answerer.name}…"  # evidence is up
        held.release.set()
        await pilot.pause(0.3)
        await settle(pilot)
        assert "In short:" in str(app.query_one("#answer", Static).render())
        assert box.border_title == ""  # done: nothing is pending


@pilot_test
async def test_a_new_question_stops_the_answer_in_progress(indexed: Settings) -> None:
    answerer = FakeAnswerer()
    answerer.llm.delay = 0.5  # 7 words: 3.5 s per answer
    app = create_app(_services(indexed, answerer=answerer))
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("f3", *"ferns", "enter")
        await pilot.pause(0.6)
        question = app.query_one("#question", Input)
        question.value = ""
        await pilot.press(*"cactus plants", "enter")
        await pilot.pause(0.2)
        await settle(pilot)
        assert answerer.questions == ["ferns", "cactus plants"]
        first, second = answerer.llm.yielded
        assert first < second == len(ANSWER.split())
        assert "Cactus plants need sun" in str(app.query_one("#answer", Static).render())


@pilot_test
async def test_clicking_a_citation_with_the_mouse_shows_its_evidence(indexed: Settings) -> None:
    app = create_app(_services(indexed, answerer=FakeAnswerer()))
    async with app.run_test(size=(120, 40)) as pilot:
        await _ask(app, pilot, "how often do ferns need water")
        pane = app.query_one("#ask-pane")
        app.action_cite(len(pane.evidence))  # type: ignore[attr-defined]
        await pilot.pause()
        answer = app.query_one("#answer", Static)
        lines = str(answer.render()).split("\n")
        row = next(n for n, line in enumerate(lines) if "[1]" in line)
        column = lines[row].index("[1]") + 1
        pad_x = answer.content_region.x - answer.region.x
        pad_y = answer.content_region.y - answer.region.y
        assert not _evidence_title(app).startswith("[1]")
        assert await pilot.click("#answer", offset=(pad_x + column, pad_y + row))
        await pilot.pause()
        first = pane.evidence[0]  # type: ignore[attr-defined]
        assert _evidence_title(app).startswith(f"[1] {first.path}")


@pilot_test
async def test_ask_without_an_llm_gives_the_quoted_answer(indexed: Settings) -> None:
    settings = dataclasses.replace(indexed, ask_min_score=0.0)
    app = create_app(_services(settings, answerer=None))
    async with app.run_test(size=(100, 30)) as pilot:
        await _ask(app, pilot, "sourdough starter")
        answer = str(app.query_one("#answer", Static).render())
        assert "“Sourdough bread needs a lively starter and patience.”" in answer
        assert "No chat model is installed" in answer
        evidence = app.query_one("#evidence", OptionList)
        assert evidence.option_count >= 1
        assert "kitchen.md" in _evidence_title(app)
        assert "Sourdough" in str(app.query_one("#evidence-text", Static).render())


@pilot_test
async def test_a_missing_chat_model_is_found_out_late_and_the_quotes_shown(
    indexed: Settings,
) -> None:
    settings = dataclasses.replace(
        indexed, llm_model=str(indexed.db_path().parent / "no.gguf"), ask_min_score=0.0
    )
    link = LLMLink(Engine(settings, open_llm=_refuse), cast("IndexReader", None))
    app = create_app(_services(settings, answerer=link))
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause(0.5)
        await settle(pilot)
        assert "No chat model is installed" in str(app.query_one("#answer", Static).render())
        await _ask(app, pilot, "sourdough starter")
        answer = str(app.query_one("#answer", Static).render())
        assert "No chat model is installed" in answer and "Sourdough bread" in answer
        assert app.query_one("#ask-pane").evidence  # type: ignore[attr-defined]


def _refuse(settings: Settings) -> ChatBackend:
    raise AssertionError("no model should be loaded")


@pilot_test
async def test_copy_and_open_the_selected_result(
    indexed: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    record = tmp_path / "opened.txt"
    editor = tmp_path / "fake-editor"
    editor.write_text(f'#!/bin/sh\necho "$@" > {record}\n')
    editor.chmod(editor.stat().st_mode | stat.S_IXUSR)
    monkeypatch.setenv("EDITOR", str(editor))
    monkeypatch.delenv("VISUAL", raising=False)
    app = create_app(_services(indexed))
    async with app.run_test(size=(100, 30)) as pilot:
        await _search(app, pilot, "water ferns twice")
        hit = app.query_one(SearchPane).hits[0]
        await pilot.press("down", "y")
        assert app.clipboard == hit.location
        await pilot.press("c")
        assert app.clipboard == hit.text
        await pilot.press("enter")
        await pilot.pause(0.5)
    assert record.read_text().split() == [f"+{hit.best.line_start}", hit.path]


@pilot_test
async def test_help_models_and_theme(indexed: Settings) -> None:
    app = create_app(_services(indexed))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("f1")
        assert app.screen.__class__.__name__ == "HelpScreen"
        await pilot.press("escape")
        await pilot.press("f5")
        await settle(pilot)
        assert app.query_one(TabbedContent).active == "models"
        assert app.query_one("#model-table", DataTable).get_row_at(0)[2] == "fake"
        theme = app.theme
        await pilot.press("ctrl+t")
        assert app.theme != theme


@pytest.mark.real_model
@pilot_test
async def test_the_real_model_finds_by_meaning(tmp_path: Path, real_data_dir: Path) -> None:
    from semfind.engine.models.registry import open_embedder

    settings = Settings(db=tmp_path / "real.sqlite3")
    docs = _docs(tmp_path / "docs")
    embedder = open_embedder(settings)
    try:
        with Store.open(settings.db_path()) as store:
            Indexer(store, embedder, settings).index_paths([docs])
    finally:
        embedder.close()
    app = create_app(_services(settings, embedder=partial(open_embedder)))
    async with app.run_test(size=(100, 30)) as pilot:
        app.query_one("#mode", Select).value = "vector"
        await _search(app, pilot, "how do I bake bread")
        assert _result_names(app)[0] == "kitchen.md"


def _assert_scrolled_to(app: SemfindApp, scroll: str, body_id: str, word: str) -> None:
    """The preview `scroll` was scrolled down so the row of `body_id` holding `word` shows."""
    preview = app.query_one(scroll)
    body = app.query_one(body_id, Static)
    rows = body.render_lines(body.content_region.reset_offset)  # type: ignore[arg-type]
    screen_y = body.content_region.y + next(n for n, s in enumerate(rows) if word in s.text)
    region = preview.scrollable_content_region
    assert preview.scroll_offset.y > 0 and region.y <= screen_y < region.bottom


def _long_note(root: Path) -> Path:
    """A 14-line passage whose only mention of the query is on its last line."""
    lines = [f"Line {n}: rain." for n in range(1, 14)]
    note = root / "long.md"
    note.write_text("\n".join([*lines, "The key is under the flowerpot."]) + "\n")
    return note


@pytest.mark.parametrize("size", [(100, 30), (80, 24)])
@pilot_test
async def test_the_preview_scrolls_to_the_match(
    tmp_path: Path, fake: FakeEmbedder, size: tuple[int, int]
) -> None:
    settings = Settings(db=tmp_path / "index.sqlite3", units="both")
    (tmp_path / "docs").mkdir()
    _long_note(tmp_path / "docs")
    with Store.open(settings.db_path()) as store:
        Indexer(store, fake, settings).index_paths([tmp_path / "docs"])
    app = create_app(_services(settings))
    async with app.run_test(size=size) as pilot:
        app.query_one("#mode", Select).value = "keyword"
        await _search(app, pilot, "flowerpot")
        await pilot.pause(0.2)
        hit = app.query_one(SearchPane).hits[0]
        assert hit.passage.line_end - hit.passage.line_start >= 13
        _assert_scrolled_to(app, "#preview", "#preview-body", "flowerpot")


@pytest.mark.parametrize("size", [(100, 30), (80, 24)])
@pilot_test
async def test_the_ask_evidence_preview_scrolls_to_the_quoted_sentence(
    tmp_path: Path, fake: FakeEmbedder, size: tuple[int, int]
) -> None:
    settings = Settings(db=tmp_path / "index.sqlite3", units="both", ask_min_score=0.0)
    (tmp_path / "docs").mkdir()
    _long_note(tmp_path / "docs")
    with Store.open(settings.db_path()) as store:
        Indexer(store, fake, settings).index_paths([tmp_path / "docs"])
    app = create_app(_services(settings, answerer=None))
    async with app.run_test(size=size) as pilot:
        await _ask(app, pilot, "where is the key, under the flowerpot?")
        await pilot.pause(0.2)
        pane = app.query_one("#ask-pane")
        hit = pane.evidence[0]  # type: ignore[attr-defined]
        assert hit.passage.line_end - hit.passage.line_start >= 13
        assert _evidence_title(app).startswith("[1] ") and "long.md:14" in _evidence_title(app)
        _assert_scrolled_to(app, "#evidence-preview", "#evidence-text", "flowerpot")


@pilot_test
async def test_enter_in_the_folder_field_adds_the_folder(indexed: Settings, tmp_path: Path) -> None:
    daemon = FakeDaemon(running=True)
    app = create_app(_services(indexed, daemon=daemon))
    new = tmp_path / "more"
    new.mkdir()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("f4")
        app.query_one("#new-folder", Input).focus()
        await pilot.press(*str(new), "enter")
        await pilot.pause(0.2)
        await settle(pilot)
        assert daemon.watch_changes == [(True, [str(new)])]
        assert app.query_one("#new-folder", Input).value == ""


@pilot_test
async def test_tokens_per_second_are_cleared_when_the_daemon_goes_idle(
    indexed: Settings,
) -> None:
    busy = daemon_status(state="indexing", tokens_per_s=2675.0)
    app = create_app(_services(indexed, daemon=FakeDaemon(running=True, status=busy)))
    async with app.run_test(size=(100, 30)) as pilot:
        bar = app.query_one(StatusBar)
        await pilot.pause(0.5)
        assert "2,675 tok/s" in str(bar.render())
        idle = daemon_status(state="idle", tokens_per_s=2675.0)  # the last minute's rate
        app.post_message(DaemonEvent(True, idle))
        await pilot.pause()
        line = str(bar.render())
        assert "● idle" in line and "tok/s" not in line


@pilot_test
async def test_a_file_that_is_not_an_index_is_said_once_and_named_in_the_status_bar(
    tmp_path: Path,
) -> None:
    bad = tmp_path / "notes.txt"
    bad.write_text("not an index at all\n" * 50)
    app = create_app(_services(Settings(db=bad)))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause(0.3)
        for word in ("wat", "er", " fe", "rns"):  # typing on while facts are read again
            await pilot.press(*word)
            await pilot.pause(0.2)
        app._read_facts()
        app._read_facts()
        await settle(pilot)
        messages = [n.message for n in app._notifications]
        assert len(messages) == 1 and "not a SQLite database" in messages[0]
        line = str(app.query_one(StatusBar).render())
        assert "notes.txt is not an index: run semfind doctor" in line
        assert bad.read_text() == "not an index at all\n" * 50


@pilot_test
async def test_the_help_fits_80x24_and_scrolls_with_keys_and_the_wheel(indexed: Settings) -> None:
    app = create_app(_services(indexed))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("f1")
        await pilot.pause(0.2)
        scroll = app.screen.query_one("#help")
        assert scroll.region.right <= 80 and scroll.region.bottom <= 24
        assert scroll.max_scroll_y > 0  # more than a screenful: it must scroll
        await pilot.press("end")
        await pilot.pause(0.2)
        assert scroll.scroll_offset.y == scroll.max_scroll_y
        await pilot.press("home", "pagedown")
        await pilot.pause(0.2)
        assert scroll.scroll_offset.y > 0
        await pilot.press("home", "down")
        await pilot.pause(0.2)
        assert scroll.scroll_offset.y == 1
        x, y = scroll.region.center
        scroll.post_message(events.MouseScrollDown(scroll, x, y, 0, 0, 0, False, False, False))
        await pilot.pause(0.2)
        assert scroll.scroll_offset.y > 1
        await pilot.press("escape")
        assert app.screen.__class__.__name__ != "HelpScreen"


@pilot_test
async def test_the_index_tab_lists_every_indexed_folder_watched_or_not(
    indexed: Settings, tmp_path: Path, fake: FakeEmbedder
) -> None:
    other = tmp_path / "papers"  # its files all lie in subfolders: still one row, as given
    (other / "2024").mkdir(parents=True)
    (other / "notes").mkdir()
    (other / "2024" / "solar.md").write_text("Solar panels pay back in eight years.\n")
    (other / "notes" / "wind.txt").write_text("Wind turbines need a steady breeze.\n")
    gone = tmp_path / "gone"
    gone.mkdir()
    with Store.open(indexed.db_path()) as store:  # `semfind index papers gone`, never watched
        Indexer(store, fake, indexed).index_paths([other, gone])
        Indexer(store, fake, indexed).index_paths([other / "notes"])
    gone.rmdir()  # a recorded folder gone from disk and empty is not listed
    app = create_app(_services(indexed, daemon=FakeDaemon(running=False)))
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("f4")
        await pilot.pause(0.3)
        await settle(pilot)
        table = app.query_one("#folders", DataTable)
        rows = {str(r[0]): r[1:] for r in (table.get_row_at(i) for i in range(table.row_count))}
        docs = str(tmp_path / "docs")
        assert set(rows) == {docs, str(other)}
        assert rows[docs][0] == "4" and rows[docs][2] == "1"  # broken.pdf failed
        assert rows[docs][3] == "yes (daemon stopped)"
        files, units, failed, watched = rows[str(other)]
        assert (files, failed, watched) == ("2", "0", "no") and int(units) >= 2


@pytest.mark.parametrize("size", [(80, 24), (120, 40)])
@pilot_test
async def test_the_models_table_fits_and_the_file_is_shown_whole(
    indexed: Settings, tmp_path: Path, size: tuple[int, int]
) -> None:
    file = tmp_path / "a-rather-long-folder-name" / "all-MiniLM-L6-v2-Q8_0.gguf"
    entries = [CatalogEntry("embedder", "fake", "built-in", file, None, True, gpu_layers=0)]
    services = dataclasses.replace(_services(indexed), models=lambda: entries)
    app = create_app(services)
    async with app.run_test(size=size) as pilot:
        await pilot.press("f5")
        await settle(pilot)
        await pilot.pause(0.2)
        table = app.query_one("#model-table", DataTable)
        assert table.virtual_size.width <= table.scrollable_content_region.width
        detail = app.query_one("#model-detail", Static)
        shown = str(detail.render())
        assert f"file {file}" in shown
        wrapped = Content(shown).wrap(detail.content_region.width)
        assert len(wrapped) <= detail.content_region.height  # nothing cut off
        assert detail.region.bottom <= app.query_one(StatusBar).region.y


def _rows_fit(options: OptionList) -> None:
    """Every row is cut to the list's width, so none wraps back to the left edge."""
    width = options.scrollable_content_region.width
    for index in range(options.option_count):
        prompt = options.get_option_at_index(index).prompt
        lines = str(prompt).split("\n")
        assert len(lines) >= 2, lines
        assert all(line.startswith("    ") for line in lines[1:]), lines
        assert all(Content(line).cell_length <= width for line in lines), (width, lines)


@pilot_test
async def test_80x24_keeps_hanging_indents_the_footer_and_the_folder_filter(
    indexed: Settings, tmp_path: Path, fake: FakeEmbedder
) -> None:
    long = tmp_path / "docs" / "garden" / "watering-schedule-for-the-whole-summer.md"
    long.write_text("Water " + "the ferns and the tomatoes and the roses " * 6 + "daily.\n")
    with Store.open(indexed.db_path()) as store:
        Indexer(store, fake, indexed).index_paths([tmp_path / "docs"])
    app = create_app(_services(indexed, answerer=FakeAnswerer()))
    async with app.run_test(size=(120, 40)) as pilot:
        await _search(app, pilot, "water the ferns")
        results = app.query_one("#results", OptionList)
        _rows_fit(results)
        await pilot.resize_terminal(80, 24)
        await pilot.pause(0.3)
        _rows_fit(results)  # built again for the new width
        await pilot.press("down")  # the results' own keys join the footer
        await pilot.pause(0.2)
        keys = [k for k in app.query("FooterKey") if k.display]
        assert keys and all(k.region.right <= 80 for k in keys)
        assert app.query_one("#folder", Input).region.width >= 60
        await _ask(app, pilot, "how often do ferns need water")
        _rows_fit(app.query_one("#evidence", OptionList))


def test_a_citation_mark_inside_a_quoted_sentence_is_not_a_link() -> None:
    from semfind.app.ask_render import quoted
    from semfind.app.tui.ask_pane import link_citations
    from semfind.engine.ask.extractive import Extract, Quote
    from semfind.engine.search.aggregate import Hit, Match, Passage

    text = "The deposit is returned within 14 days, as the contract says [2]."
    passage = Passage(1, text, 0, len(text), 4, 4)
    match = Match(1, "passage", text, 1.0, 0, len(text), 4, 4, ((0, len(text)),))
    hit = Hit("/notes/lease.md", None, "markdown", 1.0, None, passage, (match,))
    extract = Extract((Quote(1, hit, text, 0, len(text), 4, 4, 2.0),), 2.0, "number")
    rich = link_citations(quoted(extract), sources=3)
    links = {
        rich.plain[s.start : s.end]
        for s in rich.spans
        if not isinstance(s.style, str) and "@click" in s.style.meta
    }
    assert links == {"[1]"}
