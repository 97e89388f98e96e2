"""Sentence and block splitting on real-world prose: spans must be exact."""

from __future__ import annotations

from semfind.indexer.segment.sentences import split


def _pieces(text: str) -> list[tuple[str, str]]:
    out = []
    for piece in split(text):
        assert text[piece.start : piece.end] == text[piece.start : piece.end].strip()
        out.append((piece.kind, text[piece.start : piece.end]))
    return out


def test_abbreviations_and_numbers_do_not_end_sentences() -> None:
    text = (
        "Dr. Smith gave 2.5 mg per kg, e.g. to mice and rats. The p-value was 0.03 (see Fig. 2). "
        "Samples came from the U.S. and Canada, i.e. two sites. J. R. R. Tolkien wrote it. Done!"
    )
    assert [t for _, t in _pieces(text)] == [
        "Dr. Smith gave 2.5 mg per kg, e.g. to mice and rats.",
        "The p-value was 0.03 (see Fig. 2).",
        "Samples came from the U.S. and Canada, i.e. two sites.",
        "J. R. R. Tolkien wrote it.",
        "Done!",
    ]


def test_questions_quotes_and_lowercase_continuations() -> None:
    text = 'Is it safe? She said "Yes." then left. Ok... Fine.'
    assert [t for _, t in _pieces(text)] == [
        "Is it safe?",
        'She said "Yes." then left.',
        "Ok...",
        "Fine.",
    ]


def test_markdown_headings_lists_and_code_blocks() -> None:
    text = (
        "# Setup\n\nInstall it first. Then run it.\n\n"
        "- Clone the repo. It is small.\n"
        "- Run make\n  with no arguments\n"
        "1. numbered item\n\n"
        "```sh\nmake test. make demo.\n```\n\n"
        "    indented = code. still code\n\n"
        "## Usage\nText after."
    )
    assert _pieces(text) == [
        ("heading", "# Setup"),
        ("sentence", "Install it first."),
        ("sentence", "Then run it."),
        ("sentence", "Clone the repo."),
        ("sentence", "It is small."),
        ("sentence", "Run make\n  with no arguments"),
        ("sentence", "numbered item"),
        ("code", "```sh\nmake test. make demo.\n```"),
        ("code", "indented = code. still code"),
        ("heading", "## Usage"),
        ("sentence", "Text after."),
    ]


def test_pdf_text_with_hyphenated_line_breaks_stays_one_sentence() -> None:
    text = "The infor-\nmation was ex-\ntracted from page two. A second sentence follows."
    assert [t for _, t in _pieces(text)] == [
        "The infor-\nmation was ex-\ntracted from page two.",
        "A second sentence follows.",
    ]


def test_unterminated_fence_and_empty_text() -> None:
    assert _pieces("```\ncode without end") == [("code", "```\ncode without end")]
    assert _pieces("") == [] and _pieces(" \n\n ") == []
