"""Character spans into extracted text."""

from __future__ import annotations

from collections.abc import Iterator

Span = tuple[int, int]


def strip_span(text: str, start: int, end: int) -> Span:
    """text[start:end] without surrounding whitespace (possibly empty)."""
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return (start, end)


def trimmed(text: str, start: int, end: int) -> Iterator[Span]:
    """The stripped span, or nothing when only whitespace is left."""
    span = strip_span(text, start, end)
    if span[1] > span[0]:
        yield span
