"""vector_units and keyword_units (issue 23): what each leg ranks when every unit is searched."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from semfind.engine.config import Settings
from semfind.engine.errors import ConfigError
from semfind.engine.search.searcher import Filters, Searcher, depth_for
from semfind.engine.store.store import Store
from semfind.indexer.indexing import Indexer

from .fakes import FakeEmbedder
from .test_proposition_search import garden_and_kitchen

BOTH = Filters(units="both")
QUERY = "basil cold nights"


@pytest.fixture
def both(settings: Settings, tmp_path: Path, store: Store, fake: FakeEmbedder) -> Settings:
    # An index holding every vector, which the query-time settings below simulate against.
    chosen = dataclasses.replace(
        settings, segmenter="rules", units="both", passage_tokens=256, vector_min_parts=0
    )
    Indexer(store, fake, chosen).index_paths([garden_and_kitchen(tmp_path / "docs")])
    return chosen


def _kinds(store: Store, ids: list[int]) -> dict[int, tuple[str, int | None]]:
    marks = ",".join("?" * len(ids))
    rows = store.conn.execute(f"SELECT id, kind, parent_id FROM units WHERE id IN ({marks})", ids)
    return {int(i): (str(kind), parent) for i, kind, parent in rows}


def test_by_default_both_legs_rank_propositions(
    store: Store, fake: FakeEmbedder, both: Settings
) -> None:
    legs = Searcher(store, fake, both).legs(QUERY, "hybrid", depth_for(10), BOTH)
    assert len(legs.keyword) == 2
    kinds = _kinds(store, [u for u, _ in legs.vector])
    assert {kind for kind, _ in kinds.values()} == {"passage", "proposition"}


def test_keyword_units_passage_leaves_out_proposition_rows(
    store: Store, fake: FakeEmbedder, both: Settings
) -> None:
    searcher = Searcher(store, fake, dataclasses.replace(both, keyword_units="passage"))
    (only,) = searcher.keyword(QUERY, depth_for(10), BOTH)
    assert only and {kind for kind, _ in _kinds(store, [u for u, _ in only]).values()} == {
        "passage"
    }
    # Asking for propositions still searches their rows.
    found = searcher.keyword(QUERY, depth_for(10), Filters(units="proposition"))
    assert {k for leg in found for k, _ in _kinds(store, [u for u, _ in leg]).values()} == {
        "proposition"
    }


def test_vector_units_passage_scores_a_proposition_by_its_passage(
    store: Store, fake: FakeEmbedder, both: Settings
) -> None:
    searcher = Searcher(store, fake, dataclasses.replace(both, vector_units="passage"))
    nearest = searcher.knn(searcher.query_vector(QUERY), depth_for(10), BOTH)
    assert {kind for kind, _ in _kinds(store, [u for u, _ in nearest]).values()} == {"passage"}
    legs = searcher.legs(QUERY, "hybrid", depth_for(10), BOTH)
    similarity = dict(legs.vector)
    kinds = _kinds(store, list(similarity))
    inherited = [u for u, (kind, _) in kinds.items() if kind == "proposition"]
    assert inherited, "a keyword-matched proposition takes its passage's similarity"
    keyword_ids = {u for leg in legs.keyword for u, _ in leg}
    for unit in inherited:
        parent = kinds[unit][1]
        assert unit in keyword_ids and parent is not None
        assert similarity[unit] == similarity[parent]
    # The evidence is still the exact proposition, with no proposition vector used.
    hit = searcher.search(QUERY)[0]
    assert hit.path.endswith("garden.md") and hit.best.text == "Basil hates cold nights."


def test_leg_units_are_validated() -> None:
    with pytest.raises(ConfigError, match="setting vector_units: 'proposition' is not one of"):
        Settings(vector_units="proposition")  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match="setting keyword_units: 'words' is not one of"):
        Settings(keyword_units="words")  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match="setting vector_min_parts: -1 is below 0"):
        Settings(vector_min_parts=-1)


def _parts_per_passage(store: Store) -> dict[int, int]:
    rows = store.conn.execute(
        "SELECT parent_id, count(*) FROM units WHERE parent_id IS NOT NULL GROUP BY parent_id"
    )
    return {int(p): int(n) for p, n in rows}


def test_vector_min_parts_keeps_own_vectors_of_long_passages_only(
    store: Store, fake: FakeEmbedder, both: Settings
) -> None:
    counts = _parts_per_passage(store)
    floor = max(counts.values())
    assert min(counts.values()) < floor, "the fixture has a short and a long passage"
    vector = Searcher(store, fake, both).query_vector("sourdough starter basil")
    everything = Searcher(store, fake, both).knn(vector, depth_for(10), BOTH)
    chosen = dataclasses.replace(both, vector_min_parts=floor)
    kept = Searcher(store, fake, chosen).knn(vector, depth_for(10), BOTH)
    kinds = _kinds(store, [u for u, _ in everything])
    parents = {u: p for u, (_, p) in kinds.items() if p is not None}
    short = {u for u, p in parents.items() if counts[p] < floor}
    assert short and not short & {u for u, _ in kept}
    assert kept == [(u, s) for u, s in everything if u not in short]
    # A short passage's proposition matched by keyword takes its passage's similarity.
    legs = Searcher(store, fake, chosen).legs("sourdough starter", "hybrid", depth_for(10), BOTH)
    similarity = dict(legs.vector)
    took = [u for u in short if u in similarity]
    assert took and all(similarity[u] == similarity[parents[u]] for u in took)
