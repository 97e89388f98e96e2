"""Paragraph-aware passages bounded by the embedding model's context."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator

from semfind.engine.store.records import UnitDraft, titled
from semfind.indexer.extract.document import Document, Page
from semfind.indexer.segment.spans import Span, trimmed

TokenCounter = Callable[[str], int]
_PARAGRAPH_BREAK = re.compile(r"\n[ \t]*\n\s*")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[\"'(\[]?[A-Z0-9])|\n")


def passages(doc: Document, count_tokens: TokenCounter, max_tokens: int) -> list[UnitDraft]:
    """Cut every page into passages of at most `max_tokens` model tokens."""
    overhead = count_tokens("")
    title = doc.title if doc.has_real_title else None
    title_cost = count_tokens(title) - overhead if title else 0
    budget = max(max_tokens - title_cost, max_tokens // 2)
    units: list[UnitDraft] = []
    for page in doc.pages:
        for start, end in _pack(page.text, count_tokens, budget, overhead):
            units.append(_unit(page, start, end, len(units), title))
    return units


def _unit(page: Page, start: int, end: int, ord_: int, title: str | None) -> UnitDraft:
    text = page.text[start:end]
    embed_text = titled(title, text) if title and not text.startswith(title) else None
    return span_unit(page, "passage", ord_, ((start, end),), embed_text)


def span_unit(
    page: Page,
    kind: str,
    ord_: int,
    spans: tuple[Span, ...],
    embed_text: str | None = None,
    parent_ord: int | None = None,
) -> UnitDraft:
    """A unit whose display text is exactly `spans` of the page, with its lines."""
    start, end = spans[0][0], spans[-1][1]
    return UnitDraft(
        kind=kind,
        ord=ord_,
        text=" ".join(page.text[s:e] for s, e in spans),
        page=page.number,
        char_start=start,
        char_end=end,
        line_start=page.line_at(start),
        line_end=page.line_at(max(start, end - 1)),
        embed_text=embed_text,
        parent_ord=parent_ord,
        spans=spans if len(spans) > 1 else None,
        label=page.label_at(start),
    )


def _pack(text: str, count: TokenCounter, budget: int, overhead: int) -> Iterator[Span]:
    """Greedily merge consecutive paragraphs while they fit the budget."""
    group: Span | None = None
    used = 0
    for span in _fitting_spans(text, count, budget, overhead):
        cost = count(text[span[0] : span[1]]) - overhead
        if group is not None and used + cost <= budget - overhead:
            group, used = (group[0], span[1]), used + cost
            continue
        if group is not None:
            yield group
        group, used = span, cost
    if group is not None:
        yield group


def _fitting_spans(text: str, count: TokenCounter, budget: int, overhead: int) -> Iterator[Span]:
    """Paragraphs, with any paragraph over budget cut at sentences, then at whitespace."""
    for span in _split(text, _PARAGRAPH_BREAK, (0, len(text))):
        if count(text[span[0] : span[1]]) <= budget:
            yield span
            continue
        for sentence in _split(text, _SENTENCE_END, span):
            yield from _halve(text, sentence, count, budget)


def _split(text: str, pattern: re.Pattern[str], span: Span) -> Iterator[Span]:
    start = span[0]
    for match in pattern.finditer(text, span[0], span[1]):
        yield from trimmed(text, start, match.start())
        start = match.end()
    yield from trimmed(text, start, span[1])


def _halve(text: str, span: Span, count: TokenCounter, budget: int) -> Iterator[Span]:
    start, end = span
    if end - start <= 1 or count(text[start:end]) <= budget:
        yield span
        return
    middle = (start + end) // 2
    cut = text.rfind(" ", start + 1, middle + 1)
    if cut <= start:
        cut = text.find(" ", middle, end - 1)
    if cut <= start:
        cut = middle
    yield from _trimmed_halve(text, start, cut, count, budget)
    yield from _trimmed_halve(text, cut, end, count, budget)


def _trimmed_halve(
    text: str, start: int, end: int, count: TokenCounter, budget: int
) -> Iterator[Span]:
    for span in trimmed(text, start, end):
        yield from _halve(text, span, count, budget)
