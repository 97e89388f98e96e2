"""What answers are checked with: sentences, numbers, quotations and word coverage."""

from __future__ import annotations

from semfind.engine.ask.citations import coverage, measures, numbers, occurs, quotes, split
from semfind.engine.ask.words import stem

SOURCE = (
    "Tomatoes need at least six hours of direct sunlight each day.\n"
    "Tyre pressure for the road bike is 6.5 bar in the front and 7 bar in the rear."
)


def test_sentences_keep_their_trailing_citations_and_offsets() -> None:
    answer = "Water them twice a week [1]. The front takes 6.5 bar. [2]\nDone"
    found = split(answer)
    assert [text for text, _ in found] == [
        "Water them twice a week [1].",
        "The front takes 6.5 bar. [2]",
        "Done",
    ]
    assert all(answer[start : start + len(text)] == text for text, start in found)


def test_numbers_are_read_without_citations_and_thousands_separators() -> None:
    assert numbers("It is due at 95,000 km and 6.5 bar [3].") == {"95000", "6.5"}


def test_coverage_counts_content_words_a_source_holds() -> None:
    assert coverage("Tomatoes need direct sunlight [1].", SOURCE) == 1.0
    assert coverage("Cucumbers want shade.", SOURCE) == 0.0
    assert 0.0 < coverage("Tomatoes want shade.", SOURCE) < 1.0


def test_quotes_of_two_words_or_more_are_claims() -> None:
    assert quotes('It says "six hours" and "sun".') == ["six hours"]


def test_quote_matching_ignores_case_spacing_typographic_quotes_and_separators() -> None:
    assert occurs("At least  SIX hours", "need at least six hours of")
    assert occurs("the rider\u2019s bike", "It is the rider's bike.")
    assert occurs("1,936", "finished in 1936")
    assert not occurs("eight hours", SOURCE)


def test_measures_pair_each_number_with_the_word_after_it() -> None:
    text = "Tyres take 6.5 bar; the chain is oiled every 300 kilometres [2], built in 1874 the"
    assert measures(text) == {"6.5": {stem("bar")}, "300": {stem("kilometres")}}
