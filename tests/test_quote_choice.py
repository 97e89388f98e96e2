"""Choosing the quotes: antecedents across files, and sentences at a passage's edge."""

from __future__ import annotations

from semfind.engine.ask.evidence import Evidence, Source
from semfind.engine.ask.extractive import WEIGHTS, Candidate, choose
from semfind.engine.ask.passage_parts import Part, PassageParts
from semfind.engine.ask.question_kind import typed_spans
from semfind.engine.ask.sentences import Sentence, sentences
from semfind.engine.search.aggregate import Hit, Match, Passage

TEXT = "The lighthouse was built in 1874. It still guides ships into the harbour."
OTHER = "The lighthouse was built in 1874. It still guides boats into the harbour."
SECOND = TEXT.index("It")


def _part(unit: int, start: int, end: int, line: int = 1) -> Part:
    return Part(unit, TEXT[start:end], start, end, line, line, ((start, end),), 0.5)


def _hit(path: str, passage_id: int, text: str = TEXT) -> Hit:
    passage = Passage(passage_id, text, 0, len(text), 1, 1)
    match = Match(passage_id, "passage", text, 1.0, 0, len(text), 1, 1, ((0, len(text)),))
    return Hit(path, None, "markdown", 1.0, None, passage, (match,))


def _candidate(number: int, hit: Hit) -> Candidate:
    sentence = Sentence(SECOND, len(hit.passage.text), 1, 1, 0.5)
    return Candidate(Source(number, hit, hit.passage.text), sentence, 0.5, 1.0, (), 1.0, 2.0)


def test_the_same_offsets_in_two_files_each_bring_their_own_antecedent() -> None:
    hits = [_hit("/notes/a.md", 1), _hit("/notes/b.md", 2, OTHER)]
    parts = (_part(10, 0, SECOND - 1), _part(11, SECOND, len(TEXT)))
    evidence = Evidence(
        hits, 0.5, 0, 0.0, {1: PassageParts(0.5, parts), 2: PassageParts(0.5, parts)}
    )
    quotes = choose([_candidate(1, hits[0]), _candidate(2, hits[1])], evidence, 0.0, WEIGHTS, set())
    assert [(q.hit.path, q.context) for q in quotes] == [
        ("/notes/a.md", True),
        ("/notes/a.md", False),
        ("/notes/b.md", True),
        ("/notes/b.md", False),
    ]
    assert quotes[0].text == "The lighthouse was built in 1874."


def test_a_proposition_reaching_over_the_passage_edge_is_clamped_to_it() -> None:
    start = TEXT.index("built")
    passage = Passage(1, TEXT[start:], start, len(TEXT), 4, 5)
    over = Part(7, "", start - 10, SECOND - 1, 3, 4, ((start - 10, SECOND - 1),), 0.4)
    inside = Part(8, "", SECOND, len(TEXT), 5, 5, ((SECOND, len(TEXT)),), 0.6)
    found = sentences(passage, [over, inside])
    assert [passage.text[s.start - start : s.end - start] for s in found] == [
        "built in 1874.",
        "It still guides ships into the harbour.",
    ]
    assert found[0].start == start and found[0].line_start == 4


def test_a_plain_passage_gives_each_sentence_its_own_line_only_when_lines_match_the_file() -> None:
    text = "# Tides\n\nThe tide turns twice a day.\nBoats wait for it.\n\nGulls follow them."
    whole = Part(3, text, 100, 100 + len(text), 10, 15, ((100, 100 + len(text)),), 0.5)
    markdown = sentences(Passage(3, text, 100, 100 + len(text), 10, 15), [whole])
    assert [(s.line_start, s.line_end) for s in markdown] == [(12, 12), (13, 13), (15, 15)]
    # From HTML: the same text came from lines 40-41 of the file, laid out differently.
    html = sentences(Passage(3, text, 100, 100 + len(text), 40, 41), [whole])
    assert [text[s.start - 100 : s.end - 100] for s in html][-1] == "Gulls follow them."
    assert {(s.line_start, s.line_end) for s in html} == {(40, 41)}


def test_names_in_any_latin_script_and_months_only_when_capitalised() -> None:
    text = "It was founded by Émile Durkheim and Ørsted in 1890. You may march in May."
    names = [text[a:b] for a, b in typed_spans("person", text, set())]
    assert "Émile Durkheim" in names and "Ørsted" in names
    times = [text[a:b] for a, b in typed_spans("time", text, set())]
    assert times == ["1890", "May"]
    assert typed_spans("time", "It opens on june 3 and in the 19th Century.", set())
