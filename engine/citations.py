"""Checking an answer against its sources before it is shown as final.

Every [n] must name a source that exists, every quotation must occur in a source the
sentence cites, and a sentence that cites nothing (or only sources that share none of its
words) is marked unsupported.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from .words import stems as _stems

_CITATION = re.compile(r"\[(\d+(?:\s*[,;]\s*\d+)*)\]")
_QUOTE = re.compile(r"\"([^\"]{3,}?)\"|“([^”]{3,}?)”")
_SENTENCE_END = re.compile(r"(?<=[.!?])(?:\s*\[\d+(?:\s*[,;]\s*\d+)*\])*\s+|\n+")
_WORD = re.compile(r"\w+", re.UNICODE)
_SPACE = re.compile(r"\s+")
_TYPOGRAPHIC = str.maketrans({"\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"'})
_NUMBER = re.compile(r"(?<![\w.])\d[\d,]*(?:\.\d+)?")
_FILLER = frozenset(["answer", "source", "sources", "question", "according"])
"""Words an answer uses about itself; they say nothing about the files."""
ATTRIBUTE_COVERAGE = 0.6
ATTRIBUTE_MIN_WORDS = 3
"""Fewer content words than this (a heading, "Yes.") are no claim to attribute."""
MIN_QUOTE_WORDS = 2
"""Shorter quotes are names or terms, not claims about the source's wording."""


@dataclass(frozen=True)
class Sentence:
    """One sentence of the answer and what the checker found about it."""

    text: str
    start: int
    end: int
    citations: tuple[int, ...]
    status: str
    """"supported"; "attributed" (cited nothing, but one source plainly states it, and it
    is credited to that one); "unsupported" (cites nothing, or a source lacking its numbers
    or words); "invalid" (cites a source that does not exist); "misquoted"."""
    problems: tuple[str, ...] = ()


@dataclass(frozen=True)
class Check:
    """The verdict on a whole answer."""

    sentences: tuple[Sentence, ...]
    problems: tuple[str, ...] = field(default=())

    @property
    def cited(self) -> tuple[int, ...]:
        """Valid source numbers the answer cites, in order of first use."""
        seen = dict.fromkeys(
            n for s in self.sentences if s.status != "invalid" for n in s.citations
        )
        return tuple(seen)

    @property
    def supported(self) -> int:
        """Sentences backed by a source, cited by the model or attributed."""
        return sum(1 for s in self.sentences if s.status in ("supported", "attributed"))

    @property
    def ok(self) -> bool:
        return bool(self.sentences) and not self.problems

    def to_json(self) -> dict[str, object]:
        return {
            "ok": self.ok,
            "problems": list(self.problems),
            "sentences": [
                {
                    "text": s.text,
                    "start": s.start,
                    "end": s.end,
                    "citations": list(s.citations),
                    "status": s.status,
                    "problems": list(s.problems),
                }
                for s in self.sentences
            ],
        }


def check_answer(answer: str, sources: Mapping[int, str], *, attribute: bool = False) -> Check:
    """Check `answer` against `sources` (number to the exact text the model was given).

    With `attribute`, a sentence that cites nothing but is plainly stated by one source
    (most of its words and all of its numbers are there) is credited to that source and
    marked "attributed": small models often state a source's fact without citing it.
    """
    checked = []
    for text, start in split(answer):
        sentence = _check_sentence(text, start, sources)
        if attribute and sentence.status == "unsupported" and not sentence.citations:
            sentence = _attribute(sentence, sources)
        checked.append(sentence)
    sentences = tuple(checked)
    problems = tuple(p for s in sentences for p in s.problems)
    return Check(sentences, problems)


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


def citations_in(text: str) -> tuple[int, ...]:
    numbers: list[int] = []
    for match in _CITATION.finditer(text):
        numbers += [int(n) for n in re.split(r"\s*[,;]\s*", match.group(1))]
    return tuple(dict.fromkeys(numbers))


def _check_sentence(text: str, start: int, sources: Mapping[int, str]) -> Sentence:
    cited = citations_in(text)
    end = start + len(text)
    missing = [n for n in cited if n not in sources]
    if missing:
        names = ", ".join(f"[{n}]" for n in missing)
        problem = f"cites {names}, but there are only {len(sources)} sources"
        return Sentence(text, start, end, cited, "invalid", (problem,))
    pool = [sources[n] for n in cited] if cited else list(sources.values())
    bad = [q for q in quotes(text) if not any(occurs(q, source) for source in pool)]
    if bad:
        where = "the cited source" if cited else "any source"
        return Sentence(
            text, start, end, cited, "misquoted", (f'quote "{bad[0]}" is not in {where}',)
        )
    if not cited:
        return Sentence(text, start, end, cited, "unsupported")
    cited_text = "\n".join(pool)
    absent = sorted(numbers(text) - numbers(cited_text))
    if absent:
        problem = f"{', '.join(absent)} does not appear in the cited source"
        return Sentence(text, start, end, cited, "unsupported", (problem,))
    if coverage(text, cited_text) == 0.0:
        return Sentence(
            text, start, end, cited, "unsupported", ("shares no words with its source",)
        )
    return Sentence(text, start, end, cited, "supported")


def _attribute(sentence: Sentence, sources: Mapping[int, str]) -> Sentence:
    """The sentence credited to the source that states it best, if one plainly does."""
    wanted = numbers(sentence.text)
    if len(_stems(_CITATION.sub(" ", sentence.text)) - _FILLER) < ATTRIBUTE_MIN_WORDS:
        return sentence
    best, best_cover = 0, 0.0
    for number, source in sources.items():
        if wanted - numbers(source):
            continue
        cover = coverage(sentence.text, source)
        if cover > best_cover:
            best, best_cover = number, cover
    if best_cover < ATTRIBUTE_COVERAGE:
        return sentence
    return Sentence(sentence.text, sentence.start, sentence.end, (best,), "attributed")


def numbers(text: str) -> set[str]:
    """Numbers written in `text` ("6.5", "2026", "95,000" as "95000"), citations left out."""
    return {n.replace(",", "") for n in _NUMBER.findall(_CITATION.sub(" ", text))}


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
    text = text.translate(_TYPOGRAPHIC)
    return _SPACE.sub(" ", text).lower()
