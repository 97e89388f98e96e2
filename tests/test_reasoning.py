"""--think and --rewrite: the LLM is asked, its text changes the search, within a budget."""

from __future__ import annotations

from pathlib import Path

from semfind.engine.ask.reasoning import Reasoner, parse_rewrite
from semfind.engine.ask.thought_cache import ThoughtCache
from semfind.engine.config import Settings
from semfind.engine.search.query import Filters
from semfind.engine.search.searcher import Searcher
from semfind.engine.store.store import Store
from semfind.indexer.indexing import Indexer

from .fakes import FakeEmbedder, ScriptedLLM
from .helpers import garden_tree

THOUGHT = "A passage would say how often ferns are watered in summer, twice a week."


def test_think_asks_the_llm_once_and_caches_per_query_and_model(tmp_path: Path) -> None:
    cache = ThoughtCache(tmp_path / "thoughts.sqlite3")
    llm = ScriptedLLM(THOUGHT, "something else")
    first = Reasoner(llm, 10.0, cache).expand("think", "fern  watering")
    assert first.used and not first.cached and first.text == THOUGHT
    assert first.semantic_texts == (f"fern watering\n{THOUGHT}",)
    assert "fern watering" in llm.prompts[0][-1]["content"]
    again = Reasoner(llm, 10.0, cache).expand("think", "fern watering")
    assert again.cached and again.text == THOUGHT and len(llm.prompts) == 1
    other = ScriptedLLM("another model's thought")
    other.key = "scripted-v2"
    assert Reasoner(other, 10.0, cache).expand("think", "fern watering").text != THOUGHT
    assert "thought (cached)" in again.describe()


def test_over_budget_falls_back_to_the_plain_query_and_is_not_cached(tmp_path: Path) -> None:
    cache = ThoughtCache(tmp_path / "thoughts.sqlite3")
    slow = ScriptedLLM("word " * 40, delay=0.01)
    expansion = Reasoner(slow, 0.05, cache).expand("think", "ferns")
    assert not expansion.used and "budget" in (expansion.fallback or "")
    assert "searched the plain query" in expansion.describe()
    assert cache.get("think", slow.key, 1, "ferns") is None
    empty = Reasoner(ScriptedLLM(""), 5.0, cache).expand("rewrite", "ferns")
    assert not empty.used and empty.fallback == "the LLM wrote nothing"


def test_rewrite_parses_sub_queries_and_a_hypothetical_passage() -> None:
    keywords, semantic = parse_rewrite(
        "keywords: fern water schedule\nQuestion: How often are ferns watered?\n"
        "passage: Ferns are watered twice a week in summer."
    )
    assert keywords == ("fern water schedule",)
    assert semantic == ("How often are ferns watered?", "Ferns are watered twice a week in summer.")
    assert parse_rewrite("Ferns get water twice a week.") == (
        (),
        ("Ferns get water twice a week.",),
    )


def test_think_changes_the_query_embedding_and_the_ranking(
    tmp_path: Path, settings: Settings, store: Store, fake: FakeEmbedder
) -> None:
    Indexer(store, fake, settings).index_paths([garden_tree(tmp_path / "docs")])
    searcher = Searcher(store, fake, settings)
    filters = Filters(units=settings.units)
    plain = searcher.scores("plants", "hybrid", 50, filters)
    llm = ScriptedLLM("Cactus plants need sun and very little water.")
    expansion = Reasoner(llm, 10.0).expand("think", "plants")
    fake.calls.clear()
    thought = searcher.scores("plants", "hybrid", 50, filters, expansion)
    assert llm.prompts, "the LLM was asked"
    assert fake.embedded_texts == [
        "plants",
        "plants\nCactus plants need sun and very little water.",
    ]
    plain_vector = fake.embed_one("plants")
    thought_vector = fake.embed_one(expansion.semantic_texts[0])
    assert float(plain_vector @ thought_vector) < 0.99
    assert thought != plain
    hits = searcher.search("plants", 3, "hybrid", filters, expansion)
    assert hits[0].path.endswith("cactus.txt")


def test_rewrite_adds_keyword_and_vector_searches(
    tmp_path: Path, settings: Settings, store: Store, fake: FakeEmbedder
) -> None:
    Indexer(store, fake, settings).index_paths([garden_tree(tmp_path / "docs")])
    searcher = Searcher(store, fake, settings)
    llm = ScriptedLLM("keywords: sourdough starter\npassage: Bread needs a lively starter.")
    expansion = Reasoner(llm, 10.0).expand("rewrite", "baking")
    fake.calls.clear()
    hits = searcher.search("baking", 3, "hybrid", Filters(units=settings.units), expansion)
    assert fake.embedded_texts == ["baking", "Bread needs a lively starter."]
    assert hits and hits[0].path.endswith("kitchen.md")
    # The plain query alone finds nothing by keyword: the rewrite's keywords did.
    assert searcher.keyword("baking", 10, Filters(units=settings.units)) == ([],)
