"""The citation checker: numbers must exist, quotes must occur, claims must be supported."""

from __future__ import annotations

from semfind.engine.citations import check_answer, numbers, occurs, split

SOURCES = {
    1: "Tomatoes need at least six hours of direct sunlight each day.\n"
    "Water the tomato plants deeply twice a week.",
    2: "Tyre pressure for the road bike is 6.5 bar in the front and 7 bar in the rear.",
}


def _statuses(answer: str, attribute: bool = False) -> list[str]:
    return [s.status for s in check_answer(answer, SOURCES, attribute=attribute).sentences]


def test_supported_sentences_pass() -> None:
    check = check_answer(
        "Water the tomatoes twice a week [1]. The front tyre takes 6.5 bar [2].", SOURCES
    )
    assert [s.status for s in check.sentences] == ["supported", "supported"]
    assert check.cited == (1, 2)
    assert check.ok and check.supported == 2


def test_out_of_range_citation_is_rejected() -> None:
    check = check_answer("Tomatoes love sun [3].", SOURCES)
    assert check.sentences[0].status == "invalid"
    assert "[3]" in check.problems[0] and "only 2 sources" in check.problems[0]
    assert not check.ok
    assert check.cited == ()


def test_invented_quote_is_rejected_and_a_real_one_accepted() -> None:
    invented = check_answer('The notes say "water them every single morning" [1].', SOURCES)
    assert invented.sentences[0].status == "misquoted"
    assert "every single morning" in invented.problems[0]
    real = check_answer('The notes say to "water the tomato plants deeply" [1].', SOURCES)
    assert real.sentences[0].status == "supported"
    # A quote is checked against the cited source, not any source.
    wrong_source = check_answer('It says "6.5 bar in the front" [1].', SOURCES)
    assert wrong_source.sentences[0].status == "misquoted"


def test_uncited_and_unrelated_sentences_are_marked() -> None:
    assert _statuses("Tomatoes like sun. Paris is the capital of France [1].") == [
        "unsupported",
        "unsupported",
    ]


def test_a_number_missing_from_the_cited_source_is_unsupported() -> None:
    check = check_answer("Tomatoes need 6.5 hours of sunlight [1].", SOURCES)
    assert check.sentences[0].status == "unsupported"
    assert "6.5" in check.problems[0]


def test_attribution_credits_a_plainly_stated_fact_and_nothing_else() -> None:
    statuses = _statuses(
        "The tyre pressure of the road bike is 6.5 bar. The bike is red and fast. Compost.",
        attribute=True,
    )
    assert statuses == ["attributed", "unsupported", "unsupported"]
    check = check_answer("The road bike tyre pressure is 6.5 bar.", SOURCES, attribute=True)
    assert check.sentences[0].citations == (2,)
    assert check.cited == (2,)
    # A wrong number is not attributed, however many words match.
    assert _statuses("The tyre pressure of the road bike is 9 bar.", attribute=True) == [
        "unsupported"
    ]


def test_sentences_keep_their_trailing_citations_and_offsets() -> None:
    answer = "First claim. [1] Second claim [2].\nThird line"
    pieces = split(answer)
    assert [text for text, _ in pieces] == ["First claim. [1]", "Second claim [2].", "Third line"]
    for text, start in pieces:
        assert answer[start : start + len(text)] == text


def test_quote_matching_ignores_case_spacing_and_typographic_quotes() -> None:
    assert occurs("WATER the  tomato\nplants", SOURCES[1])
    assert occurs("Tomatoes need at least six hours.", SOURCES[1])
    assert not occurs("water the roses", SOURCES[1])
    assert numbers("95,000 km in 2026, 6.5 bar [3]") == {"95000", "2026", "6.5"}
