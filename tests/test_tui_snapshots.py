"""SVG snapshots of the main screens at 80x24 and 120x40, dark and light.

Fixed data (paths under /home/ada) so the pictures do not depend on where tests run.
Update them after a deliberate change with `pytest tests/test_tui_snapshots.py --snapshot-update`
and look at the SVGs before committing.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import Input

from semfind.app.tui.app import SemfindApp, create_app
from semfind.app.tui.services import Failure, FolderCount, Found, IndexSummary, Services
from semfind.engine.ask.evidence import Evidence
from semfind.engine.ask.passage_parts import Part, PassageParts
from semfind.engine.config import Settings
from semfind.engine.models.catalog import CatalogEntry
from semfind.engine.models.gguf_info import GGUFInfo
from semfind.engine.search.aggregate import Hit, Match, Passage
from semfind.engine.search.query import Expansion
from semfind.engine.search.searcher import Filters
from semfind.indexer.daemon.protocol import Run, Watch

from .tui_fakes import FakeAnswerer, FakeDaemon, daemon_status, settle

Snap = Callable[..., bool]

PASSAGES = {
    "/home/ada/notes/houseplants.md": (
        "Houseplants",
        None,
        "## Watering\n\nWater the ferns twice a week in summer and once a week in winter.\n"
        "Cacti need water only when the soil is completely dry.",
        "Water the ferns twice a week in summer",
    ),
    "/home/ada/papers/tenancy.pdf": (
        "Tenancy agreement",
        2,
        "The deposit is two months of rent and is returned within 10 days of the end of the "
        "tenancy, minus the cost of any damage.",
        "returned within 10 days of the end of the tenancy",
    ),
    "/home/ada/code/backup.py": (
        None,
        None,
        'def rotate_backups(folder, keep=7):\n    """Delete all but the newest backups."""',
        "Delete all but the newest backups.",
    ),
}


def _hit(path: str, score: float) -> Hit:
    title, page, text, best = PASSAGES[path]
    start = text.index(best)
    line = text[:start].count("\n") + 3
    passage = Passage(list(PASSAGES).index(path) + 1, text, 0, len(text), 3, 3 + text.count("\n"))
    match = Match(2, "proposition", best, score, start, start + len(best), line, line,
                  ((start, start + len(best)),))  # fmt: skip
    return Hit(path, title, Path(path).suffix.lstrip("."), score, page, passage, (match,))


def _whole(hit: Hit, similarity: float) -> PassageParts:
    p = hit.passage
    spans = ((p.char_start, p.char_end),)
    part = Part(p.id, p.text, p.char_start, p.char_end, p.line_start, p.line_end, spans, similarity)
    return PassageParts(similarity, (part,))


class FixedIndex:
    def search(
        self, query: str, k: int, mode: str, filters: Filters, expansion: Expansion | None = None
    ) -> Found:
        return Found([_hit(p, s) for p, s in zip(PASSAGES, (1.84, 0.91, 0.42), strict=True)][:k])

    def evidence(self, question: str, k: int, filters: Filters) -> Evidence:
        hits = self.search(question, k, "hybrid", filters).hits
        parts = {hit.passage.id: _whole(hit, hit.score / 2) for hit in hits}
        return Evidence(hits, 0.9, 2, 0.01, parts, {})

    def summary(self) -> IndexSummary:
        return IndexSummary(True, 1284, 61464, 51582, 2)

    def folders(self) -> list[FolderCount]:
        return [
            FolderCount("/home/ada/notes", 1201, 58230),
            FolderCount("/home/ada/papers", 83, 3234, 1),
            FolderCount("/home/ada/old-projects", 412, 20118, 3, watched=False),
        ]

    def failures(self) -> list[Failure]:
        return [
            Failure("/home/ada/papers/scan.pdf", "failed", "no text layer (scanned image?)"),
            Failure("/home/ada/notes/huge.log", "skipped", "larger than max_file_mb (50 MiB)"),
        ]

    def warm(self) -> None:
        pass

    def close(self) -> None:
        pass


def _models() -> list[CatalogEntry]:
    embedder = GGUFInfo(Path("/d/m.gguf"), "bert", "all-MiniLM-L6-v2", 384, 512, "mean", False,
                        "Q8_0", 25_000_000)  # fmt: skip
    llm = GGUFInfo(Path("/d/l.gguf"), "llama", "SmolLM2", 576, 8192, None, True, "Q4_1", 98_000_000)
    return [
        CatalogEntry(
            "embedder",
            "all-MiniLM-L6-v2-Q8_0",
            "built-in",
            embedder.path,
            embedder,
            True,
            gpu_layers=0,
        ),
        CatalogEntry(
            "llm", "SmolLM2-135M-Instruct.Q4_1", "built-in", llm.path, llm, True, gpu_layers=0
        ),
    ]


def _app(running: bool = True, answerer: FakeAnswerer | None = None) -> SemfindApp:
    status = daemon_status(
        state="indexing",
        queue=12,
        run=Run(total=40, done=28, remaining=12),
        watches=(
            Watch("/home/ada/notes", "native"),
            Watch("/home/ada/papers", "polling (asked for)"),
        ),
    )
    index = FixedIndex()
    if answerer is not None:
        answerer.index = index
    services = Services(
        settings=Settings(db=Path("/home/ada/.local/share/semfind/index.sqlite3")),
        index=index,
        daemon=FakeDaemon(running=running, status=status),
        models=_models,
        answerer=answerer,
    )
    return create_app(services)


def _steps(
    *keys: str, query: str = "", light: bool = False
) -> Callable[[Pilot[Any]], Awaitable[None]]:
    async def run_before(pilot: Pilot[Any]) -> None:
        app = pilot.app
        for field in app.query(Input):
            field.cursor_blink = False  # a blinking cursor makes pictures differ
        if light:
            app.theme = "textual-light"
        await pilot.pause(0.3)
        if query:
            app.query_one("#query", Input).value = query
            await pilot.pause(0.3)
        for key in keys:
            await pilot.press(key)
            await pilot.pause(0.2)
        await settle(pilot)

    return run_before


SIZES = [(80, 24), (120, 40)]


@pytest.mark.parametrize("size", SIZES)
def test_search(snap_compare: Snap, size: tuple[int, int]) -> None:
    assert snap_compare(_app(), terminal_size=size, run_before=_steps(query="water the ferns"))


def test_search_light_theme_with_the_daemon_down(snap_compare: Snap) -> None:
    app = _app(running=False)
    assert snap_compare(app, terminal_size=(80, 24),
                        run_before=_steps("down", query="deposit", light=True))  # fmt: skip


@pytest.mark.parametrize("size", SIZES)
def test_ask(snap_compare: Snap, size: tuple[int, int]) -> None:
    keys = ("f3", *"how often do I water ferns", "enter")
    assert snap_compare(_app(answerer=FakeAnswerer()), terminal_size=size, run_before=_steps(*keys))


@pytest.mark.parametrize("size", SIZES)
def test_index(snap_compare: Snap, size: tuple[int, int]) -> None:
    assert snap_compare(_app(), terminal_size=size, run_before=_steps("f4"))


@pytest.mark.parametrize("size", SIZES)
def test_models(snap_compare: Snap, size: tuple[int, int]) -> None:
    assert snap_compare(_app(), terminal_size=size, run_before=_steps("f5"))


def test_help(snap_compare: Snap) -> None:
    assert snap_compare(_app(), terminal_size=(80, 24), run_before=_steps("f1"))
