"""What a written answer is checked with: its sentences (a citation after the full stop stays
with its sentence), the numbers it writes, its quotations, and how many of its content
words a source holds. engine.ask.refine applies them to the LLM's restatement."""

from __future__ import annotations

import re

from semfind.engine.ask.words import stem
from semfind.engine.ask.words import stems as _stems
from semfind.engine.search.query import STOPWORDS

_CITATION = re.compile(r"\[(\d+(?:\s*[,;]\s*\d+)*)\]")
_QUOTE = re.compile(r"\"([^\"]{3,}?)\"|“([^”]{3,}?)”")
_SENTENCE_END = re.compile(r"(?<=[.!?])(?:\s*\[\d+(?:\s*[,;]\s*\d+)*\])*\s+|\n+")
_WORD = re.compile(r"\w+", re.UNICODE)
_SPACE = re.compile(r"\s+")
_TYPOGRAPHIC = str.maketrans({"\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"'})
_THOUSANDS = re.compile(r"(?<=\d),(?=\d{3})")
_NUMBER = re.compile(r"(?<![\w.])\d[\d,]*(?:\.\d+)?")
_UNIT = re.compile(r"[ \t-]?([^\W\d_]+)")
_FILLER = frozenset(["answer", "source", "sources", "question", "according"])
"""Words an answer uses about itself; they say nothing about the files."""
MIN_QUOTE_WORDS = 2
"""Shorter quotes are names or terms, not claims about the source's wording."""
CITATION = _CITATION
"""An [n] or [n, m] citation mark."""


def split(answer: str) -> list[tuple[str, int]]:
    """Sentences with their offsets; a citation after the full stop stays with its sentence."""
    found: list[tuple[str, int]] = []
    start = 0
    for match in _SENTENCE_END.finditer(answer):
        _add(found, answer, start, match.end())
        start = match.end()
    _add(found, answer, start, len(answer))
    return found


def _add(found: list[tuple[str, int]], answer: str, start: int, end: int) -> None:
    piece = answer[start:end]
    stripped = piece.strip()
    if _WORD.search(stripped):
        found.append((stripped, start + piece.index(stripped)))


def numbers(text: str) -> set[str]:
    """Numbers written in `text` ("6.5", "2026", "95,000" as "95000"), citations left out."""
    return {n.replace(",", "") for n in _NUMBER.findall(_CITATION.sub(" ", text))}


def measures(text: str) -> dict[str, set[str]]:
    """Each number of `text` with the words written right after it ("6.5 bar", "300 km"),
    stemmed: "every 6.5 kilometres" is not backed by "6.5 bar" and "300 kilometres"."""
    found: dict[str, set[str]] = {}
    text = _CITATION.sub(" ", text)
    for match in _NUMBER.finditer(text):
        unit = _UNIT.match(text, match.end())
        word = unit.group(1).lower() if unit is not None else ""
        if word and word not in STOPWORDS:
            found.setdefault(match.group().replace(",", ""), set()).add(stem(word))
    return found


def coverage(sentence: str, source: str) -> float:
    """Share of the sentence's content words (stemmed) that occur in `source`."""
    words = _stems(_CITATION.sub(" ", sentence)) - _FILLER
    if not words:
        return 0.0
    return len(words & _stems(source)) / len(words)


def quotes(text: str) -> list[str]:
    """Quoted passages long enough to be a claim about the source's exact words."""
    found = [a or b for a, b in _QUOTE.findall(text)]
    return [q.strip() for q in found if len(_WORD.findall(q)) >= MIN_QUOTE_WORDS]


def occurs(quote: str, source: str) -> bool:
    """Whether `quote` is in `source`, ignoring case, spacing and typographic quotes."""
    return _normal(quote).strip(" .,;:") in _normal(source)


def _normal(text: str) -> str:
    text = _THOUSANDS.sub("", text.translate(_TYPOGRAPHIC))
    return _SPACE.sub(" ", text).lower()
