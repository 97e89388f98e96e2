"""The sentences of an evidence passage, rebuilt from its propositions' exact spans.

The rule segmenter never lets a proposition cross a sentence end, and cuts a sentence
into clauses or list items with spans that touch or overlap: propositions are joined
until one ends a sentence (its text ends in . ! or ?) or a line break separates them.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from .aggregate import Passage
from .passage_parts import Part

_CLOSERS = "\"'\u201d\u2019)\\]"
_OPENERS = "\"'\u201c\u2018(\\["
_END = re.compile(f"[.!?\u2026][{_CLOSERS}]*$")
_TRAILING = re.compile(f"[.!?\u2026][{_CLOSERS}]*|[{_CLOSERS}]+")
_FALLBACK = re.compile(f"(?<=[.!?])[{_CLOSERS}]*\\s+(?=[{_OPENERS}]?[A-Z0-9])")


@dataclass(frozen=True)
class Sentence:
    """A sentence of a passage: offsets into the page's text, lines, and the best
    similarity to the question of the propositions it is made of."""

    start: int
    end: int
    line_start: int
    line_end: int
    similarity: float | None


def sentences(passage: Passage, parts: Sequence[Part]) -> list[Sentence]:
    """`passage`'s sentences, in order; the passage itself is split when it has no parts."""
    if len(parts) == 1 and parts[0].unit_id == passage.id:
        return _split_plain(passage, parts[0].similarity)
    found: list[Sentence] = []
    group: list[Part] = []
    for part in sorted(parts, key=lambda p: (min(s for s, _ in p.spans), p.unit_id)):
        if group and _ends_before(passage, group, part):
            found.append(_sentence(passage, group))
            group = []
        group.append(part)
    if group:
        found.append(_sentence(passage, group))
    return found


def _ends_before(passage: Passage, group: list[Part], part: Part) -> bool:
    end = max(e for p in group for _, e in p.spans)
    start = min(s for s, _ in part.spans)
    if start < end:
        return False
    text = passage.text
    base = passage.char_start
    before = text[: end - base].rstrip()
    gap = text[end - base : start - base]
    return bool(_END.search(before)) or "\n" in gap


def _sentence(passage: Passage, group: list[Part]) -> Sentence:
    start = min(s for p in group for s, _ in p.spans)
    end = max(e for p in group for _, e in p.spans)
    base = passage.char_start
    tail = _TRAILING.match(passage.text, end - base)
    if tail is not None:
        end = base + tail.end()
    sims = [p.similarity for p in group if p.similarity is not None]
    return Sentence(
        start,
        end,
        min(p.line_start for p in group),
        max(p.line_end for p in group),
        max(sims) if sims else None,
    )


def _split_plain(passage: Passage, similarity: float | None) -> list[Sentence]:
    """A passage that was never cut into propositions, split at plain sentence ends."""
    text, base = passage.text, passage.char_start
    found: list[Sentence] = []
    start = 0
    for match in [*_FALLBACK.finditer(text), None]:
        end = match.start() if match else len(text)
        piece = text[start:end]
        if piece.strip():
            lead = len(piece) - len(piece.lstrip())
            line = passage.line_start + text.count("\n", 0, start + lead)
            last = line + piece.strip().count("\n")
            found.append(
                Sentence(
                    base + start + lead, base + start + len(piece.rstrip()), line, last, similarity
                )
            )
        start = match.end() if match else len(text)
    return found
