from __future__ import annotations

from semfind.indexer.extract.document import Document, Page
from semfind.indexer.segment.passages import passages

from .fakes import FakeEmbedder

count = FakeEmbedder().count_tokens


def _doc(
    text: str, title: str = "notes.md", real: bool = False, number: int | None = None
) -> Document:
    return Document("markdown", title, (Page(text, number),), has_real_title=real)


def test_spans_are_exact_and_budget_is_kept() -> None:
    paragraphs = [
        f"Paragraph {i} talks about topic {i} with several plain words." for i in range(30)
    ]
    text = "\n\n".join(paragraphs)
    units = passages(_doc(text), count, 40)
    assert len(units) > 5
    for unit in units:
        assert unit.text == text[unit.char_start : unit.char_end]
        assert count(unit.text) <= 40
    covered = " ".join(u.text for u in units)
    for paragraph in paragraphs:
        assert paragraph in covered


def test_small_paragraphs_are_merged() -> None:
    text = "One short line.\n\nAnother short line.\n\nA third one."
    units = passages(_doc(text), count, 100)
    assert len(units) == 1
    assert units[0].text == text
    assert (units[0].line_start, units[0].line_end) == (1, 5)


def test_long_paragraph_is_cut_at_sentences_then_words() -> None:
    sentence = "The quick brown fox jumps over the lazy dog again and again. "
    text = sentence * 20 + " ".join(f"word{i}" for i in range(300))
    units = passages(_doc(text), count, 30)
    assert all(count(u.text) <= 30 for u in units)
    assert all(u.text == text[u.char_start : u.char_end] for u in units)
    assert units[0].text.startswith("The quick brown fox")
    assert "word299" in units[-1].text


def test_line_numbers_and_pages() -> None:
    text = "first\n\nsecond para\nstill second\n\n\nthird"
    units = passages(_doc(text, number=3), count, 6)
    assert [(u.text, u.line_start, u.line_end, u.page) for u in units] == [
        ("first", 1, 1, 3),
        ("second para\nstill second", 3, 4, 3),
        ("third", 7, 7, 3),
    ]


def test_real_title_is_added_to_embedded_text_only() -> None:
    units = passages(_doc("Body text here.", title="Garden Care", real=True), count, 50)
    assert units[0].text == "Body text here."
    assert units[0].embed_input == "Garden Care\n\nBody text here."
    plain = passages(_doc("Body text here."), count, 50)
    assert plain[0].embed_input == "Body text here."
    assert plain[0].embed_hash != units[0].embed_hash


def test_empty_and_whitespace_pages_give_no_units() -> None:
    assert passages(_doc("   \n\n  \n"), count, 50) == []
