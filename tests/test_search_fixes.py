"""Search results a new user met (issue 20): locations, folder filters, weak results,
stopwords in the keyword leg."""

from __future__ import annotations

import dataclasses
import io
from pathlib import Path

import pytest
from rich.console import Console
from textual.widgets import Input, Static

from semfind.app.render import print_hits
from semfind.app.tui.app import create_app
from semfind.app.tui.search_pane import SearchPane
from semfind.app.tui.services import EngineIndex, Services
from semfind.engine.config import Settings
from semfind.engine.errors import UsageError
from semfind.engine.models.catalog import CatalogEntry
from semfind.engine.search.query import NO_CLOSE_MATCH, any_close, path_scope, query_terms
from semfind.engine.search.searcher import Filters, Searcher
from semfind.engine.session.engine import Engine
from semfind.engine.store.store import Store
from semfind.indexer.indexing import Indexer

from .fakes import FakeEmbedder
from .helpers import garden_tree
from .tui_fakes import FakeDaemon, pilot_test, settle

ONCALL = (
    "Incident handbook\n\nThis note covers what to do when things break at night.\n"
    "It was written after the outage last spring.\nRead it once before your first shift.\n"
    "The team keeps it short on purpose.\nAsk questions in the channel.\n"
    "Nobody expects you to know everything.\nThe escalation path is simple.\n"
    "First, acknowledge the page.\nThen open PagerDuty and check who is on call.\n"
    "Write down what you tried.\n"
)


@pytest.fixture
def notes(tmp_path: Path, store: Store, fake: FakeEmbedder, settings: Settings) -> Searcher:
    """One many-line passage cut into sentences, a plants note and a code file."""
    settings = dataclasses.replace(settings, segmenter="rules", units="both", passage_tokens=512)
    root = tmp_path / "docs"
    (root / "notes").mkdir(parents=True)
    (root / "code").mkdir()
    (root / "notes" / "oncall.md").write_text(ONCALL)
    (root / "notes" / "plants.md").write_text(
        "How to keep plants alive while travelling: water them deeply, keep them out of sun.\n"
    )
    (root / "code" / "rows.py").write_text(
        "def f(rows):\n    for i in rows:\n        print(i.id)\n"
    )
    Indexer(store, fake, settings).index_paths([root])
    return Searcher(store, fake, settings)


# -- 5: the best unit's own line --------------------------------------------------------


@pytest.mark.parametrize("mode", ["keyword", "hybrid"])
def test_the_location_is_the_matching_lines_own_not_its_passages(
    notes: Searcher, mode: str
) -> None:
    (hit,) = notes.search("PagerDuty", k=1, mode=mode)
    assert hit.path.endswith("oncall.md")
    assert hit.passage.line_start == 1  # one passage holds the whole note
    assert hit.best.kind == "proposition" and "PagerDuty" in hit.best.text
    assert hit.location.endswith("oncall.md:11")
    assert hit.to_json()["line_start"] == 11


# -- 6: a folder means everything under it ------------------------------------------------


def test_a_folder_in_any_spelling_means_everything_under_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    notes = tmp_path / "docs" / "notes"
    notes.mkdir(parents=True)
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.chdir(tmp_path / "docs")
    wanted = f"{notes.resolve()}/*"
    spellings = [str(notes), f"{notes}/", "notes", "notes/", "./notes", "../docs/notes"]
    for typed in [*spellings, "~/docs/notes", "~/docs/notes/"]:
        assert path_scope(typed) == wanted, typed
    assert path_scope("docs/notes", cwd=tmp_path) == wanted  # relative to the cwd given
    assert path_scope("*.md") == "*.md" and path_scope("notes/*") == "notes/*"
    assert path_scope("./notes/*.md") == f"{notes.resolve()}/*.md"


def test_a_path_that_cannot_match_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="no such folder or file"):
        path_scope("nowhere", cwd=tmp_path)
    with pytest.raises(UsageError, match="no folder"):
        path_scope(str(tmp_path / "nowhere" / "*.md"))
    with pytest.raises(UsageError, match="empty"):
        path_scope("  ")


def test_glob_characters_in_a_folder_name_are_literal(tmp_path: Path) -> None:
    odd = tmp_path / "a[1]*"
    odd.mkdir()
    assert path_scope(str(odd)) == f"{tmp_path.resolve()}/a[[]1][*]/*"


def test_searching_under_a_folder_finds_its_files_only(
    notes: Searcher, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    for typed in ("docs/notes", "docs/notes/", str(tmp_path / "docs" / "notes")):
        filters = Filters(path_glob=path_scope(typed), units="both")
        hits = notes.search("water the plants", filters=filters)
        assert {Path(h.path).name for h in hits} == {"oncall.md", "plants.md"}, typed
    one = notes.search("rows", filters=Filters(path_glob=path_scope("docs/code/rows.py")))
    assert [Path(h.path).name for h in one] == ["rows.py"]


# -- 8: an absolute relevance signal ----------------------------------------------------


def test_results_carry_their_raw_cosine_and_bm25(notes: Searcher) -> None:
    hits = notes.search("water plants", k=3)
    legs = notes.legs("water plants", "hybrid", 200, Filters(units="both"))
    cosines, bm25 = dict(legs.vector), {u: s for leg in legs.keyword for u, s in leg}
    for hit in hits:
        ids = [m.unit_id for m in hit.matches]
        assert hit.cosine == max(cosines[i] for i in ids if i in cosines)
        keyword = [bm25[i] for i in ids if i in bm25]
        assert hit.bm25 == (max(keyword) if keyword else None)
        row = hit.to_json()
        assert (row["cosine"], row["bm25"], row["close"]) == (hit.cosine, hit.bm25, hit.close)
    assert hits[0].path.endswith("plants.md") and hits[0].bm25 is not None


def test_nonsense_and_stopword_queries_have_no_close_match(notes: Searcher) -> None:
    notes.settings = dataclasses.replace(notes.settings, close_match_cosine=0.9)
    nonsense = notes.search("qwxz plugh frobnicate")
    assert nonsense and all(h.bm25 is None for h in nonsense)
    assert any_close(nonsense) is False
    stop = notes.search("the of and is a")
    assert stop and any(h.bm25 is not None for h in stop)  # the keyword leg matched them
    assert any_close(stop) is False
    # Below the cosine floor, a passage holding every word of the query is still close.
    found = notes.search("PagerDuty on call")
    assert found[0].cosine is not None and found[0].cosine < 0.9
    assert found[0].close is True and any_close(found) is True
    notes.settings = dataclasses.replace(notes.settings, close_match_cosine=-1.0)
    assert all(h.close for h in notes.search("qwxz plugh frobnicate"))


def test_keyword_mode_measures_no_closeness(notes: Searcher) -> None:
    hits = notes.search("PagerDuty", mode="keyword")
    assert hits[0].close is None and hits[0].cosine is None and any_close(hits) is None


def test_the_cli_says_when_nothing_is_a_close_match(notes: Searcher) -> None:
    notes.settings = dataclasses.replace(notes.settings, close_match_cosine=0.9)

    def printed(query: str) -> str:
        console = Console(file=io.StringIO(), width=200)
        print_hits(console, notes.search(query), query)
        assert isinstance(console.file, io.StringIO)
        return console.file.getvalue()

    weak = printed("qwxz plugh frobnicate")
    assert weak.splitlines()[0] == NO_CLOSE_MATCH
    assert NO_CLOSE_MATCH not in printed("keep plants alive")


@pilot_test
async def test_the_tui_says_when_nothing_is_a_close_match(notes: Searcher, tmp_path: Path) -> None:
    settings = dataclasses.replace(notes.settings, close_match_cosine=0.9)
    entries = [CatalogEntry("embedder", "fake", "built-in", None, None, True, gpu_layers=0)]
    services = Services(
        settings=settings,
        index=EngineIndex(Engine(settings, warm=True, open_embedder=lambda s: FakeEmbedder())),
        daemon=FakeDaemon(),
        models=lambda: entries,
        answerer=None,
    )
    app = create_app(services)
    async with app.run_test(size=(100, 30)) as pilot:
        weak = app.query_one("#weak", Static)
        for query, shown in (("qwxz plugh frobnicate", True), ("keep plants alive", False)):
            app.query_one("#query", Input).value = query
            await pilot.pause(0.2)
            await settle(pilot)
            assert app.query_one(SearchPane).hits
            assert weak.display is shown, query
            assert (NO_CLOSE_MATCH in str(weak.render())) is shown
        app.query_one("#folder", Input).value = str(tmp_path / "docs" / "code")
        await pilot.pause(0.2)
        await settle(pilot)
        assert [Path(h.path).name for h in app.query_one(SearchPane).hits] == ["rows.py"]


# -- 9: stopwords and lone letters stay out of the keyword leg ------------------------------


def test_question_words_and_lone_letters_are_not_searched() -> None:
    assert query_terms("how do I keep my plants alive") == ["keep", "plants", "alive"]
    assert query_terms("the of and is a") == ["the", "of", "and", "is", "a"]  # only such words
    assert query_terms('"I" robot and "the who"') == ["i", "robot", "the", "who"]  # quoted
    assert query_terms("vitamin D and type 1 diabetes") == ["vitamin", "type", "1", "diabetes"]


def test_a_question_does_not_find_code_for_its_lone_letters(notes: Searcher) -> None:
    hits = notes.search("how do I keep my plants alive", mode="keyword")
    names = [Path(h.path).name for h in hits]
    assert names[0] == "plants.md" and "rows.py" not in names


def test_garden_tree_still_answers_plain_queries(
    tmp_path: Path, store: Store, fake: FakeEmbedder, settings: Settings
) -> None:
    Indexer(store, fake, settings).index_paths([garden_tree(tmp_path / "garden-docs")])
    hits = Searcher(store, fake, settings).search("what does a cactus need", mode="keyword")
    assert Path(hits[0].path).name == "cactus.txt"
