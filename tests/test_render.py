"""How results look in the terminal: the best proposition underlined inside its passage."""

from __future__ import annotations

from semfind.app.render import evidence, highlight
from semfind.engine.search.aggregate import Hit, Match, Passage

PASSAGE = "Stand the pots together. Grouped plants keep the air humid, and pebbles hold water."


def _hit(start: int, end: int) -> Hit:
    match = Match(
        7,
        "proposition",
        PASSAGE[start:end],
        1.0,
        100 + start,
        100 + end,
        3,
        3,
        ((100 + start, 100 + end),),
    )
    passage = Passage(6, PASSAGE, 100, 100 + len(PASSAGE), 2, 4)
    return Hit("/n.md", "n", "markdown", 1.0, None, passage, (match,))


def test_best_match_is_underlined_without_stray_spaces() -> None:
    start = PASSAGE.index("Grouped")
    end = PASSAGE.index(",")
    shown = evidence(_hit(start, end), "keep plants humid")
    underlined = (
        "[underline]Grouped [bold yellow]plants[/] [bold yellow]keep[/] the air "
        "[bold yellow]humid[/][/underline], and"
    )
    assert underlined in shown
    assert shown.startswith("Stand the pots together. [underline]")


def test_highlight_matches_whole_words_and_skips_stopwords() -> None:
    assert (
        highlight("the weather together", "the weather") == "the [bold yellow]weather[/] together"
    )
    assert highlight("Plants planted", "plant") == "[bold yellow]Plants[/] [bold yellow]planted[/]"


def test_long_context_is_cut_at_word_boundaries() -> None:
    start = PASSAGE.index("Grouped")
    shown = evidence(_hit(start, start + 7), "grouped", width=20)
    assert shown.startswith("…") and shown.endswith("…")
    head = shown[1 : shown.index("[underline]")].strip()
    assert head == "" or PASSAGE.find(head) >= 0
