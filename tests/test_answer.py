"""`semfind ask` in the engine: evidence, packing, ordering, streaming and the final check."""

from __future__ import annotations

import dataclasses
from functools import partial
from pathlib import Path

from semfind.engine.aggregate import Hit, Match, Passage
from semfind.engine.answer import NOT_FOUND, Answer, Asker, Piece, Retrieved
from semfind.engine.config import Settings
from semfind.engine.evidence import Evidence, context_block, edges_first, gather_evidence, pack
from semfind.engine.query import Filters
from semfind.engine.search import Searcher
from semfind.engine.store import Store
from semfind.indexer.indexing import Indexer

from .fakes import FakeEmbedder, ScriptedLLM
from .helpers import garden_tree

REPLY = "Ferns like shade [1]. Cacti want sun [2]. Roses are red [7]."


def _hit(n: int, text: str, page: int | None = None) -> Hit:
    passage = Passage(n, text, 0, len(text), 3 * n, 3 * n + 1)
    match = Match(n, "passage", text, 1.0, 0, len(text), 3 * n, 3 * n + 1, ((0, len(text)),))
    return Hit(f"/notes/n{n}.md", None, "markdown", 1.0 / n, page, passage, (match,))


def _asker(
    llm: ScriptedLLM, evidence: Evidence, settings: Settings | None = None
) -> tuple[Asker, list[str]]:
    asked: list[str] = []

    def retrieve(question: str, k: int, filters: object) -> Evidence:
        asked.append(question)
        return dataclasses.replace(evidence, hits=evidence.hits[:k])

    return Asker(llm, retrieve, settings or Settings()), asked


def test_events_stream_then_the_checked_answer(tmp_path: Path) -> None:
    hits = [_hit(1, "Ferns like shade and damp soil."), _hit(2, "Cactus needs sun.")]
    llm = ScriptedLLM(REPLY)
    asker, asked = _asker(llm, Evidence(hits, 0.8, 3, 0.01))
    events = list(asker.ask("  what do ferns like?  "))
    assert asked == ["what do ferns like?"]
    assert isinstance(events[0], Retrieved) and [s.number for s in events[0].sources] == [1, 2]
    pieces = [e.text for e in events if isinstance(e, Piece)]
    assert len(pieces) > 3 and "".join(pieces).strip() == REPLY
    answer = events[-1]
    assert isinstance(answer, Answer)
    assert answer.verdict == "partial"
    assert [s.status for s in answer.check.sentences] == ["supported", "supported", "invalid"]
    data = answer.to_json()
    assert [c["number"] for c in data["citations"]] == [1, 2]
    assert data["citations"][0]["location"] == "/notes/n1.md:3"
    assert data["tokens"]["gen_tokens"] > 0
    assert {"retrieve_s", "first_token_s", "generate_s", "total_s"} <= set(data["timings"])
    # The sources reached the model numbered, with their locations.
    user = llm.prompts[0][-1]["content"]
    assert "[1] /notes/n1.md:3\nFerns like shade" in user and "what do ferns like?" in user


def test_nothing_relevant_means_no_llm_call_and_a_plain_not_found() -> None:
    llm = ScriptedLLM("Paris [1].")
    asker, _ = _asker(llm, Evidence([_hit(1, "Sourdough starter.")], 0.05, 0, 0.01))
    answer = list(asker.ask("what is the capital of France?"))[-1]
    assert isinstance(answer, Answer)
    assert answer.verdict == "not_found" and answer.text == NOT_FOUND
    assert llm.prompts == [] and answer.draft == ""


def test_a_model_that_says_not_in_sources_or_cites_nothing_gives_not_found() -> None:
    hits = [_hit(1, "Ferns like shade.")]
    for reply in ("NOT IN SOURCES", "Paris is the capital of France."):
        asker, _ = _asker(ScriptedLLM(reply), Evidence(hits, 0.9, 1, 0.01))
        answer = list(asker.ask("capital of France?"))[-1]
        assert isinstance(answer, Answer)
        assert answer.verdict == "not_found" and answer.draft == reply


def test_sources_are_packed_within_the_context_and_the_best_sit_at_the_edges() -> None:
    hits = [_hit(n, f"source {n} " + "word " * 60) for n in range(1, 8)]
    sources = pack(hits, 360, lambda text: len(text.split()))
    assert [s.number for s in sources] == [1, 2, 3, 4, 5]
    assert sources[-1].text.endswith("…")  # the last one was cut to fit
    assert sum(len(s.text.split()) + 12 for s in sources) <= 360
    assert [s.number for s in edges_first(sources)] == [1, 3, 5, 4, 2]
    block = context_block(sources)
    assert block.index("[1]") < block.index("[3]") < block.index("[4]") < block.index("[2]")
    small = ScriptedLLM("Ferns [1].", n_ctx=700)
    asker, _ = _asker(small, Evidence(hits, 0.9, 1, 0.0), Settings(ask_max_tokens=128))
    retrieved = next(iter(asker.ask("ferns?")))
    assert isinstance(retrieved, Retrieved)
    assert 1 <= len(retrieved.sources) < 6


def test_evidence_from_a_real_index_carries_similarity_and_keyword_counts(
    tmp_path: Path, settings: Settings, store: Store, fake: FakeEmbedder
) -> None:
    Indexer(store, fake, settings).index_paths([garden_tree(tmp_path / "docs")])
    searcher = Searcher(store, fake, settings)
    evidence = gather_evidence(searcher, "water ferns", 3, Filters(units=settings.units))
    assert evidence.hits and evidence.hits[0].path.endswith("ferns.md")
    assert evidence.best_similarity > 0.3 and evidence.keyword_units >= 1
    asker = Asker(
        ScriptedLLM("Water ferns twice a week in summer [1]."),
        partial(gather_evidence, searcher),
        settings,
    )
    answer = list(asker.ask("how often do I water ferns?"))[-1]
    assert isinstance(answer, Answer)
    assert answer.verdict == "answered"
    assert answer.sources[0].hit.path.endswith("ferns.md")
