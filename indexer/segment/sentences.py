"""Rule-based sentence and block splitting with exact character spans.

Blocks first (headings, list items, fenced or indented code, paragraphs), then sentences
inside prose blocks. Code is never split; headings are kept apart as context.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from semfind.indexer.segment.spans import trimmed

_ABBREVIATION_LIST = (
    "e.g i.e etc vs cf al approx ca fig figs eq eqs nos vol pp p ch sec dept est inc ltd corp "
    "jr sr dr mr mrs ms prof st mt ave gov capt lt sgt jan feb apr jun jul aug sept oct nov "
    "u.s u.k a.m p.m ph.d"
)
ABBREVIATIONS = frozenset(_ABBREVIATION_LIST.split())
_HEADING = re.compile(r"[ \t]{0,3}#{1,6}[ \t]+\S")
_FENCE = re.compile(r"[ \t]{0,3}(```|~~~)")
_ITEM = re.compile(r"[ \t]*(?:[-*+•]|\d{1,3}[.)])[ \t]+")
_BOUNDARY = re.compile("[.!?]+[\"'\u201d\u2019)\\]]*(?=\\s)")
_NEXT_START = re.compile("\\s+[\"'\u201c\u2018(\\[]?[A-Z0-9\u00c0-\u00dd]")


@dataclass(frozen=True)
class Piece:
    """A span of text and what it is: "sentence", "heading", "code" or "item"."""

    kind: str
    start: int
    end: int


def split(text: str) -> list[Piece]:
    """Sentences (and headings and code blocks) of `text`, in order, with exact spans."""
    pieces: list[Piece] = []
    for block in blocks(text):
        if block.kind in ("heading", "code"):
            pieces.append(block)
        else:
            pieces.extend(
                Piece("sentence", s, e) for s, e in sentences(text, block.start, block.end)
            )
    return pieces


def blocks(text: str) -> Iterator[Piece]:
    """Headings, code, list items and paragraphs, each trimmed of surrounding whitespace."""
    lines = _lines(text)
    i = 0
    while i < len(lines):
        line = text[lines[i][0] : lines[i][1]]
        if not line.strip():
            i += 1
            continue
        if _FENCE.match(line):
            kind, last = "code", _fence_end(text, lines, i)
        elif _HEADING.match(line):
            kind, last = "heading", i
        elif _is_indented_code(text, lines, i):
            kind, last = "code", _indented_end(text, lines, i)
        else:
            kind, last = _prose_end(text, lines, i)
        start = lines[i][0] + _item_marker(text, lines[i]) if kind == "item" else lines[i][0]
        yield from _piece(kind, text, start, lines[last][1])
        i = last + 1


def sentences(text: str, start: int, end: int) -> Iterator[tuple[int, int]]:
    """Sentence spans inside text[start:end]."""
    begin = start
    for match in _BOUNDARY.finditer(text, start, end):
        stop = match.end()
        if _is_boundary(text, match.start(), stop, end):
            yield from trimmed(text, begin, stop)
            begin = stop
    yield from trimmed(text, begin, end)


def _is_boundary(text: str, dot: int, stop: int, end: int) -> bool:
    if stop >= end or not _NEXT_START.match(text, stop, end):
        return False
    if text[dot] != ".":
        return True
    if stop - dot > 1 and text[dot:stop].startswith("..."):
        return True
    word = re.search(r"([\w.]+)$", text[max(0, dot - 12) : dot])
    if word is None:
        return True
    token = word.group(1).lower()
    if token in ABBREVIATIONS or token.rstrip(".") in ABBREVIATIONS:
        return False
    # Initials ("J. R. R. Tolkien") and dotted acronyms ("U.S.A.") are not ends.
    return not (len(token) == 1 and token.isalpha() and text[dot - 1].isupper())


def _lines(text: str) -> list[tuple[int, int]]:
    spans, start = [], 0
    for match in re.finditer(r"\n", text):
        spans.append((start, match.start()))
        start = match.end()
    spans.append((start, len(text)))
    return spans


def _piece(kind: str, text: str, start: int, end: int) -> Iterator[Piece]:
    for s, e in trimmed(text, start, end):
        yield Piece(kind, s, e)


def _fence_end(text: str, lines: list[tuple[int, int]], i: int) -> int:
    fence = _FENCE.match(text, lines[i][0])
    marker = fence.group(1) if fence else "```"
    j = i + 1
    while j < len(lines) and not text[lines[j][0] : lines[j][1]].lstrip().startswith(marker):
        j += 1
    return min(j, len(lines) - 1)


def _is_indented_code(text: str, lines: list[tuple[int, int]], i: int) -> bool:
    line = text[lines[i][0] : lines[i][1]]
    after_blank = i == 0 or not text[lines[i - 1][0] : lines[i - 1][1]].strip()
    indented = line.startswith(("    ", "\t"))
    return after_blank and indented and not _ITEM.match(line)


def _indented_end(text: str, lines: list[tuple[int, int]], i: int) -> int:
    j = i
    while j + 1 < len(lines):
        line = text[lines[j + 1][0] : lines[j + 1][1]]
        if line.strip() and not line.startswith(("    ", "\t")):
            break
        j += 1
    return j


def _prose_end(text: str, lines: list[tuple[int, int]], i: int) -> tuple[str, int]:
    """A paragraph, or one list item with its continuation lines: (kind, last line)."""
    kind = "item" if _item_marker(text, lines[i]) else "paragraph"
    j = i
    while j + 1 < len(lines):
        line = text[lines[j + 1][0] : lines[j + 1][1]]
        if not line.strip() or _ITEM.match(line) or _HEADING.match(line) or _FENCE.match(line):
            break
        j += 1
    return kind, j


def _item_marker(text: str, line: tuple[int, int]) -> int:
    match = _ITEM.match(text, line[0], line[1])
    return match.end() - line[0] if match else 0
