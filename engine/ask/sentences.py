"""The sentences of an evidence passage, rebuilt from its propositions' exact spans.

The rule segmenter never lets a proposition cross a sentence end, and cuts a sentence
into clauses or list items with spans that touch or overlap: propositions are joined
until one ends a sentence (its text ends in . ! or ?) or a line break separates them.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Sequence
from dataclasses import dataclass

from semfind.engine.ask.passage_parts import Part
from semfind.engine.search.aggregate import Passage

_CLOSERS = "\"'\u201d\u2019)\\]"
_OPENERS = "\"'\u201c\u2018(\\["
_END = re.compile(f"[.!?\u2026][{_CLOSERS}]*$")
_TRAILING = re.compile(f"[.!?\u2026][{_CLOSERS}]*|[{_CLOSERS}]+")
_WORDY = re.compile(r"[^\W\d_]")
_HEADING = re.compile(r"[ \t]{0,3}#{1,6}\s")
_BLOCK_END = re.compile(r"\n[ \t]*\n|(?<=\n)(?=[ \t]{0,3}#{1,6}\s)|^[ \t]{0,3}#{1,6}[^\n]*\n", re.M)
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
    base = passage.char_start
    end = max(base, max(e for p in group for _, e in p.spans))
    start = min(base + len(passage.text), min(s for s, _ in part.spans))
    if start < end:
        return False
    text = passage.text
    before = text[: start - base].rstrip()
    gap = text[end - base : start - base]
    # A wrapped line ("...last year,\nbut the bridge held") is no sentence end.
    return bool(_END.search(before)) or "\n\n" in gap or ("\n" in gap and not _WORDY.search(gap))


def _sentence(passage: Passage, group: list[Part]) -> Sentence:
    # A proposition may reach over the passage's edge (passages overlap); its quote may not.
    start = max(passage.char_start, min(s for p in group for s, _ in p.spans))
    end = min(passage.char_end, max(e for p in group for _, e in p.spans))
    base = passage.char_start
    tail = _TRAILING.match(passage.text, end - base)
    if tail is not None:
        end = base + tail.end()
    sims = [p.similarity for p in group if p.similarity is not None]
    return Sentence(
        start,
        end,
        max(passage.line_start, min(p.line_start for p in group)),
        min(passage.line_end, max(p.line_end for p in group)),
        max(sims) if sims else None,
    )


def _split_plain(passage: Passage, similarity: float | None) -> list[Sentence]:
    """A passage that was never cut into propositions, split at blank lines and plain
    sentence ends; Markdown headings are left out (they are context, not statements)."""
    text, base = passage.text, passage.char_start
    # Extracted text (HTML, PDF) has its own line breaks, not the file's: its lines are
    # then known only as the passage's, which is said rather than a wrong line guessed.
    aligned = text.count("\n") == passage.line_end - passage.line_start
    found: list[Sentence] = []
    for start, end in _pieces(text):
        if _HEADING.match(text, start):
            continue
        first, last = passage.line_start, passage.line_end
        if aligned:
            first += text.count("\n", 0, start)
            last = first + text.count("\n", start, end)
        found.append(Sentence(base + start, base + end, first, last, similarity))
    return found


def _pieces(text: str) -> list[tuple[int, int]]:
    """(start, end) of each sentence, heading line or paragraph end, trimmed."""
    cuts = {0, len(text)}
    cuts.update(m.end() for m in _FALLBACK.finditer(text))
    cuts.update(m.end() for m in _BLOCK_END.finditer(text))
    bounds = sorted(cuts)
    spans = []
    for start, end in itertools.pairwise(bounds):
        piece = text[start:end]
        if piece.strip():
            lead = len(piece) - len(piece.lstrip())
            spans.append((start + lead, start + len(piece.rstrip())))
    return spans
