"""Propositions: short self-contained statements with exact source spans.

The rule-based segmenter splits sentences (see `sentences`), then splits compound sentences
where it is safe, and gives each proposition an embedding text that carries its context:
document title, heading path and, for anaphoric openers, the previous sentence's subject.
"""

from __future__ import annotations

import bisect
import dataclasses
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from semfind.engine.config import CHOICES
from semfind.engine.errors import UsageError
from semfind.engine.store.records import UnitDraft
from semfind.indexer.extract.document import Document, Page
from semfind.indexer.segment.passages import span_unit
from semfind.indexer.segment.sentences import Piece, split
from semfind.indexer.segment.spans import Span, strip_span

_WORD = re.compile(r"\w+")
_CONJUNCTION = re.compile(r",\s+(but|whereas|while|yet|although)\s+", re.I)
_AND_CLAUSE = re.compile(
    r",\s+(and|or)\s+(?=(it|they|he|she|we|this|these|the|its|their|there|i)\b)", re.I
)
_SEMICOLON = re.compile(r";\s+")
_ANAPHOR = re.compile(r"(it|they|he|she|this|these|that|those|its|their|such)\b", re.I)
_VERB = re.compile(
    r"\b(is|are|was|were|be|been|has|have|had|can|could|will|would|may|might|must|should|"
    r"does|do|did|shows?|showed|causes?|caused|increases?|increased|decreases?|decreased|"
    r"reduces?|reduced|leads?|led|needs?|needed|contains?|contained|uses?|used|"
    r"requires?|required|includes?|included|provides?|provided|makes?|made)\b",
    re.I,
)
MIN_WORDS = 3


class Segmenter(Protocol):
    """Turns a document and its passages into proposition units."""

    @property
    def name(self) -> str: ...

    def segment(self, doc: Document, passages: Sequence[UnitDraft]) -> list[UnitDraft]: ...


@dataclass
class RuleSegmenter:
    """Fast, deterministic segmentation; `compound=False` stops at sentences."""

    compound: bool = True

    @property
    def name(self) -> str:
        return "rules" if self.compound else "sentences"

    def segment(self, doc: Document, passages: Sequence[UnitDraft]) -> list[UnitDraft]:
        units: list[UnitDraft] = []
        next_ord = max((p.ord for p in passages), default=-1) + 1
        for page in doc.pages:
            parents = sorted((p for p in passages if p.page == page.number), key=_start)
            starts = [p.char_start for p in parents]
            for spans, context, body in self._page(doc, page):
                parent = _parent(parents, starts, spans[0][0])
                if parent is not None:
                    unit = span_unit(
                        page, "proposition", next_ord + len(units), spans, _join(context, body),
                        parent.ord,
                    )  # fmt: skip
                    units.append(dataclasses.replace(unit, context_chars=len(context)))
        return units

    def _page(self, doc: Document, page: Page) -> list[tuple[tuple[Span, ...], str, str]]:
        """(source spans, added context, statement) of each proposition of `page`."""
        text = page.text
        found: list[tuple[tuple[Span, ...], str, str]] = []
        headings: list[tuple[int, str]] = []
        previous: str | None = None
        for piece in split(text):
            if piece.kind == "heading":
                headings = _push_heading(headings, text[piece.start : piece.end])
                previous = None
                continue
            context = _context(doc, headings)
            if piece.kind == "code":
                found.append((((piece.start, piece.end),), context, text[piece.start : piece.end]))
                continue
            sentence = text[piece.start : piece.end]
            hint = _subject(previous) if previous and _ANAPHOR.match(sentence) else ""
            for spans, body in self.statements(text, piece):
                found.append((spans, context, f"{hint}{body}"))
                hint = ""
            previous = sentence
        return found

    def statements(self, text: str, piece: Piece) -> list[tuple[tuple[Span, ...], str]]:
        """(source spans, statement text to embed) for one sentence."""
        return [
            (spans, clean(" ".join(text[s:e] for s, e in spans)))
            for spans in self._spans(text, piece)
        ]

    def _spans(self, text: str, piece: Piece) -> list[tuple[Span, ...]]:
        if not self.compound:
            return [((piece.start, piece.end),)]
        parts = _split_clauses(text, (piece.start, piece.end))
        statements: list[tuple[Span, ...]] = []
        for part in parts:
            statements.extend(_enumeration(text, part) or [(part,)])
        return [s for s in statements if _words(text, s) >= MIN_WORDS] or [
            ((piece.start, piece.end),)
        ]


SEGMENTERS = CHOICES["segmenter"]


def make_segmenter(name: str) -> Segmenter | None:
    """The segmenter a setting names; None for passages only."""
    if name == "none":
        return None
    if name in ("rules", "sentences", "llm"):
        # "llm" starts from the rule-based pass; the indexer upgrades files afterwards.
        return RuleSegmenter(compound=name != "sentences")
    raise UsageError(f"unknown segmenter {name!r}: choose one of {', '.join(SEGMENTERS)}")


def _split_clauses(text: str, span: Span) -> list[Span]:
    """Split at semicolons and at safe coordinating conjunctions."""
    parts = [span]
    for pattern in (_SEMICOLON, _CONJUNCTION, _AND_CLAUSE):
        parts = [piece for part in parts for piece in _cut(text, part, pattern)]
    return parts


def _cut(text: str, span: Span, pattern: re.Pattern[str]) -> list[Span]:
    """Cut at each match with at least four words on both sides.

    A loop over word offsets found once, not a count per match: a sentence may hold thousands
    of semicolons. No word straddles a cut (matches start at "," or ";" and end after spaces).
    """
    parts: list[Span] = []
    start, end = span
    words = [m.start() for m in _WORD.finditer(text, start, end)]
    for match in pattern.finditer(text, start, end):
        before = bisect.bisect_left(words, match.start())
        left = before - bisect.bisect_left(words, start)
        right = len(words) - bisect.bisect_left(words, match.end(), before)
        if left >= 4 and right >= 4:
            parts.append((start, match.start()))
            start = match.end()
    return [*parts, (start, end)]


_ENUM = re.compile(
    r"(?P<prefix>.*?\b(?:include|includes|including|such as|are|were|like|:)\s+)"
    r"(?P<items>(?:[^,;:]{1,40},\s+){1,8}[^,;:]{1,40}?,?\s+(?:and|or)\s+[^,;:]{1,40}?)"
    r"(?P<tail>[.!?]?)$",
    re.S,
)
_ITEM = re.compile(r"\s*(?:(?:and|or)\s+)?([^,]+?)(?:,|\s+(?:and|or)\s+|$)")


def _enumeration(text: str, span: Span) -> list[tuple[Span, ...]]:
    """'Symptoms include fever, cough and fatigue.' -> one statement per item (two spans each)."""
    match = _ENUM.match(text, span[0], span[1])
    if match is None:
        return []
    prefix = strip_span(text, span[0], match.end("prefix"))
    offset = match.start("items")
    items = [
        strip_span(text, offset + item.start(1), offset + item.end(1))
        for item in _ITEM.finditer(match.group("items"))
        if item.group(1).strip()
    ]
    if len(items) < 3 or any(_words(text, (i,)) > 5 for i in items):
        return []
    return [(prefix, item) for item in items]


def _words(text: str, spans: Sequence[Span]) -> int:
    return sum(len(_WORD.findall(text[s:e])) for s, e in spans)


def _push_heading(headings: list[tuple[int, str]], line: str) -> list[tuple[int, str]]:
    stripped = line.lstrip()
    level = len(stripped) - len(stripped.lstrip("#"))
    title = stripped.lstrip("#").strip().rstrip("#").strip()
    return [*[h for h in headings if h[0] < level], (level, title)]


def _context(doc: Document, headings: list[tuple[int, str]]) -> str:
    parts = [doc.title] if doc.has_real_title else []
    parts += [title for _, title in headings if title and title not in parts]
    return " > ".join(parts)


def _subject(sentence: str) -> str:
    """The opening noun phrase of `sentence`, as a hint for a following 'It'/'This'."""
    words = sentence.split()
    head = " ".join(words[:8])
    verb = _VERB.search(head)
    subject = head[: verb.start()].strip(" ,;:") if verb else " ".join(words[:5])
    return f"{subject}: " if subject and not _ANAPHOR.fullmatch(subject) else ""


def _join(context: str, body: str) -> str:
    return f"{context}\n{body}" if context else body


def clean(text: str) -> str:
    """Embedding text for a span: hyphenated line breaks joined, whitespace collapsed."""
    text = re.sub(r"(\w)-\n\s*(\w)", r"\1\2", text)
    return " ".join(text.split())


def _parent(passages: Sequence[UnitDraft], starts: list[int], offset: int) -> UnitDraft | None:
    """The passage holding `offset`; `passages` do not overlap and `starts` are their sorted
    char_starts (a search, not a scan: a file may have thousands of each)."""
    i = bisect.bisect_right(starts, offset) - 1
    if i >= 0 and offset < passages[i].char_end:
        return passages[i]
    return None


def _start(unit: UnitDraft) -> int:
    return unit.char_start
