"""Retrieval at proposition level, rolled up to passages and files."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from semfind.engine.config import Settings
from semfind.engine.search.searcher import Filters, Searcher
from semfind.engine.store.store import Store
from semfind.indexer.indexing import Indexer

from .fakes import FakeEmbedder


@pytest.fixture
def rules(settings: Settings) -> Settings:
    return dataclasses.replace(settings, segmenter="rules", units="proposition", passage_tokens=256)


def garden_and_kitchen(root: Path) -> Path:
    """Two notes: a garden passage of several facts, and a short kitchen one."""
    root.mkdir()
    (root / "garden.md").write_text(
        "# Garden\n\nTomatoes need full sun and steady watering. Basil hates cold nights. "
        "Mulch keeps the soil moist in July.\n\nCompost takes a year to mature.\n"
    )
    (root / "kitchen.md").write_text("Sourdough needs a lively starter. Bread rises overnight.\n")
    return root


@pytest.fixture
def docs(tmp_path: Path) -> Path:
    root = garden_and_kitchen(tmp_path / "docs")
    (root / "script.py").write_text("def mulch(bed):\n    return bed\n")
    return root


def test_propositions_are_indexed_under_their_passages(
    store: Store, fake: FakeEmbedder, rules: Settings, docs: Path
) -> None:
    Indexer(store, fake, rules).index_paths([docs])
    rows = store.conn.execute(
        "SELECT c.text, p.text FROM units c JOIN units p ON p.id = c.parent_id"
        " WHERE c.kind = 'proposition'"
    ).fetchall()
    assert ("Basil hates cold nights.", rows[0][1]) in rows
    assert all(child in parent for child, parent in rows)


def test_hit_shows_best_proposition_inside_its_passage(
    store: Store, fake: FakeEmbedder, rules: Settings, docs: Path
) -> None:
    Indexer(store, fake, rules).index_paths([docs])
    hit = Searcher(store, fake, rules).search("basil cold nights")[0]
    assert hit.path.endswith("garden.md")
    assert hit.best.kind == "proposition" and hit.best.text == "Basil hates cold nights."
    assert hit.best.text in hit.passage.text
    start, end = hit.best.spans[0]
    assert (
        hit.passage.text[start - hit.passage.char_start : end - hit.passage.char_start]
        == hit.best.text
    )
    data = hit.to_json()
    assert data["matches"][0]["spans"] == [[start, end]] or data["matches"][0]["spans"] == (
        (start, end),
    )
    assert data["passage"]["text"] == hit.passage.text and data["unit_kind"] == "proposition"


def test_units_setting_selects_what_is_matched(
    store: Store, fake: FakeEmbedder, rules: Settings, docs: Path
) -> None:
    Indexer(store, fake, rules).index_paths([docs])
    searcher = Searcher(store, fake, rules)
    for units, kinds in (
        ("passage", {"passage"}),
        ("proposition", {"proposition"}),
        ("both", {"passage", "proposition"}),
    ):
        hits = searcher.search("mulch soil", filters=Filters(units=units), k=5)
        seen = {m.kind for h in hits for m in h.matches if not h.path.endswith(".py")}
        assert seen and seen <= kinds, (units, seen)
    code = searcher.search(
        "def mulch bed return", filters=Filters(units="proposition"), mode="keyword"
    )
    assert any(h.path.endswith("script.py") for h in code)


def test_several_matching_propositions_earn_a_bounded_bonus(
    store: Store, fake: FakeEmbedder, rules: Settings, docs: Path
) -> None:
    Indexer(store, fake, rules).index_paths([docs])
    plain = Searcher(store, fake, dataclasses.replace(rules, multi_match_bonus=0.0))
    boosted = Searcher(store, fake, dataclasses.replace(rules, multi_match_bonus=0.1))
    query = "tomatoes sun basil mulch soil"
    before, after = plain.search(query)[0], boosted.search(query)[0]
    assert len(after.matches) >= 2
    assert before.score < after.score <= before.score + 0.1 + 1e-9


def test_changing_the_segmenter_resegments_without_reembedding_passages(
    store: Store, settings: Settings, rules: Settings, docs: Path
) -> None:
    fake = FakeEmbedder()
    Indexer(store, fake, settings).index_paths([docs])
    assert store.counts()["units"] == 3
    fake.calls.clear()
    report = Indexer(store, fake, rules).index_paths([docs])
    assert report.indexed == 3 and report.unchanged == 0
    passage_texts = {
        r[0] for r in store.conn.execute("SELECT text FROM units WHERE kind = 'passage'")
    }
    assert not passage_texts & set(fake.embedded_texts)
    fake.calls.clear()
    again = Indexer(store, fake, rules).index_paths([docs])
    assert again.unchanged == 3 and fake.calls == []


def test_passages_and_parts_have_keyword_tables_of_their_own(
    store: Store, fake: FakeEmbedder, rules: Settings, docs: Path
) -> None:
    Indexer(store, fake, rules).index_paths([docs])
    searcher = Searcher(store, fake, rules)
    kind = {int(r[0]): r[1] for r in store.conn.execute("SELECT id, kind FROM units")}
    for units, expected in (("passage", [{"passage"}]), ("proposition", [{"proposition"}])):
        legs = searcher.keyword("mulch soil", 50, Filters(units=units))
        assert [{kind[i] for i, _ in leg} for leg in legs] == expected
    both = searcher.keyword("mulch soil", 50, Filters(units="both"))
    assert [{kind[i] for i, _ in leg} for leg in both] == [{"passage"}, {"proposition"}]


def test_passages_that_were_not_cut_up_stand_in_for_parts(
    store: Store, fake: FakeEmbedder, settings: Settings, docs: Path
) -> None:
    Indexer(store, fake, settings).index_paths([docs])
    searcher = Searcher(store, fake, settings)
    for mode in ("keyword", "vector"):
        hits = searcher.search("basil cold", mode=mode, filters=Filters(units="proposition"))
        assert hits and hits[0].best.kind == "passage" and hits[0].path.endswith("garden.md")
