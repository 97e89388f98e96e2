"""The in-memory vector matrix ranks exactly as sqlite-vec does, and follows index changes."""

from __future__ import annotations

import dataclasses
import threading
from pathlib import Path

import pytest

from semfind.engine.config import Settings
from semfind.engine.search import vector_index
from semfind.engine.search.searcher import Filters, Searcher
from semfind.engine.store.records import EmbedModelRow
from semfind.engine.store.store import Store
from semfind.indexer.indexing import Indexer

from .fakes import FakeEmbedder

PROSE = [
    "Tomatoes need full sun. Basil hates cold nights; mulch keeps the soil moist.",
    "Sourdough needs a lively starter. Bread rises overnight in a warm kitchen.",
    "The compiler inlines small functions. Dead code is removed before linking.",
    "Rain fell all week. The river rose above the old stone bridge.",
]


@pytest.fixture
def rules(settings: Settings) -> Settings:
    return dataclasses.replace(settings, segmenter="rules", units="both")


@pytest.fixture
def indexed(tmp_path: Path, store: Store, fake: FakeEmbedder, rules: Settings) -> Path:
    root = tmp_path / "docs"
    (root / "sub").mkdir(parents=True)
    for number, text in enumerate(PROSE):
        folder = root / "sub" if number % 2 else root
        (folder / f"note{number}.md").write_text(f"# Note {number}\n\n{text}\n")
    (root / "tool.py").write_text("def mulch(bed):\n    return bed\n")
    Indexer(store, fake, rules).index_paths([root])
    return root


def hold_reloads(monkeypatch: pytest.MonkeyPatch) -> threading.Event:
    """Every reload runs in the background, as if loads took long, and waits until the
    returned event is set."""
    monkeypatch.setattr(vector_index, "SYNC_RELOAD_S", 0.0)
    monkeypatch.setattr(vector_index, "RELOAD_GAP", 0.0)
    release = threading.Event()
    real_load = vector_index.load

    def held_load(reader: Store, model: EmbedModelRow) -> vector_index.Loaded:
        release.wait(30)
        return real_load(reader, model)

    monkeypatch.setattr(vector_index, "load", held_load)
    return release


@pytest.mark.parametrize("units", ["both", "passage", "proposition"])
@pytest.mark.parametrize("glob", [None, "sub/*"])
def test_warm_and_one_shot_searches_return_the_same_neighbours(
    store: Store, fake: FakeEmbedder, rules: Settings, indexed: Path, units: str, glob: str | None
) -> None:
    cold, warm = Searcher(store, fake, rules), Searcher(store, fake, rules, warm=True)
    filters = Filters(path_glob=glob, units=units)
    for query in ("basil cold nights", "bread starter", "stone bridge river", "mulch"):
        vector = fake.embed_one(query)
        expected = cold.knn(vector, 50, filters)
        got = warm.knn(vector, 50, filters)
        assert [i for i, _ in got] == [i for i, _ in expected]
        assert [s for _, s in got] == pytest.approx([s for _, s in expected], abs=1e-5)
        assert got, "every scope holds units"


def test_scopes_hold_passages_or_parts(
    store: Store, fake: FakeEmbedder, rules: Settings, indexed: Path
) -> None:
    warm = Searcher(store, fake, rules, warm=True)
    vector = fake.embed_one("basil")
    kinds = {
        units: {
            store.conn.execute("SELECT kind FROM units WHERE id = ?", (i,)).fetchone()[0]
            for i, _ in warm.knn(vector, 100, Filters(units=units))
        }
        for units in ("passage", "proposition", "both")
    }
    assert kinds["passage"] == {"passage"}
    # The code file is one passage that is not cut up: it stands in for its own parts.
    assert kinds["proposition"] == {"proposition"}
    assert kinds["both"] == kinds["passage"] | kinds["proposition"]


def test_matrix_sees_files_written_after_it_was_loaded(
    tmp_path: Path, store: Store, fake: FakeEmbedder, rules: Settings, indexed: Path
) -> None:
    warm = Searcher(store, fake, rules, warm=True)
    assert warm.search("glacier crevasse", mode="vector")[0].path.endswith(".md")
    late = indexed / "late.md"
    late.write_text("Glacier crevasse hides under fresh snow.\n")
    Indexer(store, fake, rules).index_paths([indexed])
    assert warm.search("glacier crevasse", mode="vector")[0].path == str(late.resolve())
    late.unlink()
    Indexer(store, fake, rules).index_paths([indexed])
    assert all(hit.path != str(late.resolve()) for hit in warm.search("glacier", mode="vector"))


def test_changes_by_another_connection_reach_the_matrix(
    store: Store, fake: FakeEmbedder, rules: Settings, indexed: Path
) -> None:
    warm = Searcher(store, fake, rules, warm=True)
    warm.search("glacier", mode="vector")
    with Store.open(store.path) as writer:
        (indexed / "late.md").write_text("Glacier crevasse hides under fresh snow.\n")
        Indexer(writer, fake, rules).index_paths([indexed])
    assert warm.search("glacier crevasse", mode="vector")[0].path.endswith("late.md")


def test_a_slow_reload_runs_in_the_background_and_searches_do_not_wait_for_it(
    store: Store,
    fake: FakeEmbedder,
    rules: Settings,
    indexed: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    warm = Searcher(store, fake, rules, warm=True)
    assert warm.matrix is not None
    before = warm.search("glacier crevasse", mode="vector")
    release = hold_reloads(monkeypatch)
    late = indexed / "late.md"
    late.write_text("Glacier crevasse hides under fresh snow.\n")
    Indexer(store, fake, rules).index_paths([indexed])

    stale = warm.search("glacier crevasse", mode="vector")  # returns while the load is held
    assert [h.path for h in stale] == [h.path for h in before]
    assert warm.search("glacier crevasse", mode="keyword")[0].path == str(late.resolve())
    release.set()
    warm.matrix.wait(30)
    assert warm.search("glacier crevasse", mode="vector")[0].path == str(late.resolve())


def test_a_one_shot_searcher_reads_the_bits_once_per_index_state(
    store: Store,
    fake: FakeEmbedder,
    rules: Settings,
    indexed: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from semfind.engine.search import searcher as search

    reads: list[int] = []
    real_read = search.read_bits

    def counted(conn: object, model: EmbedModelRow) -> object:
        reads.append(1)
        return real_read(conn, model)  # type: ignore[arg-type]

    monkeypatch.setattr(search, "read_bits", counted)
    one_shot = Searcher(store, fake, rules)
    for text in ("glacier crevasse", "basil", "sourdough starter"):  # as --think searches
        one_shot.search(text, mode="vector")
    assert len(reads) == 1
    (indexed / "late.md").write_text("Glacier crevasse hides under fresh snow.\n")
    Indexer(store, fake, rules).index_paths([indexed])
    assert one_shot.search("glacier crevasse", mode="vector")[0].path.endswith("late.md")
    assert len(reads) == 2


def test_a_stale_reading_never_attributes_a_vector_to_a_unit_id_reused_by_other_text(
    store: Store,
    fake: FakeEmbedder,
    rules: Settings,
    indexed: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    kept = "Otters juggle pebbles in the kelp forest."
    last = indexed / "zz.md"
    last.write_text(f"{kept}\n")
    Indexer(store, fake, rules).index_paths([indexed])
    warm = Searcher(store, fake, rules, warm=True)
    assert warm.matrix is not None
    vector = fake.embed_one(kept)
    assert warm.knn(vector, 5, Filters(units="both"))[0][1] > 0.5
    release = hold_reloads(monkeypatch)
    before = dict(store.conn.execute("SELECT id, text FROM units"))
    # A paragraph written above: the kept text's units get new ids, and their old ids
    # (the newest, so freed and taken again) now hold the new paragraph.
    last.write_text(f"Volcanic ash darkened the sky.\n\n{kept}\n")
    Indexer(store, fake, rules).index_paths([indexed])
    after = dict(store.conn.execute("SELECT id, text FROM units"))
    assert any(after.get(i) not in (None, text) for i, text in before.items()), "ids reused"

    exact = Searcher(store, fake, rules)
    for units in ("both", "passage", "proposition"):
        truth = dict(exact.knn(vector, 500, Filters(units=units)))
        got = warm.knn(vector, 50, Filters(units=units))
        assert got
        for unit, similarity in got:
            assert truth.get(unit) == pytest.approx(similarity, abs=1e-5), (unit, after[unit])
    release.set()
    warm.matrix.wait(30)
