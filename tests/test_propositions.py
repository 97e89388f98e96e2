"""Rule-based propositions: exact spans, safe splits, context for embedding."""

from __future__ import annotations

import pytest

from semfind.engine.errors import UsageError
from semfind.engine.store.records import UnitDraft
from semfind.indexer.extract.document import Document, Page
from semfind.indexer.segment.passages import passages
from semfind.indexer.segment.propositions import RuleSegmenter, clean, make_segmenter

from .fakes import FakeEmbedder

count = FakeEmbedder().count_tokens


def _segment(
    text: str,
    title: str = "notes",
    real: bool = False,
    compound: bool = True,
    page: int | None = None,
) -> tuple[list[UnitDraft], list[UnitDraft]]:
    doc = Document("markdown", title, (Page(text, page),), has_real_title=real)
    parts = passages(doc, count, 40)
    return parts, RuleSegmenter(compound=compound).segment(doc, parts)


def _texts(units: list[UnitDraft]) -> list[str]:
    return [u.text for u in units]


def test_every_span_maps_back_to_the_source() -> None:
    text = (
        "# Garden\n\nFerns like shade; they dry out quickly in direct sun. Symptoms of thirst "
        "include drooping leaves, brown tips and dry soil.\n\nWater them twice a week, but "
        "never let the pots stand in water for days."
    )
    parents, props = _segment(text)
    assert props
    for unit in props:
        spans = unit.spans or ((unit.char_start, unit.char_end),)
        assert unit.text == " ".join(text[s:e] for s, e in spans)
        parent = next(p for p in parents if p.ord == unit.parent_ord)
        assert parent.char_start <= spans[0][0] and spans[-1][1] <= parent.char_end


def test_enumerations_become_one_statement_per_item() -> None:
    _, props = _segment("Risk factors were age, smoking, obesity, or diabetes.")
    assert _texts(props) == [
        "Risk factors were age",
        "Risk factors were smoking",
        "Risk factors were obesity",
        "Risk factors were diabetes",
    ]
    assert all(p.spans and len(p.spans) == 2 for p in props)


def test_semicolons_and_coordinated_clauses_split_only_when_safe() -> None:
    _, props = _segment(
        "The trial enrolled four hundred adults; the follow up lasted two years. "
        "Vitamin D lowered the risk, but the effect faded after one year. "
        "Salt and pepper, and more."
    )
    assert _texts(props) == [
        "The trial enrolled four hundred adults",
        "the follow up lasted two years.",
        "Vitamin D lowered the risk",
        "the effect faded after one year.",
        "Salt and pepper, and more.",
    ]


def test_sentence_mode_keeps_whole_sentences() -> None:
    _, props = _segment(
        "Risk factors were age, smoking, obesity, or diabetes. It is rare.", compound=False
    )
    assert _texts(props) == ["Risk factors were age, smoking, obesity, or diabetes.", "It is rare."]


def test_embedding_text_carries_title_headings_and_subject() -> None:
    text = "# Ferns\n\n## Watering\n\nBoston ferns need humid air. They wilt in dry rooms."
    _, props = _segment(text, title="Houseplant guide", real=True)
    assert (
        props[0].embed_input == "Houseplant guide > Ferns > Watering\nBoston ferns need humid air."
    )
    assert props[1].text == "They wilt in dry rooms."
    assert (
        props[1].embed_input
        == "Houseplant guide > Ferns > Watering\nBoston ferns: They wilt in dry rooms."
    )


def test_pdf_hyphenation_is_joined_for_embedding_only() -> None:
    _, props = _segment("The infor-\nmation was ex-\ntracted from page two.", page=2)
    assert props[0].text == "The infor-\nmation was ex-\ntracted from page two."
    assert props[0].embed_input == "The information was extracted from page two."
    assert props[0].page == 2 and props[0].line_start == 1 and props[0].line_end == 3
    assert clean("a  b\n c") == "a b c"


def test_code_blocks_are_single_units() -> None:
    _, props = _segment("Run this:\n\n```\nmake test. make demo.\n```\n")
    assert "```\nmake test. make demo.\n```" in _texts(props)


def test_segmenter_names() -> None:
    assert make_segmenter("none") is None
    assert make_segmenter("sentences") == RuleSegmenter(compound=False)
    with pytest.raises(UsageError, match="unknown segmenter"):
        make_segmenter("magic")
