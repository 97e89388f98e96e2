"""Propositions of short passages are not embedded (Settings.vector_min_parts, issue 23):
search scores them by their passage's vector, and the coverage counts only what needs one."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from semfind.engine.config import ComposeVectors, Settings
from semfind.engine.search.searcher import Filters, Searcher, depth_for
from semfind.engine.store.index_facts import model_vectors
from semfind.engine.store.migrations import LATEST_VERSION
from semfind.engine.store.store import Store
from semfind.indexer.indexing import Indexer

from .fakes import FakeEmbedder
from .test_proposition_search import garden_and_kitchen


@pytest.fixture
def rules(settings: Settings) -> Settings:
    return dataclasses.replace(
        settings, segmenter="rules", units="both", passage_tokens=256, vector_min_parts=4
    )


@pytest.fixture
def docs(tmp_path: Path) -> Path:
    return garden_and_kitchen(tmp_path / "docs")


def _units(store: Store) -> list[tuple[str, str, int, bool]]:
    """(kind, text, parts of its passage, has a vector) of every unit."""
    rows = store.conn.execute(
        "SELECT u.kind, u.text, (SELECT count(*) FROM units c WHERE c.parent_id ="
        " coalesce(u.parent_id, u.id)), EXISTS (SELECT 1 FROM vectors v"
        " WHERE v.text_hash = u.embed_hash) FROM units u ORDER BY u.id"
    )
    return [(str(k), str(t), int(n), bool(v)) for k, t, n, v in rows]


def _complete(store: Store) -> bool:
    model = store.models()[0]
    facts = model_vectors(store)[0]
    return (
        store.vector_coverage(model).without == 0
        and not store.has_vectors_due()
        and facts.units_without == 0
        and facts.texts_to_build == 0
    )


@pytest.mark.parametrize("compose", ["off", "passages", "all"])
def test_short_passages_keep_their_propositions_unembedded_and_coverage_complete(
    store: Store, fake: FakeEmbedder, rules: Settings, docs: Path, compose: ComposeVectors
) -> None:
    rules = dataclasses.replace(rules, compose_vectors=compose)
    report = Indexer(store, fake, rules).index_paths([docs])
    units = _units(store)
    parts = [u for u in units if u[0] == "proposition"]
    assert {n for _, _, n, _ in parts} & {2, 3} and max(n for _, _, n, _ in parts) >= 4
    assert all(has for kind, _, _, has in units if kind == "passage")
    assert all(has == (n >= 4) for _, _, n, has in parts)
    assert ("proposition", "Sourdough needs a lively starter.", 2, False) in units
    embedded = set(fake.embedded_texts)
    # Composed or not, a short passage is embedded whole: less than its propositions.
    assert not any(t.splitlines()[-1] == "Sourdough needs a lively starter." for t in embedded)
    assert report.embedded == sum(1 for u in units if u[3]) and _complete(store)
    assert store.models()[0].part_floor == 4


def test_an_unembedded_proposition_is_found_through_its_passage(
    store: Store, fake: FakeEmbedder, rules: Settings, docs: Path
) -> None:
    Indexer(store, fake, rules).index_paths([docs])
    searcher = Searcher(store, fake, rules)
    hit = searcher.search("sourdough lively starter")[0]
    assert hit.path.endswith("kitchen.md")
    assert hit.best.text == "Sourdough needs a lively starter."
    legs = searcher.legs("sourdough lively starter", "hybrid", depth_for(10), Filters(units="both"))
    similarity = dict(legs.vector)
    assert similarity[hit.best.unit_id] == similarity[hit.passage.id]


def test_lowering_the_floor_embeds_what_now_needs_a_vector_and_raising_it_costs_nothing(
    store: Store, fake: FakeEmbedder, rules: Settings, docs: Path
) -> None:
    Indexer(store, fake, rules).index_paths([docs])
    short = [u for u in _units(store) if u[0] == "proposition" and u[2] < 4]
    every = dataclasses.replace(rules, vector_min_parts=0)
    lowered = Indexer(store, fake, every).index_paths([docs])
    assert lowered.embedded == len({text for _, text, _, _ in short}) > 0
    assert all(has for *_, has in _units(store)) and _complete(store)
    assert store.models()[0].part_floor == 0
    raised = Indexer(store, fake, rules).index_paths([docs])
    assert raised.embedded == 0 and raised.tokens == 0 and _complete(store)
    assert store.models()[0].part_floor == 4


def test_a_model_from_before_the_floor_keeps_every_vector(
    settings: Settings, fake: FakeEmbedder, rules: Settings, docs: Path
) -> None:
    every = dataclasses.replace(rules, vector_min_parts=0)  # the default
    with Store.open(settings.db_path()) as store:
        Indexer(store, fake, every).index_paths([docs])
        store.conn.execute("ALTER TABLE units DROP COLUMN context_chars")  # schema 12
        store.conn.execute("ALTER TABLE embed_models DROP COLUMN part_floor")
        store.conn.execute("PRAGMA user_version = 10")
    with Store.open(settings.db_path()) as store:
        assert store.conn.execute("PRAGMA user_version").fetchone()[0] == LATEST_VERSION
        assert store.models()[0].part_floor == 0 and _complete(store)
        report = Indexer(store, fake, rules).index_paths([docs])
        assert report.embedded == 0 and all(has for *_, has in _units(store))
        assert _complete(store)


def test_status_says_which_propositions_use_their_passages_vector(
    store: Store, fake: FakeEmbedder, rules: Settings, docs: Path
) -> None:
    from semfind.app.render import vectors_line

    Indexer(store, fake, rules).index_paths([docs])
    (facts,) = model_vectors(store)
    line = vectors_line(facts, store.distinct_texts())
    assert facts.part_floor == 4 and f"all {facts.units} units have one" in line
    assert line.endswith("propositions of passages under 4 use their passage's (vector_min_parts)")
    Indexer(store, fake, dataclasses.replace(rules, vector_min_parts=0)).index_paths([docs])
    assert "passage's" not in vectors_line(model_vectors(store)[0], store.distinct_texts())
