"""The Engine: one index with its settings, handing out its parts on first use and closing
them all."""

from __future__ import annotations

import dataclasses
import threading
from pathlib import Path

import pytest

from semfind.engine.ask.answer import Answer
from semfind.engine.config import Settings
from semfind.engine.errors import IndexLockedError, StoreError
from semfind.engine.llm.base import ChatBackend
from semfind.engine.search.query import Filters
from semfind.engine.session.engine import Engine
from semfind.indexer.indexing import Indexer

from .fakes import FakeEmbedder, ScriptedLLM


class Closing(FakeEmbedder):
    def __init__(self) -> None:
        super().__init__()
        self.closed = False

    def close(self) -> None:
        self.closed = True


class ClosingLLM(ScriptedLLM):
    def __init__(self, *replies: str) -> None:
        super().__init__(*replies)
        self.closed = False

    def close(self) -> None:
        self.closed = True


@pytest.fixture
def indexed(settings: Settings, tmp_path: Path) -> Settings:
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "plants.md").write_text("Water the ferns twice a week while you travel.\n")
    (docs / "bread.md").write_text("Sourdough starter needs flour and water every day.\n")
    with Engine(settings, writer=True, open_embedder=lambda s: FakeEmbedder()) as engine:
        Indexer(engine.store(), engine.embedder(), settings).index_paths([docs])
    return settings


def test_parts_are_made_once_on_first_use_and_closed_with_the_engine(indexed: Settings) -> None:
    made: list[Closing] = []

    def open_embedder(_settings: Settings) -> Closing:
        made.append(Closing())
        return made[-1]

    engine = Engine(indexed, open_embedder=open_embedder)
    assert made == []  # nothing loads before it is asked for
    searcher = engine.searcher()
    assert engine.searcher() is searcher and engine.embedder() is made[0] and len(made) == 1
    assert searcher.store is engine.store() and searcher.embedder is made[0]
    hits = searcher.search("ferns", k=2, mode="hybrid", filters=Filters(units="passage"))
    assert hits and hits[0].path.endswith("plants.md")
    with engine:
        pass
    assert made[0].closed
    assert engine.searcher() is not searcher and len(made) == 2  # made again after closing
    engine.close()


def test_a_keyword_only_engine_loads_no_model(indexed: Settings) -> None:
    def refuse(_settings: Settings) -> FakeEmbedder:
        raise AssertionError("no model should load for keyword search")

    with Engine(indexed, embed_queries=False, open_embedder=refuse) as engine:
        hits = engine.searcher().search("sourdough", k=2, mode="keyword", filters=Filters())
        assert [Path(h.path).name for h in hits] == ["bread.md"]


def test_a_writer_engine_holds_the_single_writer_lock_until_closed(indexed: Settings) -> None:
    with Engine(indexed, writer=True) as first:
        first.store()
        with pytest.raises(IndexLockedError):
            Engine(indexed, writer=True).store()
        assert Engine(indexed).store() is not None  # readers are never held up
    with Engine(indexed, writer=True) as second:
        second.store()


def test_small_writes_pass_the_writer_lock_and_land_in_the_index(
    indexed: Settings, tmp_path: Path
) -> None:
    with Engine(indexed, writer=True) as writer:
        writer.store()
        with Engine(indexed) as other, other.unlocked() as store:
            assert store.add_watch(str(tmp_path)) and not store.add_watch(str(tmp_path))
            store.add_pending([str(tmp_path / "docs")])
        assert writer.store().watches() == [str(tmp_path)]
        assert writer.store().pending() == [str(tmp_path / "docs")]


def test_upgrade_makes_no_index_where_there_is_none(settings: Settings) -> None:
    with Engine(settings) as engine:
        engine.upgrade()
    assert not settings.db_path().exists()


def test_new_embedders_come_from_the_engine_opener_and_are_the_caller_s(
    indexed: Settings,
) -> None:
    asked: list[str | None] = []

    def open_embedder(settings: Settings) -> Closing:
        asked.append(settings.embed_model)
        return Closing()

    with Engine(indexed, open_embedder=open_embedder) as engine:
        own = engine.new_embedder(dataclasses.replace(indexed, embed_model="other"))
        assert engine.embedder() is not own and asked == ["other", indexed.embed_model]
    assert not own.closed  # the engine closes only its own embedder


def test_a_read_only_engine_on_no_index_says_so_and_makes_none(settings: Settings) -> None:
    with Engine(settings) as engine, pytest.raises(StoreError, match="no index"):
        engine.searcher()
    assert not engine.exists() and not settings.db_path().exists()


def test_a_preloaded_llm_is_the_one_handed_out_and_closed_with_the_engine(
    indexed: Settings,
) -> None:
    loading = threading.Event()
    llm = ClosingLLM()

    def open_llm(_settings: Settings) -> ChatBackend:
        loading.set()
        return llm

    engine = Engine(indexed, open_llm=open_llm)
    engine.preload_llm()
    assert loading.wait(5)  # loads in the background, before anyone asks
    assert engine.llm() is llm and engine.llm() is llm
    engine.close()
    assert llm.closed


def test_a_preloaded_llm_nobody_took_is_closed_too(indexed: Settings) -> None:
    llm = ClosingLLM()
    with Engine(indexed, open_llm=lambda s: llm) as engine:
        engine.preload_llm()
    assert llm.closed


def test_the_asker_quotes_the_index_and_restates_with_the_engine_llm(indexed: Settings) -> None:
    settings = dataclasses.replace(indexed, ask_min_similarity=-1.0, ask_min_score=0.0)
    llm = ClosingLLM("Water the ferns twice a week [1].")
    engine = Engine(settings, open_embedder=lambda s: FakeEmbedder(), open_llm=lambda s: llm)
    with engine:
        events = list(engine.asker().ask("how often do I water the ferns?"))
        answer = events[-1]
        assert isinstance(answer, Answer) and answer.model == "scripted-llm"
        assert answer.sources and answer.sources[0].hit.path.endswith("plants.md")
        assert not llm.closed  # the engine owns it, not the asker
    assert llm.closed


def test_expansions_are_cached_in_the_engine_thought_cache(
    indexed: Settings, tmp_path: Path
) -> None:
    llm = ScriptedLLM("A passage about watering ferns while away.")
    cache = tmp_path / "thoughts.sqlite3"
    with Engine(indexed, open_llm=lambda s: llm, thoughts=cache) as engine:
        first = engine.expand("think", "plants while travelling")
        again = engine.expand("think", "plants while travelling")
    assert first.used and again.cached and len(llm.prompts) == 1
    assert cache.exists()
