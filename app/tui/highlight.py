"""Rich text for results and previews: query terms and evidence spans highlighted."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from rich.text import Text
from textual.content import Content

from semfind.engine.query import query_terms

if TYPE_CHECKING:
    from semfind.engine.aggregate import Hit

TERM_STYLE = "bold reverse"
EVIDENCE_STYLE = "underline"


def term_pattern(query: str) -> re.Pattern[str] | None:
    """Words starting with a query term, as keyword search stems them ("water" → "watering")."""
    terms = sorted(query_terms(query), key=len, reverse=True)
    if not terms:
        return None
    return re.compile(r"\b(?:" + "|".join(re.escape(t) for t in terms) + r")\w*", re.IGNORECASE)


def with_terms(text: str, query: str, base: str = "") -> Text:
    """`text` with every query term highlighted."""
    rich = Text(text, style=base)
    pattern = term_pattern(query)
    if pattern is not None:
        for match in pattern.finditer(text):
            rich.stylize(TERM_STYLE, match.start(), match.end())
    return rich


def terms_content(text: str, query: str) -> Content:
    """Like with_terms, as Textual content (cheaper to lay out than Rich text)."""
    content = Content(text)
    pattern = term_pattern(query)
    if pattern is not None:
        for match in pattern.finditer(text):
            content = content.stylize(TERM_STYLE, match.start(), match.end())
    return content


def evidence_spans(hit: Hit) -> list[tuple[int, int]]:
    """The best match's exact spans, as offsets into the passage text."""
    offset = hit.passage.char_start
    length = len(hit.passage.text)
    spans = hit.best.spans or ((hit.best.char_start, hit.best.char_end),)
    return [
        (max(0, start - offset), min(length, end - offset))
        for start, end in spans
        if end > offset and start - offset < length
    ]


def preview_text(hit: Hit, query: str) -> Text:
    """The passage around the result, its evidence underlined and terms highlighted."""
    rich = with_terms(hit.passage.text, query)
    for start, end in evidence_spans(hit):
        rich.stylize(EVIDENCE_STYLE, start, end)
        rich.stylize("bold", start, end)
    return rich


def one_line(text: str, limit: int = 400) -> str:
    """Whitespace folded, so a proposition fits the results list."""
    folded = " ".join(text.split())
    return folded if len(folded) <= limit else folded[: limit - 1] + "…"
