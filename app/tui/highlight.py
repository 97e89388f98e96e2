"""Textual content for results and previews: query terms and evidence highlighted."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.content import Content

from semfind.engine.query import term_pattern

if TYPE_CHECKING:
    from semfind.engine.aggregate import Hit

TERM_STYLE = "bold reverse"
EVIDENCE_STYLE = "bold underline"


def with_terms(text: str, query: str) -> Content:
    """`text` with every query term highlighted."""
    content = Content(text)
    pattern = term_pattern(query)
    if pattern is not None:
        for match in pattern.finditer(text):
            content = content.stylize(TERM_STYLE, match.start(), match.end())
    return content


def preview_text(hit: Hit, query: str) -> Content:
    """The passage around the result, its evidence underlined and terms highlighted."""
    content = with_terms(hit.passage.text, query)
    for start, end in hit.evidence_spans():
        content = content.stylize(EVIDENCE_STYLE, start, end)
    return content


def one_line(text: str, limit: int = 400) -> str:
    """Whitespace folded, so a proposition fits the results list."""
    folded = " ".join(text.split())
    return folded if len(folded) <= limit else folded[: limit - 1] + "…"
